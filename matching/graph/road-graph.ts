/**
 * The compact, immutable road graph every part of matching works on.
 *
 * Vertices are road points (every OSM node of a car way, or a synthetic
 * intersection), numbered 0..numNodes-1. Directed edges are stored in CSR
 * form: the edges leaving vertex v are `firstOut[v] .. firstOut[v+1]-1`.
 *
 * Weights are integers (centimetres and milliseconds) so that any two exact
 * shortest-path algorithms agree to the last unit, whatever order they add
 * edges in.
 */
export interface RoadGraph {
  /** Number of vertices. */
  readonly numNodes: number
  /** Number of directed edges. */
  readonly numEdges: number
  /** Latitude of each vertex, degrees (WGS84). */
  readonly lat: Float64Array
  /** Longitude of each vertex, degrees (WGS84). */
  readonly lon: Float64Array
  /** CSR offsets, length numNodes + 1. */
  readonly firstOut: Uint32Array
  /** Target vertex of each edge. */
  readonly head: Uint32Array
  /** Great-circle length of each edge, centimetres (at least 1). */
  readonly distCm: Uint32Array
  /** Travel time of each edge at its speed, milliseconds (at least 1). */
  readonly timeMs: Uint32Array
  /** Where the graph came from and what the import dropped. */
  readonly meta: RoadGraphMeta
}

export interface RoadGraphMeta {
  /** `osm:<file name>` or `synthetic:<params>`. */
  readonly source: string
  /** Vertices and edges before the largest strongly connected component was kept. */
  readonly importedNodes: number
  readonly importedEdges: number
  /** What keeping only the largest strongly connected component removed. */
  readonly droppedNodes: number
  readonly droppedEdges: number
  /** Bounding box of the kept vertices. */
  readonly bbox: { minLat: number, minLon: number, maxLat: number, maxLon: number }
}

/** Which weight a shortest path minimises. */
export type Metric = 'time' | 'distance'
