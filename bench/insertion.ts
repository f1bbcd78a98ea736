/**
 * `npm run bench -- insertion [--requests N] [--vehicles N] [--seed S] [--map path]`
 *
 * How many ride requests a driver can check per second against its plan on a
 * real map with the real router: a 4-seat vehicle with two passengers aboard
 * (their dropoffs in the plan with realistic promises), random requests from
 * a fixed seed, each answered with the best insertion or a rejection. The
 * plan's legs are prepared once per vehicle (a driver keeps them between
 * requests), so a check is four batched oracle calls plus the search.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { mulberry32, randomInt } from '../matching/graph/index.js'
import { insertRequest, preparePlan } from '../matching/insertion/index.js'
import type { InsertionRejection, PreparedPlan, RideRequest, VehiclePlan } from '../matching/insertion/index.js'
import { Router } from '../matching/routing/index.js'
import type { TravelTimeOracle } from '../matching/routing/index.js'
import { loadMap } from '../node/map/index.js'

/** `../shared/data/maps/manhattan-midtown.osm.pbf` beside the project root, from `bench/` (tsx) or `dist/bench/`. */
function defaultMap (): string {
  let dir = import.meta.dirname
  for (let i = 0; i < 4 && !existsSync(resolve(dir, 'package.json')); i++) dir = dirname(dir)
  return resolve(dir, '..', 'shared', 'data', 'maps', 'manhattan-midtown.osm.pbf')
}

interface Args { requests: number, vehicles: number, seed: number, map: string }

function parseArgs (args: string[]): Args {
  const out: Args = { requests: 20_000, vehicles: 200, seed: 42, map: defaultMap() }
  for (let i = 0; i < args.length; i++) {
    const v = args[i + 1]
    switch (args[i]) {
      case '--requests': out.requests = Number(v); i++; break
      case '--vehicles': out.vehicles = Number(v); i++; break
      case '--seed': out.seed = Number(v); i++; break
      case '--map': out.map = resolve(v); i++; break
      default: throw new Error(`unknown argument ${args[i]}`)
    }
  }
  return out
}

/** Counts oracle calls on the way through, to report calls per check. */
class CountingOracle implements TravelTimeOracle {
  calls = 0
  constructor (private readonly inner: TravelTimeOracle) {}
  time (from: number, to: number): number { this.calls++; return this.inner.time(from, to) }
  timesFrom (s: number, t: ArrayLike<number>): Float64Array { this.calls++; return this.inner.timesFrom(s, t) }
  timesTo (s: ArrayLike<number>, t: number): Float64Array { this.calls++; return this.inner.timesTo(s, t) }
}

/**
 * A vehicle with two riders aboard, each promised `1.5 × direct + 120 s`
 * from now to its dropoff (the default detour limit), or at least a minute
 * more than the plan needs, so that the plan starts out keeping its promises.
 */
function vehicleWithTwoAboard (rand: () => number, n: number, oracle: TravelTimeOracle, extraStops: number): VehiclePlan {
  const position = randomInt(rand, n)
  const time = 0
  const stops: Array<VehiclePlan['stops'][number]> = []
  let at = position
  let t = time
  for (let k = 0; k < 2 + extraStops; k++) {
    const location = randomInt(rand, n)
    t += oracle.time(at, location)
    at = location
    const direct = oracle.time(position, location)
    stops.push({ kind: 'dropoff', requestId: `aboard${k}`, location, seats: 1, latest: Math.max(t + 60, time + 1.5 * direct + 120) })
  }
  return { position, time, capacity: 4, onboard: stops.length, stops }
}

interface Row {
  scenario: string
  checks: number
  seconds: number
  candidates: number
  feasible: number
  oracleCalls: number
  reasons: Map<InsertionRejection, number>
}

function runScenario (scenario: string, plans: PreparedPlan[], requests: RideRequest[][], oracle: CountingOracle): Row {
  const row: Row = { scenario, checks: 0, seconds: 0, candidates: 0, feasible: 0, oracleCalls: 0, reasons: new Map() }
  const calls0 = oracle.calls
  const t0 = performance.now()
  for (let v = 0; v < plans.length; v++) {
    const prepared = plans[v]
    for (const request of requests[v]) {
      const r = insertRequest(prepared, request, oracle)
      row.checks++
      row.candidates += r.candidates
      if (r.ok) row.feasible++
      else row.reasons.set(r.reason, (row.reasons.get(r.reason) ?? 0) + 1)
    }
  }
  row.seconds = (performance.now() - t0) / 1000
  row.oracleCalls = oracle.calls - calls0
  return row
}

