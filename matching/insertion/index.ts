/**
 * Insertion: fitting a new ride into a vehicle's plan of stops without
 * breaking the seat count, the promises already made or the rider's limits.
 * Pure: travel times come from an injected {@link TravelTimeOracle}.
 */
export type { Stop, VehiclePlan, PreparedPlan, ServedStop, RouteSource, PlanRoute } from './plan.js'
export {
  PROMISE_TOLERANCE_S,
  planPoints,
  legTimes,
  validatePlan,
  preparePlan,
  isPreparedPlan,
  moveVehicle,
  completeNextStop,
  advancePlan,
  planRoute
} from './plan.js'
export type { RideRequest, InsertionOptions, InsertionRejection, Insertion, InsertionResult } from './insert.js'
export { insertRequest, DEFAULT_MAX_WAIT_S, DEFAULT_MAX_DETOUR_FACTOR, DEFAULT_DETOUR_SLACK_S } from './insert.js'
export { InvalidPlanError, InvalidRequestError } from './errors.js'
export type { InsertionErrorCode } from './errors.js'
export type { TravelTimeOracle } from '../routing/oracle.js'
