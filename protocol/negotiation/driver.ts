import { Cancel, Decline } from '../pb/messages.js'
import type { NegotiationAction, Transition } from './actions.js'
import type { HitchMessage } from '../hitch-message.js'
import type { Accept, Quote, Reveal, RideRequest } from '../pb/messages.js'

/**
 * Most quotes a driver holds at once (unaccepted); the oldest gives way to a new one. Under a
 * flood of requests a quote still lives long enough for its rider to accept it: the node quotes
 * at most its request budget per second. @default 512
 */
export const DEFAULT_MAX_QUOTED = 512
/** Most quotes a driver holds for one rider (peer id); its oldest gives way. @default 2 */
export const DEFAULT_MAX_QUOTED_PER_RIDER = 2
/** Most accepts waiting for the one being rechecked; beyond, an accept is declined BUSY. @default 64 */
export const DEFAULT_MAX_ACCEPT_QUEUE = 64
/**
 * How long a driver that confirmed waits for the rider's exact points (Reveal) before it gives
 * the seats back and cancels, clock ms. @default 60_000
 */
export const DEFAULT_REVEAL_TIMEOUT_MS = 60_000

/**
 * A ride's key at the driver: the rider's peer id and its request id. Request ids are chosen by
 * riders, so another peer can use a victim's id: every ride, quote, timer and stop is scoped by
 * the peer that asked.
 */
export function rideKey (rider: string, requestId: string): string {
  return `${rider}:${requestId}`
}

/** One ride a driver has quoted. */
export interface DriverRide {
  /**
   * `quoted`: held until `holdUntil`; `rechecking`: accept received, insertion being re-run on
   * the cells; `confirmed`: seats reserved, the driver is committed and waits for the exact
   * points; `fitting`: the points arrived and are being fitted (and the rider's binding
   * checked); `riding`: the ride is in the plan.
   */
  phase: 'quoted' | 'rechecking' | 'confirmed' | 'fitting' | 'riding'
  /** the rider's peer id */
  rider: string
  request: RideRequest
  quote: Quote
  /** clock ms until which the driver holds the quote */
  holdUntil: number
  accept?: Accept
  /** the exact points, once revealed */
  reveal?: Reveal
  /** what the confirm promised, which the exact fit honours rather than re-deciding the ride */
  commitment?: Commitment
}

/** What a driver committed to when it confirmed a ride. */
export interface Commitment {
  /** clock ms of the confirm */
  at: number
  /** the pickup minutes the confirm promised */
  pickupMinutes: number
  /** the dropoff minutes promised with it (the quote's, or the recheck's) */
  dropoffMinutes: number
}

/** An accept waiting for the one in recheck to finish. */
export interface QueuedAccept {
  from: string
  accept: Accept
  /** when it arrived: the quote's expiry is judged at arrival */
  at: number
}

/**
 * The driver's negotiation state over all its rides, keyed by {@link rideKey}. Accepts are
 * processed one at a time (`checking`, `queue`), and the free seat count is part of the state,
 * so when two riders race for the last seat exactly one is confirmed.
 */
export interface DriverState {
  freeSeats: number
  rides: Record<string, DriverRide>
  /** the key of the ride whose accept is being rechecked */
  checking?: string
  queue: QueuedAccept[]
}

/** Bounds and timings of the driver machine. */
export interface DriverConfig {
  /** @default DEFAULT_MAX_QUOTED */
  maxQuoted?: number
  /** @default DEFAULT_MAX_QUOTED_PER_RIDER */
  maxQuotedPerRider?: number
  /** @default DEFAULT_MAX_ACCEPT_QUEUE */
  maxAcceptQueue?: number
  /** @default DEFAULT_REVEAL_TIMEOUT_MS */
  revealTimeoutMs?: number
}