export async function run (argv: string[]): Promise<void> {
  const args = parseArgs(argv)
  const t0 = performance.now()
  const { graph } = await loadMap(args.map, { cache: false })
  const t1 = performance.now()
  const router = Router.build(graph)
  const t2 = performance.now()
  const oracle = new CountingOracle(router)
  const n = graph.numNodes
  console.log(`map ${graph.meta.source}: ${n} vertices, ${graph.numEdges} edges; load ${(t1 - t0).toFixed(0)} ms, router build ${(t2 - t1).toFixed(0)} ms`)

  const perVehicle = Math.max(1, Math.round(args.requests / args.vehicles))
  const rand = mulberry32(args.seed)
  const scenarios: Array<{ name: string, extraStops: number, near: boolean }> = [
    { name: '2 aboard, uniform requests', extraStops: 0, near: false },
    { name: '2 aboard, pickups ≤ 5 min away', extraStops: 0, near: true },
    { name: '4 aboard (full), uniform', extraStops: 2, near: false }
  ]
  const rows: Row[] = []
  let prepareMs = 0
  let prepared = 0
  for (const sc of scenarios) {
    const plans: VehiclePlan[] = []
    const requests: RideRequest[][] = []
    for (let v = 0; v < args.vehicles; v++) {
      const plan = vehicleWithTwoAboard(rand, n, router, sc.extraStops)
      plans.push(plan)
      const near = sc.near ? nearVertices(router, n, plan.position, 300, rand) : null
      const list: RideRequest[] = []
      for (let k = 0; k < perVehicle; k++) {
        const pickup = near != null ? near[randomInt(rand, near.length)] : randomInt(rand, n)
        list.push({ id: `q${v}-${k}`, pickup, dropoff: randomInt(rand, n), requestTime: 0 })
      }
      requests.push(list)
    }
    const tp = performance.now()
    const preparedPlans = plans.map(p => preparePlan(p, oracle))
    prepareMs += performance.now() - tp
    prepared += plans.length
    // warm up the JIT on a slice, then measure the whole set
    runScenario('warm-up', preparedPlans.slice(0, 20), requests.slice(0, 20), oracle)
    rows.push(runScenario(sc.name, preparedPlans, requests, oracle))
  }

  const header = ['scenario', 'checks', 'checks/s', 'µs/check', 'candidates/s', 'cand./check', 'oracle calls/check', 'feasible']
  const table = rows.map(r => [
    r.scenario,
    String(r.checks),
    Math.round(r.checks / r.seconds).toLocaleString('en-US'),
    (r.seconds * 1e6 / r.checks).toFixed(1),
    Math.round(r.candidates / r.seconds).toLocaleString('en-US'),
    (r.candidates / r.checks).toFixed(1),
    (r.oracleCalls / r.checks).toFixed(2),
    `${(100 * r.feasible / r.checks).toFixed(1)} %`
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...table.map(t => t[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')
  console.log(`\ninsertion checks (seed ${args.seed}, ${args.vehicles} vehicles × ${perVehicle} requests per scenario, default limits: wait 600 s, detour 1.5× + 120 s)`)
  console.log(line(header))
  console.log(widths.map(w => '-'.repeat(w)).join('  '))
  for (const t of table) console.log(line(t))
  console.log('\nrejections:')
  for (const r of rows) {
    const parts = [...r.reasons.entries()].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${(100 * c / r.checks).toFixed(1)} %`)
    console.log(`  ${r.scenario}: ${parts.join(', ')}`)
  }
  console.log(`\npreparePlan: ${(prepareMs * 1000 / prepared).toFixed(1)} µs per plan (${prepared} plans, once per plan change)`)
  const total = rows.reduce((a, r) => a + r.checks, 0)
  const secs = rows.reduce((a, r) => a + r.seconds, 0)
  console.log(`overall: ${Math.round(total / secs).toLocaleString('en-US')} insertion checks/s (target ≥ 10,000)`)
}

/** Vertices the vehicle at `center` reaches within `seconds`, or the whole map when too few. */
function nearVertices (oracle: TravelTimeOracle, n: number, center: number, seconds: number, rand: () => number): number[] {
  // sample instead of timing every vertex: a few hundred candidates are enough
  const sample = Int32Array.from({ length: 400 }, () => randomInt(rand, n))
  const t = oracle.timesFrom(center, sample)
  const near: number[] = []
  for (let k = 0; k < sample.length; k++) if (t[k] <= seconds) near.push(sample[k])
  return near.length > 0 ? near : Array.from(sample)
}
