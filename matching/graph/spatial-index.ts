import { InvalidParametersError } from '@libp2p/interface'
import { EARTH_RADIUS_M, haversineM } from './geo.js'
import type { RoadGraph } from './road-graph.js'

/** Where a point meets the road network. */
export interface Snap {
  /** The vertex routing starts from: always `head[edge]`. */
  readonly node: number
  /** The directed edge whose segment holds the snapped point, driven towards `node`. */
  readonly edge: number
  /** Great-circle distance from the query point to the snapped point, metres. */
  readonly distanceM: number
  /** The snapped point (on the segment), degrees. */
  readonly lat: number
  readonly lon: number
  /** Length of the rest of the segment, from the snapped point to `node`, metres. */
  readonly toNodeM: number
}

/** Options of {@link SpatialIndex}. */
export interface SpatialIndexOptions {
  /**
   * Points farther than this from every road are off the map: `snap`
   * returns null.
   *
   * @default 1000
   */
  maxDistanceM?: number
  /**
   * Side of a grid cell, metres. Raised automatically so that the grid has
   * at most about four cells per segment.
   *
   * @default 100
   */
  cellM?: number
}

/** Default of {@link SpatialIndexOptions.maxDistanceM}. */
export const DEFAULT_SNAP_MAX_DISTANCE_M = 1000
/** Default of {@link SpatialIndexOptions.cellM}. */
export const DEFAULT_SNAP_CELL_M = 100

const NONE = 0xFFFFFFFF
/** Squared distances closer than this (m², a few µm apart) count as a tie. */
const TIE_M2 = 1e-10
const M_PER_DEG = EARTH_RADIUS_M * Math.PI / 180

/**
 * A uniform grid over the road segments of a graph, for snapping positions
 * to the nearest point of the network. A two-way road is one segment (its
 * two directed edges); distances are measured in a local equirectangular
 * projection around the graph's centre, which at city scale is within a
 * fraction of a per cent of the great-circle distance. Build once per graph;
 * `snap` looks at a few cells around the point.
 *
 * Not safe for concurrent use from several threads (it keeps a visit stamp).
 */
export class SpatialIndex {
  readonly graph: RoadGraph
  readonly maxDistanceM: number
  readonly cellM: number
  /** Number of indexed segments (two-way roads counted once). */
  readonly numSegments: number
  private readonly lat0: number
  private readonly lon0: number
  private readonly kx: number
  private readonly ky: number
  /** Forward edge, reverse edge (or NONE) of each segment. */
  private readonly segEdge: Uint32Array
  private readonly segRev: Uint32Array
  /** ax, ay, bx, by of each segment, projected metres. */
  private readonly segXY: Float64Array
  private readonly minX: number
  private readonly minY: number
  private readonly nx: number
  private readonly ny: number
  private readonly cellStart: Uint32Array
  private readonly cellSeg: Uint32Array
  private readonly stamp: Uint32Array
  private query = 0