/** What happens to a driver. Messages arrive already validated (validateDirect). */
export type DriverEvent =
  /** matching decided to quote this request: send the quote and hold it until `holdUntil` */
  | { type: 'quote', rider: string, request: RideRequest, quote: Quote, holdUntil: number, now: number }
  | { type: 'accept', from: string, accept: Accept, now: number }
  /** the answer to a `recheck` action */
  | { type: 'recheck-result', key: string, ok: boolean, pickupMinutes?: number, dropoffMinutes?: number, reason?: Decline.Reason, now: number }
  | { type: 'reveal', from: string, reveal: Reveal, now: number }
  /** the answer to a `fit` action; `note` says why it failed (sent to the rider in the Cancel) */
  | { type: 'fit-result', key: string, ok: boolean, note?: string, now: number }
  | { type: 'cancel', from: string, cancel: Cancel, now: number }
  | { type: 'timer', id: string, now: number }
  /** the node ended the ride (dropoff, or it cancelled it): its seats are free again */
  | { type: 'complete', key: string, now: number }

/** A driver with `seats` free seats and nothing quoted. */
export function initialDriverState (seats: number): DriverState {
  return { freeSeats: seats, rides: {}, queue: [] }
}

const QUOTE_TIMER = 'quote-expiry:'
const REVEAL_TIMER = 'reveal:'

/** Timer ids, scoped by ride key. */
export const driverTimers = {
  quoteExpiry: (key: string) => `${QUOTE_TIMER}${key}`,
  reveal: (key: string) => `${REVEAL_TIMER}${key}`
}

/** Phases in which the ride holds seats. */
const HOLDS_SEATS = new Set<DriverRide['phase']>(['confirmed', 'fitting', 'riding'])
/** Phases in which the ride's stops may be in the node's plan. */
const IN_PLAN = new Set<DriverRide['phase']>(['fitting', 'riding'])

function without (rides: Record<string, DriverRide>, key: string): Record<string, DriverRide> {
  const next = { ...rides }
  delete next[key]
  return next
}

function decline (to: string, requestId: string, quoteId: string, reason: Decline.Reason): NegotiationAction {
  const message: HitchMessage = { type: 'decline', body: { requestId, quoteId, reason } }
  return { type: 'send', to, message }
}

function cancel (to: string, requestId: string, reason: Cancel.Reason, note: string): NegotiationAction {
  return { type: 'send', to, message: { type: 'cancel', body: { requestId, reason, note } } }
}

/** Removes a ride that ended, freeing its seats, its timers and (if in the plan) its stops. */
function release (state: DriverState, key: string, actions: NegotiationAction[]): DriverState {
  const ride = state.rides[key]
  if (ride == null) return state
  const freed = HOLDS_SEATS.has(ride.phase) ? (ride.accept?.seats ?? 0) : 0
  actions.push({ type: 'clear-timer', id: driverTimers.quoteExpiry(key) }, { type: 'clear-timer', id: driverTimers.reveal(key) })
  if (IN_PLAN.has(ride.phase)) actions.push({ type: 'drop', key })
  return {
    ...state,
    freeSeats: state.freeSeats + freed,
    rides: without(state.rides, key),
    queue: state.queue.filter(q => rideKey(q.from, q.accept.requestId) !== key)
  }
}

/** Makes room for one more quote of `rider`: drops its oldest, then the oldest overall, beyond the bounds. */
function makeRoom (state: DriverState, rider: string, key: string, config: DriverConfig, actions: NegotiationAction[]): DriverState {
  const maxPerRider = config.maxQuotedPerRider ?? DEFAULT_MAX_QUOTED_PER_RIDER
  const maxQuoted = config.maxQuoted ?? DEFAULT_MAX_QUOTED
  let s = state
  const quoted = (): Array<[string, DriverRide]> => Object.entries(s.rides).filter(([k, r]) => r.phase === 'quoted' && k !== key)
  const mine = quoted().filter(([, r]) => r.rider === rider)
  for (let i = 0; i <= mine.length - maxPerRider; i++) s = release(s, mine[i][0], actions)
  const all = quoted()
  for (let i = 0; i <= all.length - maxQuoted; i++) s = release(s, all[i][0], actions)
  return s
}

/**
 * Handles one accept when no other is being rechecked: decline it at once if it cannot be
 * honoured, else ask the node to recheck.
 */
