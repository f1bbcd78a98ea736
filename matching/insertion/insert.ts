import { InvalidRequestError } from './errors.js'
import { PROMISE_TOLERANCE_S, isPreparedPlan, preparePlan } from './plan.js'
import type { PreparedPlan, Stop, VehiclePlan } from './plan.js'
import type { TravelTimeOracle } from '../routing/oracle.js'

/** A ride to fit into a vehicle's plan. Times are seconds on the plan's timeline. */
export interface RideRequest {
  /** Unique id of the ride; becomes the `requestId` of its two stops. */
  readonly id: string
  /** Vertex where the rider boards. */
  readonly pickup: number
  /** Vertex where the rider leaves. */
  readonly dropoff: number
  /**
   * Seats the ride takes.
   *
   * @default 1
   */
  readonly seats?: number
  /** When the rider asked; the wait limit counts from here. */
  readonly requestTime: number
  /** Pickup no later than `requestTime + maxWaitS`. Defaults to {@link InsertionOptions.maxWaitS}. */
  readonly maxWaitS?: number
  /**
   * Time in the car at most `maxDetourFactor × direct time + detourSlackS`.
   * Defaults to {@link InsertionOptions.maxDetourFactor}.
   */
  readonly maxDetourFactor?: number
  /** Absolute allowance added to the in-car limit. Defaults to {@link InsertionOptions.detourSlackS}. */
  readonly detourSlackS?: number
  /**
   * A dropoff time (same clock as `requestTime`) the rider was already promised: the ride may
   * also end by then, however long that keeps the rider in the car. For a ride the vehicle is
   * committed to, whose in-car limit must not undo what it confirmed.
   */
  readonly latestDropoffTime?: number
}

/** Limits used for requests that do not set their own. */
export interface InsertionOptions {
  /**
   * Longest a rider waits for pickup after asking, seconds.
   *
   * @default 600
   */
  maxWaitS?: number
  /**
   * Longest ride, as a multiple of the direct (unshared) travel time.
   *
   * @default 1.5
   */
  maxDetourFactor?: number
  /**
   * Seconds added to `maxDetourFactor × direct`, so that a very short ride
   * may still absorb a small detour.
   *
   * @default 120
   */
  detourSlackS?: number
}

export const DEFAULT_MAX_WAIT_S = 600
export const DEFAULT_MAX_DETOUR_FACTOR = 1.5
export const DEFAULT_DETOUR_SLACK_S = 120

/** Why a request could not be inserted. See {@link insertRequest} for how one is chosen. */
export type InsertionRejection = 'no-seats' | 'unreachable' | 'would-delay-others' | 'wait-exceeded' | 'detour-exceeded'

/**
 * The checks every candidate position goes through, in order. A rejected
 * request reports the furthest check any candidate got to.
 */
const STAGES: readonly InsertionRejection[] = ['no-seats', 'unreachable', 'wait-exceeded', 'would-delay-others', 'detour-exceeded']
const S_SEATS = 0
const S_REACH = 1
const S_WAIT = 2
const S_OTHERS = 3
const S_DETOUR = 4

/** The best place found for a ride in a plan. */
export interface Insertion {
  /** Index of the new pickup in `plan.stops`. */
  readonly pickupIndex: number
  /** Index of the new dropoff in `plan.stops` (always after the pickup). */
  readonly dropoffIndex: number
  /** How much longer the vehicle's whole plan takes, seconds. */
  readonly addedTimeS: number
  /** When the rider is picked up, seconds. */
  readonly pickupTime: number
  /** When the rider is set down, seconds. */
  readonly dropoffTime: number
  /** Travel time of the direct route pickup → dropoff, seconds. */
  readonly directTimeS: number
  /** Whether another rider is aboard during some part of this ride (for pooled pricing). */
  readonly shared: boolean
  /**
   * The new plan. Its new pickup promises `requestTime + maxWaitS`, its new
   * dropoff `pickupTime + maxDetourFactor × direct + detourSlackS` (or its
   * `latestDropoffTime`, if later): later
   * insertions can only delay the pickup, so this keeps the in-car limit.
   */
  readonly plan: VehiclePlan
}

export type InsertionResult =
  | { readonly ok: true, readonly insertion: Insertion, readonly candidates: number }
  | { readonly ok: false, readonly reason: InsertionRejection, readonly candidates: number }

