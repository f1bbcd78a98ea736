/**
 * Ride negotiation as pure state machines, `(state, event) -> { state, actions }`: one for
 * the rider (per ride), one for the driver (over all its rides, so the seat count is shared).
 * A payment-channel machine will live beside these in `protocol/channel/`.
 */
export type { NegotiationAction, Transition } from './actions.js'
export {
  stepRider, initialRiderState, riderTimers, cheapestThenEarliest, renewRequest,
  DEFAULT_QUOTE_WINDOW_MS, DEFAULT_ACCEPT_TIMEOUT_MS, DEFAULT_RIDE_DEADLINE_MS
} from './rider.js'
export type { RiderState, RiderEvent, RiderConfig, RiderRide, RiderFailure, ReceivedQuote, QuoteRanking } from './rider.js'
export { stepDriver, initialDriverState, driverTimers } from './driver.js'
export type { DriverState, DriverEvent, DriverRide, QueuedAccept } from './driver.js'
