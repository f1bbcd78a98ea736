import { ChQuery, type ChQueryOptions } from './ch-query.js'
import { CH_ARRAY_NAMES, ContractionHierarchy, type ContractionOptions } from './contraction-hierarchy.js'
import { metricWeights } from './dijkstra.js'
import { checkVertex, PreparedDataError } from './errors.js'
import { lightestEdge } from '../graph/lightest-edge.js'
import type { TravelTimeOracle } from './oracle.js'
import type { Metric, RoadGraph } from '../graph/road-graph.js'

/**
 * Version of the arrays {@link Router.toExtras} produces. A map cache made
 * with another version must be prepared again.
 */
export const ROUTER_PREPARE_VERSION = 'ch-1'

/** The metrics a router prepares, in the order of its extras. */
export const METRICS: readonly Metric[] = ['time', 'distance']

/** A route between two vertices. */
export interface Route {
  /** Length of the route, metres. */
  distanceM: number
  /** Travel time along the route, seconds. */
  durationS: number
  /** Vertices from the start to the destination, both included. */
  nodes: number[]
  /** `[lat, lon]` of each vertex of `nodes`, when asked for. */
  geometry?: Array<[number, number]>
}

/** Options of {@link Router.route}. */
export interface RouteOptions {
  /**
   * What the route minimises: travel time or length.
   *
   * @default 'time'
   */
  metric?: Metric
  /**
   * Add the coordinates of the route's vertices.
   *
   * @default false
   */
  geometry?: boolean
}

/** Options of {@link Router.build} and {@link Router.fromPrepared}. */
export interface RouterOptions extends ContractionOptions, ChQueryOptions {}

/** Anything the map loader may hand back as prepared extras. */
export type PreparedExtras = Readonly<Record<string, ArrayBufferView | undefined>>

/**
 * Exact shortest paths on one road graph, through a contraction hierarchy
 * per metric: single routes with their geometry, and the travel-time
 * tables insertion asks for ({@link TravelTimeOracle}).
 */
export class Router implements TravelTimeOracle {
  readonly graph: RoadGraph
  private readonly ch: Record<Metric, ContractionHierarchy>
  private readonly query: Record<Metric, ChQuery>

  private constructor (graph: RoadGraph, ch: Record<Metric, ContractionHierarchy>, opts: ChQueryOptions) {
    this.graph = graph
    this.ch = ch
    this.query = {
      time: new ChQuery(ch.time, opts),
      distance: new ChQuery(ch.distance, opts)
    }
  }

  /** Builds the hierarchies of both metrics for `graph` (seconds on a city). */
  static build (graph: RoadGraph, opts: RouterOptions = {}): Router {
    return new Router(graph, {
      time: ContractionHierarchy.build(graph, 'time', opts),
      distance: ContractionHierarchy.build(graph, 'distance', opts)
    }, opts)
  }

  /**
   * A router from arrays {@link toExtras} made earlier for the same graph
   * (the map cache's extras; other keys are ignored).
   *
   * @throws {PreparedDataError} when the arrays are missing, corrupt or for another graph
   */
  static fromPrepared (graph: RoadGraph, extras: PreparedExtras, opts: ChQueryOptions = {}): Router {
    const fp = extras['ch.graph']
    const want = graphFingerprint(graph)
    if (fp == null || !ArrayBuffer.isView(fp) || fp.byteLength !== want.byteLength ||
      !new Uint32Array(fp.buffer.slice(fp.byteOffset, fp.byteOffset + fp.byteLength)).every((x, i) => x === want[i])) {
      throw new PreparedDataError('prepared routing data was made for another graph')
    }
    const ch = {} as Record<Metric, ContractionHierarchy>
    for (const metric of METRICS) {
      const arrays: Record<string, ArrayBufferView | undefined> = {}
      for (const name of CH_ARRAY_NAMES) arrays[name] = extras[`ch.${metric}.${name}`]
      ch[metric] = ContractionHierarchy.fromArrays(arrays)
      if (ch[metric].numNodes !== graph.numNodes) throw new PreparedDataError(`prepared ${metric} hierarchy has ${ch[metric].numNodes} vertices, the graph ${graph.numNodes}`)
    }
    return new Router(graph, ch, opts)
  }

  /**
   * The `prepare` hook of the map loader: builds the router and returns its
   * extras (pair it with {@link ROUTER_PREPARE_VERSION}).
   */
  static prepare (graph: RoadGraph): Record<string, Uint32Array | Int32Array> {
    return Router.build(graph).toExtras()
  }

