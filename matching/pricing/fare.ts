/**
 * Fares. Money is an integer number of the currency's smallest unit (cents
 * for USD or EUR) from end to end: the model's rates are integers, the
 * arithmetic is exact (bigint), and the one rounding happens last.
 */

/** Codes of the errors pricing throws. */
export type PricingErrorCode = 'ERR_INVALID_FARE_MODEL' | 'ERR_INVALID_TRIP'

/** A fare model with a negative, fractional or unsafe rate, or a discount outside 0..100 %. */
export class InvalidFareModelError extends Error {
  static readonly code = 'ERR_INVALID_FARE_MODEL'
  readonly code: 'ERR_INVALID_FARE_MODEL' = 'ERR_INVALID_FARE_MODEL'
  override readonly name = 'InvalidFareModelError'
}

/** A trip with a negative or non-finite distance or duration. */
export class InvalidTripError extends Error {
  static readonly code = 'ERR_INVALID_TRIP'
  readonly code: 'ERR_INVALID_TRIP' = 'ERR_INVALID_TRIP'
  override readonly name = 'InvalidTripError'
}

/**
 * How a driver prices a ride. Every amount is an integer number of the
 * smallest currency unit (cents).
 */
export interface FareModel {
  /**
   * Charged once per ride, cents.
   *
   * @default 250
   */
  baseCents: number
  /**
   * Per kilometre of the direct route, cents.
   *
   * @default 120
   */
  perKmCents: number
  /**
   * Per minute of the direct route's travel time, cents.
   *
   * @default 30
   */
  perMinuteCents: number
  /**
   * No ride costs less, after any discount, cents.
   *
   * @default 500
   */
  minimumCents: number
  /**
   * Discount when the rider shares the car with another rider, in basis
   * points (1/100 of a percent): 2500 is 25 %.
   *
   * @default 2500
   */
  poolingDiscountBps: number
}

/** The defaults: 2.50 base, 1.20/km, 0.30/min, 5.00 minimum, 25 % off when pooled. */
export const DEFAULT_FARE: Readonly<FareModel> = Object.freeze({
  baseCents: 250,
  perKmCents: 120,
  perMinuteCents: 30,
  minimumCents: 500,
  poolingDiscountBps: 2500
})

/** What a fare is computed from: the rider's direct route, not the pooled detour. */
export interface FareInput {
  /** Length of the direct route pickup → dropoff, metres (rounded to whole metres). */
  directDistanceM: number
  /** Travel time of the direct route, seconds (rounded to whole seconds). */
  directDurationS: number
  /** Whether the rider shares the car with another rider for part of the ride. */
  pooled: boolean
}

/** A fare and how it was reached, all in cents. */
export interface FareBreakdown {
  /** What the rider pays, cents. */
  totalCents: number
  /** Base + distance + time before the discount, rounded to cents. */
  grossCents: number
  /** Taken off for pooling, cents (gross minus discounted, before the minimum). */
  discountCents: number
  /** Whether the minimum fare set the total. */
  minimumApplied: boolean
}

/** Fills a partial model from {@link DEFAULT_FARE} and checks it. */
export function fareModel (init: Partial<FareModel> = {}): FareModel {
  const m: FareModel = {
    baseCents: init.baseCents ?? DEFAULT_FARE.baseCents,
    perKmCents: init.perKmCents ?? DEFAULT_FARE.perKmCents,
    perMinuteCents: init.perMinuteCents ?? DEFAULT_FARE.perMinuteCents,
    minimumCents: init.minimumCents ?? DEFAULT_FARE.minimumCents,
    poolingDiscountBps: init.poolingDiscountBps ?? DEFAULT_FARE.poolingDiscountBps
  }
  checkModel(m)
  return m
}

function checkModel (m: FareModel): void {
  for (const k of ['baseCents', 'perKmCents', 'perMinuteCents', 'minimumCents', 'poolingDiscountBps'] as const) {
    const v = m[k]
    if (!Number.isSafeInteger(v) || v < 0) throw new InvalidFareModelError(`${k} must be a non-negative integer, got ${v}`)
  }
  if (m.poolingDiscountBps > 10000) throw new InvalidFareModelError('poolingDiscountBps must be at most 10000')
}

/** Integer division of non-negative bigints, rounding half up. */
function divRound (num: bigint, den: bigint): bigint {
  return (num * 2n + den) / (den * 2n)
}

/**
 * The fare of a ride with its breakdown.
 *
 * total = max(minimum, round(gross × (1 − discount))) where gross =
 * base + perKm × km + perMinute × minutes, computed exactly in
 * 1/60000-cent units; `grossCents` rounds the gross half up, and the
 * discounted total is rounded half up from the exact gross (one rounding,
 * never two).
 *
 * @throws InvalidFareModelError, InvalidTripError
 */
export function fareBreakdown (model: FareModel, trip: FareInput): FareBreakdown {
  checkModel(model)
  const { directDistanceM, directDurationS } = trip
  if (!Number.isFinite(directDistanceM) || directDistanceM < 0) throw new InvalidTripError('directDistanceM must be a finite non-negative number')
  if (!Number.isFinite(directDurationS) || directDurationS < 0) throw new InvalidTripError('directDurationS must be a finite non-negative number')
  const metres = BigInt(Math.round(directDistanceM))
  const seconds = BigInt(Math.round(directDurationS))
  // cents × 60000: perKm × m / 1000 and perMinute × s / 60 become integers
  const UNIT = 60000n
  const gross = BigInt(model.baseCents) * UNIT + BigInt(model.perKmCents) * metres * 60n + BigInt(model.perMinuteCents) * seconds * 1000n
  const grossCents = divRound(gross, UNIT)
  const keepBps = trip.pooled ? BigInt(10000 - model.poolingDiscountBps) : 10000n
  const discounted = divRound(gross * keepBps, UNIT * 10000n)
  const minimum = BigInt(model.minimumCents)
  const total = discounted < minimum ? minimum : discounted
  return {
    totalCents: Number(total),
    grossCents: Number(grossCents),
    discountCents: Number(grossCents - discounted),
    minimumApplied: discounted < minimum
  }
}

/**
 * What the rider pays, an integer number of cents (the smallest unit of
 * the currency the model is written in). See {@link fareBreakdown}.
 *
 * @throws InvalidFareModelError, InvalidTripError
 */
export function quoteFare (model: FareModel, trip: FareInput): number {
  return fareBreakdown(model, trip).totalCents
}

/**
 * The part of a fare due after `coveredM` of a `routeM` route, for the
 * channel states a rider signs during the trip: floor(total × covered /
 * route) in exact integer arithmetic, so it never decreases as the car
 * advances, never exceeds the fare, and reaches it exactly at the end.
 * Coverage is clamped to 0..routeM; a zero-length route is due in full.
 *
 * @throws InvalidTripError if a value is negative or not finite
 */
export function fareSoFar (totalCents: number, coveredM: number, routeM: number): number {
  if (!Number.isSafeInteger(totalCents) || totalCents < 0) throw new InvalidTripError('totalCents must be a non-negative integer')
  if (!Number.isFinite(coveredM) || !Number.isFinite(routeM) || routeM < 0) throw new InvalidTripError('distances must be finite, the route non-negative')
  const route = BigInt(Math.round(routeM))
  if (route === 0n) return totalCents
  let covered = BigInt(Math.round(coveredM))
  if (covered < 0n) covered = 0n
  if (covered > route) covered = route
  return Number(BigInt(totalCents) * covered / route)
}
