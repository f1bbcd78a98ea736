import { Cancel, TripUpdate } from '../pb/messages.js'
import { cellTopic } from '../topics.js'
import { DEFAULT_MAX_TTL_MS } from '../validation.js'
import type { NegotiationAction, Transition } from './actions.js'
import type { ReceivedQuote } from './received-quote.js'
import type { HitchMessage } from '../hitch-message.js'
import type { Confirm, Decline, IdentityBinding, LatLon, Quote, RideRequest } from '../pb/messages.js'

export type { ReceivedQuote } from './received-quote.js'

/** How long quotes are collected before the best is accepted. @default 3000 */
export const DEFAULT_QUOTE_WINDOW_MS = 3_000
/** How long the accepted driver has to confirm or decline. @default 5000 */
export const DEFAULT_ACCEPT_TIMEOUT_MS = 5_000
/** How long after the request the rider gives up if no driver confirmed a quote. @default 30000 */
export const DEFAULT_RIDE_DEADLINE_MS = 30_000
/**
 * Most quotes a rider keeps for one request (the best by its ranking): anyone can quote, and a
 * flood of quotes must not grow its state. @default 32
 */
export const DEFAULT_MAX_QUOTES = 32

/** The rider's clock time a quoted number of minutes after `at`. */
export function minutesAfter (at: number, minutes: number): number {
  return at + minutes * 60_000
}

/** Orders usable quotes best first. Matching can plug its own in. */
export type QuoteRanking = (quotes: readonly ReceivedQuote[], ctx: { request: RideRequest, now: number }) => ReceivedQuote[]

