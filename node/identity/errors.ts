/** Every code an {@link IdentityError} can carry */
export type IdentityErrorCode = 'ERR_CORRUPT_IDENTITY' | 'ERR_WRONG_KEY_TYPE'

/** The identity file exists but cannot be used; it is never overwritten */
export class IdentityError extends Error {
  readonly code: IdentityErrorCode
  override name = 'IdentityError'

  constructor (code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
