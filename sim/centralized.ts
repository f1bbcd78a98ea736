import { logger } from '@libp2p/logger'
import { haversineM, insertRequest, preparePlan, quoteFare } from '../matching/index.js'
import { SimulationError } from './errors.js'
import { EventScheduler } from './event-scheduler.js'
import { Vehicle, initialPositions } from './vehicle.js'
import type { TripRequest } from './demand.js'
import type { RequestRecord, RunRecords } from './records.js'
import type { FareModel, Insertion, PreparedPlan, RoadGraph, Router, ServedStop } from '../matching/index.js'
import type { AbortOptions } from '@libp2p/interface'

const log = logger('hitch:sim:centralized')

/** Options of {@link runCentralized} */
export interface CentralizedOptions {
  /** Fleet size */
  drivers: number
  /** Seats per vehicle */
  seats: number
  /** Pending requests are assigned every batchS seconds. @default 30 */
  batchS?: number
  /** A rider not assigned and picked up within this many seconds gives up */
  patienceS: number
  maxDetourFactor: number
  detourSlackS: number
  fare: FareModel
  /** Requests arrive during this many seconds */
  durationS: number
  /** Extra seconds for rides under way to finish. @default 3600 */
  drainS?: number
  /** Seed of the fleet's starting positions (the decentralized run uses the same) */
  seed: number
}

/** Progress of a run, in simulated time */
export interface RunProgress {
  run: 'centralized' | 'decentralized'
  simS: number
  totalS: number
  served: number
  cancelled: number
  requests: number
  /** the clock's current rate (simulated s per real s) of a libp2p run, which slows down while its event loop lags */
  speedUp?: number
}

/** Options of a run that waits */
export interface RunOptions extends AbortOptions {
  onProgress?: (progress: RunProgress) => void
}

/** What the dispatcher needs of a map */
export interface DispatchMap {
  graph: RoadGraph
  router: Router
}

/** @default 30 */
export const DEFAULT_BATCH_S = 30
/** @default 3600 */
export const DEFAULT_DRAIN_S = 3600

/** The fastest speed of any edge, m/s: no route can beat straight line / this */
function maxSpeed (graph: RoadGraph): number {
  let best = 0
  for (let e = 0; e < graph.numEdges; e++) {
    const v = graph.distCm[e] * 10 / graph.timeMs[e]
    if (v > best) best = v
  }
  return best > 0 ? best : 1
}

/** Blank records of every request, with their direct routes */
export function initialRecords (map: DispatchMap, requests: readonly TripRequest[]): RequestRecord[] {
  const g = map.graph
  return requests.map(r => {
    const route = map.router.route(r.pickup, r.dropoff)
    return {
      id: r.id,
      status: 'cancelled',
      requestTimeS: r.timeS,
      assignTimeS: null,
      matchWallMs: null,
      pickupTimeS: null,
      dropoffTimeS: null,
      directTimeS: route?.durationS ?? Infinity,
      directDistanceM: route?.distanceM ?? Infinity,
      inCarS: null,
      fareCents: null,
      pooled: false,
      vehicle: null,
      seats: r.seats,
      pickupLat: g.lat[r.pickup],
      pickupLon: g.lon[r.pickup],
      dropoffLat: g.lat[r.dropoff],
      dropoffLon: g.lon[r.dropoff]
    }
  })
}

/**
 * The centralized baseline: one dispatcher that sees every vehicle and every
 * request. Every `batchS` seconds it moves the fleet along its routes,
 * evaluates `insertRequest` of each pending request into each vehicle's plan
 * (the same insertion and fares the peers use) and assigns greedily, the
 * pair with the least added time first, until no pending request fits.
 * A rider not assigned within its patience cancels. Runs on an
 * {@link EventScheduler}; deterministic for its inputs.
 *
 * @throws {SimulationError} when aborted
 */
