/**
 * The rider's events: what `Rider` reports as it asks, chooses, rides and records (the
 * `--json` lines of `hitch ride`).
 */
import { TripUpdate } from '../../protocol/index.js'
import type { RiderQuote } from './rider-quote.js'
import type { LatLonPoint } from './types.js'
import type { LostPickReason, TripRecord, TripRecordJSON } from '../../protocol/index.js'

/** A completed ride. */
export interface RideResult {
  requestId: string
  /** the driver's peer id */
  driver: string
  quote: RiderQuote
  /** the trip record signed by both */
  record: TripRecord
  json: TripRecordJSON
}

/** A trip update as the rider's events report it. */
export interface RiderUpdate {
  requestId: string
  driver: string
  phase: 'en-route' | 'arrived' | 'picked-up' | 'position' | 'dropped-off'
  position: LatLonPoint
  /** clock ms */
  time: number
  /** metres driven with the rider so far */
  distanceM: number
  /** before pickup: the driver's estimated arrival at the pickup, clock ms */
  pickupEta?: number
}

/** The rider's events (`--json` lines of `hitch ride`). */
export interface RiderEvents {
  /**
   * the request was published (again) on the pickup cell: `discovered` drivers were found in
   * the DHT for the pickup cell (and the cells around it when it had too few), `drivers` peers
   * are known to listen to the pickup cell's topic, `recipients` were sent this copy
   */
  requested: { requestId: string, pickupCell: string, dropoffCell: string, discovered: number, drivers: number, recipients: number }
  quote: { requestId: string, quote: RiderQuote }
  /**
   * a quote was refused because of its driver's identity binding (`reason`: its error code,
   * e.g. `ERR_BINDING_EXPIRED`, `ERR_BINDING_MISSING` where the rider pays): the other quotes
   * stand
   */
  'quote-refused': { requestId: string, driver: string, quoteId: string, reason: string }
  /**
   * the quote the user picked (`choose`) could not be accepted, and no other was in its place:
   * it `expired` while the user chose, or was `not-offered`. `askAgain`: `choose` is called
   * again with the quotes still usable; otherwise the rider waits for more quotes (or gives up,
   * past its deadline)
   */
  'pick-lost': { requestId: string, quoteId: string, reason: LostPickReason, askAgain: boolean }
  /** an accept was sent to this driver */
  accepted: { requestId: string, driver: string, quoteId: string }
  /** the driver confirmed (is committed): the exact points go to it now, and only to it */
  confirmed: { requestId: string, driver: string, pickupEta: number, pickupMinutes: number }
  /**
   * the driver cancelled after it confirmed, so after it was sent the exact points (`note`:
   * why, e.g. `exact-points-infeasible`, a binding error code, `non-payment`)
   */
  cancelled: { requestId: string, driver: string, note: string, afterReveal: true }
  declined: { requestId: string, driver: string, reason: string }
  /** the accepted driver declined, vanished or timed out: trying the next quote (or waiting for more) */
  fallback: { requestId: string, from: string, to?: string }
  update: RiderUpdate
  completed: RideResult & { json: TripRecordJSON }
  error: { requestId?: string, error: Error }
}

/** The names of {@link RiderEvents}, for `onAny`. */
export const RIDER_EVENTS: ReadonlyArray<keyof RiderEvents> = [
  'requested', 'quote', 'quote-refused', 'pick-lost', 'accepted', 'confirmed', 'cancelled', 'declined', 'fallback', 'update', 'completed', 'error'
]

/** The phases of a trip update, as the rider's events name them. */
export const PHASES: Record<string, RiderUpdate['phase']> = {
  [TripUpdate.Phase.EN_ROUTE]: 'en-route',
  [TripUpdate.Phase.ARRIVED]: 'arrived',
  [TripUpdate.Phase.PICKED_UP]: 'picked-up',
  [TripUpdate.Phase.POSITION]: 'position',
  [TripUpdate.Phase.DROPPED_OFF]: 'dropped-off'
}
