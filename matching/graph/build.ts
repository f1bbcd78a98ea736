import { InvalidParametersError } from '@libp2p/interface'
import { stronglyConnectedComponents } from './scc.js'
import type { RoadGraph, RoadGraphMeta } from './road-graph.js'

/**
 * A road network as a plain list of directed edges over numbered vertices,
 * the common input of the OSM import and the synthetic city.
 */
export interface EdgeList {
  /** Latitude of each vertex, degrees. Its length is the number of vertices. */
  readonly lat: ArrayLike<number>
  /** Longitude of each vertex, degrees. */
  readonly lon: ArrayLike<number>
  /** Tail (start vertex) of each edge. */
  readonly tail: ArrayLike<number>
  /** Head (end vertex) of each edge. */
  readonly head: ArrayLike<number>
  /** Length of each edge, centimetres; values below 1 are raised to 1. */
  readonly distCm: ArrayLike<number>
  /** Travel time of each edge, milliseconds; values below 1 are raised to 1. */
  readonly timeMs: ArrayLike<number>
}

export interface BuildOptions {
  /** Recorded as `meta.source`. */
  source: string
  /**
   * Keep only the largest strongly connected component, so that every vertex
   * can reach every other and routing never meets an unreachable target.
   *
   * @default true
   */
  keepLargestScc?: boolean
}

/**
 * Builds the CSR RoadGraph from an edge list: drops self-loops, keeps the
 * fastest of parallel edges (ties: the shorter), keeps the largest strongly
 * connected component and renumbers its vertices in their input order.
 * Edges leaving a vertex are sorted by head.
 */
export function buildRoadGraph (input: EdgeList, opts: BuildOptions): RoadGraph {
  const n = input.lat.length
  if (input.lon.length !== n) throw new InvalidParametersError('lat and lon differ in length')
  const m0 = input.tail.length
  if (input.head.length !== m0 || input.distCm.length !== m0 || input.timeMs.length !== m0) {
    throw new InvalidParametersError('edge arrays differ in length')
  }

  // Counting sort by tail, skipping self-loops.
  const count = new Uint32Array(n + 1)
  for (let e = 0; e < m0; e++) {
    const t = input.tail[e]
    const h = input.head[e]
    if (!(t >= 0 && t < n && h >= 0 && h < n)) throw new InvalidParametersError(`edge ${e} has a vertex out of range`)
    if (t !== h) count[t + 1]++
  }
  for (let v = 0; v < n; v++) count[v + 1] += count[v]
  const m1 = count[n]
  const pos = count.slice(0, n)
  const sHead = new Uint32Array(m1)
  const sDist = new Uint32Array(m1)
  const sTime = new Uint32Array(m1)
  for (let e = 0; e < m0; e++) {
    const t = input.tail[e]
    const h = input.head[e]
    if (t === h) continue
    const i = pos[t]++
    sHead[i] = h
    sDist[i] = Math.max(1, Math.min(0xFFFFFFFF, Math.round(input.distCm[e])))
    sTime[i] = Math.max(1, Math.min(0xFFFFFFFF, Math.round(input.timeMs[e])))
  }

  // Sort each vertex's edges by (head, time, dist) and keep the first of each head.
  const dFirst = new Uint32Array(n + 1)
  const dHead = new Uint32Array(m1)
  const dDist = new Uint32Array(m1)
  const dTime = new Uint32Array(m1)
  let m2 = 0
  for (let v = 0; v < n; v++) {
    const a = count[v]
    const b = count[v + 1]
    // insertion sort: road vertices have a handful of edges
    for (let i = a + 1; i < b; i++) {
      const h = sHead[i]; const d = sDist[i]; const t = sTime[i]
      let j = i - 1
      while (j >= a && (sHead[j] > h || (sHead[j] === h && (sTime[j] > t || (sTime[j] === t && sDist[j] > d))))) {
        sHead[j + 1] = sHead[j]; sDist[j + 1] = sDist[j]; sTime[j + 1] = sTime[j]
        j--
      }
      sHead[j + 1] = h; sDist[j + 1] = d; sTime[j + 1] = t
    }
    dFirst[v] = m2
    for (let i = a; i < b; i++) {
      if (i > a && sHead[i] === sHead[i - 1]) continue
      dHead[m2] = sHead[i]; dDist[m2] = sDist[i]; dTime[m2] = sTime[i]
      m2++
    }
  }
  dFirst[n] = m2

  // Keep the largest strongly connected component.
  const keep = new Uint8Array(n)
  if (opts.keepLargestScc ?? true) {
    const { component, count: c, size } = stronglyConnectedComponents(n, dFirst, dHead)
    let best = 0
    for (let i = 1; i < c; i++) if (size[i] > size[best]) best = i
    for (let v = 0; v < n; v++) keep[v] = c > 0 && component[v] === best ? 1 : 0
  } else {
    keep.fill(1)
  }

  const newId = new Int32Array(n).fill(-1)
  let nn = 0
  for (let v = 0; v < n; v++) if (keep[v] === 1) newId[v] = nn++
  const lat = new Float64Array(nn)
  const lon = new Float64Array(nn)
  const firstOut = new Uint32Array(nn + 1)
  let mm = 0
  for (let v = 0; v < n; v++) {
    if (keep[v] !== 1) continue
    for (let i = dFirst[v]; i < dFirst[v + 1]; i++) if (keep[dHead[i]] === 1) mm++
  }
  const head = new Uint32Array(mm)
  const distCm = new Uint32Array(mm)
  const timeMs = new Uint32Array(mm)
  let k = 0
  let minLat = Infinity; let minLon = Infinity; let maxLat = -Infinity; let maxLon = -Infinity
  for (let v = 0; v < n; v++) {
    const nv = newId[v]
    if (nv < 0) continue
    const la = input.lat[v]
    const lo = input.lon[v]
    lat[nv] = la
    lon[nv] = lo
    if (la < minLat) minLat = la
    if (la > maxLat) maxLat = la
    if (lo < minLon) minLon = lo
    if (lo > maxLon) maxLon = lo
    firstOut[nv] = k
    for (let i = dFirst[v]; i < dFirst[v + 1]; i++) {
      const w = newId[dHead[i]]
      if (w < 0) continue
      head[k] = w; distCm[k] = dDist[i]; timeMs[k] = dTime[i]
      k++
    }
  }
  firstOut[nn] = k

  const meta: RoadGraphMeta = {
    source: opts.source,
    importedNodes: n,
    importedEdges: m2,
    droppedNodes: n - nn,
    droppedEdges: m2 - mm,
    bbox: nn > 0 ? { minLat, minLon, maxLat, maxLon } : { minLat: 0, minLon: 0, maxLat: 0, maxLon: 0 }
  }
  return { numNodes: nn, numEdges: mm, lat, lon, firstOut, head, distCm, timeMs, meta }
}

