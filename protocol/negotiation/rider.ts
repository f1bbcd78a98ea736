import { Cancel, TripUpdate } from '../pb/messages.js'
import { cellTopic } from '../topics.js'
import { DEFAULT_MAX_TTL_MS } from '../validation.js'
import type { NegotiationAction, Transition } from './actions.js'
import type { HitchMessage } from '../hitch-message.js'
import type { Confirm, Decline, LatLon, Quote, RideRequest } from '../pb/messages.js'

/** How long quotes are collected before the best is accepted. @default 3000 */
export const DEFAULT_QUOTE_WINDOW_MS = 3_000
/** How long the accepted driver has to confirm or decline. @default 5000 */
export const DEFAULT_ACCEPT_TIMEOUT_MS = 5_000
/** How long after the request the rider gives up if no driver confirmed a quote. @default 30000 */
export const DEFAULT_RIDE_DEADLINE_MS = 30_000

/** A quote and the driver that sent it. */
export interface ReceivedQuote {
  /** the driver's peer id */
  from: string
  quote: Quote
}

/** Orders usable quotes best first. Matching can plug its own in. */
export type QuoteRanking = (quotes: readonly ReceivedQuote[], ctx: { request: RideRequest, now: number }) => ReceivedQuote[]

/** Cheapest first, then earliest pickup, then best rating, then driver id (so ties are deterministic). */
export const cheapestThenEarliest: QuoteRanking = (quotes) => [...quotes].sort((a, b) => {
  const pa = BigInt(a.quote.price)
  const pb = BigInt(b.quote.price)
  if (pa !== pb) return pa < pb ? -1 : 1
  if (a.quote.pickupEta !== b.quote.pickupEta) return a.quote.pickupEta - b.quote.pickupEta
  if (a.quote.driverRating !== b.quote.driverRating) return b.quote.driverRating - a.quote.driverRating
  return a.from < b.from ? -1 : a.from > b.from ? 1 : 0
})

/** Options of the rider machine. */
export interface RiderConfig {
  /** @default DEFAULT_QUOTE_WINDOW_MS */
  quoteWindowMs?: number
  /** @default DEFAULT_ACCEPT_TIMEOUT_MS */
  acceptTimeoutMs?: number
  /** @default DEFAULT_RIDE_DEADLINE_MS */
  deadlineMs?: number
  /** @default cheapestThenEarliest */
  rank?: QuoteRanking
}

/** What every non-idle rider state knows about its ride. */
export interface RiderRide {
  request: RideRequest
  /** exact points: sent only to the accepted driver */
  pickup: LatLon
  dropoff: LatLon
  /** when the rider gives up if no driver has confirmed */
  deadlineAt: number
}

/** Why a ride failed. */
export type RiderFailure = 'no-driver' | 'driver-cancelled'

/** The rider's side of one ride. */
export type RiderState =
  | { phase: 'idle' }
  /** request published; collecting quotes (`windowClosed` once the quote window has passed) */
  | { phase: 'requested', ride: RiderRide, quotes: ReceivedQuote[], windowClosed: boolean }
  /** accept sent to `current`; `quotes` are the fallbacks */
  | { phase: 'accepting', ride: RiderRide, current: ReceivedQuote, quotes: ReceivedQuote[] }
  | { phase: 'confirmed', ride: RiderRide, driver: ReceivedQuote, pickupEta: number }
  | { phase: 'in-trip', ride: RiderRide, driver: ReceivedQuote }
  | { phase: 'completed', ride: RiderRide, driver: ReceivedQuote }
  | { phase: 'failed', ride: RiderRide, reason: RiderFailure }
  | { phase: 'cancelled', ride?: RiderRide }

/** What happens to a rider. Messages arrive already validated (validateDirect). */
export type RiderEvent =
  /** the user asks for a ride */
  | { type: 'request', request: RideRequest, pickup: LatLon, dropoff: LatLon, now: number }
  | { type: 'quote', from: string, quote: Quote, now: number }
  | { type: 'confirm', from: string, confirm: Confirm, now: number }
  | { type: 'decline', from: string, decline: Decline, now: number }
  | { type: 'cancel', from: string, cancel: Cancel, now: number }
  | { type: 'trip-update', from: string, update: TripUpdate, now: number }
  | { type: 'timer', id: string, now: number }
  /** the user gives up */
  | { type: 'user-cancel', now: number }

/**
 * The request to publish again at `now`: the same ride (same id, cells, seats, latest pickup),
 * its expiry pushed to the ride's deadline or as far as validation allows
 * (`DEFAULT_MAX_TTL_MS`), whichever is sooner. A request body lives at most 10 minutes of clock
 * while a rider may keep asking longer (its deadline): copies of the first body would reach
 * drivers already expired, and they drop them unseen. Never shortens the expiry.
 */