  /**
   * The hierarchies as named typed arrays, `ch.<metric>.<array>` (see
   * {@link CH_ARRAY_NAMES}), plus `ch.graph`, a fingerprint of the graph
   * they belong to. The arrays are shared, not copied.
   */
  toExtras (): Record<string, Uint32Array | Int32Array> {
    const out: Record<string, Uint32Array | Int32Array> = { 'ch.graph': graphFingerprint(this.graph) }
    for (const metric of METRICS) {
      const a = this.ch[metric].toArrays()
      for (const name of CH_ARRAY_NAMES) out[`ch.${metric}.${name}`] = a[name]
    }
    return out
  }

  /** The hierarchy of one metric. */
  hierarchy (metric: Metric): ContractionHierarchy {
    return this.ch[metric]
  }

  /** The query object of one metric (distances in ms or cm), for callers that want raw integers. */
  queries (metric: Metric): ChQuery {
    return this.query[metric]
  }

  /**
   * The shortest route from `from` to `to` by `opts.metric`, with both its
   * length and its travel time; null when `to` cannot be reached.
   */
  route (from: number, to: number, opts: RouteOptions = {}): Route | null {
    const metric = opts.metric ?? 'time'
    const found = this.query[metric].path(from, to)
    if (found == null) return null
    const g = this.graph
    const main = metricWeights(g, metric)
    const other = metric === 'time' ? g.distCm : g.timeMs
    let sumMain = 0
    let sumOther = 0
    const nodes = found.nodes
    for (let i = 1; i < nodes.length; i++) {
      const a = nodes[i - 1]
      const b = nodes[i]
      // of parallel edges the hierarchy used the lightest
      const best = lightestEdge(g, a, b, metric)
      if (best < 0) throw new PreparedDataError(`unpacked route uses ${a} -> ${b}, which is not an edge of the graph`)
      sumMain += main[best]
      sumOther += other[best]
    }
    if (sumMain !== found.weight) throw new PreparedDataError(`unpacked route weighs ${sumMain}, the hierarchy said ${found.weight}`)
    const distCm = metric === 'distance' ? sumMain : sumOther
    const timeMs = metric === 'time' ? sumMain : sumOther
    const route: Route = { distanceM: distCm / 100, durationS: timeMs / 1000, nodes }
    if (opts.geometry === true) route.geometry = nodes.map(v => [g.lat[v], g.lon[v]])
    return route
  }

  /** Seconds of the fastest path from `from` to `to`; `Infinity` if none. */
  time (from: number, to: number): number {
    return this.query.time.distance(from, to) / 1000
  }

  /** Metres of the shortest path from `from` to `to`; `Infinity` if none. */
  distance (from: number, to: number): number {
    return this.query.distance.distance(from, to) / 100
  }

  /** Seconds from `source` to each of `targets`, in order. */
  timesFrom (source: number, targets: ArrayLike<number>): Float64Array {
    return scale(this.query.time.distancesFrom(source, targets), 1000)
  }

  /** Seconds from each of `sources` to `target`, in order. */
  timesTo (sources: ArrayLike<number>, target: number): Float64Array {
    return scale(this.query.time.distancesTo(sources, target), 1000)
  }

  /** Seconds from each source to each target, row-major (`i * targets.length + j`). */
  timeTable (sources: ArrayLike<number>, targets: ArrayLike<number>): Float64Array {
    return scale(this.query.time.manyToMany(sources, targets), 1000)
  }

  /** Metres of the shortest paths from `source` to each of `targets`, in order. */
  distancesFrom (source: number, targets: ArrayLike<number>): Float64Array {
    return scale(this.query.distance.distancesFrom(source, targets), 100)
  }

  /** Checks a vertex id against the graph. @throws {InvalidVertexError} */
  checkVertex (v: number): void {
    checkVertex(v, this.graph.numNodes)
  }
}

/** Divides in place (not multiplies by the reciprocal, so values equal `x / divisor` elsewhere to the bit). */
function scale (a: Float64Array, divisor: number): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] = a[i] / divisor
  return a
}

/**
 * A short fingerprint of a graph's topology and weights (counts and an
 * FNV-1a hash), so that prepared arrays are never used with another graph.
 */
export function graphFingerprint (g: RoadGraph): Uint32Array {
  let h = 0x811C9DC5
  const mix = (a: Uint32Array): void => {
    for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a[i], 0x01000193) >>> 0
  }
  mix(g.firstOut); mix(g.head); mix(g.distCm); mix(g.timeMs)
  return Uint32Array.of(g.numNodes, g.numEdges, h)
}
