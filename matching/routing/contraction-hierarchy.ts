import { metricWeights } from './dijkstra.js'
import { PreparedDataError, WeightOverflowError } from './errors.js'
import { MinHeap } from './min-heap.js'
import type { Metric, RoadGraph } from '../graph/road-graph.js'


/** Options of {@link ContractionHierarchy.build}. */
export interface ContractionOptions {
  /**
   * Most vertices a witness search settles while contracting a vertex. A
   * search that gives up early only adds shortcuts that were not needed:
   * answers stay exact, the hierarchy grows a little.
   *
   * @default 200
   */
  witnessSettleLimit?: number
  /**
   * Most vertices a witness search settles while estimating a vertex's
   * priority (the contraction is simulated many more times than it is done).
   *
   * @default 20
   */
  simulationSettleLimit?: number
  /**
   * Where to log the size of the hierarchy built (e.g. `logger('hitch:routing:ch')`).
   *
   * @default none
   */
  log?: (formatter: string, ...args: unknown[]) => void
}

const DEFAULT_WITNESS_SETTLE_LIMIT = 200
const DEFAULT_SIMULATION_SETTLE_LIMIT = 20

/**
 * The flat typed arrays of a contraction hierarchy, ready to be cached.
 *
 * The upward graph holds, at each vertex `v`, the edges `v -> x` to vertices
 * contracted after `v`; the backward-upward ("down") graph holds, at `v`, the
 * edges `x -> v` from vertices contracted after `v`, stored with `x` as head
 * (a backward search walks them from `v` to `x`). A shortcut records the
 * vertex it bypasses in `*Mid`; an original edge has -1.
 */
export interface ChArrays {
  /** Contraction order of each vertex (0 = first contracted). */
  readonly rank: Uint32Array
  readonly upFirst: Uint32Array
  readonly upHead: Uint32Array
  readonly upWeight: Uint32Array
  readonly upMid: Int32Array
  readonly downFirst: Uint32Array
  readonly downHead: Uint32Array
  readonly downWeight: Uint32Array
  readonly downMid: Int32Array
}

/** Names of the arrays in a {@link ChArrays}, in a stable order. */
export const CH_ARRAY_NAMES = ['rank', 'upFirst', 'upHead', 'upWeight', 'upMid', 'downFirst', 'downHead', 'downWeight', 'downMid'] as const

/**
 * A contraction hierarchy over one metric of a road graph: the prepared
 * structure behind exact, microsecond shortest-path queries. Immutable once
 * built; queries run through a {@link ChQuery} (see `ch-query.ts`).
 */
export class ContractionHierarchy implements ChArrays {
  readonly numNodes: number
  readonly rank: Uint32Array
  readonly upFirst: Uint32Array
  readonly upHead: Uint32Array
  readonly upWeight: Uint32Array
  readonly upMid: Int32Array
  readonly downFirst: Uint32Array
  readonly downHead: Uint32Array
  readonly downWeight: Uint32Array
  readonly downMid: Int32Array

  private constructor (a: ChArrays) {
    this.numNodes = a.rank.length
    this.rank = a.rank
    this.upFirst = a.upFirst
    this.upHead = a.upHead
    this.upWeight = a.upWeight
    this.upMid = a.upMid
    this.downFirst = a.downFirst
    this.downHead = a.downHead
    this.downWeight = a.downWeight
    this.downMid = a.downMid
  }

  /** Contracts every vertex of `g` in an order chosen for small search spaces, minimising `metric`. */
  static build (g: RoadGraph, metric: Metric, opts: ContractionOptions = {}): ContractionHierarchy {
    return ContractionHierarchy.fromArrays(contract(g.numNodes, g.firstOut, g.head, metricWeights(g, metric), opts))
  }

  /**
   * Wraps arrays made by {@link toArrays} (e.g. read back from a cache),
   * checking that they are consistent.
   *
   * @throws {PreparedDataError} when an array is missing, of the wrong kind or length
   */
  static fromArrays (arrays: ChArrays | Readonly<Record<string, ArrayBufferView | undefined>>): ContractionHierarchy {
    const a = arrays as Readonly<Record<string, ArrayBufferView | undefined>>
    const rank = asU32(a, 'rank')
    const n = rank.length
    const upFirst = asU32(a, 'upFirst')
    const upHead = asU32(a, 'upHead')
    const upWeight = asU32(a, 'upWeight')
    const upMid = asI32(a, 'upMid')
    const downFirst = asU32(a, 'downFirst')
    const downHead = asU32(a, 'downHead')
    const downWeight = asU32(a, 'downWeight')
    const downMid = asI32(a, 'downMid')
    checkCsr('up', n, upFirst, upHead, upWeight, upMid)
    checkCsr('down', n, downFirst, downHead, downWeight, downMid)
    return new ContractionHierarchy({ rank, upFirst, upHead, upWeight, upMid, downFirst, downHead, downWeight, downMid })
  }

