import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { enableKeyParseCache, simPeerKey } from '../../../sim/index.js'

describe('sim/key-cache (the secp256k1 public-key memo of patches/@libp2p+crypto)', () => {
  it('remembers a parsed key once turned on, and parses a known key to the same key', () => {
    const cache = enableKeyParseCache()
    const raw = simPeerKey(7, 'driver', 1).publicKey.raw
    const first = publicKeyFromRaw(raw)
    const before = cache.size
    expect(before, 'the patched @libp2p/crypto fills the memo').to.be.greaterThan(0)
    const again = publicKeyFromRaw(raw)
    expect(cache.size, 'a key already parsed is not added again').to.equal(before)
    expect(again.equals(first)).to.equal(true)
    expect(again.toString()).to.equal(first.toString())
    // a caller that alters the bytes it got does not alter the memo
    again.raw[1] ^= 0xff
    expect(publicKeyFromRaw(raw).equals(first)).to.equal(true)
  })

  it('still refuses bytes that are not a point of the curve', () => {
    enableKeyParseCache()
    const bad = new Uint8Array(33).fill(0xff)
    bad[0] = 0x02
    expect(() => publicKeyFromRaw(bad)).to.throw()
    expect(() => publicKeyFromRaw(bad), 'and again: a refusal is not remembered').to.throw()
  })
})