function checkRequest (request: RideRequest, seats: number, maxWait: number, factor: number, slackS: number): void {
  if (!Number.isInteger(request.pickup) || request.pickup < 0) throw new InvalidRequestError('pickup is not a vertex id')
  if (!Number.isInteger(request.dropoff) || request.dropoff < 0) throw new InvalidRequestError('dropoff is not a vertex id')
  if (!Number.isInteger(seats) || seats < 1) throw new InvalidRequestError('seats is not a positive integer')
  if (!Number.isFinite(request.requestTime)) throw new InvalidRequestError('requestTime is not finite')
  if (!(maxWait >= 0)) throw new InvalidRequestError('maxWaitS is negative')
  if (!(factor >= 1)) throw new InvalidRequestError('maxDetourFactor is below 1')
  if (!(slackS >= 0)) throw new InvalidRequestError('detourSlackS is negative')
  if (request.latestDropoffTime !== undefined && !Number.isFinite(request.latestDropoffTime)) throw new InvalidRequestError('latestDropoffTime is not finite')
}

/**
 * Finds the cheapest way to add a ride to a vehicle's plan: a pickup at
 * position i and a dropoff at position j ≥ i of the stop list. A position
 * is feasible when
 * - the seats occupied never exceed the capacity while the rider is aboard,
 * - every stop already in the plan is still reached by its promise (a stop
 *   already late may not be delayed further),
 * - the rider is picked up by `requestTime + maxWaitS`,
 * - the rider's time in the car is at most `maxDetourFactor × direct +
 *   detourSlackS`, or the rider is dropped off by `latestDropoffTime`.
 *
 * The best position adds the least travel time to the whole plan; ties go
 * to the earlier pickup, then to the lower (i, j).
 *
 * When no position is feasible, each candidate is taken through the checks
 * in the order seats → reachable (finite travel times) → rider's wait →
 * others' promises → rider's detour, and the reason reported is the
 * furthest check any candidate reached, i.e. the one that stopped the
 * candidate closest to feasible:
 * - `no-seats`: no position has room for the ride's seats;
 * - `unreachable`: every position with room needs a road that does not exist;
 * - `wait-exceeded`: no position with room picks the rider up in time (the
 *   vehicle is too far, or too busy before it could come);
 * - `would-delay-others`: some positions pick up in time, but every one of
 *   them breaks a promise made to another rider;
 * - `detour-exceeded`: some positions pick up in time and keep every
 *   promise, but all of them make this rider's own ride too long.
 *
 * Times: arrivals are counted from `plan.time`, so keep it current (an idle
 * vehicle's plan should carry the time of the request). The rider is taken
 * to be ready from the moment of the request: a vehicle never waits at a
 * pickup, and requests booked ahead of time are not modelled.
 *
 * Cost: four batched oracle calls (to and from the pickup and the dropoff
 * over the plan's points) plus the plan's legs, which a {@link PreparedPlan}
 * caches between requests; then O(n²) arithmetic with early exits.
 *
 * @throws InvalidRequestError if the request is malformed
 * @throws InvalidPlanError if a bare plan is inconsistent
 */