  /** The hierarchy's arrays (shared, not copied), named as in {@link CH_ARRAY_NAMES}. */
  toArrays (): ChArrays {
    const { rank, upFirst, upHead, upWeight, upMid, downFirst, downHead, downWeight, downMid } = this
    return { rank, upFirst, upHead, upWeight, upMid, downFirst, downHead, downWeight, downMid }
  }

  /** Bytes held by the hierarchy's arrays. */
  get byteLength (): number {
    let bytes = 0
    for (const name of CH_ARRAY_NAMES) bytes += this[name].byteLength
    return bytes
  }

  /** Number of edges of the upward and downward graphs (original edges plus shortcuts). */
  get numEdges (): number {
    return this.upHead.length + this.downHead.length
  }

  /**
   * Appends to `out` the vertices after `u` of the original path that the
   * hierarchy edge `u -> w` with middle vertex `mid` stands for (`w` last).
   */
  unpackEdge (u: number, w: number, mid: number, out: number[]): void {
    // Explicit stack of (from, to, mid) triples, right half pushed first.
    const stack: number[] = [u, w, mid]
    while (stack.length > 0) {
      const m = stack.pop() as number
      const b = stack.pop() as number
      const a = stack.pop() as number
      if (m < 0) {
        out.push(b)
        continue
      }
      // m was contracted before a and b: a -> m is in m's down list, m -> b in its up list.
      stack.push(m, b, this.midOf(this.upFirst, this.upHead, this.upWeight, this.upMid, m, b))
      stack.push(a, m, this.midOf(this.downFirst, this.downHead, this.downWeight, this.downMid, m, a))
    }
  }

  /** Middle vertex of the lightest edge at `v` towards `x` in one of the two graphs. */
  private midOf (first: Uint32Array, head: Uint32Array, weight: Uint32Array, mids: Int32Array, v: number, x: number): number {
    let best = -1
    let bestW = Infinity
    for (let e = first[v], end = first[v + 1]; e < end; e++) {
      if (head[e] === x && weight[e] < bestW) {
        bestW = weight[e]
        best = e
      }
    }
    if (best < 0) throw new PreparedDataError(`hierarchy edge between ${v} and ${x} is missing: corrupt shortcut`)
    return mids[best]
  }
}

/** Offers `x`'s bytes as the typed array the name wants, viewing them in place when aligned. */
function asU32 (a: Readonly<Record<string, ArrayBufferView | undefined>>, name: string): Uint32Array {
  const x = a[name]
  if (x instanceof Uint32Array) return x
  if (x == null || !ArrayBuffer.isView(x) || x.byteLength % 4 !== 0) throw new PreparedDataError(`hierarchy array ${name} is missing or not 32-bit`)
  if (x.byteOffset % 4 === 0) return new Uint32Array(x.buffer, x.byteOffset, x.byteLength / 4)
  return new Uint32Array(new Uint8Array(x.buffer, x.byteOffset, x.byteLength).slice().buffer)
}

function asI32 (a: Readonly<Record<string, ArrayBufferView | undefined>>, name: string): Int32Array {
  const x = a[name]
  if (x instanceof Int32Array) return x
  const u = asU32(a, name)
  return new Int32Array(u.buffer, u.byteOffset, u.length)
}

function checkCsr (name: string, n: number, first: Uint32Array, head: Uint32Array, weight: Uint32Array, mid: Int32Array): void {
  const m = head.length
  if (first.length !== n + 1 || first[0] !== 0 || first[n] !== m || weight.length !== m || mid.length !== m) {
    throw new PreparedDataError(`hierarchy ${name} graph has inconsistent lengths`)
  }
  for (let v = 0; v < n; v++) if (first[v] > first[v + 1]) throw new PreparedDataError(`hierarchy ${name} offsets decrease at ${v}`)
  for (let e = 0; e < m; e++) {
    if (head[e] >= n || mid[e] < -1 || mid[e] >= n) throw new PreparedDataError(`hierarchy ${name} edge ${e} is out of range`)
  }
}

/**
 * The contraction itself over one weight array. Vertices are taken in order
 * of a lazily updated priority (edge quotient, hop quotient, contracted
 * neighbours and level); each contraction runs one witness search per
 * incoming neighbour and adds a shortcut for each pair it cannot prove
 * redundant.
 */
