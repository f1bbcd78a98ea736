/**
 * Ride negotiation as pure state machines, `(state, event) -> { state, actions }`: one for
 * the rider (per ride), one for the driver (over all its rides, so the seat count is shared),
 * and the identity binding a rider sends with its exact points.
 * A payment-channel machine will live beside these in `protocol/channel/`.
 */
export type { LostPickReason, NegotiationAction, Transition } from './actions.js'
export {
  stepRider, initialRiderState, riderTimers, cheapestThenEarliest, renewRequest, minutesAfter, choiceEvent, settledRiderState,
  DEFAULT_QUOTE_WINDOW_MS, DEFAULT_ACCEPT_TIMEOUT_MS, DEFAULT_RIDE_DEADLINE_MS, DEFAULT_MAX_QUOTES
} from './rider.js'
export type { RiderState, RiderEvent, RiderConfig, ChoiceState, RiderRide, RiderFailure, ReceivedQuote, QuoteRanking } from './rider.js'
export {
  stepDriver, initialDriverState, driverTimers, rideKey,
  DEFAULT_MAX_QUOTED, DEFAULT_MAX_QUOTED_PER_RIDER, DEFAULT_MAX_ACCEPT_QUEUE, DEFAULT_REVEAL_TIMEOUT_MS
} from './driver.js'
export type { DriverState, DriverEvent, DriverRide, DriverConfig, QueuedAccept, Commitment } from './driver.js'
export {
  BindingError, BindingMissingError, BindingMalformedError, BindingExpiredError, BindingMismatchError, BindingBadSignatureError, signBinding, checkBinding, bindingText, ANY_RIDE, BINDING_DOMAIN, DEFAULT_BINDING_MAX_AGE_MS, BINDING_CLOCK_SKEW_MS
} from './binding.js'
export type { BindingErrorCode, BindingClaim, BindingExpectation } from './binding.js'
export { decideQuote, quoteReachS } from './quote-decision.js'
export type { QuoteDecision, QuoteDecisionInput, QuoteFit } from './quote-decision.js'
export { tripRecordProblem, namesPayment } from './trip-agreement.js'
export type { TripAgreement, RecordPayment } from './trip-agreement.js'
