/**
 * @packageDocumentation
 *
 * A node's payment key (secp256k1, its Ethereum address), kept in `<dataDir>/identity.key` in
 * plaintext or as a passphrase-encrypted Ethereum keystore (Web3 Secret Storage v3), and the
 * Ed25519 peer key derived from it (its libp2p peer id).
 */
export {
  defaultDataDir, identityFromKey, derivePeerKey, ed25519FromSeed, PEER_KEY_DERIVATION, loadOrCreateIdentity, identityFileInfo, encryptIdentityFile, decryptIdentityFile,
  hideKeyBytes, DEFAULT_PROFILE, IDENTITY_FILE
} from './identity.js'
export type { NodeIdentity, IdentityOptions, IdentityFileInfo, PassphraseSource } from './identity.js'
export { encryptKeystore, decryptKeystore, parseKeystore, isKeystore, STANDARD_SCRYPT, LIGHT_SCRYPT } from './keystore.js'
export type { KeystoreV3, ScryptParams, EncryptKeystoreOptions } from './keystore.js'
export {
  IdentityError, CorruptIdentityError, WrongKeyTypeError, SymlinkedKeyError, NotAFileError, PassphraseRequiredError, WrongPassphraseError, UnsupportedKeystoreError, KeyFileAlreadyDoneError, NoIdentityError
} from './errors.js'
export type { IdentityErrorCode } from './errors.js'
