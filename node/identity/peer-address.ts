import { peerIdFromString } from '@libp2p/peer-id'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'

/**
 * The Ethereum address (lower-case 0x hex) of a secp256k1 peer id; undefined for other key types.
 * An earlier version's peer id was its payment key, so it is its own identity binding; an
 * Ed25519 peer id embeds no address and needs a binding.
 */
export function ethAddressOfPeer (peerId: string): string | undefined {
  try {
    const publicKey = peerIdFromString(peerId).publicKey
    if (publicKey?.type !== 'secp256k1') {
      return undefined
    }
    const uncompressed = secp256k1.Point.fromBytes(publicKey.raw).toBytes(false)
    const hash = keccak_256(uncompressed.subarray(1))
    return `0x${uint8ArrayToString(hash.subarray(12), 'base16')}`
  } catch {
    return undefined
  }
}
