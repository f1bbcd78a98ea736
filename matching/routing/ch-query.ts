import { checkVertex } from './errors.js'
import { MinHeap } from './min-heap.js'
import type { ContractionHierarchy } from './contraction-hierarchy.js'

/** Options of a {@link ChQuery}. */
export interface ChQueryOptions {
  /**
   * How many upward search spaces (per direction) the one-to-many and
   * many-to-one queries keep, least recently used dropped first. Insertion
   * asks about the same vehicle stops again and again: a cached space makes
   * a stop cost a scan of a few hundred entries instead of a search.
   * 0 turns the cache off.
   *
   * @default 4096
   */
  searchSpaceCacheSize?: number
}

const DEFAULT_SEARCH_SPACE_CACHE_SIZE = 4096

/**
 * The vertices an exhaustive upward search from one vertex settles (and
 * does not stall), with their distances: half of every path from or to it.
 */
export interface SearchSpace {
  readonly nodes: Uint32Array
  readonly dist: Float64Array
}

const FORWARD = 0
const BACKWARD = 1

/**
 * Queries on one {@link ContractionHierarchy}. Holds its own n-sized
 * working arrays, reset by a generation counter rather than refilled, so a
 * query allocates nothing proportional to the graph. Not reentrant: use one
 * per concurrent caller (JavaScript has one thread, so one per router).
 *
 * Distances are in the hierarchy's integer unit (ms or cm); `Infinity`
 * when no path exists.
 */
export class ChQuery {
  readonly ch: ContractionHierarchy
  private readonly n: number
  private readonly dist: [Float64Array, Float64Array]
  private readonly stamp: [Uint32Array, Uint32Array]
  /** Vertex before each reached vertex in each search, and the hierarchy edge used. */
  private readonly pred: [Int32Array, Int32Array]
  private readonly predEdge: [Int32Array, Int32Array]
  private readonly heap: [MinHeap, MinHeap]
  private gen = 0
  private readonly cacheSize: number
  private readonly cache: [Map<number, SearchSpace>, Map<number, SearchSpace>] = [new Map(), new Map()]
  private spaceNodes = new Uint32Array(256)
  private spaceDist = new Float64Array(256)
  // Buckets of the many-to-many query: a linked list per vertex, stamped.
  private readonly bucketHead: Int32Array
  private readonly bucketStamp: Uint32Array
  private bucketNext = new Int32Array(256)
  private bucketTarget = new Int32Array(256)
  private bucketDist = new Float64Array(256)

  constructor (ch: ContractionHierarchy, opts: ChQueryOptions = {}) {
    this.ch = ch
    const n = this.n = ch.numNodes
    this.dist = [new Float64Array(n), new Float64Array(n)]
    this.stamp = [new Uint32Array(n), new Uint32Array(n)]
    this.pred = [new Int32Array(n), new Int32Array(n)]
    this.predEdge = [new Int32Array(n), new Int32Array(n)]
    this.heap = [new MinHeap(256), new MinHeap(256)]
    this.bucketHead = new Int32Array(n)
    this.bucketStamp = new Uint32Array(n)
    this.cacheSize = opts.searchSpaceCacheSize ?? DEFAULT_SEARCH_SPACE_CACHE_SIZE
  }

  private nextGen (): number {
    if (this.gen === 0xFFFFFFFF) {
      // After 4 billion queries, clear the stamps once rather than alias.
      this.stamp[0].fill(0); this.stamp[1].fill(0); this.bucketStamp.fill(0)
      this.gen = 0
    }
    return ++this.gen
  }

  /** Weight of the shortest path from `s` to `t`. */
  distance (s: number, t: number): number {
    return this.search(s, t) < 0 ? Infinity : this.bestDist
  }