function startAccept (state: DriverState, from: string, accept: Accept, at: number): Transition<DriverState> {
  const key = rideKey(from, accept.requestId)
  const ride = state.rides[key]
  if (ride == null || ride.phase !== 'quoted' || ride.quote.quoteId !== accept.quoteId) {
    return { state, actions: [decline(from, accept.requestId, accept.quoteId, Decline.Reason.UNKNOWN_QUOTE)] }
  }
  if (at > ride.holdUntil) {
    const actions: NegotiationAction[] = []
    const s = release(state, key, actions)
    return { state: s, actions: [...actions, decline(from, accept.requestId, accept.quoteId, Decline.Reason.QUOTE_EXPIRED)] }
  }
  if (accept.seats > state.freeSeats || accept.seats > ride.quote.seats) {
    const actions: NegotiationAction[] = []
    const s = release(state, key, actions)
    return { state: s, actions: [...actions, decline(from, accept.requestId, accept.quoteId, Decline.Reason.NO_SEATS)] }
  }
  return {
    state: { ...state, checking: key, rides: { ...state.rides, [key]: { ...ride, phase: 'rechecking', accept } } },
    actions: [{ type: 'recheck', key, rider: from, accept }]
  }
}

/** Starts queued accepts until one goes to recheck or the queue is empty. */
function drain (state: DriverState, actions: NegotiationAction[]): Transition<DriverState> {
  let s = state
  while (s.checking == null && s.queue.length > 0) {
    const [next, ...queue] = s.queue
    const t = startAccept({ ...s, queue }, next.from, next.accept, next.at)
    s = t.state
    actions.push(...t.actions)
  }
  return { state: s, actions }
}

/**
 * One step of the driver's negotiation: `(state, event) -> { state, actions }`. Stale or
 * foreign events leave the state unchanged with no actions (or answer with a Decline). Every
 * message is matched to a ride by its sender and its request id together.
 */
