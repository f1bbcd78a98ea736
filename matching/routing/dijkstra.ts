import { checkVertex } from './errors.js'
import { MinHeap } from './min-heap.js'
import type { Metric, RoadGraph } from '../graph/road-graph.js'

/** The edge weights of `g` that `metric` minimises: `timeMs` or `distCm`. */
export function metricWeights (g: RoadGraph, metric: Metric): Uint32Array {
  return metric === 'distance' ? g.distCm : g.timeMs
}

/** What a one-to-all Dijkstra search found. */
export interface ShortestPathTree {
  /** Weight of the best path from the source to each vertex (ms or cm); `Infinity` if unreached. */
  readonly dist: Float64Array
  /** Previous vertex on that path; -1 for the source and for unreached vertices. */
  readonly parent: Int32Array
  /** Edge id (into `g.head`) arriving at each vertex on that path; -1 where `parent` is -1. */
  readonly parentEdge: Int32Array
}

/**
 * Plain Dijkstra with a binary heap over the integer weights of `metric`.
 * The reference the faster engines are tested against, and a fallback.
 *
 * With `target`, the search stops as soon as the target is settled: then
 * only vertices settled before it carry final distances.
 */
export function dijkstra (g: RoadGraph, source: number, metric: Metric, target?: number): ShortestPathTree {
  const n = g.numNodes
  checkVertex(source, n)
  if (target != null) checkVertex(target, n)
  const w = metricWeights(g, metric)
  const { firstOut, head } = g
  const dist = new Float64Array(n).fill(Infinity)
  const parent = new Int32Array(n).fill(-1)
  const parentEdge = new Int32Array(n).fill(-1)
  const done = new Uint8Array(n)
  const heap = new MinHeap(64)
  dist[source] = 0
  heap.push(0, source)
  while (heap.size > 0) {
    const u = heap.pop()
    if (done[u] === 1) continue
    done[u] = 1
    if (u === target) break
    const du = heap.lastKey
    for (let e = firstOut[u], end = firstOut[u + 1]; e < end; e++) {
      const v = head[e]
      const dv = du + w[e]
      if (dv < dist[v]) {
        dist[v] = dv
        parent[v] = u
        parentEdge[v] = e
        heap.push(dv, v)
      }
    }
  }
  return { dist, parent, parentEdge }
}

/** A shortest path as found by {@link shortestPath}. */
export interface GraphPath {
  /** Sum of the metric's edge weights (ms or cm). */
  readonly weight: number
  /** Vertices from the source to the target, both included. */
  readonly nodes: number[]
  /** Edge ids (into `g.head`), one fewer than `nodes`. */
  readonly edges: number[]
}

/** The shortest path from `from` to `to` by `metric` (plain Dijkstra), or null when unreachable. */
export function shortestPath (g: RoadGraph, from: number, to: number, metric: Metric): GraphPath | null {
  const { dist, parent, parentEdge } = dijkstra(g, from, metric, to)
  if (dist[to] === Infinity) return null
  const nodes: number[] = [to]
  const edges: number[] = []
  for (let v = to; v !== from; v = parent[v]) {
    edges.push(parentEdge[v])
    nodes.push(parent[v])
  }
  nodes.reverse()
  edges.reverse()
  return { weight: dist[to], nodes, edges }
}
