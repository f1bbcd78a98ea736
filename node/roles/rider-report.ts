/**
 * What a step of the rider's negotiation machine changed, as the rider's events, and the
 * error a ride that failed or was cancelled ends with.
 */
import { DriverCancelledError, DriverUnreachableError, NoDriverError, RideAbortedError } from './errors.js'
import { toRiderQuote } from './rider-quote.js'
import type { TypedEvents } from './events.js'
import type { RiderEvents } from './rider-events.js'
import type { RiderEvent, RiderState } from '../../protocol/index.js'

/**
 * Events for what a step of ride `id` changed. Returns whether every quote failed (the ride
 * fell back to asking again).
 */
export function reportStep (events: Pick<TypedEvents<RiderEvents>, 'emit'>, id: string, before: RiderState, after: RiderState, event: RiderEvent): boolean {
  let askAgain = false
  // a late quote the user picked and lost (it expired while they chose) is one the ride did not take
  const lostLate = event.type === 'quote' && after.phase === 'requested' && after.windowClosed && !after.quotes.some(q => q.quote === event.quote)
  if (event.type === 'quote' && (after.phase === 'requested' || after.phase === 'accepting') && after !== before && !lostLate) {
    events.emit('quote', { requestId: id, quote: toRiderQuote({ from: event.from, quote: event.quote, at: event.now }) })
  }
  if (event.type === 'decline' && before.phase === 'accepting' && event.from === before.current.from) {
    events.emit('declined', { requestId: id, driver: event.from, reason: String(event.decline.reason) })
  }
  const driverBefore = before.phase === 'accepting' ? before.current.from : before.phase === 'confirmed' ? before.driver.from : undefined
  if ((before.phase === 'confirmed' || before.phase === 'in-trip') && event.type === 'cancel' && event.from === before.driver.from) {
    // the driver had the exact points when it cancelled: say so
    events.emit('cancelled', { requestId: id, driver: event.from, note: event.cancel.note, afterReveal: true })
  }
  if (driverBefore != null && (after.phase === 'accepting' || after.phase === 'requested') &&
    (after.phase === 'requested' || after.current.from !== driverBefore)) {
    events.emit('fallback', { requestId: id, from: driverBefore, to: after.phase === 'accepting' ? after.current.from : undefined })
    askAgain = after.phase === 'requested'
  }
  if (after.phase === 'confirmed' && before.phase !== 'confirmed') {
    events.emit('confirmed', { requestId: id, driver: after.driver.from, pickupEta: after.pickupEta, pickupMinutes: Math.max(0, Math.round((after.pickupEta - event.now) / 60_000)) })
  }
  return askAgain
}

/** The error a ride ends with when the machine failed or cancelled it; `undefined` otherwise. */
export function rideFailure (after: RiderState): Error | undefined {
  if (after.phase === 'failed') {
    return after.reason === 'no-driver'
      ? new NoDriverError()
      : after.reason === 'driver-unreachable'
        ? new DriverUnreachableError('the driver that confirmed could not be reached (the exact points could not be delivered, or it was gone during the ride)')
        : new DriverCancelledError(`the driver cancelled the ride after it was sent the exact points${after.note != null && after.note !== '' ? ` (${after.note})` : ''}`)
  }
  if (after.phase === 'cancelled') {
    return new RideAbortedError('the ride was cancelled')
  }
  return undefined
}