  /** Vertices of the shortest path from `s` to `t` (both included), or null when unreachable. */
  path (s: number, t: number): { weight: number, nodes: number[] } | null {
    const meet = this.search(s, t)
    if (meet < 0) return null
    const weight = this.bestDist
    const ch = this.ch
    // Forward half: walk back from the meeting vertex to s, then unpack in order.
    const upChain: number[] = []
    for (let v = meet; v !== s; v = this.pred[FORWARD][v]) upChain.push(v)
    const nodes: number[] = [s]
    let u = s
    for (let i = upChain.length - 1; i >= 0; i--) {
      const v = upChain[i]
      ch.unpackEdge(u, v, ch.upMid[this.predEdge[FORWARD][v]], nodes)
      u = v
    }
    // Backward half: from the meeting vertex down to t.
    for (let v = meet; v !== t;) {
      const x = this.pred[BACKWARD][v]
      ch.unpackEdge(v, x, ch.downMid[this.predEdge[BACKWARD][v]], nodes)
      v = x
    }
    return { weight, nodes }
  }

  private bestDist = Infinity

  /** Bidirectional upward Dijkstra with stall-on-demand; returns the meeting vertex or -1. */
  private search (s: number, t: number): number {
    checkVertex(s, this.n)
    checkVertex(t, this.n)
    const gen = this.nextGen()
    const ch = this.ch
    const [fDist, bDist] = this.dist
    const [fStamp, bStamp] = this.stamp
    const [fPred, bPred] = this.pred
    const [fEdge, bEdge] = this.predEdge
    const [fHeap, bHeap] = this.heap
    fHeap.clear(); bHeap.clear()
    fDist[s] = 0; fStamp[s] = gen; fPred[s] = -1
    bDist[t] = 0; bStamp[t] = gen; bPred[t] = -1
    fHeap.push(0, s)
    bHeap.push(0, t)
    let best = Infinity
    let meet = -1
    if (s === t) {
      this.bestDist = 0
      return s
    }
    const upFirst = ch.upFirst; const upHead = ch.upHead; const upWeight = ch.upWeight
    const downFirst = ch.downFirst; const downHead = ch.downHead; const downWeight = ch.downWeight
    for (;;) {
      let fk = fHeap.peekKey()
      let bk = bHeap.peekKey()
      if (fk >= best) { fHeap.clear(); fk = Infinity }
      if (bk >= best) { bHeap.clear(); bk = Infinity }
      if (fk === Infinity && bk === Infinity) break
      if (fk <= bk) {
        const v = fHeap.pop()
        const d = fHeap.lastKey
        if (d > fDist[v]) continue
        if (bStamp[v] === gen && d + bDist[v] < best) { best = d + bDist[v]; meet = v }
        // Stall: a higher vertex reaches v more cheaply going down, so v is not on a shortest up-path.
        let stalled = false
        for (let e = downFirst[v], end = downFirst[v + 1]; e < end; e++) {
          const x = downHead[e]
          if (fStamp[x] === gen && fDist[x] + downWeight[e] < d) { stalled = true; break }
        }
        if (stalled) continue
        for (let e = upFirst[v], end = upFirst[v + 1]; e < end; e++) {
          const x = upHead[e]
          const dx = d + upWeight[e]
          if (fStamp[x] !== gen || dx < fDist[x]) {
            fStamp[x] = gen; fDist[x] = dx; fPred[x] = v; fEdge[x] = e
            fHeap.push(dx, x)
          }
        }
      } else {
        const v = bHeap.pop()
        const d = bHeap.lastKey
        if (d > bDist[v]) continue
        if (fStamp[v] === gen && d + fDist[v] < best) { best = d + fDist[v]; meet = v }
        let stalled = false
        for (let e = upFirst[v], end = upFirst[v + 1]; e < end; e++) {
          const x = upHead[e]
          if (bStamp[x] === gen && bDist[x] + upWeight[e] < d) { stalled = true; break }
        }
        if (stalled) continue
        for (let e = downFirst[v], end = downFirst[v + 1]; e < end; e++) {
          const x = downHead[e]
          const dx = d + downWeight[e]
          if (bStamp[x] !== gen || dx < bDist[x]) {
            bStamp[x] = gen; bDist[x] = dx; bPred[x] = v; bEdge[x] = e
            bHeap.push(dx, x)
          }
        }
      }
    }
    this.bestDist = best
    return meet
  }

