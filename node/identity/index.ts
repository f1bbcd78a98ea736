/**
 * @packageDocumentation
 *
 * A node's one secp256k1 key: libp2p peer id and Ethereum address at once,
 * kept in `<dataDir>/identity.key`.
 */
export { defaultDataDir, identityFromKey, loadOrCreateIdentity, DEFAULT_PROFILE, IDENTITY_FILE } from './identity.js'
export type { NodeIdentity } from './identity.js'
export { IdentityError } from './errors.js'
export type { IdentityErrorCode } from './errors.js'
