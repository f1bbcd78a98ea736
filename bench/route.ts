/**
 * `npm run bench -- route [--map FILE.osm.pbf] [--pairs N] [--seed S] [--by time|distance] [--astar-pairs N]`
 *
 * Prepares the contraction-hierarchy router on a real map and times point
 * queries on random vertex pairs against ngraph.path's A* (haversine
 * heuristic, scaled so it never overestimates) on the same pairs, checking
 * that both find the same distances. Also times the one-to-many and
 * many-to-one tables that insertion asks for.
 */
import { readFileSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import createGraph from 'ngraph.graph'
import ngraphPath from 'ngraph.path'
import { haversineM, mulberry32, parseOsmPbf } from '../matching/graph/index.js'
import { ChQuery, ContractionHierarchy, Router } from '../matching/routing/index.js'
import type { Metric, RoadGraph } from '../matching/graph/index.js'

const DEFAULT_PAIRS = 10_000
const DEFAULT_SEED = 1
/** Table calls timed for one-to-many / many-to-one. */
const TABLE_CALLS = 20_000
/** Points per table call (a vehicle plan's stops plus the new request). */
const TABLE_POINTS = 6
/** Distinct stops the table calls draw from: about 100 vehicles' plans. */
const STOP_POOL = 600

function defaultMap (): string {
  // From bench/ or dist/bench/: the project root holds package.json; ../shared/data sits beside it.
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 4; i++) {
    try {
      statSync(resolve(dir, 'package.json'))
      break
    } catch { dir = dirname(dir) }
  }
  return resolve(dir, '..', 'shared', 'data', 'maps', 'monaco.osm.pbf')
}

/** A `gc()` even when node was started without --expose-gc, for honest memory deltas. */
function gcFunction (): () => void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as (() => void) | undefined
  return gc ?? (() => {})
}

function quantile (sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

function fmt (x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : String(x)
}

function mb (bytes: number): string {
  return (bytes / 1048576).toFixed(1) + ' MB'
}

interface Timing { medianUs: number, p99Us: number, meanUs: number, perSecond: number }

/** Times `fn(i)` for i in 0..count-1, each call alone, in microseconds. */
function timeEach (count: number, fn: (i: number) => void): Timing {
  const us = new Float64Array(count)
  let total = 0
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint()
    fn(i)
    const t = Number(process.hrtime.bigint() - t0) / 1000
    us[i] = t
    total += t
  }
  us.sort()
  return { medianUs: quantile(us, 0.5), p99Us: quantile(us, 0.99), meanUs: total / count, perSecond: count / (total / 1e6) }
}

/**
 * The ngraph.path A* baseline on the same integer weights. Its heuristic is
 * the great-circle distance divided by the largest ratio of great-circle
 * length to weight over all edges: a lower bound on any path's weight, and
 * consistent, so A* stays exact.
 */
function makeAStar (g: RoadGraph, metric: Metric): { find: (s: number, t: number) => number } {
  const w = metric === 'time' ? g.timeMs : g.distCm
  const graph = createGraph<number, number>()
  for (let v = 0; v < g.numNodes; v++) graph.addNode(v, v)
  let maxRatio = 0
  for (let u = 0; u < g.numNodes; u++) {
    for (let e = g.firstOut[u]; e < g.firstOut[u + 1]; e++) {
      const v = g.head[e]
      if (v === u) continue
      const existing = graph.getLink(u, v)
      if (existing == null || w[e] < existing.data) graph.addLink(u, v, w[e])
      const ratio = haversineM(g.lat[u], g.lon[u], g.lat[v], g.lon[v]) * 100 / w[e]
      if (ratio > maxRatio) maxRatio = ratio
    }
  }
  const { lat, lon } = g
  // A hair below the bound, for floating-point noise in haversine.
  const scale = maxRatio > 0 ? 1 / (maxRatio * (1 + 1e-9)) : 0
  const finder = ngraphPath.aStar<number, number>(graph, {
    oriented: true,
    distance: (_a, _b, link) => link.data,
    heuristic: (a, b) => haversineM(lat[a.data], lon[a.data], lat[b.data], lon[b.data]) * 100 * scale
  })
  return {
    find (s: number, t: number): number {
      const path = finder.find(s, t)
      if (path.length === 0) return Infinity
      let sum = 0
      // The path runs from t back to s.
      for (let i = path.length - 1; i > 0; i--) {
        const link = graph.getLink(path[i].id, path[i - 1].id)
        sum += link?.data ?? NaN
      }
      return sum
    }
  }
}

