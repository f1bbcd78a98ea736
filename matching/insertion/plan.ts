import { InvalidPlanError } from './errors.js'
import type { TravelTimeOracle } from '../routing/oracle.js'

/**
 * One place where the vehicle stops for one ride: to pick riders up or to set
 * them down.
 */
export interface Stop {
  /** `pickup` adds `seats` to the vehicle's load, `dropoff` removes them. */
  readonly kind: 'pickup' | 'dropoff'
  /** The ride this stop belongs to. A pickup comes before its dropoff. */
  readonly requestId: string
  /** Road-graph vertex id of the stop. */
  readonly location: number
  /** Seats the ride takes (a positive integer). */
  readonly seats: number
  /**
   * The promise made for this stop, in seconds on the caller's timeline:
   * the latest pickup time for a pickup, the promised arrival for a
   * dropoff. `Infinity` for no promise.
   */
  readonly latest: number
}

/**
 * What a vehicle has to do from now on: where it is and the ordered stops it
 * has promised. Times are seconds on a caller-given timeline (matching never
 * reads a clock).
 */
export interface VehiclePlan {
  /** Road-graph vertex where the vehicle is at `time`. */
  readonly position: number
  /**
   * When the vehicle is at `position`, seconds. Keep it current (see
   * {@link moveVehicle}): the plan's arrival times are counted from it.
   */
  readonly time: number
  /** Passenger seats of the vehicle. */
  readonly capacity: number
  /** Seats occupied at `time` (riders already picked up). */
  readonly onboard: number
  /** Stops to make, in order. */
  readonly stops: readonly Stop[]
}

/**
 * A new arrival may exceed a promise by this much and still count as kept:
 * travel times are sums of floating-point seconds, and two exact
 * computations of the same route can differ in the last bits.
 */
export const PROMISE_TOLERANCE_S = 1e-6

/**
 * A plan with its timetable worked out once, so that a driver can test many
 * requests against it without asking the oracle again for the legs it
 * already knows. Point 0 is the vehicle's position; point k (1..n) is
 * `plan.stops[k - 1]`.
 */
export interface PreparedPlan {
  readonly plan: VehiclePlan
  /** Vertex of each point, length n + 1. */
  readonly points: Int32Array
  /** Travel time from point k to point k + 1, seconds, length n. */
  readonly legs: Float64Array
  /** Arrival time at each point, seconds (point 0: `plan.time`), length n + 1. */
  readonly arrival: Float64Array
  /** Seats occupied on leaving each point, length n + 1. */
  readonly load: Int32Array
  /**
   * `slack[k]`: how much the arrival at point k (and so at every later
   * point) can be delayed without breaking a promise of points k..n,
   * seconds, length n + 2 (`slack[n + 1]` is `Infinity`). A stop that is
   * already late may not be delayed further, but is not itself a broken
   * promise of the insertion: its term is `max(0, latest - arrival)`.
   */
  readonly slack: Float64Array
}

/** Vertices of the plan's points: its position, then each stop's location. */
export function planPoints (plan: VehiclePlan): Int32Array {
  const points = new Int32Array(plan.stops.length + 1)
  points[0] = plan.position
  for (let k = 0; k < plan.stops.length; k++) points[k + 1] = plan.stops[k].location
  return points
}

/** Travel time of each leg of the plan (position → stop 0 → stop 1 …), seconds. */
export function legTimes (plan: VehiclePlan, oracle: TravelTimeOracle): Float64Array {
  const n = plan.stops.length
  const legs = new Float64Array(n)
  let from = plan.position
  for (let k = 0; k < n; k++) {
    const to = plan.stops[k].location
    legs[k] = from === to ? 0 : oracle.time(from, to)
    from = to
  }
  return legs
}

function isVertex (v: number): boolean {
  return Number.isInteger(v) && v >= 0
}

function isSeatCount (s: number): boolean {
  return Number.isInteger(s) && s >= 0
}