export function renewRequest (request: RideRequest, deadlineAt: number, now: number): RideRequest {
  const expiresAt = Math.floor(Math.min(deadlineAt, now + DEFAULT_MAX_TTL_MS))
  return expiresAt > request.expiresAt ? { ...request, expiresAt } : request
}

/** The state a rider starts in. */
export function initialRiderState (): RiderState {
  return { phase: 'idle' }
}

/** Timer ids, scoped by request so one node can run several rides. */
export const riderTimers = {
  quoteWindow: (requestId: string) => `${requestId}:quote-window`,
  accept: (requestId: string) => `${requestId}:accept`,
  deadline: (requestId: string) => `${requestId}:deadline`
}

function stay (state: RiderState): Transition<RiderState> {
  return { state, actions: [] }
}

function cancelMessage (requestId: string, reason: Cancel.Reason): HitchMessage {
  return { type: 'cancel', body: { requestId, reason, note: '' } }
}

/** A quote the rider may accept: for this request, unexpired, affordable, enough seats. */
function usable (q: Quote, request: RideRequest, now: number): boolean {
  return q.requestId === request.requestId &&
    q.expiresAt >= now &&
    q.currency === request.currency &&
    BigInt(q.price) <= BigInt(request.maxPrice) &&
    q.seats >= request.seats
}

/**
 * Accept the best usable quote, or go back to waiting for quotes (if the deadline allows),
 * or fail with no driver.
 */
function acceptNext (ride: RiderRide, quotes: ReceivedQuote[], now: number, config: RiderConfig, rank: QuoteRanking): Transition<RiderState> {
  const id = ride.request.requestId
  const ranked = rank(quotes.filter(q => usable(q.quote, ride.request, now)), { request: ride.request, now })
  const [best, ...rest] = ranked
  if (best == null) {
    if (now >= ride.deadlineAt) {
      return fail(ride, 'no-driver')
    }
    return { state: { phase: 'requested', ride, quotes: [], windowClosed: true }, actions: [] }
  }
  return {
    state: { phase: 'accepting', ride, current: best, quotes: rest },
    actions: [
      {
        type: 'send',
        to: best.from,
        message: {
          type: 'accept',
          body: { requestId: id, quoteId: best.quote.quoteId, pickup: ride.pickup, dropoff: ride.dropoff, seats: ride.request.seats }
        }
      },
      { type: 'set-timer', id: riderTimers.accept(id), afterMs: config.acceptTimeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS }
    ]
  }
}

function fail (ride: RiderRide, reason: RiderFailure): Transition<RiderState> {
  const id = ride.request.requestId
  const actions: NegotiationAction[] = [
    { type: 'clear-timer', id: riderTimers.quoteWindow(id) },
    { type: 'clear-timer', id: riderTimers.accept(id) },
    { type: 'clear-timer', id: riderTimers.deadline(id) }
  ]
  if (reason === 'no-driver') {
    // tell drivers still holding a quote for it to stop
    actions.push({ type: 'publish', topic: cellTopic(ride.request.pickupCell), message: cancelMessage(id, Cancel.Reason.TIMEOUT) })
  }
  return { state: { phase: 'failed', ride, reason }, actions }
}

/**
 * One step of the rider's negotiation: `(state, event) -> { state, actions }`. Events that do
 * not apply to the current state (stale, from the wrong peer, for another request) leave it
 * unchanged with no actions.
 */