  /**
   * The upward search space of `v`: forward (paths from `v`) or backward
   * (paths to `v`). Cached; the returned arrays must not be modified.
   */
  searchSpace (v: number, direction: 'forward' | 'backward'): SearchSpace {
    return this.space(v, direction === 'forward' ? FORWARD : BACKWARD)
  }

  private space (v: number, dir: number): SearchSpace {
    checkVertex(v, this.n)
    const cache = this.cache[dir]
    const hit = cache.get(v)
    if (hit != null) {
      // Move to the back of the Map's insertion order: least recently used goes first.
      cache.delete(v)
      cache.set(v, hit)
      return hit
    }
    const s = this.exhaustiveSearch(v, dir)
    if (this.cacheSize > 0) {
      if (cache.size >= this.cacheSize) cache.delete(cache.keys().next().value as number)
      cache.set(v, s)
    }
    return s
  }

  /** Upward Dijkstra from `v` until the queue is empty, with stall-on-demand. */
  private exhaustiveSearch (v: number, dir: number): SearchSpace {
    const gen = this.nextGen()
    const ch = this.ch
    const dist = this.dist[dir]
    const stamp = this.stamp[dir]
    const heap = this.heap[dir]
    const first = dir === FORWARD ? ch.upFirst : ch.downFirst
    const head = dir === FORWARD ? ch.upHead : ch.downHead
    const weight = dir === FORWARD ? ch.upWeight : ch.downWeight
    const sFirst = dir === FORWARD ? ch.downFirst : ch.upFirst
    const sHead = dir === FORWARD ? ch.downHead : ch.upHead
    const sWeight = dir === FORWARD ? ch.downWeight : ch.upWeight
    heap.clear()
    dist[v] = 0; stamp[v] = gen
    heap.push(0, v)
    let count = 0
    while (heap.size > 0) {
      const x = heap.pop()
      const d = heap.lastKey
      if (d > dist[x]) continue
      let stalled = false
      for (let e = sFirst[x], end = sFirst[x + 1]; e < end; e++) {
        const y = sHead[e]
        if (stamp[y] === gen && dist[y] + sWeight[e] < d) { stalled = true; break }
      }
      if (stalled) continue
      if (count === this.spaceNodes.length) this.growSpace()
      this.spaceNodes[count] = x
      this.spaceDist[count] = d
      count++
      for (let e = first[x], end = first[x + 1]; e < end; e++) {
        const y = head[e]
        const dy = d + weight[e]
        if (stamp[y] !== gen || dy < dist[y]) {
          stamp[y] = gen; dist[y] = dy
          heap.push(dy, y)
        }
      }
    }
    return { nodes: this.spaceNodes.slice(0, count), dist: this.spaceDist.slice(0, count) }
  }

  private growSpace (): void {
    const nodes = new Uint32Array(this.spaceNodes.length * 2)
    nodes.set(this.spaceNodes)
    const dist = new Float64Array(this.spaceDist.length * 2)
    dist.set(this.spaceDist)
    this.spaceNodes = nodes
    this.spaceDist = dist
  }

  /** Writes `space` into the forward working arrays under a fresh generation; returns it. */
  private spread (space: SearchSpace): number {
    const gen = this.nextGen()
    const dist = this.dist[FORWARD]
    const stamp = this.stamp[FORWARD]
    const { nodes, dist: sd } = space
    for (let i = 0; i < nodes.length; i++) {
      dist[nodes[i]] = sd[i]
      stamp[nodes[i]] = gen
    }
    return gen
  }

