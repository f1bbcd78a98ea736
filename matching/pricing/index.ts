/**
 * Pricing: fares in integer cents from a driver's {@link FareModel}. Pure.
 */
export {
  DEFAULT_FARE,
  fareModel,
  fareBreakdown,
  quoteFare,
  fareSoFar,
  InvalidFareModelError,
  InvalidTripError
} from './fare.js'
export type { FareModel, FareInput, FareBreakdown, PricingErrorCode } from './fare.js'