export function stepRider (state: RiderState, event: RiderEvent, config: RiderConfig = {}): Transition<RiderState> {
  const rank = config.rank ?? cheapestThenEarliest

  if (event.type === 'request') {
    if (state.phase !== 'idle') {
      return stay(state)
    }
    const deadlineAt = event.now + (config.deadlineMs ?? DEFAULT_RIDE_DEADLINE_MS)
    const ride: RiderRide = { request: event.request, pickup: event.pickup, dropoff: event.dropoff, deadlineAt }
    const id = event.request.requestId
    return {
      state: { phase: 'requested', ride, quotes: [], windowClosed: false },
      actions: [
        { type: 'publish', topic: cellTopic(event.request.pickupCell), message: { type: 'ride-request', body: event.request } },
        { type: 'set-timer', id: riderTimers.quoteWindow(id), afterMs: config.quoteWindowMs ?? DEFAULT_QUOTE_WINDOW_MS },
        { type: 'set-timer', id: riderTimers.deadline(id), afterMs: deadlineAt - event.now }
      ]
    }
  }

  if (state.phase === 'idle' || state.phase === 'completed' || state.phase === 'failed' || state.phase === 'cancelled') {
    return stay(state)
  }
  const ride = state.ride
  const id = ride.request.requestId

  if (event.type === 'user-cancel') {
    const actions: NegotiationAction[] = [
      { type: 'clear-timer', id: riderTimers.quoteWindow(id) },
      { type: 'clear-timer', id: riderTimers.accept(id) },
      { type: 'clear-timer', id: riderTimers.deadline(id) }
    ]
    const message = cancelMessage(id, Cancel.Reason.RIDER_CANCELLED)
    if (state.phase === 'requested') {
      actions.push({ type: 'publish', topic: cellTopic(ride.request.pickupCell), message })
    } else {
      const driver = state.phase === 'accepting' ? state.current : state.driver
      actions.push({ type: 'send', to: driver.from, message })
    }
    return { state: { phase: 'cancelled', ride }, actions }
  }

  switch (state.phase) {
    case 'requested': {
      if (event.type === 'quote') {
        if (!usable(event.quote, ride.request, event.now)) {
          return stay(state)
        }
        // a driver's newer quote replaces its older one
        const quotes = [...state.quotes.filter(q => q.from !== event.from), { from: event.from, quote: event.quote }]
        if (state.windowClosed) {
          return acceptNext(ride, quotes, event.now, config, rank)
        }
        return stay({ ...state, quotes })
      }
      if (event.type === 'timer' && event.id === riderTimers.quoteWindow(id)) {
        return acceptNext(ride, state.quotes, event.now, config, rank)
      }
      if (event.type === 'timer' && event.id === riderTimers.deadline(id)) {
        return fail(ride, 'no-driver')
      }
      return stay(state)
    }

    case 'accepting': {
      const current = state.current
      const fromCurrent = 'from' in event && event.from === current.from
      if (event.type === 'quote') {
        if (!usable(event.quote, ride.request, event.now) || event.from === current.from) {
          return stay(state)
        }
        const quotes = [...state.quotes.filter(q => q.from !== event.from), { from: event.from, quote: event.quote }]
        return stay({ ...state, quotes })
      }
      if (event.type === 'confirm') {
        if (fromCurrent && event.confirm.requestId === id && event.confirm.quoteId === current.quote.quoteId) {
          return {
            state: { phase: 'confirmed', ride, driver: current, pickupEta: event.confirm.pickupEta },
            actions: [
              { type: 'clear-timer', id: riderTimers.accept(id) },
              { type: 'clear-timer', id: riderTimers.deadline(id) },
              { type: 'clear-timer', id: riderTimers.quoteWindow(id) }
            ]
          }
        }
        if (!fromCurrent && event.confirm.requestId === id) {
          // a driver we gave up on confirmed late: release its seat
          return { state, actions: [{ type: 'send', to: event.from, message: cancelMessage(id, Cancel.Reason.TIMEOUT) }] }
        }
        return stay(state)
      }
      if ((event.type === 'decline' && fromCurrent && event.decline.requestId === id && event.decline.quoteId === current.quote.quoteId) ||
        (event.type === 'cancel' && fromCurrent && event.cancel.requestId === id)) {
        const next = acceptNext(ride, state.quotes, event.now, config, rank)
        return { state: next.state, actions: [{ type: 'clear-timer', id: riderTimers.accept(id) }, ...next.actions] }
      }
      if (event.type === 'timer' && event.id === riderTimers.accept(id)) {
        const next = acceptNext(ride, state.quotes, event.now, config, rank)
        return {
          state: next.state,
          actions: [{ type: 'send', to: current.from, message: cancelMessage(id, Cancel.Reason.TIMEOUT) }, ...next.actions]
        }
      }
      // the deadline only bounds waiting for quotes; an accept in flight gets its own timeout
      return stay(state)
    }

    case 'confirmed':
    case 'in-trip': {
      const fromDriver = 'from' in event && event.from === state.driver.from
      if (event.type === 'cancel' && fromDriver && event.cancel.requestId === id) {
        return fail(ride, 'driver-cancelled')
      }
      if (event.type === 'confirm' && !fromDriver && event.confirm.requestId === id) {
        return { state, actions: [{ type: 'send', to: event.from, message: cancelMessage(id, Cancel.Reason.TIMEOUT) }] }
      }
      if (event.type === 'trip-update' && fromDriver && event.update.requestId === id) {
        if (state.phase === 'confirmed' && event.update.phase === TripUpdate.Phase.PICKED_UP) {
          return stay({ phase: 'in-trip', ride, driver: state.driver })
        }
        if (event.update.phase === TripUpdate.Phase.DROPPED_OFF && state.phase === 'in-trip') {
          return stay({ phase: 'completed', ride, driver: state.driver })
        }
      }
      return stay(state)
    }
  }
}
