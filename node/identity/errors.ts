import { ErrorFamily } from '../../protocol/index.js'

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
export abstract class IdentityError extends ErrorFamily<IdentityErrorCode> {}

/** The key file cannot be decoded (or its keystore document is malformed). */
export class CorruptIdentityError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_CORRUPT_IDENTITY' }

/** The key is not secp256k1. */
export class WrongKeyTypeError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_WRONG_KEY_TYPE' }

/** The key file is a symbolic link: refused, never followed. */
export class SymlinkedKeyError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_SYMLINKED_KEY' }

/** The key file (or the data directory) is not a regular file (directory). */
export class NotAFileError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_NOT_A_FILE' }

/** The key file is encrypted and no passphrase was given. */
export class PassphraseRequiredError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_PASSPHRASE_REQUIRED' }

/** The passphrase does not open the key file. */
export class WrongPassphraseError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_WRONG_PASSPHRASE' }

/** A keystore of another version, cipher or KDF, or a KDF cost beyond the bounds. */
export class UnsupportedKeystoreError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_UNSUPPORTED_KEYSTORE' }

/** `encrypt` of an encrypted key file, or `decrypt` of a plaintext one. */
export class KeyFileAlreadyDoneError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_ALREADY_DONE' }

/** There is no key file to encrypt or decrypt. */
export class NoIdentityError extends IdentityError { static readonly code: IdentityErrorCode = 'ERR_NO_IDENTITY' }
