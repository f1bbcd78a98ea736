import { peerIdFromString } from '@libp2p/peer-id'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'

/**
 * The Ethereum address (lower-case 0x hex) of a secp256k1 peer id, as the trip record header
 * wants it; undefined for other key types. A peer id of a secp256k1 key embeds the key, so
 * the address of the other party needs no extra message.
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
