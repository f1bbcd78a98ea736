import { CodedError } from '../../protocol/index.js'

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

/** The identity file exists but cannot be used; it is never overwritten. One class per failure below. */
export abstract class IdentityError extends CodedError<IdentityErrorCode> {}

/** The key file cannot be decoded (or its keystore document is malformed). */
export class CorruptIdentityError extends IdentityError {
  static readonly NAME = 'CorruptIdentityError'
  override readonly name = CorruptIdentityError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_CORRUPT_IDENTITY', message, options) }
}

/** The key is not secp256k1. */
export class WrongKeyTypeError extends IdentityError {
  static readonly NAME = 'WrongKeyTypeError'
  override readonly name = WrongKeyTypeError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_WRONG_KEY_TYPE', message, options) }
}

/** The key file is a symbolic link: refused, never followed. */
export class SymlinkedKeyError extends IdentityError {
  static readonly NAME = 'SymlinkedKeyError'
  override readonly name = SymlinkedKeyError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_SYMLINKED_KEY', message, options) }
}

/** The key file (or the data directory) is not a regular file (directory). */
export class NotAFileError extends IdentityError {
  static readonly NAME = 'NotAFileError'
  override readonly name = NotAFileError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_NOT_A_FILE', message, options) }
}

/** The key file is encrypted and no passphrase was given. */
export class PassphraseRequiredError extends IdentityError {
  static readonly NAME = 'PassphraseRequiredError'
  override readonly name = PassphraseRequiredError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_PASSPHRASE_REQUIRED', message, options) }
}

/** The passphrase does not open the key file. */
export class WrongPassphraseError extends IdentityError {
  static readonly NAME = 'WrongPassphraseError'
  override readonly name = WrongPassphraseError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_WRONG_PASSPHRASE', message, options) }
}

/** A keystore of another version, cipher or KDF, or a KDF cost beyond the bounds. */
export class UnsupportedKeystoreError extends IdentityError {
  static readonly NAME = 'UnsupportedKeystoreError'
  override readonly name = UnsupportedKeystoreError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_UNSUPPORTED_KEYSTORE', message, options) }
}

/** `encrypt` of an encrypted key file, or `decrypt` of a plaintext one. */
export class KeyFileAlreadyDoneError extends IdentityError {
  static readonly NAME = 'KeyFileAlreadyDoneError'
  override readonly name = KeyFileAlreadyDoneError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_ALREADY_DONE', message, options) }
}

/** There is no key file to encrypt or decrypt. */
export class NoIdentityError extends IdentityError {
  static readonly NAME = 'NoIdentityError'
  override readonly name = NoIdentityError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_NO_IDENTITY', message, options) }
}
