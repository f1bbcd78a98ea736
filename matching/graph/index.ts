/**
 * The road graph: its CSR contract, OSM import, synthetic cities, spatial
 * snapping and a binary serialization. Pure: bytes in, graphs out.
 */
export type { RoadGraph, RoadGraphMeta, Metric } from './road-graph.js'
export { MapFormatError } from './errors.js'
export type { MapErrorCode } from './errors.js'
export { mulberry32, randomInt, randomRange } from './random.js'
export type { Random } from './random.js'
export { EARTH_RADIUS_M, haversineM, toDistCm, toTimeMs } from './geo.js'
export { stronglyConnectedComponents, isStronglyConnected } from './scc.js'
export type { Components } from './scc.js'
export { buildRoadGraph, reverseGraph, edgeTails } from './build.js'
export { lightestEdge } from './lightest-edge.js'
export type { EdgeList, BuildOptions, ReverseGraph } from './build.js'
export { parseOsmPbf, carWayRules, parseMaxspeed, DEFAULT_SPEEDS_KMH, OSM_IMPORT_VERSION } from './osm-import.js'
export type { CarWay, ParseOsmOptions } from './osm-import.js'
export { syntheticCity, resolveSyntheticCityOptions, SYNTHETIC_CITY_DEFAULTS } from './synthetic-city.js'
export type { SyntheticCityOptions, OneWayPattern } from './synthetic-city.js'
export { SpatialIndex, DEFAULT_SNAP_MAX_DISTANCE_M, DEFAULT_SNAP_CELL_M } from './spatial-index.js'
export type { Snap, SpatialIndexOptions } from './spatial-index.js'
export { serializeGraph, deserializeGraph, GRAPH_MAGIC, GRAPH_FORMAT_VERSION } from './serialize.js'
export type { ExtraArray, GraphExtras } from './serialize.js'