/**
 * Checks that a plan is self-consistent: whole seat counts, the load never
 * below zero or above capacity, every dropoff after its ride's pickup when
 * the pickup is in the plan, vertex ids that are non-negative integers.
 * Returns the load on leaving each point (length n + 1).
 *
 * @throws InvalidPlanError
 */
export function validatePlan (plan: VehiclePlan): Int32Array {
  if (!isSeatCount(plan.capacity)) throw new InvalidPlanError(`capacity ${plan.capacity} is not a seat count`)
  if (!isSeatCount(plan.onboard) || plan.onboard > plan.capacity) {
    throw new InvalidPlanError(`onboard ${plan.onboard} does not fit capacity ${plan.capacity}`)
  }
  if (!isVertex(plan.position)) throw new InvalidPlanError(`position ${plan.position} is not a vertex id`)
  if (!Number.isFinite(plan.time)) throw new InvalidPlanError('plan time is not finite')
  const n = plan.stops.length
  const load = new Int32Array(n + 1)
  load[0] = plan.onboard
  const picked = new Set<string>()
  const dropped = new Set<string>()
  for (let k = 0; k < n; k++) {
    const s = plan.stops[k]
    if (!isVertex(s.location)) throw new InvalidPlanError(`stop ${k} location ${s.location} is not a vertex id`)
    if (!isSeatCount(s.seats) || s.seats === 0) throw new InvalidPlanError(`stop ${k} seats ${s.seats} is not a positive seat count`)
    if (Number.isNaN(s.latest)) throw new InvalidPlanError(`stop ${k} promise is NaN`)
    if (s.kind === 'pickup') {
      if (picked.has(s.requestId)) throw new InvalidPlanError(`ride ${s.requestId} is picked up twice`)
      picked.add(s.requestId)
      load[k + 1] = load[k] + s.seats
    } else if (s.kind === 'dropoff') {
      if (dropped.has(s.requestId)) throw new InvalidPlanError(`ride ${s.requestId} is dropped off twice`)
      dropped.add(s.requestId)
      load[k + 1] = load[k] - s.seats
    } else {
      throw new InvalidPlanError(`stop ${k} has unknown kind`)
    }
    if (load[k + 1] < 0) throw new InvalidPlanError(`stop ${k} drops off seats that are not aboard`)
    if (load[k + 1] > plan.capacity) throw new InvalidPlanError(`stop ${k} overfills the vehicle`)
  }
  for (const id of picked) {
    if (!dropped.has(id)) throw new InvalidPlanError(`ride ${id} is picked up but never dropped off`)
  }
  return load
}

/**
 * Works out a plan's timetable and slack with one `oracle.time` call per
 * leg. Keep the result while the plan does not change; insertion reuses it.
 *
 * @throws InvalidPlanError if the plan is inconsistent or a stop cannot be reached
 */
export function preparePlan (plan: VehiclePlan, oracle: TravelTimeOracle): PreparedPlan {
  const load = validatePlan(plan)
  const n = plan.stops.length
  const points = planPoints(plan)
  const legs = legTimes(plan, oracle)
  const arrival = new Float64Array(n + 1)
  arrival[0] = plan.time
  for (let k = 0; k < n; k++) {
    if (!Number.isFinite(legs[k])) throw new InvalidPlanError(`stop ${k} cannot be reached from the point before it`)
    arrival[k + 1] = arrival[k] + legs[k]
  }
  const slack = new Float64Array(n + 2)
  slack[n + 1] = Infinity
  for (let k = n; k >= 1; k--) {
    const own = Math.max(0, plan.stops[k - 1].latest - arrival[k])
    slack[k] = Math.min(own, slack[k + 1])
  }
  slack[0] = slack[1]
  return { plan, points, legs, arrival, load, slack }
}

/** Whether a value is a {@link PreparedPlan} rather than a bare plan. */
export function isPreparedPlan (p: VehiclePlan | PreparedPlan): p is PreparedPlan {
  return (p as PreparedPlan).legs instanceof Float64Array && (p as PreparedPlan).plan != null
}

/**
 * The vehicle is now at `position` at `time` (a vertex on its way to the
 * next stop, as reported by the node's movement). Stops are unchanged.
 */
