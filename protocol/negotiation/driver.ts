import { Decline } from '../pb/messages.js'
import type { NegotiationAction, Transition } from './actions.js'
import type { HitchMessage } from '../hitch-message.js'
import type { Accept, Cancel, Quote, RideRequest } from '../pb/messages.js'

/** One ride a driver has quoted. */
export interface DriverRide {
  /** `quoted`: offer held until the quote expires; `rechecking`: accept received, insertion being re-run; `confirmed`: seats reserved */
  phase: 'quoted' | 'rechecking' | 'confirmed'
  /** the rider's peer id */
  rider: string
  request: RideRequest
  quote: Quote
  accept?: Accept
}

/** An accept waiting for the one in recheck to finish. */
export interface QueuedAccept {
  from: string
  accept: Accept
  /** when it arrived: the quote's expiry is judged at arrival */
  at: number
}

/**
 * The driver's negotiation state over all its rides. Accepts are processed one at a time
 * (`checking`, `queue`), and the free seat count is part of the state, so when two riders
 * race for the last seat exactly one is confirmed.
 */
export interface DriverState {
  freeSeats: number
  rides: Record<string, DriverRide>
  /** the request whose accept is being rechecked */
  checking?: string
  queue: QueuedAccept[]
}

/** What happens to a driver. Messages arrive already validated (validateDirect). */
export type DriverEvent =
  /** matching decided to quote this request: send the quote and hold it until it expires */
  | { type: 'quote', rider: string, request: RideRequest, quote: Quote, now: number }
  | { type: 'accept', from: string, accept: Accept, now: number }
  /** the answer to a `recheck` action */
  | { type: 'recheck-result', requestId: string, ok: boolean, pickupEta?: number, reason?: Decline.Reason, now: number }
  | { type: 'cancel', from: string, cancel: Cancel, now: number }
  | { type: 'timer', id: string, now: number }
  /** the rider was dropped off (or the trip otherwise ended): its seats are free again */
  | { type: 'complete', requestId: string, now: number }

/** A driver with `seats` free seats and nothing quoted. */
export function initialDriverState (seats: number): DriverState {
  return { freeSeats: seats, rides: {}, queue: [] }
}

/** Timer ids, scoped by request. */
export const driverTimers = {
  quoteExpiry: (requestId: string) => `${requestId}:quote-expiry`
}

function without (rides: Record<string, DriverRide>, requestId: string): Record<string, DriverRide> {
  const next = { ...rides }
  delete next[requestId]
  return next
}

function decline (to: string, requestId: string, quoteId: string, reason: Decline.Reason): NegotiationAction {
  const message: HitchMessage = { type: 'decline', body: { requestId, quoteId, reason } }
  return { type: 'send', to, message }
}

/**
 * Handles one accept when no other is being rechecked: decline it at once if it cannot be
 * honoured, else ask the node to recheck.
 */