export function insertRequest (plan: VehiclePlan | PreparedPlan, request: RideRequest, oracle: TravelTimeOracle, opts: InsertionOptions = {}): InsertionResult {
  const seats = request.seats ?? 1
  const maxWait = request.maxWaitS ?? opts.maxWaitS ?? DEFAULT_MAX_WAIT_S
  const factor = request.maxDetourFactor ?? opts.maxDetourFactor ?? DEFAULT_MAX_DETOUR_FACTOR
  const detourSlack = request.detourSlackS ?? opts.detourSlackS ?? DEFAULT_DETOUR_SLACK_S
  checkRequest(request, seats, maxWait, factor, detourSlack)

  const prepared = isPreparedPlan(plan) ? plan : preparePlan(plan, oracle)
  const { points, legs, arrival, load, slack } = prepared
  const base = prepared.plan
  const stops = base.stops
  const n = stops.length
  const cap = base.capacity
  for (const s of stops) {
    if (s.requestId === request.id) throw new InvalidRequestError(`ride ${request.id} is already in the plan`)
  }

  // Seats first: it needs no travel time at all.
  let roomy = false
  for (let i = 0; i <= n && !roomy; i++) roomy = load[i] + seats <= cap
  if (!roomy) return { ok: false, reason: 'no-seats', candidates: 0 }

  const P = request.pickup
  const D = request.dropoff
  const tail = points.subarray(1)
  const toP = oracle.timesTo(points, P) // p_k → P, k = 0..n
  const fromTargets = new Int32Array(n + 1)
  fromTargets.set(tail)
  fromTargets[n] = D
  const fromP = oracle.timesFrom(P, fromTargets) // P → p_{k+1} at k, P → D at n
  const direct = fromP[n]
  const toD = n > 0 ? oracle.timesTo(tail, D) : new Float64Array(0) // p_{k+1} → D at k
  const fromD = n > 0 ? oracle.timesFrom(D, tail) : new Float64Array(0) // D → p_{k+1} at k

  const latestPickup = request.requestTime + maxWait
  const maxInCar = factor * direct + detourSlack
  const promisedDrop = request.latestDropoffTime ?? -Infinity
  /** Latest dropoff for a pickup at `pickupTime`. */
  const dropBy = (pickupTime: number): number => Math.max(pickupTime + maxInCar, promisedDrop)
  const EPS = PROMISE_TOLERANCE_S

  let stage = S_SEATS
  let candidates = 0
  let found = false
  let bestI = -1
  let bestJ = -1
  let bestAdded = Infinity
  let bestPickup = Infinity
  let bestDrop = Infinity

  const consider = (i: number, j: number, added: number, pickupTime: number, dropTime: number): void => {
    if (!found || added < bestAdded - EPS || (added <= bestAdded + EPS && pickupTime < bestPickup - EPS)) {
      found = true
      bestI = i; bestJ = j; bestAdded = added; bestPickup = pickupTime; bestDrop = dropTime
    }
  }

  for (let i = 0; i <= n; i++) {
    if (load[i] + seats > cap) continue
    const tP = toP[i]
    const pickupTime = arrival[i] + tP
    const waitOk = pickupTime <= latestPickup + EPS
    // Every candidate with this pickup stops at the wait check at best; if a
    // candidate already got that far, none of them can change the answer.
    if (!waitOk && (found || stage >= S_WAIT)) continue

    // Dropoff right after the pickup: p_i → P → D → p_{i+1}.
    candidates++
    {
      const back = i < n ? fromD[i] : 0
      if (!Number.isFinite(tP) || !Number.isFinite(direct) || !Number.isFinite(back)) {
        if (stage < S_REACH) stage = S_REACH
      } else if (!waitOk) {
        if (stage < S_WAIT) stage = S_WAIT
      } else {
        const added = tP + direct + back - (i < n ? legs[i] : 0)
        if (added > slack[i + 1] + EPS) {
          if (stage < S_OTHERS) stage = S_OTHERS
        } else if (pickupTime + direct > dropBy(pickupTime) + EPS) {
          stage = S_DETOUR
        } else {
          consider(i, i, added, pickupTime, pickupTime + direct)
        }
      }
    }
    if (i === n) continue

    // Dropoff after a later stop j: p_i → P → p_{i+1} … p_j → D → p_{j+1}.
    const toNext = fromP[i]
    const reachP = Number.isFinite(tP) && Number.isFinite(toNext) && Number.isFinite(direct)
    const detourP = tP + toNext - legs[i]
    // Nothing after this pickup can be cheaper than its own detour.
    if (found && detourP > bestAdded + EPS) continue
    let minOwn = Infinity // least own slack of points i+1..j
    for (let j = i + 1; j <= n; j++) {
      if (load[j] + seats > cap) break // the rider would overfill the car here and at any later j
      candidates++
      const own = Math.max(0, stops[j - 1].latest - arrival[j])
      if (own < minOwn) minOwn = own
      const tD = toD[j - 1]
      const back = j < n ? fromD[j] : 0
      if (!reachP || !Number.isFinite(tD) || !Number.isFinite(back)) {
        if (stage < S_REACH) stage = S_REACH
        continue
      }
      if (!waitOk) {
        if (stage < S_WAIT) stage = S_WAIT
        continue
      }
      if (detourP > minOwn + EPS) {
        // The stops between pickup and dropoff are delayed by detourP, and a
        // later j only adds stops: every later j breaks a promise too, and
        // none of them can get further through the checks than this one.
        if (stage < S_OTHERS) stage = S_OTHERS
        break
      }
      const added = detourP + tD + back - (j < n ? legs[j] : 0)
      if (added > slack[j + 1] + EPS) {
        if (stage < S_OTHERS) stage = S_OTHERS
        continue
      }
      const dropTime = arrival[j] + detourP + tD
      if (dropTime > dropBy(pickupTime) + EPS) {
        stage = S_DETOUR
        continue
      }
      consider(i, j, added, pickupTime, dropTime)
    }
  }

  if (!found) return { ok: false, reason: STAGES[stage], candidates }

  const pickupStop: Stop = { kind: 'pickup', requestId: request.id, location: P, seats, latest: latestPickup }
  const dropoffStop: Stop = { kind: 'dropoff', requestId: request.id, location: D, seats, latest: dropBy(bestPickup) }
  const newStops: Stop[] = [
    ...stops.slice(0, bestI),
    pickupStop,
    ...stops.slice(bestI, bestJ),
    dropoffStop,
    ...stops.slice(bestJ)
  ]
  let shared = false
  for (let m = bestI; m <= bestJ && !shared; m++) shared = load[m] > 0
  return {
    ok: true,
    candidates,
    insertion: {
      pickupIndex: bestI,
      dropoffIndex: bestJ + 1,
      addedTimeS: bestAdded,
      pickupTime: bestPickup,
      dropoffTime: bestDrop,
      directTimeS: direct,
      shared,
      plan: { ...base, stops: newStops }
    }
  }
}
