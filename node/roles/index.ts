/**
 * @packageDocumentation
 *
 * The driver and rider roles. They run the pure negotiation machines of `protocol/` and the
 * matching of `matching/` on a {@link HitchNode}: the machines decide, the roles execute
 * (timers on the node's clock, sends on the ride protocol, publishes on cell topics).
 */
export { Driver, DEFAULT_VEHICLE_SEATS, DEFAULT_CURRENCY, DEFAULT_ESTIMATE_SLACK_S } from './driver.js'
export type { DriverInit } from './driver-init.js'
export { DRIVER_EVENTS } from './driver-events.js'
export type { DriverEvents, DriverPosition } from './driver-events.js'
export { DEFAULT_OFFER_INTERVAL_MS, DEFAULT_RING } from './cell-presence.js'
export { DEFAULT_QUOTE_TTL_MS, DEFAULT_QUOTE_NEAR_S, DEFAULT_QUOTE_WIDEN_MS } from './driver-quote.js'
export { DEFAULT_POSITION_EVERY_M } from './vehicle.js'
export { Rider, DEFAULT_RECORD_TIMEOUT_MS } from './rider.js'
export { DEFAULT_MAX_WAIT_MS } from './rider-init.js'
export type { RiderInit, RideRequestOptions } from './rider-init.js'
export { RIDER_EVENTS } from './rider-events.js'
export type { RiderEvents, RiderUpdate, RideResult } from './rider-events.js'
export { DEFAULT_REPUBLISH_MS, DEFAULT_MAX_REPUBLISH_MS } from './rider-publish.js'
export { DEFAULT_DISCOVERY_TIMEOUT_MS, DEFAULT_DISCOVERY_DIALS } from './rider-discovery.js'
export type { RiderQuote } from './rider-quote.js'
export { DEFAULT_ESTIMATE_SNAP_M, DEFAULT_CELL_MARGIN_S, CellEstimator } from './cell-estimate.js'
export type { CellEstimate, ExactFit, CellEstimatorInit } from './cell-estimate.js'
export {
  RequestIntake, DEFAULT_CHECKS_PER_S, DEFAULT_MAX_WAITING, DEFAULT_MAX_SEEN, DEFAULT_MAX_SEEN_PER_REQUESTER,
  DEFAULT_REQUESTER_QUOTA, DEFAULT_REQUESTER_WINDOW_MS
} from './request-intake.js'
export type { RequestIntakeInit, RequestIntakeStats, HeardRequest } from './request-intake.js'
export { RideError, NoDriverError, DriverCancelledError, DriverUnreachableError, RideAbortedError, BadTripRecordError, NoTripRecordError, RoleNotStartedError, OffMapError } from './errors.js'
export type { RideErrorCode } from './errors.js'
export { TypedEvents } from './events.js'
export { ethAddressOfPeer } from '../identity/index.js'
export { roleComponents } from './types.js'
export type { LatLonPoint, PaymentHooks, PaymentTerms, RideInfo, RoleComponents, RoleNodeServices } from './types.js'