/** `npm run bench -- route`. */
export async function run (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      map: { type: 'string' },
      pairs: { type: 'string' },
      seed: { type: 'string' },
      by: { type: 'string' },
      'astar-pairs': { type: 'string' }
    }
  })
  const mapPath = values.map ?? defaultMap()
  const pairs = Number(values.pairs ?? DEFAULT_PAIRS)
  const seed = Number(values.seed ?? DEFAULT_SEED)
  const metric = (values.by ?? 'time') as Metric
  if (metric !== 'time' && metric !== 'distance') throw new Error(`--by must be time or distance, not ${String(values.by)}`)
  if (!(Number.isInteger(pairs) && pairs > 0)) throw new Error('--pairs must be a positive integer')
  const astarPairs = Math.min(pairs, Number(values['astar-pairs'] ?? pairs))
  const gc = gcFunction()

  console.log(`route bench: ${mapPath}, ${pairs} pairs, seed ${seed}, by ${metric}`)

  // Preparation.
  let t0 = performance.now()
  const g = parseOsmPbf(readFileSync(mapPath))
  const importMs = performance.now() - t0
  gc()
  const mem0 = process.memoryUsage()
  t0 = performance.now()
  const router = Router.build(g)
  const buildMs = performance.now() - t0
  gc()
  const mem1 = process.memoryUsage()
  // The router builds both metrics; build each alone to split the time.
  const perMetricMs: Record<Metric, number> = { time: 0, distance: 0 }
  for (const m of ['time', 'distance'] as const) {
    const t = performance.now()
    ContractionHierarchy.build(g, m)
    perMetricMs[m] = performance.now() - t
  }
  const ch = router.hierarchy(metric)

  console.log('')
  console.log('preparation')
  console.log(`  graph          ${g.numNodes} vertices, ${g.numEdges} edges (import ${fmt(importMs, 0)} ms)`)
  console.log(`  CH build       both metrics ${fmt(buildMs, 0)} ms` +
    ` (alone: time ${fmt(perMetricMs.time, 0)} ms, distance ${fmt(perMetricMs.distance, 0)} ms)`)
  console.log(`  ${`CH (${metric})`.padEnd(15)}${ch.upHead.length} up + ${ch.downHead.length} down edges, ${mb(ch.byteLength)} of arrays`)
  const extrasBytes = Object.values(router.toExtras()).reduce((s, a) => s + a.byteLength, 0)
  console.log(`  extras         ${mb(extrasBytes)} (both metrics, as cached)`)
  console.log(`  memory delta   heap ${mb(mem1.heapUsed - mem0.heapUsed)}, RSS ${mb(mem1.rss - mem0.rss)}, array buffers ${mb(mem1.arrayBuffers - mem0.arrayBuffers)}`)

  // Pairs.
  const rand = mulberry32(seed)
  const src = new Uint32Array(pairs)
  const dst = new Uint32Array(pairs)
  for (let i = 0; i < pairs; i++) {
    src[i] = Math.floor(rand() * g.numNodes)
    dst[i] = Math.floor(rand() * g.numNodes)
  }

  const q = router.queries(metric)
  const chDist = new Float64Array(pairs)
  for (let i = 0; i < Math.min(pairs, 1000); i++) q.distance(src[i], dst[i]) // warm up the JIT
  const chT = timeEach(pairs, i => { chDist[i] = q.distance(src[i], dst[i]) })
  const pathT = timeEach(pairs, i => { router.route(src[i], dst[i], { metric }) })

  const astar = makeAStar(g, metric)
  const aDist = new Float64Array(astarPairs)
  for (let i = 0; i < Math.min(astarPairs, 20); i++) astar.find(src[i], dst[i])
  const aT = timeEach(astarPairs, i => { aDist[i] = astar.find(src[i], dst[i]) })
  let mismatches = 0
  let unreachable = 0
  for (let i = 0; i < astarPairs; i++) {
    if (aDist[i] !== chDist[i]) mismatches++
    if (chDist[i] === Infinity) unreachable++
  }

  console.log('')
  console.log(`point queries, ${metric} metric`)
  console.log('  engine                          pairs    median µs    p99 µs   mean µs    queries/s')
  const row = (name: string, n: number, t: Timing): void => {
    console.log(`  ${name.padEnd(30)}${String(n).padStart(7)}${fmt(t.medianUs).padStart(13)}${fmt(t.p99Us).padStart(10)}${fmt(t.meanUs).padStart(10)}${fmt(t.perSecond, 0).padStart(13)}`)
  }
  row('CH distance only', pairs, chT)
  row('CH route (unpacked path)', pairs, pathT)
  row('ngraph.path A* (haversine)', astarPairs, aT)
  console.log(`  speed-up (A* / CH)             median ${fmt(aT.medianUs / chT.medianUs, 0)}x, p99 ${fmt(aT.p99Us / chT.p99Us, 0)}x, mean ${fmt(aT.meanUs / chT.meanUs, 0)}x`)
  console.log(`  distances compared             ${astarPairs} pairs, ${mismatches} mismatches, ${unreachable} unreachable`)

  // Tables as insertion uses them: a request point against a few stops.
  const pool = new Uint32Array(STOP_POOL)
  for (let i = 0; i < STOP_POOL; i++) pool[i] = Math.floor(rand() * g.numNodes)
  const points = new Uint32Array(TABLE_CALLS)
  const stops: Uint32Array[] = []
  for (let i = 0; i < TABLE_CALLS; i++) {
    points[i] = Math.floor(rand() * g.numNodes)
    const s = new Uint32Array(TABLE_POINTS)
    for (let j = 0; j < TABLE_POINTS; j++) s[j] = pool[Math.floor(rand() * STOP_POOL)]
    stops.push(s)
  }
  const warm = router.queries(metric)
  const cold = new ChQuery(ch, { searchSpaceCacheSize: 0 })
  const fromWarm = timeEach(TABLE_CALLS, i => { warm.distancesFrom(points[i], stops[i]) })
  const toWarm = timeEach(TABLE_CALLS, i => { warm.distancesTo(stops[i], points[i]) })
  const fromCold = timeEach(TABLE_CALLS, i => { cold.distancesFrom(points[i], stops[i]) })
  const repeated = timeEach(TABLE_CALLS, i => { for (let j = 0; j < TABLE_POINTS; j++) q.distance(points[i], stops[i][j]) })
  console.log('')
  console.log(`tables, 1 x ${TABLE_POINTS} (${TABLE_CALLS} calls, stops from a pool of ${STOP_POOL})`)
  console.log('  query                           calls    median µs    p99 µs   mean µs      calls/s')
  row('one-to-many, cached spaces', TABLE_CALLS, fromWarm)
  row('many-to-one, cached spaces', TABLE_CALLS, toWarm)
  row('one-to-many, no cache', TABLE_CALLS, fromCold)
  row(`${TABLE_POINTS} point queries`, TABLE_CALLS, repeated)
}