/** Cheapest first, then earliest pickup, then driver id (so ties are deterministic). */
export const cheapestThenEarliest: QuoteRanking = (quotes) => [...quotes].sort((a, b) => {
  const pa = BigInt(a.quote.price)
  const pb = BigInt(b.quote.price)
  if (pa !== pb) return pa < pb ? -1 : 1
  const ea = minutesAfter(a.at, a.quote.pickupMinutes)
  const eb = minutesAfter(b.at, b.quote.pickupMinutes)
  if (ea !== eb) return ea - eb
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
  /** @default DEFAULT_MAX_QUOTES */
  maxQuotes?: number
  /**
   * The user picks the quote: where the machine would accept the best usable quote, it asks
   * with a `choose` action (the usable quotes, best first) and waits in `choosing` for the
   * `chosen` event. Only the quote picked is ever accepted: one no longer usable at the pick's
   * time is reported (`pick-lost`) and the user asked again. @default false (the best by
   * `rank` is accepted)
   */
  choose?: boolean
}

/** What every non-idle rider state knows about its ride. */
export interface RiderRide {
  request: RideRequest
  /** exact points: sent only to the driver that confirmed (Reveal) */
  pickup: LatLon
  dropoff: LatLon
  /** binds the ride's peer id to the rider's payment identity; sent with the points */
  binding?: IdentityBinding
  /** drivers that cancelled after they were sent the points: their quotes are not taken again */
  shunned?: string[]
  /** when the rider gives up if no driver has confirmed */
  deadlineAt: number
}

/**
 * Why a ride failed. `driver-cancelled`: the driver cancelled after it confirmed, so after it
 * was sent the exact points (the failed state keeps its note), during the trip or once the
 * ride's deadline had passed (before, the rider falls back to other drivers);
 * `driver-unreachable`: the points could not be delivered to the driver that confirmed, and
 * the deadline had passed.
 */
export type RiderFailure = 'no-driver' | 'driver-cancelled' | 'driver-unreachable'

/** The rider's side of one ride. */
export type RiderState =
  | { phase: 'idle' }
  /** request published; collecting quotes (`windowClosed` once the quote window has passed) */
  | { phase: 'requested', ride: RiderRide, quotes: ReceivedQuote[], windowClosed: boolean }
  /** accept sent to `current`; `quotes` are the fallbacks */
  | { phase: 'accepting', ride: RiderRide, current: ReceivedQuote, quotes: ReceivedQuote[] }
  /** the driver confirmed (committed) and was sent the exact points; `quotes` are the fallbacks */
  | { phase: 'confirmed', ride: RiderRide, driver: ReceivedQuote, pickupEta: number, quotes: ReceivedQuote[] }
  | { phase: 'in-trip', ride: RiderRide, driver: ReceivedQuote }
  | { phase: 'completed', ride: RiderRide, driver: ReceivedQuote }
  | { phase: 'failed', ride: RiderRide, reason: RiderFailure, driver?: ReceivedQuote, note?: string }
  | { phase: 'cancelled', ride?: RiderRide }
  /**
   * waiting for the user's pick among `quotes` (usable, best first); `trigger` is the event that
   * called for a pick in `prior`, and is stepped again (at the pick's time) once it is made. A
   * pick that is no longer usable then leaves the ride choosing again, with the same `prior`
   * and `trigger` and the quotes still usable.
   */
  | { phase: 'choosing', ride: RiderRide, quotes: ReceivedQuote[], prior: ChoiceState, trigger: RiderEvent }

/**
 * The states in which a quote is picked: collecting quotes, an accept in flight (the driver
 * declined, cancelled or was silent) and confirmed (the driver gave up before the pickup).
 */
export type ChoiceState = Extract<RiderState, { phase: 'requested' | 'accepting' | 'confirmed' }>
/** What happens to a rider. Messages arrive already validated (validateDirect). */
export type RiderEvent =
  /** the user asks for a ride */
  | { type: 'request', request: RideRequest, pickup: LatLon, dropoff: LatLon, binding?: IdentityBinding, now: number }
  | { type: 'quote', from: string, quote: Quote, now: number }
  | { type: 'confirm', from: string, confirm: Confirm, now: number }
  | { type: 'decline', from: string, decline: Decline, now: number }
  | { type: 'cancel', from: string, cancel: Cancel, now: number }
  | { type: 'trip-update', from: string, update: TripUpdate, now: number }
  | { type: 'timer', id: string, now: number }
  /** the exact points could not be delivered to the driver `from` */
  | { type: 'unreachable', from: string, now: number }
  /** the user gives up */
  | { type: 'user-cancel', now: number }
  /** the user's pick after a `choose` action: the quote to accept, or none to give up the ride */
  | { type: 'chosen', quoteId?: string, now: number }

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
 * How a step picks the quote it accepts when `config.choose` is set: the user's pick.
 * `trigger` is the event that called for it (kept in the `choosing` state); `pick` the quote
 * id picked, when the step is the one the pick completes, stepped again at the pick's time.
 */
interface UserChoice {
  trigger: RiderEvent
  pick?: string
}

/** What a step that may accept a quote goes by: the machine's options and how the quote is picked. */
interface AcceptContext {
  config: RiderConfig
  rank: QuoteRanking
  /** with `config.choose`: the user's pick, asked for or made; without, the best by `rank` is accepted */
  choice?: UserChoice
}

/**
 * Accept the best usable quote, or go back to waiting for quotes (if the deadline allows), or
 * fail with no driver. With a user's choice, the quote accepted is the user's: the step asks
 * for it (the ride waits in `choosing`, its `prior` the state stepped), or, as the step a pick
 * completes, accepts the quote picked. A pick no longer usable (expired while the user chose)
 * is never swapped for another quote: a user must not be sent to a driver or price they did
 * not pick. The user is told, and asked again among the quotes still usable; with none left,
 * the ride goes on as it would without quotes.
 *
 * `before` are the step's own actions ahead of the accept (cancelling the driver given up on,
 * say): held back while the user chooses, they come with the step the pick completes, so that
 * giving up the ride then can tell that driver so instead.
 */
function acceptNext (ctx: AcceptContext, prior: ChoiceState, ride: RiderRide, quotes: ReceivedQuote[], now: number, before: NegotiationAction[] = []): Transition<RiderState> {
  const ranked = ctx.rank(quotes.filter(q => usable(q.quote, ride.request, now) && !shuns(ride, q.from)), { request: ride.request, now })
  const choice = ctx.choice
  if (choice?.pick == null) {
    const best = ranked[0]
    if (best == null) return withoutQuotes(ride, now, before)
    return choice == null ? accept(ctx, ride, best, ranked, before) : ask(ride, ranked, prior, choice.trigger)
  }
  const quoteId = choice.pick
  const picked = ranked.find(q => q.quote.quoteId === quoteId)
  if (picked != null) {
    return accept(ctx, ride, picked, ranked, before)
  }
  const expired = quotes.some(q => q.quote.quoteId === quoteId && !shuns(ride, q.from) && q.quote.expiresAt < now)
  const lost: NegotiationAction = {
    type: 'pick-lost', requestId: ride.request.requestId, quoteId, reason: expired ? 'expired' : 'not-offered', askAgain: ranked.length > 0
  }
  const next = ranked.length > 0 ? ask(ride, ranked, prior, choice.trigger) : withoutQuotes(ride, now, before)
  return { state: next.state, actions: [lost, ...next.actions] }
}

/** Send the accept for `quote`, the other `ranked` quotes its fallbacks. */
function accept (ctx: AcceptContext, ride: RiderRide, quote: ReceivedQuote, ranked: ReceivedQuote[], before: NegotiationAction[]): Transition<RiderState> {
  const id = ride.request.requestId
  return {
    state: { phase: 'accepting', ride, current: quote, quotes: ranked.filter(q => q !== quote) },
    actions: [
      ...before,
      {
        type: 'send',
        to: quote.from,
        message: {
          type: 'accept',
          body: { requestId: id, quoteId: quote.quote.quoteId, seats: ride.request.seats, ...(ride.binding != null ? { binding: ride.binding } : {}) }
        }
      },
      { type: 'set-timer', id: riderTimers.accept(id), afterMs: ctx.config.acceptTimeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS }
    ]
  }
}

/** Ask the user to pick among `ranked` (usable, best first); `prior` and `trigger` are stepped again with the pick. */
function ask (ride: RiderRide, ranked: ReceivedQuote[], prior: ChoiceState, trigger: RiderEvent): Transition<RiderState> {
  return {
    state: { phase: 'choosing', ride, quotes: ranked, prior, trigger },
    actions: [{ type: 'choose', requestId: ride.request.requestId, quotes: ranked }]
  }
}

/** No usable quote: wait for more (quotes that come now are taken at once), or fail past the deadline. */
function withoutQuotes (ride: RiderRide, now: number, before: NegotiationAction[]): Transition<RiderState> {
  const next = now >= ride.deadlineAt ? fail(ride, 'no-driver') : stay({ phase: 'requested', ride, quotes: [], windowClosed: true })
  return { state: next.state, actions: [...before, ...next.actions] }
}

function shuns (ride: RiderRide, driver: string): boolean {
  return ride.shunned?.includes(driver) === true
}

function fail (ride: RiderRide, reason: RiderFailure, driver?: ReceivedQuote, note?: string): Transition<RiderState> {
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
  const state: RiderState = { phase: 'failed', ride, reason }
  if (driver != null) state.driver = driver
  if (note != null) state.note = note
  return { state, actions }
}

/** Adds (or replaces) a driver's quote, keeping the `maxQuotes` best by `rank`. */
function withQuote (quotes: ReceivedQuote[], q: ReceivedQuote, request: RideRequest, now: number, config: RiderConfig, rank: QuoteRanking): ReceivedQuote[] {
  const next = [...quotes.filter(x => x.from !== q.from), q]
  const max = config.maxQuotes ?? DEFAULT_MAX_QUOTES
  if (next.length <= max) return next
  const kept = new Set(rank(next, { request, now }).slice(0, max))
  return next.filter(x => kept.has(x))
}

/**
 * The event a `choosing` ride steps its `prior` state with, on the user's pick (or on giving
 * up): the trigger, at the pick's time; a `user-cancel` when no quote was picked.
 */
export function choiceEvent (state: Extract<RiderState, { phase: 'choosing' }>, event: Extract<RiderEvent, { type: 'chosen' | 'user-cancel' }>): RiderEvent {
  return event.type === 'chosen' && event.quoteId != null ? { ...state.trigger, now: event.now } : { type: 'user-cancel', now: event.now }
}

/** The state of a ride apart from a pick it waits for: a `choosing` ride is still in its prior state. */
export function settledRiderState (state: RiderState): Exclude<RiderState, { phase: 'choosing' }> {
  return state.phase === 'choosing' ? state.prior : state
}

/**
 * One step of the rider's negotiation: `(state, event) -> { state, actions }`. Events that do
 * not apply to the current state (stale, from the wrong peer, for another request) leave it
 * unchanged with no actions.
 *
 * With `config.choose`, a step that would accept a quote leaves the state in `choosing` with
 * one `choose` action instead; the `chosen` event then steps the prior state with the trigger
 * again, at the pick's time, accepting the quote picked (or gives up the ride when none was
 * picked). A pick that is no longer usable then is not accepted, nor any other in its place:
 * the step says so (`pick-lost`) and asks again among the quotes still usable, or, with none
 * left, goes on as without quotes. While the user chooses, events other than `chosen` and
 * `user-cancel` are ignored: the node holds them until the pick is in.
 */
export function stepRider (state: RiderState, event: RiderEvent, config: RiderConfig = {}): Transition<RiderState> {
  if (state.phase === 'choosing') {
    if (event.type !== 'chosen' && event.type !== 'user-cancel') {
      return stay(state)
    }
    const pick = event.type === 'chosen' ? event.quoteId : undefined
    return step(state.prior, choiceEvent(state, event), config, pick != null ? { trigger: state.trigger, pick } : undefined)
  }
  return step(state, event, config, config.choose === true ? { trigger: event } : undefined)
}

function step (state: RiderState, event: RiderEvent, config: RiderConfig, choice: UserChoice | undefined): Transition<RiderState> {
  const rank = config.rank ?? cheapestThenEarliest
  const ctx: AcceptContext = { config, rank, ...(choice != null ? { choice } : {}) }

  if (event.type === 'request') {
    if (state.phase !== 'idle') {
      return stay(state)
    }
    const deadlineAt = event.now + (config.deadlineMs ?? DEFAULT_RIDE_DEADLINE_MS)
    const ride: RiderRide = { request: event.request, pickup: event.pickup, dropoff: event.dropoff, deadlineAt }
    if (event.binding != null) ride.binding = event.binding
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

  if (state.phase === 'idle' || state.phase === 'completed' || state.phase === 'failed' || state.phase === 'cancelled' || state.phase === 'choosing') {
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
        const received = { from: event.from, quote: event.quote, at: event.now }
        if (ctx.choice?.pick != null && state.windowClosed) {
          // the pick of this late quote, completed at the pick's time: acceptNext accepts it,
          // or (it expired while the user chose) says the pick is lost
          return acceptNext(ctx, state, ride, [...state.quotes, received], event.now)
        }
        if (!usable(event.quote, ride.request, event.now) || shuns(ride, event.from)) {
          return stay(state)
        }
        // a driver's newer quote replaces its older one
        const quotes = withQuote(state.quotes, received, ride.request, event.now, config, rank)
        if (state.windowClosed) {
          return acceptNext(ctx, state, ride, quotes, event.now)
        }
        return stay({ ...state, quotes })
      }
      if (event.type === 'timer' && event.id === riderTimers.quoteWindow(id)) {
        return acceptNext(ctx, state, ride, state.quotes, event.now)
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
        if (!usable(event.quote, ride.request, event.now) || event.from === current.from || shuns(ride, event.from)) {
          return stay(state)
        }
        const quotes = withQuote(state.quotes, { from: event.from, quote: event.quote, at: event.now }, ride.request, event.now, config, rank)
        return stay({ ...state, quotes })
      }
      if (event.type === 'confirm') {
        if (fromCurrent && event.confirm.requestId === id && event.confirm.quoteId === current.quote.quoteId) {
          // the driver is committed: only now does it get the exact points (and the binding)
          const reveal: HitchMessage = {
            type: 'reveal',
            body: { requestId: id, quoteId: current.quote.quoteId, pickup: ride.pickup, dropoff: ride.dropoff, ...(ride.binding != null ? { binding: ride.binding } : {}) }
          }
          return {
            state: { phase: 'confirmed', ride, driver: current, pickupEta: minutesAfter(event.now, event.confirm.pickupMinutes), quotes: state.quotes },
            actions: [
              { type: 'clear-timer', id: riderTimers.accept(id) },
              { type: 'clear-timer', id: riderTimers.deadline(id) },
              { type: 'clear-timer', id: riderTimers.quoteWindow(id) },
              { type: 'send', to: current.from, message: reveal }
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
        return acceptNext(ctx, state, ride, state.quotes, event.now, [{ type: 'clear-timer', id: riderTimers.accept(id) }])
      }
      if (event.type === 'timer' && event.id === riderTimers.accept(id)) {
        return acceptNext(ctx, state, ride, state.quotes, event.now, [{ type: 'send', to: current.from, message: cancelMessage(id, Cancel.Reason.TIMEOUT) }])
      }
      // the deadline only bounds waiting for quotes; an accept in flight gets its own timeout
      return stay(state)
    }

    case 'confirmed':
    case 'in-trip': {
      const fromDriver = 'from' in event && event.from === state.driver.from
      // unreachable: the exact points could not be delivered, or (either phase) the driver
      // could not be reached for a while
      const gaveUp = (event.type === 'cancel' && fromDriver && event.cancel.requestId === id) ||
        (event.type === 'unreachable' && fromDriver)
      // a pick completes a fallback that was decided (and asked for) before the deadline
      if (gaveUp && state.phase === 'confirmed' && (event.now < ride.deadlineAt || ctx.choice?.pick != null)) {
        // the driver committed, was sent the points, and gave up before the pickup (they do not
        // fit its plan, say): try the other drivers, never this one again
        const shunning = { ...ride, shunned: [...(ride.shunned ?? []), state.driver.from] }
        return acceptNext(ctx, state, shunning, state.quotes, event.now, [{ type: 'set-timer', id: riderTimers.deadline(id), afterMs: Math.max(0, ride.deadlineAt - event.now) }])
      }
      if (event.type === 'cancel' && gaveUp) {
        // after the reveal: the driver has seen the exact points, and the failure says so
        return fail(ride, 'driver-cancelled', state.driver, event.cancel.note)
      }
      if (gaveUp) {
        return fail(ride, 'driver-unreachable', state.driver)
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