function startAccept (state: DriverState, from: string, accept: Accept, at: number): Transition<DriverState> {
  const ride = state.rides[accept.requestId]
  if (ride == null || ride.phase !== 'quoted' || ride.rider !== from || ride.quote.quoteId !== accept.quoteId) {
    return { state, actions: [decline(from, accept.requestId, accept.quoteId, Decline.Reason.UNKNOWN_QUOTE)] }
  }
  const id = accept.requestId
  if (at > ride.quote.expiresAt) {
    return {
      state: { ...state, rides: without(state.rides, id) },
      actions: [decline(from, id, accept.quoteId, Decline.Reason.QUOTE_EXPIRED)]
    }
  }
  if (accept.seats > state.freeSeats || accept.seats > ride.quote.seats) {
    return {
      state: { ...state, rides: without(state.rides, id) },
      actions: [
        { type: 'clear-timer', id: driverTimers.quoteExpiry(id) },
        decline(from, id, accept.quoteId, Decline.Reason.NO_SEATS)
      ]
    }
  }
  return {
    state: { ...state, checking: id, rides: { ...state.rides, [id]: { ...ride, phase: 'rechecking', accept } } },
    actions: [{ type: 'recheck', requestId: id, rider: from, accept }]
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
 * foreign events leave the state unchanged with no actions (or answer with a Decline).
 */
export function stepDriver (state: DriverState, event: DriverEvent): Transition<DriverState> {
  switch (event.type) {
    case 'quote': {
      const id = event.request.requestId
      const existing = state.rides[id]
      if (existing != null && existing.phase !== 'quoted') {
        return { state, actions: [] }
      }
      return {
        state: { ...state, rides: { ...state.rides, [id]: { phase: 'quoted', rider: event.rider, request: event.request, quote: event.quote } } },
        actions: [
          { type: 'send', to: event.rider, message: { type: 'quote', body: event.quote } },
          { type: 'set-timer', id: driverTimers.quoteExpiry(id), afterMs: Math.max(0, event.quote.expiresAt - event.now) }
        ]
      }
    }

    case 'accept': {
      if (state.checking != null) {
        // serial: one recheck at a time, so the seat count each sees is current
        return { state: { ...state, queue: [...state.queue, { from: event.from, accept: event.accept, at: event.now }] }, actions: [] }
      }
      return startAccept(state, event.from, event.accept, event.now)
    }

    case 'recheck-result': {
      if (state.checking !== event.requestId) {
        return { state, actions: [] }
      }
      const ride = state.rides[event.requestId]
      const { checking: _done, ...base } = state
      if (ride == null || ride.accept == null) {
        // cancelled while rechecking
        return drain(base, [])
      }
      const id = event.requestId
      const actions: NegotiationAction[] = [{ type: 'clear-timer', id: driverTimers.quoteExpiry(id) }]
      if (event.ok && ride.accept.seats <= state.freeSeats) {
        const confirm: HitchMessage = {
          type: 'confirm',
          body: { requestId: id, quoteId: ride.quote.quoteId, pickupEta: event.pickupEta ?? ride.quote.pickupEta }
        }
        actions.push({ type: 'send', to: ride.rider, message: confirm })
        return drain({
          ...base,
          freeSeats: state.freeSeats - ride.accept.seats,
          rides: { ...state.rides, [id]: { ...ride, phase: 'confirmed' } }
        }, actions)
      }
      const reason = event.ok ? Decline.Reason.NO_SEATS : (event.reason ?? Decline.Reason.INFEASIBLE)
      actions.push(decline(ride.rider, id, ride.quote.quoteId, reason))
      return drain({ ...base, rides: without(state.rides, id) }, actions)
    }

    case 'cancel': {
      const id = event.cancel.requestId
      const ride = state.rides[id]
      if (ride == null || ride.rider !== event.from) {
        return { state, actions: [] }
      }
      const freed = ride.phase === 'confirmed' ? (ride.accept?.seats ?? 0) : 0
      return {
        state: {
          ...state,
          freeSeats: state.freeSeats + freed,
          rides: without(state.rides, id),
          queue: state.queue.filter(q => q.accept.requestId !== id)
        },
        actions: [{ type: 'clear-timer', id: driverTimers.quoteExpiry(id) }]
      }
    }

    case 'timer': {
      const id = Object.keys(state.rides).find(r => driverTimers.quoteExpiry(r) === event.id)
      if (id == null || state.rides[id].phase !== 'quoted') {
        return { state, actions: [] }
      }
      // an accept already queued arrived in time and is still honoured when its turn comes
      if (state.queue.some(q => q.accept.requestId === id)) {
        return { state, actions: [] }
      }
      return { state: { ...state, rides: without(state.rides, id) }, actions: [] }
    }

    case 'complete': {
      const ride = state.rides[event.requestId]
      if (ride == null || ride.phase !== 'confirmed') {
        return { state, actions: [] }
      }
      return {
        state: { ...state, freeSeats: state.freeSeats + (ride.accept?.seats ?? 0), rides: without(state.rides, event.requestId) },
        actions: []
      }
    }
  }
}
