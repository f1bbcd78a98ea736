/**
 * Exact shortest paths on a RoadGraph: contraction hierarchies (one per
 * metric) behind the {@link Router} facade, and plain Dijkstra as the
 * reference.
 */
export type { TravelTimeOracle } from './oracle.js'
export { Router, ROUTER_PREPARE_VERSION, METRICS, graphFingerprint } from './router.js'
export type { Route, RouteOptions, RouterOptions, PreparedExtras } from './router.js'
export { ContractionHierarchy, CH_ARRAY_NAMES } from './contraction-hierarchy.js'
export type { ChArrays, ContractionOptions } from './contraction-hierarchy.js'
export { ChQuery } from './ch-query.js'
export type { ChQueryOptions, SearchSpace } from './ch-query.js'
export { dijkstra, shortestPath, metricWeights } from './dijkstra.js'
export type { ShortestPathTree, GraphPath } from './dijkstra.js'
export { InvalidVertexError, PreparedDataError, WeightOverflowError } from './errors.js'
export type { RoutingErrorCode } from './errors.js'