function contract (n: number, firstOut: Uint32Array, head: Uint32Array, w: Uint32Array, opts: ContractionOptions): ChArrays {
  const witnessLimit = opts.witnessSettleLimit ?? DEFAULT_WITNESS_SETTLE_LIMIT
  const simulationLimit = opts.simulationSettleLimit ?? DEFAULT_SIMULATION_SETTLE_LIMIT

  // The remaining (uncontracted) graph, as per-vertex lists both ways. No
  // parallel edges: a second edge between the same pair keeps the lighter.
  const outN: number[][] = new Array(n)
  const outW: number[][] = new Array(n)
  const outM: number[][] = new Array(n)
  const outH: number[][] = new Array(n)
  const inN: number[][] = new Array(n)
  const inW: number[][] = new Array(n)
  const inM: number[][] = new Array(n)
  const inH: number[][] = new Array(n)
  for (let v = 0; v < n; v++) {
    outN[v] = []; outW[v] = []; outM[v] = []; outH[v] = []
    inN[v] = []; inW[v] = []; inM[v] = []; inH[v] = []
  }

  function addEdge (u: number, x: number, weight: number, mid: number, hops: number): void {
    if (weight > 0xFFFFFFFF) throw new WeightOverflowError(`shortcut ${u} -> ${x} weighs ${weight}, more than 32 bits`)
    const on = outN[u]
    for (let i = 0; i < on.length; i++) {
      if (on[i] !== x) continue
      if (weight >= outW[u][i]) return
      outW[u][i] = weight; outM[u][i] = mid; outH[u][i] = hops
      const inn = inN[x]
      for (let j = 0; j < inn.length; j++) {
        if (inn[j] === u) { inW[x][j] = weight; inM[x][j] = mid; inH[x][j] = hops; break }
      }
      return
    }
    on.push(x); outW[u].push(weight); outM[u].push(mid); outH[u].push(hops)
    inN[x].push(u); inW[x].push(weight); inM[x].push(mid); inH[x].push(hops)
  }

  for (let u = 0; u < n; u++) {
    for (let e = firstOut[u]; e < firstOut[u + 1]; e++) {
      if (head[e] !== u) addEdge(u, head[e], w[e], -1, 1)
    }
  }

  // Witness search state, reused.
  const wDist = new Float64Array(n)
  const wStamp = new Uint32Array(n)
  let wGen = 0
  const wHeap = new MinHeap(256)

  // Which vertices a witness search looks for (v's out-neighbours), stamped per search.
  const targetStamp = new Uint32Array(n)

  /**
   * Dijkstra from `s` in the remaining graph avoiding `avoid`, until every
   * one of the `targets` marked with the current generation is settled, or
   * past `maxDist`, or after `limit` settled vertices.
   */
  function witnessSearch (s: number, avoid: number, maxDist: number, limit: number, targets: number): void {
    wHeap.clear()
    wDist[s] = 0
    wStamp[s] = wGen
    wHeap.push(0, s)
    let settled = 0
    let found = 0
    while (wHeap.size > 0) {
      const x = wHeap.pop()
      const d = wHeap.lastKey
      if (d > wDist[x]) continue
      if (d > maxDist || settled++ >= limit) break
      if (targetStamp[x] === wGen && ++found >= targets) break
      const xn = outN[x]
      const xw = outW[x]
      for (let i = 0; i < xn.length; i++) {
        const y = xn[i]
        if (y === avoid) continue
        const dy = d + xw[i]
        if (wStamp[y] !== wGen || dy < wDist[y]) {
          wStamp[y] = wGen
          wDist[y] = dy
          wHeap.push(dy, y)
        }
      }
    }
  }

  let simAdded = 0
  let simAddedHops = 0

  /** Contracts `v` (or only counts its shortcuts into simAdded/simAddedHops when `simulate`). */
  function contractVertex (v: number, simulate: boolean): void {
    simAdded = 0
    simAddedHops = 0
    const vin = inN[v]; const vinW = inW[v]; const vinH = inH[v]
    const vout = outN[v]; const voutW = outW[v]; const voutH = outH[v]
    const limit = simulate ? simulationLimit : witnessLimit
    for (let i = 0; i < vin.length; i++) {
      const u = vin[i]
      const wu = vinW[i]
      let maxOut = -1
      for (let j = 0; j < vout.length; j++) {
        if (vout[j] !== u && wu + voutW[j] > maxOut) maxOut = wu + voutW[j]
      }
      if (maxOut < 0) continue
      wGen++
      let targets = 0
      for (let j = 0; j < vout.length; j++) {
        if (vout[j] !== u) { targetStamp[vout[j]] = wGen; targets++ }
      }
      witnessSearch(u, v, maxOut, limit, targets)
      for (let j = 0; j < vout.length; j++) {
        const x = vout[j]
        if (x === u) continue
        const c = wu + voutW[j]
        if (wStamp[x] === wGen && wDist[x] <= c) continue
        simAdded++
        simAddedHops += vinH[i] + voutH[j]
        if (!simulate) addEdge(u, x, c, v, vinH[i] + voutH[j])
      }
    }
  }

  const contracted = new Uint8Array(n)
  const deletedNeighbours = new Uint32Array(n)
  const level = new Uint32Array(n)
  const priority = new Float64Array(n)

  function computePriority (v: number): number {
    contractVertex(v, true)
    const removed = inN[v].length + outN[v].length
    let removedHops = 0
    for (const h of inH[v]) removedHops += h
    for (const h of outH[v]) removedHops += h
    const edgeQuotient = simAdded / Math.max(1, removed)
    const hopQuotient = simAddedHops / Math.max(1, removedHops)
    return 2 * edgeQuotient + 4 * hopQuotient + level[v] + deletedNeighbours[v] * 0.5
  }

  const queue = new MinHeap(n)
  for (let v = 0; v < n; v++) {
    priority[v] = computePriority(v)
    queue.push(priority[v], v)
  }

  // Output edges, emitted as each vertex is contracted.
  const upTail: number[] = []; const upHead: number[] = []; const upW: number[] = []; const upMid: number[] = []
  const dnTail: number[] = []; const dnHead: number[] = []; const dnW: number[] = []; const dnMid: number[] = []
  const rank = new Uint32Array(n)
  let order = 0

  while (queue.size > 0) {
    const v = queue.pop()
    const key = queue.lastKey
    if (contracted[v] === 1 || key !== priority[v]) continue
    // Lazy update: recompute, and put back if another vertex is now cheaper.
    const p = computePriority(v)
    if (p > queue.peekKey()) {
      priority[v] = p
      queue.push(p, v)
      continue
    }
    contractVertex(v, false)
    contracted[v] = 1
    rank[v] = order++

    const vout = outN[v]; const vin = inN[v]
    for (let j = 0; j < vout.length; j++) {
      upTail.push(v); upHead.push(vout[j]); upW.push(outW[v][j]); upMid.push(outM[v][j])
    }
    for (let i = 0; i < vin.length; i++) {
      dnTail.push(v); dnHead.push(vin[i]); dnW.push(inW[v][i]); dnMid.push(inM[v][i])
    }
    // Take v out of its neighbours' lists, then refresh their priorities.
    for (const x of vout) removeFrom(inN[x], inW[x], inM[x], inH[x], v)
    for (const u of vin) removeFrom(outN[u], outW[u], outM[u], outH[u], v)
    const neighbours = new Set<number>(vout)
    for (const u of vin) neighbours.add(u)
    outN[v] = []; outW[v] = []; outM[v] = []; outH[v] = []
    inN[v] = []; inW[v] = []; inM[v] = []; inH[v] = []
    for (const x of neighbours) {
      deletedNeighbours[x]++
      if (level[x] < level[v] + 1) level[x] = level[v] + 1
      priority[x] = computePriority(x)
      queue.push(priority[x], x)
    }
  }

  const up = toCsr(n, upTail, upHead, upW, upMid)
  const down = toCsr(n, dnTail, dnHead, dnW, dnMid)
  opts.log?.('contracted %d vertices: %d up and %d down edges', n, up.head.length, down.head.length)
  return {
    rank,
    upFirst: up.first,
    upHead: up.head,
    upWeight: up.weight,
    upMid: up.mid,
    downFirst: down.first,
    downHead: down.head,
    downWeight: down.weight,
    downMid: down.mid
  }
}

function removeFrom (ns: number[], ws: number[], ms: number[], hs: number[], v: number): void {
  for (let i = 0; i < ns.length; i++) {
    if (ns[i] !== v) continue
    const last = ns.length - 1
    ns[i] = ns[last]; ws[i] = ws[last]; ms[i] = ms[last]; hs[i] = hs[last]
    ns.pop(); ws.pop(); ms.pop(); hs.pop()
    return
  }
}

function toCsr (n: number, tail: number[], headList: number[], w: number[], mids: number[]): { first: Uint32Array, head: Uint32Array, weight: Uint32Array, mid: Int32Array } {
  const m = tail.length
  const first = new Uint32Array(n + 1)
  for (let i = 0; i < m; i++) first[tail[i] + 1]++
  for (let v = 0; v < n; v++) first[v + 1] += first[v]
  const pos = first.slice(0, n)
  const head = new Uint32Array(m)
  const weight = new Uint32Array(m)
  const mid = new Int32Array(m)
  for (let i = 0; i < m; i++) {
    const k = pos[tail[i]]++
    head[k] = headList[i]
    weight[k] = w[i]
    mid[k] = mids[i]
  }
  return { first, head, weight, mid }
}
