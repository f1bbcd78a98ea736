import { ErrorFamily } from '../../protocol/index.js'

/** Codes of {@link RideError}. */
export type RideErrorCode =
  /** no driver confirmed a quote before the deadline */
  | 'ERR_NO_DRIVER'
  /** the driver cancelled the confirmed ride (after it was sent the exact points) */
  | 'ERR_DRIVER_CANCELLED'
  /** the exact points could not be delivered to the driver that confirmed */
  | 'ERR_DRIVER_UNREACHABLE'
  /** the rider (or the caller's signal) gave up */
  | 'ERR_RIDE_ABORTED'
  /** the trip record the driver sent does not match the ride or does not verify */
  | 'ERR_BAD_TRIP_RECORD'
  /** the trip ended but no trip record arrived in time */
  | 'ERR_NO_TRIP_RECORD'
  /** the role is not started */
  | 'ERR_NOT_STARTED'
  /** a position is off the map */
  | 'ERR_OFF_MAP'

/** A ride could not be requested, completed or recorded: one class per failure below. */
export abstract class RideError extends ErrorFamily<RideErrorCode> {}

/** The driver cancelled the confirmed ride (after it was sent the exact points). */
export class DriverCancelledError extends RideError { static readonly code: RideErrorCode = 'ERR_DRIVER_CANCELLED' }

/** The driver that confirmed could not be reached: the exact points not delivered, or the driver gone during the ride. */
export class DriverUnreachableError extends RideError { static readonly code: RideErrorCode = 'ERR_DRIVER_UNREACHABLE' }

/** The rider (or the caller's signal) gave up. */
export class RideAbortedError extends RideError { static readonly code: RideErrorCode = 'ERR_RIDE_ABORTED' }

/** The trip record the driver sent does not match the ride or does not verify. */
export class BadTripRecordError extends RideError { static readonly code: RideErrorCode = 'ERR_BAD_TRIP_RECORD' }

/** The trip ended but no trip record arrived in time. */
export class NoTripRecordError extends RideError { static readonly code: RideErrorCode = 'ERR_NO_TRIP_RECORD' }

/** The role is not started. */
export class RoleNotStartedError extends RideError { static readonly code: RideErrorCode = 'ERR_NOT_STARTED' }

/** A position is off the map. */
export class OffMapError extends RideError { static readonly code: RideErrorCode = 'ERR_OFF_MAP' }

/** No driver confirmed a quote within the ride's `timeoutMs`. */
export class NoDriverError extends RideError {
  static readonly code: RideErrorCode = 'ERR_NO_DRIVER'

  constructor (message = 'no driver confirmed a quote in time', options?: ErrorOptions) {
    super(message, options)
  }
}
