/**
 * @packageDocumentation
 *
 * A node's one secp256k1 key: libp2p peer id and Ethereum address at once,
 * kept in `<dataDir>/identity.key`, in plaintext or as a passphrase-encrypted
 * Ethereum keystore (Web3 Secret Storage v3).
 */
export {
  defaultDataDir, identityFromKey, loadOrCreateIdentity, identityFileInfo, encryptIdentityFile, decryptIdentityFile,
  hideKeyBytes, DEFAULT_PROFILE, IDENTITY_FILE
} from './identity.js'
export type { NodeIdentity, IdentityOptions, IdentityFileInfo, PassphraseSource } from './identity.js'
export { encryptKeystore, decryptKeystore, parseKeystore, isKeystore, STANDARD_SCRYPT, LIGHT_SCRYPT } from './keystore.js'
export type { KeystoreV3, ScryptParams, EncryptKeystoreOptions } from './keystore.js'
export {
  IdentityError, CorruptIdentityError, WrongKeyTypeError, SymlinkedKeyError, NotAFileError, PassphraseRequiredError, WrongPassphraseError, UnsupportedKeystoreError, KeyFileAlreadyDoneError, NoIdentityError
} from './errors.js'
export type { IdentityErrorCode } from './errors.js'
