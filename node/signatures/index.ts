/**
 * @packageDocumentation
 *
 * Signature backends plugged into the protocol's `EnvelopeSigner` and `SignatureVerifier`
 * ports, so that `protocol/` stays free of native code and of `node:crypto`.
 */
export { libsecp256k1Signatures } from './libsecp256k1.js'
export type { SignatureBackend } from './libsecp256k1.js'
