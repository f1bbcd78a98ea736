import { generateKeyPair } from '@libp2p/crypto/keys'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { expect } from 'chai'
import { libsecp256k1Signatures } from '../../../../node/signatures/index.js'
import { Cancel, openEnvelope, signEnvelope } from '../../../../protocol/index.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

const backend = libsecp256k1Signatures()

/** libp2p's own verdict (its verify throws on some malformed signatures: that is a no). */
async function libp2pVerify (key: PublicKey, data: Uint8Array, sig: Uint8Array): Promise<boolean> {
  try {
    return await key.verify(data, sig)
  } catch {
    return false
  }
}

function randomBytes (n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed * 2654435761 >>> 0
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0
    x = (x ^ (x >>> 17)) >>> 0
    x = (x ^ (x << 5)) >>> 0
    out[i] = x & 0xff
  }
  return out
}

describe('node/signatures: libsecp256k1 backend', () => {
  let keys: PrivateKey[]

  before(async () => {
    keys = await Promise.all(Array.from({ length: 12 }, async () => generateKeyPair('secp256k1')))
  })

  it('signs byte for byte like libp2p keys, and both sides accept each other\'s signatures', async () => {
    for (let i = 0; i < 60; i++) {
      const key = keys[i % keys.length]
      const data = randomBytes(1 + (i * 37) % 500, i + 1)
      const ours = await backend.sign(key, data)
      const theirs = await key.sign(data)
      expect(ours).to.deep.equal(theirs)
      expect(await backend.verify(key.publicKey, data, theirs)).to.equal(true)
      expect(await libp2pVerify(key.publicKey, data, ours)).to.equal(true)
    }
  })

  it('refuses what libp2p refuses: other data, other key, high S, non-canonical DER, garbage', async () => {
    const key = keys[0]
    const data = randomBytes(200, 99)
    const sig = await key.sign(data)
    const parsed = secp256k1.Signature.fromBytes(sig, 'der')
    const highS = new secp256k1.Signature(parsed.r, secp256k1.Point.CURVE().n - parsed.s).toBytes('der')
    // r with a needless leading zero byte: the same numbers, not canonical DER
    const rLen = sig[3]
    const padded = Uint8Array.from([0x30, sig[1] + 1, 0x02, rLen + 1, 0x00, ...sig.subarray(4)])
    const cases: Array<[string, PublicKey, Uint8Array, Uint8Array]> = [
      ['other data', key.publicKey, randomBytes(200, 98), sig],
      ['other key', keys[1].publicKey, data, sig],
      ['high S', key.publicKey, data, highS],
      ['padded r', key.publicKey, data, padded],
      ['truncated', key.publicKey, data, sig.subarray(0, sig.length - 1)],
      ['empty', key.publicKey, data, new Uint8Array(0)],
      ['garbage', key.publicKey, data, randomBytes(71, 5)]
    ]
    for (const [name, pub, d, s] of cases) {
      const theirs = await libp2pVerify(pub, d, s)
      const ours = await backend.verify(pub, d, s)
      expect(ours, name).to.equal(theirs)
      expect(ours, name).to.equal(false)
    }
    for (let i = 0; i < sig.length; i++) {
      const flipped = sig.slice()
      flipped[i] ^= 0x04
      expect(await backend.verify(key.publicKey, data, flipped), `byte ${i}`).to.equal(await libp2pVerify(key.publicKey, data, flipped))
    }
  })

  it('envelopes signed by either backend open with the other', async () => {
    const key = keys[2]
    const message = { type: 'cancel' as const, body: { requestId: 'r1', reason: Cancel.Reason.RIDER_CANCELLED, note: '' } }
    const a = await signEnvelope(key, message, { now: 1_000, ttlMs: 1_000, nonce: randomBytes(16, 1), signer: backend.sign })
    const b = await signEnvelope(key, message, { now: 1_000, ttlMs: 1_000, nonce: randomBytes(16, 1) })
    expect(a).to.deep.equal(b)
    expect((await openEnvelope(a)).message.type).to.equal('cancel')
    expect((await openEnvelope(b, { verifier: backend.verify })).message.type).to.equal('cancel')
  })
})