export function moveVehicle (plan: VehiclePlan, position: number, time: number): VehiclePlan {
  return { ...plan, position, time }
}

/** A stop the vehicle has made, with when it made it. */
export interface ServedStop {
  readonly stop: Stop
  /** Seconds, on the plan's timeline. */
  readonly time: number
}

/**
 * The vehicle has reached its next stop at `time`: removes the stop, moves
 * the vehicle there and updates the seats occupied.
 *
 * @throws InvalidPlanError if the plan has no stop left
 */
export function completeNextStop (plan: VehiclePlan, time: number): { plan: VehiclePlan, served: ServedStop } {
  const stop = plan.stops[0]
  if (stop == null) throw new InvalidPlanError('the plan has no stop to complete')
  const onboard = plan.onboard + (stop.kind === 'pickup' ? stop.seats : -stop.seats)
  if (onboard < 0 || onboard > plan.capacity) throw new InvalidPlanError('completing the stop leaves an impossible load')
  return {
    plan: { ...plan, position: stop.location, time, onboard, stops: plan.stops.slice(1) },
    served: { stop, time }
  }
}

/**
 * Moves the vehicle along its plan at the oracle's travel times until
 * `untilTime`: every stop reached by then is completed, in order. The
 * vehicle is then reported at the last stop it made, at the time it got
 * there, because between stops only the node (with the route geometry)
 * knows where it is; refine with {@link moveVehicle}. A vehicle with no
 * stop left waits where it is, so its time becomes `untilTime`.
 */
export function advancePlan (plan: VehiclePlan, oracle: TravelTimeOracle, untilTime: number): { plan: VehiclePlan, served: ServedStop[] } {
  const served: ServedStop[] = []
  let current = plan
  while (current.stops.length > 0) {
    const next = current.stops[0]
    const leg = current.position === next.location ? 0 : oracle.time(current.position, next.location)
    const at = current.time + leg
    if (!(at <= untilTime)) break
    const r = completeNextStop(current, at)
    served.push(r.served)
    current = r.plan
  }
  if (current.stops.length === 0 && current.time < untilTime) current = { ...current, time: untilTime }
  return { plan: current, served }
}

/** What {@link planRoute} needs of a router (the routing `Router` fits). */
export interface RouteSource {
  route: (from: number, to: number) => { distanceM: number, durationS: number, nodes: number[] } | null
}

/** The road path a vehicle follows to make its stops. */
export interface PlanRoute {
  /** Vertices from the vehicle's position through every stop, each junction once. */
  readonly nodes: number[]
  /** One per stop: the leg that ends at it. */
  readonly legs: Array<{
    /** Index in `nodes` where the leg starts (its end is the next leg's start, or the last node). */
    readonly startIndex: number
    readonly distanceM: number
    readonly durationS: number
  }>
  /** Whole route, metres. */
  readonly distanceM: number
  /** Whole route, seconds. */
  readonly durationS: number
}

/**
 * The road path through a plan's stops, for moving the vehicle along it and
 * for distance-based payments.
 *
 * @throws InvalidPlanError if a stop cannot be reached
 */
export function planRoute (plan: VehiclePlan, router: RouteSource): PlanRoute {
  const nodes: number[] = [plan.position]
  const legs: Array<{ startIndex: number, distanceM: number, durationS: number }> = []
  let distanceM = 0
  let durationS = 0
  let at = plan.position
  for (let k = 0; k < plan.stops.length; k++) {
    const to = plan.stops[k].location
    const startIndex = nodes.length - 1
    if (to === at) {
      legs.push({ startIndex, distanceM: 0, durationS: 0 })
      continue
    }
    const r = router.route(at, to)
    if (r == null) throw new InvalidPlanError(`stop ${k} cannot be reached from the point before it`)
    for (let i = 1; i < r.nodes.length; i++) nodes.push(r.nodes[i])
    legs.push({ startIndex, distanceM: r.distanceM, durationS: r.durationS })
    distanceM += r.distanceM
    durationS += r.durationS
    at = to
  }
  return { nodes, legs, distanceM, durationS }
}