export async function runCentralized (map: DispatchMap, requests: readonly TripRequest[], opts: CentralizedOptions, run: RunOptions = {}): Promise<RunRecords> {
  const wallStart = performance.now()
  const cpuStart = process.cpuUsage()
  let peakRss = process.memoryUsage().rss
  const batchS = opts.batchS ?? DEFAULT_BATCH_S
  const drainS = opts.drainS ?? DEFAULT_DRAIN_S
  const endS = opts.durationS + drainS
  const { graph, router } = map
  const vmax = maxSpeed(graph)
  const scheduler = new EventScheduler()
  const records = initialRecords(map, requests)
  const byId = new Map(records.map((r, i) => [r.id, { record: r, request: requests[i] }]))
  const positions = initialPositions(graph, opts.drivers, opts.seed)
  const fleet = positions.map((position, i) => new Vehicle({ id: `v${i}`, position, capacity: opts.seats, time: 0, graph, router }))
  const assigned = new Set<string>()
  const cancelled = new Set<string>()
  let nextArrival = 0
  const pending: TripRequest[] = []
  let served = 0

  const onServed = (vehicle: Vehicle, stops: ServedStop[]): void => {
    for (const s of stops) {
      const entry = byId.get(s.stop.requestId)
      if (entry == null) continue
      const rec = entry.record
      if (s.stop.kind === 'pickup') {
        rec.pickupTimeS = s.time
      } else {
        rec.dropoffTimeS = s.time
        rec.inCarS = s.time - (rec.pickupTimeS ?? s.time)
        rec.status = 'served'
        rec.pooled = vehicle.wasShared(rec.id)
        served++
      }
    }
  }

  for (const r of requests) {
    // a rider gives up once the wait limit passes without a confirmation
    scheduler.scheduleAt((r.timeS + opts.patienceS) * 1000, () => {
      if (!assigned.has(r.id)) cancelled.add(r.id)
    })
  }

  const batch = (): void => {
    const t = scheduler.now() / 1000
    const wall0 = performance.now()
    for (const v of fleet) onServed(v, v.advanceTo(t))
    while (nextArrival < requests.length && requests[nextArrival].timeS <= t) pending.push(requests[nextArrival++])
    for (let i = pending.length - 1; i >= 0; i--) {
      if (cancelled.has(pending[i].id)) pending.splice(i, 1)
    }
    if (pending.length === 0) return

    const prepared = new Map<Vehicle, PreparedPlan>()
    const prep = (v: Vehicle): PreparedPlan => {
      let p = prepared.get(v)
      if (p == null) {
        p = preparePlan(v.planAt(t), router)
        prepared.set(v, p)
      }
      return p
    }
    const evaluate = (r: TripRequest, v: Vehicle): Insertion | null => {
      const p = prep(v)
      const latest = r.timeS + opts.patienceS
      const crow = haversineM(graph.lat[p.plan.position], graph.lon[p.plan.position], graph.lat[r.pickup], graph.lon[r.pickup])
      if (p.plan.time + crow / vmax > latest) return null
      const res = insertRequest(p, {
        id: r.id,
        pickup: r.pickup,
        dropoff: r.dropoff,
        seats: r.seats,
        requestTime: r.timeS,
        maxWaitS: opts.patienceS,
        maxDetourFactor: opts.maxDetourFactor,
        detourSlackS: opts.detourSlackS
      }, router)
      return res.ok ? res.insertion : null
    }

    // table[i][j]: the insertion of pending request i into vehicle j
    const table = pending.map(r => fleet.map(v => evaluate(r, v)))
    const done = new Set<number>()
    for (;;) {
      let bi = -1
      let bj = -1
      for (let i = 0; i < pending.length; i++) {
        if (done.has(i)) continue
        for (let j = 0; j < fleet.length; j++) {
          const ins = table[i][j]
          if (ins == null) continue
          const best = bi < 0 ? null : table[bi][bj]
          if (best == null || ins.addedTimeS < best.addedTimeS) { bi = i; bj = j }
        }
      }
      if (bi < 0) break
      const ins = table[bi][bj] as Insertion
      const r = pending[bi]
      const v = fleet[bj]
      v.setPlan(ins.plan)
      prepared.delete(v)
      done.add(bi)
      assigned.add(r.id)
      const rec = (byId.get(r.id) as { record: RequestRecord }).record
      rec.assignTimeS = t
      rec.matchWallMs = performance.now() - wall0
      rec.vehicle = v.id
      rec.status = 'unfinished'
      rec.fareCents = quoteFare(opts.fare, { directDistanceM: rec.directDistanceM, directDurationS: ins.directTimeS, pooled: ins.shared })
      for (let i = 0; i < pending.length; i++) {
        if (!done.has(i)) table[i][bj] = evaluate(pending[i], v)
      }
    }
    for (const i of [...done].sort((a, b) => b - a)) pending.splice(i, 1)
  }

  let k = 1
  for (;;) {
    const t = k * batchS
    scheduler.scheduleAt(t * 1000, batch)
    scheduler.runUntil(t * 1000)
    k++
    const busy = fleet.some(v => !v.isIdle())
    const open = nextArrival < requests.length || pending.length > 0
    if (t >= endS || (t >= opts.durationS && !busy && !open)) break
    if (k % 20 === 0) {
      run.onProgress?.({ run: 'centralized', simS: t, totalS: opts.durationS, served, cancelled: cancelled.size, requests: requests.length })
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
      // let the caller's signal and progress output through
      await new Promise<void>(resolve => { setImmediate(resolve) })
      if (run.signal?.aborted === true) throw new SimulationError('the centralized run was aborted')
    }
  }
  const endT = scheduler.now() / 1000
  for (const v of fleet) onServed(v, v.advanceTo(endT))
  run.onProgress?.({ run: 'centralized', simS: endT, totalS: opts.durationS, served, cancelled: cancelled.size, requests: requests.length })
  const cpu = process.cpuUsage(cpuStart)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  log('centralized: %d of %d served in %d simulated s', served, requests.length, endT)
  return {
    kind: 'centralized',
    requests: records,
    vehicles: fleet.map(v => v.record()),
    nodes: [],
    payments: null,
    simulatedS: endT,
    wallMs: performance.now() - wallStart,
    cpuUs: cpu.user + cpu.system,
    peakRssBytes: peakRss,
    processes: 1,
    notes: []
  }
}