  constructor (graph: RoadGraph, opts: SpatialIndexOptions = {}) {
    this.graph = graph
    this.maxDistanceM = opts.maxDistanceM ?? DEFAULT_SNAP_MAX_DISTANCE_M
    const { bbox } = graph.meta
    this.lat0 = (bbox.minLat + bbox.maxLat) / 2
    this.lon0 = (bbox.minLon + bbox.maxLon) / 2
    this.ky = M_PER_DEG
    this.kx = M_PER_DEG * Math.cos(this.lat0 * Math.PI / 180)

    // One segment per road piece: a two-way pair is indexed once, from its lower tail.
    const n = graph.numNodes
    const segEdge: number[] = []
    const segRev: number[] = []
    for (let u = 0; u < n; u++) {
      for (let e = graph.firstOut[u]; e < graph.firstOut[u + 1]; e++) {
        const v = graph.head[e]
        const r = this.findEdge(v, u)
        if (r !== NONE && v < u) continue
        segEdge.push(e)
        segRev.push(r)
      }
    }
    const s = segEdge.length
    this.numSegments = s
    this.segEdge = Uint32Array.from(segEdge)
    this.segRev = Uint32Array.from(segRev)
    this.segXY = new Float64Array(4 * s)
    const tails = new Uint32Array(graph.numEdges)
    for (let u = 0; u < n; u++) tails.fill(u, graph.firstOut[u], graph.firstOut[u + 1])
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity
    for (let i = 0; i < s; i++) {
      const e = this.segEdge[i]
      const a = tails[e]
      const b = graph.head[e]
      const ax = this.x(graph.lon[a]); const ay = this.y(graph.lat[a])
      const bx = this.x(graph.lon[b]); const by = this.y(graph.lat[b])
      this.segXY[4 * i] = ax; this.segXY[4 * i + 1] = ay; this.segXY[4 * i + 2] = bx; this.segXY[4 * i + 3] = by
      minX = Math.min(minX, ax, bx); maxX = Math.max(maxX, ax, bx)
      minY = Math.min(minY, ay, by); maxY = Math.max(maxY, ay, by)
    }
    if (s === 0) { minX = minY = 0; maxX = maxY = 1 }
    let cell = opts.cellM ?? DEFAULT_SNAP_CELL_M
    if (!(cell > 0)) throw new InvalidParametersError('cellM must be positive')
    const maxCells = 4 * s + 1024
    while (Math.ceil((maxX - minX) / cell + 1e-9) * Math.ceil((maxY - minY) / cell + 1e-9) > maxCells) cell *= 1.5
    this.cellM = cell
    this.minX = minX
    this.minY = minY
    this.nx = Math.max(1, Math.ceil((maxX - minX) / cell + 1e-9))
    this.ny = Math.max(1, Math.ceil((maxY - minY) / cell + 1e-9))

    // Bucket every segment into each cell its bounding box touches (two passes: count, fill).
    const cells = this.nx * this.ny
    const cellStart = new Uint32Array(cells + 1)
    const forEachCell = (i: number, f: (c: number) => void): void => {
      const ax = this.segXY[4 * i]; const ay = this.segXY[4 * i + 1]; const bx = this.segXY[4 * i + 2]; const by = this.segXY[4 * i + 3]
      const c0 = this.cx(Math.min(ax, bx)); const c1 = this.cx(Math.max(ax, bx))
      const r0 = this.cy(Math.min(ay, by)); const r1 = this.cy(Math.max(ay, by))
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) f(r * this.nx + c)
    }
    for (let i = 0; i < s; i++) forEachCell(i, (c) => { cellStart[c + 1]++ })
    for (let c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c]
    const fill = cellStart.slice(0, cells)
    const cellSeg = new Uint32Array(cellStart[cells])
    for (let i = 0; i < s; i++) forEachCell(i, (c) => { cellSeg[fill[c]++] = i })
    this.cellStart = cellStart
    this.cellSeg = cellSeg
    this.stamp = new Uint32Array(s)
  }

  /**
   * The nearest point of the road network to (lat, lon), or null when it is
   * farther than `maxDistanceM` (the index's, unless given here).
   */
  snap (lat: number, lon: number, maxDistanceM: number = this.maxDistanceM): Snap | null {
    if (this.numSegments === 0 || !Number.isFinite(lat) || !Number.isFinite(lon)) return null
    const px = this.x(lon)
    const py = this.y(lat)
    // Projected distance may be a little off the great-circle one: search a
    // slightly wider radius, then apply the limit to the true distance.
    const limit = maxDistanceM * 1.01 + 1
    const dxOut = Math.max(0, this.minX - px, px - (this.minX + this.nx * this.cellM))
    const dyOut = Math.max(0, this.minY - py, py - (this.minY + this.ny * this.cellM))
    if (dxOut * dxOut + dyOut * dyOut > limit * limit) return null

    if (++this.query === 0xFFFFFFFF) { this.stamp.fill(0); this.query = 1 }
    const q = this.query
    const qcx = Math.floor((px - this.minX) / this.cellM)
    const qcy = Math.floor((py - this.minY) / this.cellM)
    let best = -1
    let bestD2 = limit * limit
    let bestT = 0
    let bestToNode = Infinity
    const maxRing = Math.max(qcx, this.nx - 1 - qcx, qcy, this.ny - 1 - qcy)
    for (let ring = 0; ring <= maxRing; ring++) {
      // every cell of this ring and beyond is at least (ring - 1) cells away
      const reach = Math.max(0, ring - 1) * this.cellM
      if (reach * reach > bestD2) break
      const r0 = Math.max(0, qcy - ring); const r1 = Math.min(this.ny - 1, qcy + ring)
      for (let r = r0; r <= r1; r++) {
        const edgeRow = r === qcy - ring || r === qcy + ring
        const step = edgeRow ? 1 : 2 * ring
        for (let c = qcx - ring; c <= qcx + ring; c += step === 0 ? 1 : step) {
          if (c < 0 || c >= this.nx) continue
          const cell = r * this.nx + c
          for (let k = this.cellStart[cell]; k < this.cellStart[cell + 1]; k++) {
            const i = this.cellSeg[k]
            if (this.stamp[i] === q) continue
            this.stamp[i] = q
            const ax = this.segXY[4 * i]; const ay = this.segXY[4 * i + 1]
            const dx = this.segXY[4 * i + 2] - ax; const dy = this.segXY[4 * i + 3] - ay
            const len2 = dx * dx + dy * dy
            let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0
            t = t < 0 ? 0 : t > 1 ? 1 : t
            // exact endpoints, so that a point on a vertex is at distance 0 from all its roads
            const ex = (t === 1 ? this.segXY[4 * i + 2] : ax + t * dx) - px
            const ey = (t === 1 ? this.segXY[4 * i + 3] : ay + t * dy) - py
            const d2 = ex * ex + ey * ey
            if (d2 > bestD2 + TIE_M2) continue
            // among equally near segments (a point on a vertex touches all of
            // its roads) prefer the one whose start vertex is nearest
            const toNode = (this.segRev[i] !== NONE ? Math.min(t, 1 - t) : 1 - t) * Math.sqrt(len2)
            if (d2 < bestD2 - TIE_M2 || toNode < bestToNode || (toNode === bestToNode && i < best)) {
              bestD2 = Math.min(d2, bestD2); best = i; bestT = t; bestToNode = toNode
            }
          }
        }
      }
    }
    if (best < 0) return null
    const g = this.graph
    const e = this.segEdge[best]
    const rev = this.segRev[best]
    const b = g.head[e]
    const a = rev !== NONE ? g.head[rev] : this.tailOf(e)
    const sLat = g.lat[a] + bestT * (g.lat[b] - g.lat[a])
    const sLon = g.lon[a] + bestT * (g.lon[b] - g.lon[a])
    const distanceM = haversineM(lat, lon, sLat, sLon)
    if (distanceM > maxDistanceM) return null
    const useRev = rev !== NONE && bestT < 0.5
    const node = useRev ? a : b
    const toNodeM = haversineM(sLat, sLon, g.lat[node], g.lon[node])
    return { node, edge: useRev ? rev : e, distanceM, lat: sLat, lon: sLon, toNodeM }
  }

  private x (lon: number): number { return (lon - this.lon0) * this.kx }
  private y (lat: number): number { return (lat - this.lat0) * this.ky }
  private cx (x: number): number { return Math.min(this.nx - 1, Math.max(0, Math.floor((x - this.minX) / this.cellM))) }
  private cy (y: number): number { return Math.min(this.ny - 1, Math.max(0, Math.floor((y - this.minY) / this.cellM))) }

  private findEdge (u: number, v: number): number {
    const g = this.graph
    for (let e = g.firstOut[u]; e < g.firstOut[u + 1]; e++) if (g.head[e] === v) return e
    return NONE
  }

  private tailOf (e: number): number {
    // binary search of the CSR offsets: the last u with firstOut[u] <= e
    const f = this.graph.firstOut
    let lo = 0
    let hi = this.graph.numNodes - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (f[mid] <= e) lo = mid
      else hi = mid - 1
    }
    return lo
  }
}
