import { cellToLatLng } from 'h3-js'
import { cellOf } from '../../protocol/index.js'
import { DEFAULT_DETOUR_SLACK_S, insertRequest, moveVehicle } from '../../matching/index.js'
import type { Insertion, InsertionOptions, InsertionRejection, VehiclePlan } from '../../matching/index.js'
import type { LatLon, RideRequest } from '../../protocol/index.js'
import type { Commitment } from '../../protocol/negotiation/index.js'
import type { RoutedMap } from '../map/index.js'
import { InvalidParametersError } from '@libp2p/interface'

/** Farthest a cell centre may lie from the map and still be estimated on it, metres. @default 5000 */
export const DEFAULT_ESTIMATE_SNAP_M = 5_000
/** Quoted times are whole minutes, rounded up. */
export const MINUTE_MS = 60_000
/**
 * Seconds a car is assumed to need to reach the centre of its cell: estimates start there
 * that much later than now. About the mean over a cell's road vertices of the travel time to
 * the centre (measured: 126 s on the synthetic city, 108 s on Midtown; p90 207 / 174 s), so
 * that quotes are not optimistic on average for a car that may be anywhere in its cell, and
 * the same for every car, so that they say nothing about where in it a car is. @default 120
 */
export const DEFAULT_CELL_MARGIN_S = 120
/** Cells whose snapped vertex is remembered. */
const MAX_CELL_VERTICES = 256

/** An estimate of a ride on cells, as quoted. */
export type CellEstimate =
  | {
    ok: true
    insertion: Insertion
    /** seconds from now to the pickup, estimated from the car's cell centre (margin included) */
    pickupS: number
    /** seconds from the car's cell centre to the pickup (the same for every car of the cell) */
    fromCentreS: number
    /** whole minutes, rounded up, as the quote says */
    pickupMinutes: number
    dropoffMinutes: number
  }
  | { ok: false, reason: InsertionRejection | 'off-map' | 'failed' }

/** A committed ride fitted with its exact points. */
export type ExactFit =
  | { ok: true, insertion: Insertion, pickup: number, dropoff: number }
  | { ok: false, reason: InsertionRejection | 'off-map' | 'failed' | 'outside-cells' }

/** Options of {@link CellEstimator}. */
export interface CellEstimatorInit {
  map: RoutedMap
  /** limits of insertion (wait, detour) */
  insertion: InsertionOptions
  /**
   * Extra seconds of wait the estimate may show beyond the rider's limit and still be quoted:
   * the real points and the car can lie a cell radius from the centres.
   */
  slackS: number
  /** @default DEFAULT_CELL_MARGIN_S */
  marginS?: number
}

/**
 * How a driver estimates a ride before it is committed: entirely on cells. The car is put at
 * the centre of its own gossip cell (snapped to the road graph), `marginS` from now, and the
 * ride's pickup and dropoff at the centres of the request's cells; the quoted times are whole
 * minutes, and the rider's wait limit is counted in whole minutes too. Nothing a requester learns (a quote, its
 * minutes, whether a quote comes at all, a confirm or a decline) then depends on where in its
 * cell the car is, however many requests it sends and whatever their wait limits: the cell is
 * all a quote gives away, as the protocol documents (`GOSSIP_RESOLUTION`).
 *
 * Once the driver is committed, the exact points arrive and {@link fitExact} fits them into the
 * real plan from the car's real position.
 */
export class CellEstimator {
  private readonly map: RoutedMap
  private readonly options: InsertionOptions
  private readonly slackS: number
  private readonly marginS: number
  private readonly vertices = new Map<string, number | undefined>()

  constructor (init: CellEstimatorInit) {
    this.map = init.map
    this.options = init.insertion
    this.slackS = init.slackS
    this.marginS = init.marginS ?? DEFAULT_CELL_MARGIN_S
    if (!(this.marginS >= 0) || !(this.slackS >= 0)) throw new InvalidParametersError('marginS and slackS must be >= 0')
  }

  /** The road vertex a cell is estimated at: its centre, snapped (up to DEFAULT_ESTIMATE_SNAP_M away). */
  vertexOf (cell: string): number | undefined {
    if (this.vertices.has(cell)) return this.vertices.get(cell)
    const [lat, lon] = cellToLatLng(cell)
    const vertex = (this.map.snap(lat, lon) ?? this.map.index.snap(lat, lon, DEFAULT_ESTIMATE_SNAP_M))?.node
    this.vertices.set(cell, vertex)
    while (this.vertices.size > MAX_CELL_VERTICES) this.vertices.delete(this.vertices.keys().next().value!)
    return vertex
  }

