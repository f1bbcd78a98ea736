/**
 * The reveal on the driver's side: a committed ride's exact points arrived. Checks the rider's
 * identity binding, then fits the points into the plan from the car's real position, and
 * starts the ride's trip record when they fit.
 */
import { BindingError, checkBinding } from '../../protocol/index.js'
import { startRecord } from './trip-record.js'
import type { CellEstimator } from './cell-estimate.js'
import type { RideInfo } from './types.js'
import type { Trip } from './vehicle.js'
import type { HitchNode } from '../hitch-node.js'
import type { DriverRide, IdentityBinding, Reveal } from '../../protocol/index.js'
import type { VehiclePlan } from '../../matching/index.js'
import type { Logger } from '@libp2p/interface'

/** What fitting the exact points uses. */
export interface RevealFitInit {
  node: Pick<HitchNode, 'map' | 'clock' | 'peerId' | 'ethAddress'>
  log: Logger
  estimator: CellEstimator
  /** refuse a ride whose rider sends no identity binding */
  requireBinding: boolean
  /** the plan the car follows now */
  plan: () => VehiclePlan
  /** whether the ride is still being fitted (it may be cancelled while the binding is checked) */
  fitting: () => boolean
}

/** The outcome of {@link fitReveal}; `note` says why the driver cancels (sent to the rider). */
export type RevealFit =
  | { ok: false, note: string, error?: BindingError, now: number }
  | { ok: true, trip: Trip, plan: VehiclePlan, exactPickupS: number, riderAddress?: string, now: number }

/**
 * A rider's binding of its peer id to its payment address for the ride, as an accept or a reveal
 * carries it: the address it names (checked), undefined where there is none and none is
 * required, or the `BindingError` that refuses it.
 */
export async function riderBinding (binding: IdentityBinding | undefined, required: boolean, rider: string, requestId: string, now: number): Promise<string | undefined | BindingError> {
  if (binding == null && !required) return undefined
  try {
    return await checkBinding(binding, { peerId: rider, requestId, now })
  } catch (err) {
    if (!(err instanceof BindingError)) throw err
    return err
  }
}

/**
 * Checks the binding and fits the exact points of a ride in phase `fitting` (with its accept).
 * A committed driver may still refuse here, and only here: when the binding is refused, when
 * the points lie outside the cells the rider asked from, or when they cannot be fitted without
 * breaking a promise made to a rider already in the plan (the rider's own limits are kept as
 * confirmed, with the estimate's slack: {@link CellEstimator.fitExact}). Undefined when the
 * ride stopped being fitted while the binding was checked.
 */
export async function fitReveal (init: RevealFitInit, key: string, rider: string, ride: DriverRide, reveal: Reveal): Promise<RevealFit | undefined> {
  const { node, log } = init
  const requestId = ride.request.requestId
  const bound = await riderBinding(reveal.binding, init.requireBinding, rider, requestId, node.clock.now())
  if (bound instanceof BindingError) {
    log('refusing the binding of %s: %s', key, bound.code)
    return { ok: false, note: bound.code, error: bound, now: node.clock.now() }
  }
  const riderAddress = bound
  // the binding check awaited: the ride may have been cancelled meanwhile
  if (!init.fitting()) return undefined
  const now = node.clock.now()
  const seats = ride.accept!.seats
  const fit = init.estimator.fitExact(init.plan(), key, { pickup: reveal.pickup!, dropoff: reveal.dropoff! }, ride.request, seats, now, ride.commitment)
  if (!fit.ok) {
    log('the exact points of %s do not fit: %s', key, fit.reason)
    return { ok: false, note: fit.reason === 'outside-cells' ? 'points-outside-cells' : 'exact-points-infeasible', now }
  }
  const routeM = node.map.router.route(fit.pickup, fit.dropoff)?.distanceM ?? 0
  const info: RideInfo = {
    requestId, rider, driver: node.peerId, quoteId: ride.quote.quoteId, price: ride.quote.price,
    currency: ride.quote.currency, seats, pooled: ride.quote.pooled, routeM,
    ...(riderAddress != null ? { riderAddress } : {})
  }
  const record = startRecord(info, node.ethAddress, now, {
    // as the rider saw them: the quote's, and the one it sent with its points (checked above)
    ...(ride.quote.binding != null ? { driver: ride.quote.binding } : {}),
    ...(riderAddress != null && reveal.binding != null ? { rider: reveal.binding } : {})
  })
  const trip: Trip = { key, info, request: ride.request, record, onboard: false, distanceM: 0, routeM, done: false }
  return {
    ok: true, trip, plan: fit.insertion.plan, exactPickupS: Math.max(0, fit.insertion.pickupTime - now / 1000), now,
    ...(riderAddress != null ? { riderAddress } : {})
  }
}
