/** Codes of the errors the road-graph code throws. */
export type MapErrorCode = 'ERR_MAP_FORMAT'

/**
 * The bytes given are not a usable map: not an `.osm.pbf`, a corrupt or
 * truncated file, a file with no car roads, or a corrupt serialized graph.
 */
export class MapFormatError extends Error {
  static readonly code = 'ERR_MAP_FORMAT'
  readonly code: 'ERR_MAP_FORMAT' = 'ERR_MAP_FORMAT'
  override readonly name = 'MapFormatError'

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