  /**
   * The plan as quoting sees it: the car at the centre of `carCell` `marginS` from now, and the
   * promises of its stops `marginS` earlier than they are, so that a ride estimated to fit
   * beside other riders more likely still fits where the car really is (the exact fit keeps
   * their promises as they are).
   */
  coarsePlan (plan: VehiclePlan, carCell: string, nowS: number): VehiclePlan {
    const stops = plan.stops.map(stop => ({ ...stop, latest: stop.latest - this.marginS }))
    return { ...moveVehicle(plan, this.vertexOf(carCell) ?? plan.position, nowS + this.marginS), stops }
  }

  /** Estimates `request` (as ride `key`) on cells: feasible, and the minutes to quote. */
  estimate (plan: VehiclePlan, carCell: string, key: string, request: RideRequest, now: number): CellEstimate {
    const pickup = this.vertexOf(request.pickupCell)
    const dropoff = this.vertexOf(request.dropoffCell)
    if (pickup == null || dropoff == null) return { ok: false, reason: 'off-map' }
    const nowS = now / 1000
    // whole minutes of wait, so that a requester cannot search the estimate second by second
    // through the wait limits it asks for; plus the slack: the exact points may well be nearer
    const waitMinutes = Math.floor(Math.max(0, request.latestPickupAt - now) / MINUTE_MS)
    const result = this.insert(this.coarsePlan(plan, carCell, nowS), {
      id: key, pickup, dropoff, seats: request.seats, requestTime: nowS, maxWaitS: waitMinutes * 60 + this.slackS
    })
    if (!result.ok) return result
    const insertion = result.insertion
    const pickupS = Math.max(0, insertion.pickupTime - nowS)
    return {
      ok: true,
      insertion,
      pickupS,
      fromCentreS: Math.max(0, pickupS - this.marginS),
      pickupMinutes: wholeMinutes(pickupS),
      dropoffMinutes: Math.max(wholeMinutes(pickupS), wholeMinutes(insertion.dropoffTime - nowS))
    }
  }

  /**
   * Fits a committed ride's exact points into the real plan (the car where it is).
   *
   * The driver confirmed on cells, so it honours what it confirmed rather than deciding the ride
   * again: the rider is picked up by the later of its own limit and the confirmed pickup time
   * plus the estimate's slack, and dropped off by the later of its detour limit (plus that slack)
   * and the confirmed dropoff time plus the slack for each end (the points and the car lie up to
   * a cell radius from the centres the estimate used). What it never gives up: the promises made
   * to the riders already in the plan. And a rider who
   * revealed points outside the cells it asked from is refused (`outside-cells`): it would
   * otherwise get a commitment for a ride the driver never estimated.
   */
  fitExact (plan: VehiclePlan, key: string, points: { pickup: LatLon, dropoff: LatLon }, request: RideRequest, seats: number, now: number, commitment?: Commitment): ExactFit {
    if (cellOf(points.pickup.lat, points.pickup.lon) !== request.pickupCell || cellOf(points.dropoff.lat, points.dropoff.lon) !== request.dropoffCell) {
      return { ok: false, reason: 'outside-cells' }
    }
    const pickup = this.map.snap(points.pickup.lat, points.pickup.lon)?.node
    const dropoff = this.map.snap(points.dropoff.lat, points.dropoff.lon)?.node
    if (pickup == null || dropoff == null) return { ok: false, reason: 'off-map' }
    const nowS = now / 1000
    const base = plan.time < nowS ? moveVehicle(plan, plan.position, nowS) : plan
    const slackMs = this.slackS * 1000
    const committedBy = commitment == null ? -Infinity : commitment.at + commitment.pickupMinutes * MINUTE_MS + slackMs
    const result = this.insert(base, {
      id: key,
      pickup,
      dropoff,
      seats,
      requestTime: nowS,
      maxWaitS: Math.max(0, Math.max(request.latestPickupAt, committedBy) - now) / 1000,
      ...(commitment != null
        ? {
            detourSlackS: (this.options.detourSlackS ?? DEFAULT_DETOUR_SLACK_S) + this.slackS,
            // the quoted dropoff minute, with the slack once for each end of the ride
            latestDropoffTime: (commitment.at + commitment.dropoffMinutes * MINUTE_MS + 2 * slackMs) / 1000
          }
        : {})
    })
    return result.ok ? { ok: true, insertion: result.insertion, pickup, dropoff } : result
  }

  private insert (plan: VehiclePlan, request: Parameters<typeof insertRequest>[1]): { ok: true, insertion: Insertion } | { ok: false, reason: InsertionRejection | 'failed' } {
    try {
      const result = insertRequest(plan, request, this.map.router, this.options)
      return result.ok ? { ok: true, insertion: result.insertion } : { ok: false, reason: result.reason }
    } catch {
      return { ok: false, reason: 'failed' }
    }
  }
}

/** Seconds as whole minutes, rounded up. */
function wholeMinutes (seconds: number): number {
  return Math.max(0, Math.ceil(seconds / 60 - 1e-9))
}
