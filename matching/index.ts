/**
 * The matching engine: who drives whom, and how. Pure: no I/O, no clock.
 *
 * - `graph/`: the road graph (OSM import, synthetic city, snapping, binary form)
 * - `routing/`: exact shortest paths (contraction hierarchies, Dijkstra reference)
 * - `insertion/`: inserting a ride request into a vehicle's plan
 * - `pricing/`: fares
 * - `ranking/`: the rider's ranking of quotes
 * - `vehicle/`: a car following its plan along the road graph in time
 */
export * from './graph/index.js'
export * from './routing/index.js'
export * from './insertion/index.js'
export * from './pricing/index.js'
export * from './ranking/index.js'
export * from './vehicle/index.js'
