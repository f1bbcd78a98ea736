import type { Quote, RideRequest } from '../pb/messages.js'

/** How the driver's car fits a request, as its estimate on cells found it. */
export type QuoteFit =
  | {
    ok: true
    /** seconds from the car to the centre of the pickup cell */
    fromCentreS: number
    pickupMinutes: number
    dropoffMinutes: number
    /** the ride would share the car */
    shared: boolean
    /** seconds of the rider's direct route */
    directTimeS: number
  }
  | { ok: false, reason: string }

/** What the driver's quote decision reads. */
export interface QuoteDecisionInput {
  request: RideRequest
  /** the driver's currency */
  currency: string
  /** seats of the car not promised to any ride */
  freeSeats: number
  /** the car's fit, asked only once the currency and the seats allow a quote */
  fit: () => QuoteFit
  /** the fare of the ride, or undefined when it cannot be priced */
  price: (shared: boolean, directTimeS: number) => string | undefined
  /** when this driver first heard the request, clock ms */
  firstHeard: number
  now: number
  /** quote at once only within this pickup wait, seconds */
  quoteNearS: number
  /** the reach doubles every this long the rider keeps asking, clock ms */
  quoteWidenMs: number
  /** longest a quote is held, clock ms */
  quoteTtlMs: number
}

/**
 * The driver's quote decision: a quote (all but its id) and how long to hold it, or why not.
 * `held` says whether a later copy of the request may be quoted (the car's plan changes as it
 * drives); undefined leaves that as it was.
 */
export type QuoteDecision =
  | { type: 'quote', quote: Omit<Quote, 'quoteId'>, holdUntil: number }
  | { type: 'skip', reason: 'currency' | 'price', held?: undefined }
  | { type: 'skip', reason: 'seats', held: true }
  | { type: 'skip', reason: 'no-fit', fit: string, held: boolean }
  | { type: 'skip', reason: 'far', pickupMinutes: number, reachS: number, held: true }

/**
 * The quoting reach at `now`: `nearS`, doubled for every `widenMs` the rider kept asking since
 * `firstHeard` (an expanding ring search: nobody nearer took it).
 */
export function quoteReachS (nearS: number, widenMs: number, firstHeard: number, now: number): number {
  return nearS * 2 ** Math.floor((now - firstHeard) / widenMs)
}

/**
 * Whether and what the driver quotes for a request heard on gossip. A farther car holds back
 * while nearer ones answer; seats free up at dropoffs, so a full car holds too.
 */
export function decideQuote (input: QuoteDecisionInput): QuoteDecision {
  const { request, now } = input
  if (request.currency !== input.currency) {
    return { type: 'skip', reason: 'currency' }
  }
  if (request.seats > input.freeSeats) {
    return { type: 'skip', reason: 'seats', held: true }
  }
  const fit = input.fit()
  if (!fit.ok) {
    return { type: 'skip', reason: 'no-fit', fit: fit.reason, held: fit.reason !== 'off-map' }
  }
  const reachS = quoteReachS(input.quoteNearS, input.quoteWidenMs, input.firstHeard, now)
  if (fit.fromCentreS > reachS) {
    return { type: 'skip', reason: 'far', pickupMinutes: fit.pickupMinutes, reachS, held: true }
  }
  const price = input.price(fit.shared, fit.directTimeS)
  if (price == null || BigInt(price) > BigInt(request.maxPrice)) {
    return { type: 'skip', reason: 'price' }
  }
  return {
    type: 'quote',
    quote: {
      requestId: request.requestId,
      price,
      // the rider's own expiry: nothing in a quote reads this driver's clock
      expiresAt: request.expiresAt,
      pooled: fit.shared,
      currency: input.currency,
      seats: request.seats,
      pickupMinutes: fit.pickupMinutes,
      dropoffMinutes: fit.dropoffMinutes
    },
    holdUntil: Math.min(request.expiresAt, now + input.quoteTtlMs)
  }
}
