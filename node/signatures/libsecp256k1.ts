import { createHash } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import * as ecc from 'tiny-secp256k1'
import type { EnvelopeSigner, SignatureVerifier } from '../../protocol/index.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

/** The envelope signature backend of a node: sign and verify, as the protocol's ports. */
export interface SignatureBackend {
  sign: EnvelopeSigner
  verify: SignatureVerifier
}

/**
 * libp2p's secp256k1 signatures (SHA-256 of the data, ECDSA with RFC 6979 nonces, low S, DER)
 * computed by libsecp256k1 (Bitcoin Core's library, compiled to WebAssembly by
 * `tiny-secp256k1`) instead of libp2p's pure-JS `@noble/curves`: several times faster on both
 * sides. Signing gives byte-identical signatures (both use RFC 6979 with no extra entropy and
 * normalise S), and verifying accepts exactly what libp2p accepts: canonical DER with a low S
 * that checks against the key. Keys of other types fall back to their own methods.
 */
export function libsecp256k1Signatures (): SignatureBackend {
  return {
    sign: (key: PrivateKey, data: Uint8Array): Uint8Array | Promise<Uint8Array> => {
      if (key.type !== 'secp256k1' || key.raw.byteLength !== 32) {
        return key.sign(data)
      }
      const compact = ecc.sign(sha256(data), key.raw)
      return secp256k1.Signature.fromBytes(compact, 'compact').toBytes('der')
    },
    verify: (key: PublicKey, data: Uint8Array, signature: Uint8Array): boolean | Promise<boolean> => {
      if (key.type !== 'secp256k1' || key.raw.byteLength !== 33) {
        return key.verify(data, signature)
      }
      const compact = canonicalLowS(signature)
      if (compact == null) {
        return false
      }
      try {
        return ecc.verify(sha256(data), key.raw, compact, true)
      } catch {
        return false
      }
    }
  }
}

function sha256 (data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest()
}

/**
 * The 64-byte r || s of a DER signature that is canonical (re-encodes to the same bytes) and
 * has a low S, as `@noble/curves` demands when libp2p verifies; undefined otherwise.
 */
function canonicalLowS (signature: Uint8Array): Uint8Array | undefined {
  try {
    const sig = secp256k1.Signature.fromBytes(signature, 'der')
    if (sig.hasHighS()) {
      return undefined
    }
    const again = sig.toBytes('der')
    if (again.byteLength !== signature.byteLength || !again.every((b, i) => b === signature[i])) {
      return undefined
    }
    return sig.toBytes('compact')
  } catch {
    return undefined
  }
}
