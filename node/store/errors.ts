/** Every code a {@link StoreError} can carry */
export type StoreErrorCode = 'ERR_CORRUPT_RECORD' | 'ERR_INVALID_ID' | 'ERR_STORE_CLOSED'

/** A record could not be read or written */
export class StoreError extends Error {
  readonly code: StoreErrorCode
  override name = 'StoreError'

  constructor (code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
