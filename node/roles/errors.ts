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

/** A ride could not be requested, completed or recorded. Branch on `code`. */
export class RideError extends Error {
  override name = 'RideError'
  readonly code: RideErrorCode

  constructor (code: RideErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** No driver confirmed a quote within the ride's `timeoutMs`. */
export class NoDriverError extends RideError {
  override name = 'NoDriverError'
  static readonly code = 'ERR_NO_DRIVER'

  constructor (message = 'no driver confirmed a quote in time', options?: ErrorOptions) {
    super('ERR_NO_DRIVER', message, options)
  }
}
