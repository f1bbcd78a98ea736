/** Codes of the errors insertion throws (for bad input, never for an infeasible ride). */
export type InsertionErrorCode = 'ERR_INVALID_PLAN' | 'ERR_INVALID_REQUEST'

/**
 * A vehicle plan that cannot be right: a negative or fractional seat count,
 * more seats occupied than the vehicle has, a dropoff of seats that are not
 * aboard, or a location that is not a vertex id.
 */
export class InvalidPlanError extends Error {
  static readonly code = 'ERR_INVALID_PLAN'
  readonly code: 'ERR_INVALID_PLAN' = 'ERR_INVALID_PLAN'
  override readonly name = 'InvalidPlanError'

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * A ride request that cannot be evaluated: seats not a positive integer,
 * a negative wait limit, a detour factor below 1, a location that is not a
 * vertex id.
 */
export class InvalidRequestError extends Error {
  static readonly code = 'ERR_INVALID_REQUEST'
  readonly code: 'ERR_INVALID_REQUEST' = 'ERR_INVALID_REQUEST'
  override readonly name = 'InvalidRequestError'

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
