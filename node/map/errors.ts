/**
 * A map file could not be read: missing, a directory, or unreadable. (Bytes
 * that are read but are not a map are a `MapFormatError`.)
 */
export class MapFileError extends Error {
  static readonly code = 'ERR_MAP_FILE'
  readonly code: 'ERR_MAP_FILE' = 'ERR_MAP_FILE'
  override readonly name = 'MapFileError'
  /** The path that could not be read. */
  readonly path: string

  constructor (path: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.path = path
  }
}
