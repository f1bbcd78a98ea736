/**
 * The driver's events: what `Driver` reports as it listens, quotes, drives and records (the
 * `--json` lines of `hitch drive`).
 */
import type { TripRecordJSON } from '../../protocol/index.js'

/** A trip update as the driver's events report it. */
export interface DriverPosition {
  lat: number
  lon: number
  /** clock ms */
  time: number
  /** seats occupied */
  onboard: number
  /** stops left in the plan */
  stops: number
  /** metres driven since start */
  odometerM: number
}

/** The driver's events (`--json` lines of `hitch drive`). */
export interface DriverEvents {
  /** subscribed to these cells and announced them in the DHT */
  listening: { cells: string[], peerId: string }
  /** a vehicle offer was published */
  offer: { cell: string, freeSeats: number, recipients: number }
  /** a ride request was heard on gossip */
  request: { requestId: string, rider: string, pickupCell: string, dropoffCell: string, seats: number }
  /** a quote was sent (its times are whole minutes, estimated from the car's cell) */
  quote: { requestId: string, rider: string, quoteId: string, price: string, currency: string, pickupMinutes: number, dropoffMinutes: number, pooled: boolean }
  /** an accept was rechecked on cells and confirmed: the seats are reserved, the driver is committed */
  confirmed: { requestId: string, rider: string, quoteId: string, price: string, pickupMinutes: number, pooled: boolean }
  /**
   * the committed ride's exact points arrived and were fitted into the plan: what the rider was
   * told on cells, and the pickup the exact plan promises (seconds from now)
   */
  revealed: { requestId: string, rider: string, quotedPickupMinutes: number, exactPickupS: number, riderAddress?: string }
  /** an accept was declined */
  declined: { requestId: string, rider: string, quoteId: string, reason: string }
  pickup: { requestId: string, rider: string, time: number }
  position: DriverPosition
  dropoff: { requestId: string, rider: string, time: number, distanceM: number, fare: string }
  /** the doubly signed trip record was stored */
  'trip-record': { requestId: string, rider: string, record: TripRecordJSON }
  /**
   * the driver cancelled a confirmed ride and dropped its stops: `non-payment`, or (after the
   * reveal) `exact-points-infeasible`, `points-outside-cells` or a binding error code such as
   * `ERR_BINDING_MISSING`
   */
  cancelled: { requestId: string, rider: string, reason: string }
  error: { requestId?: string, error: Error }
}

/** The names of {@link DriverEvents}, for `onAny`. */
export const DRIVER_EVENTS: ReadonlyArray<keyof DriverEvents> = [
  'listening', 'offer', 'request', 'quote', 'confirmed', 'revealed', 'declined', 'pickup', 'position', 'dropoff', 'trip-record', 'cancelled', 'error'
]
