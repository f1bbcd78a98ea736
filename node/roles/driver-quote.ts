/**
 * The driver's quoting: whether to quote a request heard on gossip, at what price and with what
 * times, estimated on cells only (`CellEstimator`), and the recheck of a quote when its accept
 * comes. The quote says nothing finer about where the car is than its cell.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { DEFAULT_MAX_TTL_MS, Decline, decideQuote, rideKey } from '../../protocol/index.js'
import { quoteFare } from '../../matching/index.js'
import type { CellEstimator } from './cell-estimate.js'
import type { DriverInit } from './driver-init.js'
import type { HeardRequest } from './request-intake.js'
import type { HitchNode } from '../hitch-node.js'
import type { OwnBinding } from '../identity/index.js'
import type { Accept, DriverEvent, Quote, RideRequest } from '../../protocol/index.js'
import type { FareModel, VehiclePlan } from '../../matching/index.js'
import type { Logger } from '@libp2p/interface'

/**
 * Longest a driver holds a quote, clock ms; a quote names the request's own expiry, and the
 * driver may give it up sooner (an accept then gets QUOTE_EXPIRED). @default 60_000
 */
export const DEFAULT_QUOTE_TTL_MS = 60_000
/**
 * A driver quotes a request at once only when it can be at the pickup within this many seconds
 * (estimated); a farther driver holds back, so a busy cell does not answer every request with
 * every car in it. @default 120
 */
export const DEFAULT_QUOTE_NEAR_S = 120
/**
 * The reach of a held-back request doubles for every this many clock ms that the rider keeps
 * asking (counted from the first copy this driver heard): nobody near took it, so farther cars
 * quote on a later copy (an expanding ring search). @default 4000
 */
export const DEFAULT_QUOTE_WIDEN_MS = 4_000

/** Options of {@link Quoter}. */
export interface QuoterInit {
  node: Pick<HitchNode, 'map' | 'random'>
  log: Logger
  estimator: CellEstimator
  fare: FareModel
  currency: string
  /** longest a quote is held, clock ms */
  quoteTtlMs: number
  /** quote at once only within this pickup wait, seconds */
  quoteNearS: number
  /** the quoting reach doubles every this long the rider keeps asking, clock ms */
  quoteWidenMs: number
  /** the driver's binding of its peer id to its payment address, on every quote */
  binding: Pick<OwnBinding, 'get'>
}

/** The driver's quoting settings, checked, with their defaults. */
export function quoterSettings (init: Pick<DriverInit, 'quoteTtlMs' | 'quoteNearS' | 'quoteWidenMs'>): Pick<QuoterInit, 'quoteTtlMs' | 'quoteNearS' | 'quoteWidenMs'> {
  const quoteNearS = init.quoteNearS ?? DEFAULT_QUOTE_NEAR_S
  const quoteWidenMs = init.quoteWidenMs ?? DEFAULT_QUOTE_WIDEN_MS
  if (!(quoteNearS > 0) || !(quoteWidenMs > 0)) {
    throw new InvalidParametersError('quoteNearS and quoteWidenMs must be > 0')
  }
  return { quoteTtlMs: Math.min(init.quoteTtlMs ?? DEFAULT_QUOTE_TTL_MS, DEFAULT_MAX_TTL_MS), quoteNearS, quoteWidenMs }
}

/** The car as a quote sees it: its plan, its cell, and its seats not promised to any ride. */
export interface QuotingCar {
  plan: VehiclePlan
  cell: string
  freeSeats: number
}

/** The answer to the machine's `recheck` action. */
export type RecheckResult = Extract<DriverEvent, { type: 'recheck-result' }>

/** Decides the driver's quotes on cells. */
export class Quoter {
  private readonly init: QuoterInit
  private readonly log: Logger

  constructor (init: QuoterInit) {
    this.init = init
    this.log = init.log
  }

  /**
   * The quote for a request heard on gossip (its turn in the intake came) and how long to hold
   * it, as `decideQuote` decides on the car's estimate; otherwise undefined, with `heard.held`
   * set when a later copy may fit.
   */
  quote (car: QuotingCar, rider: string, request: RideRequest, heard: HeardRequest, now: number): { quote: Quote, holdUntil: number } | undefined {
    const id = request.requestId
    const key = rideKey(rider, id)
    const decision = decideQuote({
      request,
      currency: this.init.currency,
      freeSeats: car.freeSeats,
      fit: () => {
        const estimate = this.init.estimator.estimate(car.plan, car.cell, key, request, now)
        return estimate.ok
          ? { ok: true, fromCentreS: estimate.fromCentreS, pickupMinutes: estimate.pickupMinutes, dropoffMinutes: estimate.dropoffMinutes, shared: estimate.insertion.shared, directTimeS: estimate.insertion.directTimeS }
          : estimate
      },
      price: (shared, directTimeS) => this.price(request, shared, directTimeS),
      firstHeard: heard.firstHeard,
      now,
      quoteNearS: this.init.quoteNearS,
      quoteWidenMs: this.init.quoteWidenMs,
      quoteTtlMs: this.init.quoteTtlMs
    })
    if (decision.type === 'quote') {
      const binding = this.init.binding.get()
      return { quote: { ...decision.quote, quoteId: randomId(this.init.node), ...(binding != null ? { binding } : {}) }, holdUntil: decision.holdUntil }
    }
    if (decision.held != null) heard.held = decision.held
    switch (decision.reason) {
      case 'currency':
        this.log('not quoting %s: currency', id)
        break
      case 'seats':
        this.log('not quoting %s: seats', id)
        break
      case 'no-fit':
        this.log('cannot fit %s: %s', id, decision.fit)
        break
      case 'far':
        this.log('holding back %s: pickup in %d min, reach %ds', id, decision.pickupMinutes, decision.reachS)
        break
      case 'price':
        this.log('not quoting %s: over the price ceiling', id)
        break
    }
    return undefined
  }

  /** Re-runs the estimate on cells for an accepted quote (the accept carries no exact point). */
  recheck (car: QuotingCar, key: string, request: RideRequest | undefined, accept: Accept, now: number): RecheckResult {
    if (request == null || accept.seats !== request.seats || request.latestPickupAt < now) {
      return { type: 'recheck-result', key, ok: false, reason: Decline.Reason.INFEASIBLE, now }
    }
    const estimate = this.init.estimator.estimate(car.plan, car.cell, key, request, now)
    if (!estimate.ok) {
      return { type: 'recheck-result', key, ok: false, reason: Decline.Reason.INFEASIBLE, now }
    }
    return { type: 'recheck-result', key, ok: true, pickupMinutes: estimate.pickupMinutes, dropoffMinutes: estimate.dropoffMinutes, now }
  }

  /** The fare of a request, on its cells' vertices (the exact points are not known when quoting). */
  private price (request: RideRequest, pooled: boolean, directTimeS: number): string | undefined {
    const pickup = this.init.estimator.vertexOf(request.pickupCell)
    const dropoff = this.init.estimator.vertexOf(request.dropoffCell)
    if (pickup == null || dropoff == null) return undefined
    const route = this.init.node.map.router.route(pickup, dropoff)
    return String(quoteFare(this.init.fare, { directDistanceM: route?.distanceM ?? 0, directDurationS: route?.durationS ?? directTimeS, pooled }))
  }
}

/** 12 random bytes of the node's random source, base64url (16 characters). */
function randomId (node: Pick<HitchNode, 'random'>): string {
  return Buffer.from(node.random(12)).toString('base64url')
}