/**
 * The backward CSR of a RoadGraph: for each vertex, its incoming edges.
 * Incoming edges of `v` are `firstIn[v] .. firstIn[v+1]-1`, ordered by tail.
 */
export interface ReverseGraph {
  readonly numNodes: number
  readonly numEdges: number
  /** CSR offsets, length numNodes + 1. */
  readonly firstIn: Uint32Array
  /** Start vertex of each incoming edge. */
  readonly tail: Uint32Array
  /** Id of the same edge in the forward graph. */
  readonly edge: Uint32Array
  /** Length, centimetres (same as the forward edge). */
  readonly distCm: Uint32Array
  /** Travel time, milliseconds (same as the forward edge). */
  readonly timeMs: Uint32Array
}

/** Builds the backward CSR of `g` in O(n + m). */
export function reverseGraph (g: RoadGraph): ReverseGraph {
  const n = g.numNodes
  const m = g.numEdges
  const firstIn = new Uint32Array(n + 1)
  for (let e = 0; e < m; e++) firstIn[g.head[e] + 1]++
  for (let v = 0; v < n; v++) firstIn[v + 1] += firstIn[v]
  const pos = firstIn.slice(0, n)
  const tail = new Uint32Array(m)
  const edge = new Uint32Array(m)
  const distCm = new Uint32Array(m)
  const timeMs = new Uint32Array(m)
  for (let u = 0; u < n; u++) {
    for (let e = g.firstOut[u]; e < g.firstOut[u + 1]; e++) {
      const i = pos[g.head[e]]++
      tail[i] = u; edge[i] = e; distCm[i] = g.distCm[e]; timeMs[i] = g.timeMs[e]
    }
  }
  return { numNodes: n, numEdges: m, firstIn, tail, edge, distCm, timeMs }
}

/** Tail vertex of every edge of `g` (the CSR stores only heads). */
export function edgeTails (g: RoadGraph): Uint32Array {
  const tails = new Uint32Array(g.numEdges)
  for (let u = 0; u < g.numNodes; u++) tails.fill(u, g.firstOut[u], g.firstOut[u + 1])
  return tails
}
