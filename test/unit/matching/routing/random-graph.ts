import type { RoadGraph } from '../../../../matching/graph/road-graph.js'

/** A small seeded PRNG (mulberry32), local so the routing tests stand alone. */
export function rng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface RandomGraphOptions {
  nodes: number
  /** Edges drawn per vertex (half rightwards, half downwards). @default 2 */
  degree?: number
  /** Share of roads that are one-way. @default 0.3 */
  oneway?: number
  /** Share of extra parallel edges. @default 0.05 */
  parallel?: number
  /** Small weights give many ties. @default 1000 */
  maxWeight?: number
}

/**
 * A random road-like graph: vertices on a jittered grid, each joined to
 * its right and lower neighbours and rarely to a farther vertex,
 * some one-way, some parallel edges, weights random integers. Not
 * necessarily strongly connected: some pairs are unreachable.
 */
export function randomGraph (seed: number, opts: RandomGraphOptions): RoadGraph {
  const r = rng(seed)
  const n = opts.nodes
  const degree = opts.degree ?? 2
  const oneway = opts.oneway ?? 0.3
  const parallel = opts.parallel ?? 0.05
  const maxW = opts.maxWeight ?? 1000
  const lat = new Float64Array(n)
  const lon = new Float64Array(n)
  const side = Math.ceil(Math.sqrt(n))
  for (let v = 0; v < n; v++) {
    lat[v] = 43.7 + (Math.floor(v / side) + r() * 0.5) * 0.001
    lon[v] = 7.4 + (v % side + r() * 0.5) * 0.001
  }
  const edges: Array<[number, number, number, number]> = []
  const w = (): number => 1 + Math.floor(r() * maxW)
  for (let u = 0; u < n; u++) {
    for (let k = 0; k < degree; k++) {
      // Grid neighbours (right or down), rarely a longer jump: local, like roads.
      const jump = r() < 0.97 ? (k % 2 === 0 ? 1 : side) : 1 + Math.floor(r() * 3 * side)
      const v = (u + jump) % n
      if (v === u) continue
      const d = w(); const t = w()
      edges.push([u, v, d, t])
      if (r() >= oneway) edges.push([v, u, d, t])
      if (r() < parallel) edges.push([u, v, w(), w()])
    }
  }
  edges.sort((a, b) => a[0] - b[0])
  const firstOut = new Uint32Array(n + 1)
  for (const [u] of edges) firstOut[u + 1]++
  for (let v = 0; v < n; v++) firstOut[v + 1] += firstOut[v]
  const m = edges.length
  const head = new Uint32Array(m)
  const distCm = new Uint32Array(m)
  const timeMs = new Uint32Array(m)
  edges.forEach(([, v, d, t], i) => { head[i] = v; distCm[i] = d; timeMs[i] = t })
  return {
    numNodes: n,
    numEdges: m,
    lat,
    lon,
    firstOut,
    head,
    distCm,
    timeMs,
    meta: { source: `synthetic:test-random-${seed}`, importedNodes: n, importedEdges: m, droppedNodes: 0, droppedEdges: 0, bbox: { minLat: 43.7, minLon: 7.4, maxLat: 43.8, maxLon: 7.5 } }
  }
}

/** A graph from `[tail, head, distCm, timeMs]` rows. */
export function graphOf (n: number, rows: Array<[number, number, number, number]>): RoadGraph {
  const sorted = [...rows].sort((a, b) => a[0] - b[0])
  const firstOut = new Uint32Array(n + 1)
  for (const [u] of sorted) firstOut[u + 1]++
  for (let v = 0; v < n; v++) firstOut[v + 1] += firstOut[v]
  return {
    numNodes: n,
    numEdges: sorted.length,
    lat: Float64Array.from({ length: n }, (_, i) => 43.7 + i * 0.001),
    lon: Float64Array.from({ length: n }, (_, i) => 7.4 + i * 0.001),
    firstOut,
    head: Uint32Array.from(sorted.map(r => r[1])),
    distCm: Uint32Array.from(sorted.map(r => r[2])),
    timeMs: Uint32Array.from(sorted.map(r => r[3])),
    meta: { source: 'synthetic:hand', importedNodes: n, importedEdges: sorted.length, droppedNodes: 0, droppedEdges: 0, bbox: { minLat: 0, minLon: 0, maxLat: 0, maxLon: 0 } }
  }
}

/**
 * Weight of the path through `nodes` by `metric`, taking the lightest edge
 * between consecutive vertices; throws if two consecutive vertices are not
 * joined by an edge.
 */
export function pathWeight (g: RoadGraph, nodes: readonly number[], metric: 'time' | 'distance'): number {
  const w = metric === 'time' ? g.timeMs : g.distCm
  let sum = 0
  for (let i = 1; i < nodes.length; i++) {
    let best = Infinity
    for (let e = g.firstOut[nodes[i - 1]]; e < g.firstOut[nodes[i - 1] + 1]; e++) {
      if (g.head[e] === nodes[i] && w[e] < best) best = w[e]
    }
    if (best === Infinity) throw new Error(`no edge ${nodes[i - 1]} -> ${nodes[i]}`)
    sum += best
  }
  return sum
}

/**
 * Sums both weights along `nodes` taking, between consecutive vertices, the
 * edge lightest by `metric` (ties: lightest by the other), the rule the
 * router documents for parallel edges.
 */
export function pathSums (g: RoadGraph, nodes: readonly number[], metric: 'time' | 'distance'): { timeMs: number, distCm: number } {
  const main = metric === 'time' ? g.timeMs : g.distCm
  const other = metric === 'time' ? g.distCm : g.timeMs
  let timeMs = 0
  let distCm = 0
  for (let i = 1; i < nodes.length; i++) {
    let best = -1
    for (let e = g.firstOut[nodes[i - 1]]; e < g.firstOut[nodes[i - 1] + 1]; e++) {
      if (g.head[e] !== nodes[i]) continue
      if (best < 0 || main[e] < main[best] || (main[e] === main[best] && other[e] < other[best])) best = e
    }
    if (best < 0) throw new Error(`no edge ${nodes[i - 1]} -> ${nodes[i]}`)
    timeMs += g.timeMs[best]
    distCm += g.distCm[best]
  }
  return { timeMs, distCm }
}
