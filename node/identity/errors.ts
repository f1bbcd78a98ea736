/** Every code an {@link IdentityError} can carry */
export type IdentityErrorCode =
  /** the key file cannot be decoded (or its keystore document is malformed) */
  | 'ERR_CORRUPT_IDENTITY'
  /** the key is not secp256k1 */
  | 'ERR_WRONG_KEY_TYPE'
  /** the key file is a symbolic link: refused, never followed */
  | 'ERR_SYMLINKED_KEY'
  /** the key file (or the data directory) is not a regular file (directory) */
  | 'ERR_NOT_A_FILE'
  /** the key file is encrypted and no passphrase was given */
  | 'ERR_PASSPHRASE_REQUIRED'
  /** the passphrase does not open the key file */
  | 'ERR_WRONG_PASSPHRASE'
  /** a keystore of another version, cipher or KDF, or a KDF cost beyond the bounds */
  | 'ERR_UNSUPPORTED_KEYSTORE'
  /** `encrypt` of an encrypted key file, or `decrypt` of a plaintext one */
  | 'ERR_ALREADY_DONE'
  /** there is no key file to encrypt or decrypt */
  | 'ERR_NO_IDENTITY'

/** The identity file exists but cannot be used; it is never overwritten */
export class IdentityError extends Error {
  readonly code: IdentityErrorCode
  override name = 'IdentityError'

  constructor (code: IdentityErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