export function stepDriver (state: DriverState, event: DriverEvent, config: DriverConfig = {}): Transition<DriverState> {
  switch (event.type) {
    case 'quote': {
      const key = rideKey(event.rider, event.request.requestId)
      const existing = state.rides[key]
      if (existing != null && existing.phase !== 'quoted') {
        return { state, actions: [] }
      }
      const actions: NegotiationAction[] = []
      const s = makeRoom(state, event.rider, key, config, actions)
      const ride: DriverRide = { phase: 'quoted', rider: event.rider, request: event.request, quote: event.quote, holdUntil: event.holdUntil }
      actions.push(
        { type: 'send', to: event.rider, message: { type: 'quote', body: event.quote } },
        { type: 'set-timer', id: driverTimers.quoteExpiry(key), afterMs: Math.max(0, event.holdUntil - event.now) }
      )
      return { state: { ...s, rides: { ...s.rides, [key]: ride } }, actions }
    }

    case 'accept': {
      if (state.checking != null) {
        // serial: one recheck at a time, so the seat count each sees is current
        if (state.queue.length >= (config.maxAcceptQueue ?? DEFAULT_MAX_ACCEPT_QUEUE)) {
          return { state, actions: [decline(event.from, event.accept.requestId, event.accept.quoteId, Decline.Reason.BUSY)] }
        }
        return { state: { ...state, queue: [...state.queue, { from: event.from, accept: event.accept, at: event.now }] }, actions: [] }
      }
      return startAccept(state, event.from, event.accept, event.now)
    }

    case 'recheck-result': {
      if (state.checking !== event.key) {
        return { state, actions: [] }
      }
      const key = event.key
      const ride = state.rides[key]
      const { checking: _done, ...base } = state
      if (ride?.phase !== 'rechecking' || ride.accept == null) {
        // cancelled while rechecking
        return drain(base, [])
      }
      const actions: NegotiationAction[] = [{ type: 'clear-timer', id: driverTimers.quoteExpiry(key) }]
      const requestId = ride.request.requestId
      if (event.ok && ride.accept.seats <= state.freeSeats) {
        const pickupMinutes = event.pickupMinutes ?? ride.quote.pickupMinutes
        const dropoffMinutes = Math.max(pickupMinutes, event.dropoffMinutes ?? ride.quote.dropoffMinutes)
        const confirm: HitchMessage = {
          type: 'confirm',
          body: { requestId, quoteId: ride.quote.quoteId, pickupMinutes }
        }
        actions.push(
          { type: 'send', to: ride.rider, message: confirm },
          { type: 'set-timer', id: driverTimers.reveal(key), afterMs: config.revealTimeoutMs ?? DEFAULT_REVEAL_TIMEOUT_MS }
        )
        return drain({
          ...base,
          freeSeats: state.freeSeats - ride.accept.seats,
          rides: { ...state.rides, [key]: { ...ride, phase: 'confirmed', commitment: { at: event.now, pickupMinutes, dropoffMinutes } } }
        }, actions)
      }
      const reason = event.ok ? Decline.Reason.NO_SEATS : (event.reason ?? Decline.Reason.INFEASIBLE)
      actions.push(decline(ride.rider, requestId, ride.quote.quoteId, reason))
      return drain({ ...base, rides: without(state.rides, key) }, actions)
    }

    case 'reveal': {
      const key = rideKey(event.from, event.reveal.requestId)
      const ride = state.rides[key]
      if (ride?.phase !== 'confirmed' || ride.quote.quoteId !== event.reveal.quoteId) {
        return { state, actions: [] }
      }
      return {
        state: { ...state, rides: { ...state.rides, [key]: { ...ride, phase: 'fitting', reveal: event.reveal } } },
        actions: [{ type: 'clear-timer', id: driverTimers.reveal(key) }, { type: 'fit', key, rider: ride.rider, reveal: event.reveal }]
      }
    }

    case 'fit-result': {
      const ride = state.rides[event.key]
      if (ride?.phase !== 'fitting') {
        return { state, actions: [] }
      }
      if (event.ok) {
        return { state: { ...state, rides: { ...state.rides, [event.key]: { ...ride, phase: 'riding' } } }, actions: [] }
      }
      // committed, but the exact points do not fit (or the rider's binding was refused): the
      // rider is told so, after the reveal, with why
      const actions: NegotiationAction[] = []
      const s = release(state, event.key, actions)
      actions.push(cancel(ride.rider, ride.request.requestId, Cancel.Reason.DRIVER_CANCELLED, event.note ?? 'exact-points-refused'))
      return { state: s, actions }
    }

    case 'cancel': {
      const key = rideKey(event.from, event.cancel.requestId)
      if (state.rides[key] == null) {
        return { state, actions: [] }
      }
      const actions: NegotiationAction[] = []
      return { state: release(state, key, actions), actions }
    }

    case 'timer': {
      if (event.id.startsWith(REVEAL_TIMER)) {
        const key = event.id.slice(REVEAL_TIMER.length)
        const ride = state.rides[key]
        if (ride?.phase !== 'confirmed') {
          return { state, actions: [] }
        }
        const actions: NegotiationAction[] = []
        const s = release(state, key, actions)
        actions.push(cancel(ride.rider, ride.request.requestId, Cancel.Reason.TIMEOUT, 'no-reveal'))
        return { state: s, actions }
      }
      if (!event.id.startsWith(QUOTE_TIMER)) {
        return { state, actions: [] }
      }
      const key = event.id.slice(QUOTE_TIMER.length)
      if (state.rides[key]?.phase !== 'quoted') {
        return { state, actions: [] }
      }
      // an accept already queued arrived in time and is still honoured when its turn comes
      if (state.queue.some(q => rideKey(q.from, q.accept.requestId) === key)) {
        return { state, actions: [] }
      }
      return { state: { ...state, rides: without(state.rides, key) }, actions: [] }
    }

    case 'complete': {
      const ride = state.rides[event.key]
      if (ride == null || !HOLDS_SEATS.has(ride.phase)) {
        return { state, actions: [] }
      }
      const actions: NegotiationAction[] = []
      const s = release(state, event.key, actions)
      // the node ended it: its stops are the node's to remove
      return { state: s, actions: actions.filter(a => a.type !== 'drop') }
    }
  }
}
