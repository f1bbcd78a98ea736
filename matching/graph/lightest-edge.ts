import type { Metric, RoadGraph } from './road-graph.js'

/**
 * The edge `a → b` a route by `metric` drives, or -1 when there is none: of parallel edges the
 * lightest by `metric`, on ties the lighter by the other metric, then the lowest index. The
 * router, the driver's car and the simulated fleet all take this one.
 */
export function lightestEdge (graph: RoadGraph, a: number, b: number, metric: Metric = 'time'): number {
  const main = metric === 'distance' ? graph.distCm : graph.timeMs
  const other = metric === 'distance' ? graph.timeMs : graph.distCm
  let best = -1
  for (let e = graph.firstOut[a], end = graph.firstOut[a + 1]; e < end; e++) {
    if (graph.head[e] !== b) continue
    if (best < 0 || main[e] < main[best] || (main[e] === main[best] && other[e] < other[best])) best = e
  }
  return best
}
