/** Codes of the errors routing throws. */
export type RoutingErrorCode = 'ERR_INVALID_VERTEX' | 'ERR_PREPARED_DATA' | 'ERR_WEIGHT_OVERFLOW'

/** A vertex id that is not an integer in `0 .. numNodes-1` of the graph routed on. */
export class InvalidVertexError extends RangeError {
  static readonly code = 'ERR_INVALID_VERTEX'
  readonly code: 'ERR_INVALID_VERTEX' = 'ERR_INVALID_VERTEX'
  override readonly name = 'InvalidVertexError'
}

/**
 * Prepared routing data (a contraction hierarchy's arrays, e.g. from a map
 * cache) that is missing, malformed, or was made for another graph.
 */
export class PreparedDataError extends Error {
  static readonly code = 'ERR_PREPARED_DATA'
  readonly code: 'ERR_PREPARED_DATA' = 'ERR_PREPARED_DATA'
  override readonly name = 'PreparedDataError'
}

/** A shortcut's weight does not fit the 32-bit weight arrays (a graph far larger than a city). */
export class WeightOverflowError extends RangeError {
  static readonly code = 'ERR_WEIGHT_OVERFLOW'
  readonly code: 'ERR_WEIGHT_OVERFLOW' = 'ERR_WEIGHT_OVERFLOW'
  override readonly name = 'WeightOverflowError'
}

/** Throws {@link InvalidVertexError} unless `v` is a vertex of a graph of `numNodes` vertices. */
export function checkVertex (v: number, numNodes: number): void {
  if (!(Number.isInteger(v) && v >= 0 && v < numNodes)) {
    throw new InvalidVertexError(`vertex ${v} is not in the graph (0..${numNodes - 1})`)
  }
}