  /** Best `spread` distance plus `space`'s distances over their common vertices. */
  private join (gen: number, space: SearchSpace): number {
    const dist = this.dist[FORWARD]
    const stamp = this.stamp[FORWARD]
    const { nodes, dist: sd } = space
    let best = Infinity
    for (let i = 0; i < nodes.length; i++) {
      const x = nodes[i]
      if (stamp[x] === gen) {
        const d = dist[x] + sd[i]
        if (d < best) best = d
      }
    }
    return best
  }

  /** Weights of the shortest paths from `source` to each of `targets`, in order. */
  distancesFrom (source: number, targets: ArrayLike<number>, out = new Float64Array(targets.length)): Float64Array {
    const fs = this.space(source, FORWARD)
    // Fetch the targets' spaces first: a search would overwrite the spread.
    const spaces = new Array<SearchSpace>(targets.length)
    for (let i = 0; i < targets.length; i++) spaces[i] = this.space(targets[i], BACKWARD)
    const gen = this.spread(fs)
    for (let i = 0; i < targets.length; i++) out[i] = this.join(gen, spaces[i])
    return out
  }

  /** Weights of the shortest paths from each of `sources` to `target`, in order. */
  distancesTo (sources: ArrayLike<number>, target: number, out = new Float64Array(sources.length)): Float64Array {
    const spaces = new Array<SearchSpace>(sources.length)
    for (let i = 0; i < sources.length; i++) spaces[i] = this.space(sources[i], FORWARD)
    const bs = this.space(target, BACKWARD)
    // Spread the target's space once; joining is symmetric in the two sums.
    const gen = this.spread(bs)
    for (let i = 0; i < sources.length; i++) out[i] = this.join(gen, spaces[i])
    return out
  }

  /**
   * Weights of the shortest paths from every source to every target,
   * row-major: entry `i * targets.length + j` is from `sources[i]` to
   * `targets[j]`. Bucket-based: each target's backward space is filed at
   * its vertices, then each source's forward space collects them.
   */
  manyToMany (sources: ArrayLike<number>, targets: ArrayLike<number>): Float64Array {
    const ns = sources.length
    const nt = targets.length
    const out = new Float64Array(ns * nt).fill(Infinity)
    const bSpaces = new Array<SearchSpace>(nt)
    let entries = 0
    for (let j = 0; j < nt; j++) {
      bSpaces[j] = this.space(targets[j], BACKWARD)
      entries += bSpaces[j].nodes.length
    }
    const fSpaces = new Array<SearchSpace>(ns)
    for (let i = 0; i < ns; i++) fSpaces[i] = this.space(sources[i], FORWARD)
    if (this.bucketNext.length < entries) {
      const cap = Math.max(entries, this.bucketNext.length * 2)
      this.bucketNext = new Int32Array(cap)
      this.bucketTarget = new Int32Array(cap)
      this.bucketDist = new Float64Array(cap)
    }
    const gen = this.nextGen()
    const bHead = this.bucketHead; const bStamp = this.bucketStamp
    const bNext = this.bucketNext; const bTarget = this.bucketTarget; const bDist = this.bucketDist
    let k = 0
    for (let j = 0; j < nt; j++) {
      const { nodes, dist } = bSpaces[j]
      for (let i = 0; i < nodes.length; i++) {
        const x = nodes[i]
        bNext[k] = bStamp[x] === gen ? bHead[x] : -1
        bTarget[k] = j
        bDist[k] = dist[i]
        bHead[x] = k
        bStamp[x] = gen
        k++
      }
    }
    for (let i = 0; i < ns; i++) {
      const { nodes, dist } = fSpaces[i]
      const row = i * nt
      for (let a = 0; a < nodes.length; a++) {
        const x = nodes[a]
        if (bStamp[x] !== gen) continue
        const dx = dist[a]
        for (let b = bHead[x]; b >= 0; b = bNext[b]) {
          const d = dx + bDist[b]
          const o = row + bTarget[b]
          if (d < out[o]) out[o] = d
        }
      }
    }
    return out
  }

  /** Drops every cached search space. */
  clearCache (): void {
    this.cache[0].clear()
    this.cache[1].clear()
  }
}
