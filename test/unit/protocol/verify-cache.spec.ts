import { InvalidParametersError } from '@libp2p/interface'
import { expect } from 'chai'
import { openEnvelope, signEnvelope } from '../../../protocol/envelope.js'
import { ValidationError } from '../../../protocol/errors.js'
import { ReplayCache } from '../../../protocol/replay-cache.js'
import { validateDirect, validateGossip } from '../../../protocol/validation.js'
import { SenderKeyCache, VerifyCache } from '../../../protocol/verify-cache.js'
import { BERLIN_CELL, NOW, nonce, offer, quote, request, secpKey } from './fixtures.js'
import type { SignatureVerifier } from '../../../protocol/envelope.js'

/** A verifier that counts its calls and defers to the key's own check. */
function countingVerifier (): SignatureVerifier & { calls: number } {
  const v = (async (key, data, sig) => {
    v.calls++
    return key.verify(data, sig)
  }) as SignatureVerifier & { calls: number }
  v.calls = 0
  return v
}

describe('protocol/verify-cache', () => {
  it('opens the same bytes once: a second open is a hit with the same envelope and no signature check', async () => {
    const key = await secpKey()
    const bytes = await signEnvelope(key, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    const cache = new VerifyCache()
    const verifier = countingVerifier()
    const a = await openEnvelope(bytes, { verifyCache: cache, verifier })
    const b = await openEnvelope(bytes.slice(), { verifyCache: cache, verifier })
    expect(b).to.equal(a)
    expect(verifier.calls).to.equal(1)
    expect(cache.hits).to.equal(1)
    expect(cache.misses).to.equal(1)
    expect(cache.keys.size).to.equal(1)
  })

  it('gives the same rejection for the same bad bytes, checked once', async () => {
    const key = await secpKey()
    const bytes = await signEnvelope(key, quote(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    const bad = bytes.slice()
    bad[bad.length - 3] ^= 0x01
    const cache = new VerifyCache()
    const verifier = countingVerifier()
    const codes: string[] = []
    for (let i = 0; i < 2; i++) {
      try {
        await openEnvelope(bad, { verifyCache: cache, verifier })
        expect.fail('a bad signature opened')
      } catch (err) {
        expect(err).to.be.instanceOf(ValidationError)
        codes.push((err as ValidationError).code)
      }
    }
    expect(codes).to.deep.equal(['bad-signature', 'bad-signature'])
    expect(verifier.calls).to.equal(1)
    // the good bytes are a different entry
    expect((await openEnvelope(bytes, { verifyCache: cache, verifier })).message.type).to.equal('quote')
  })

  it('shares verification between receivers, but each receiver still checks time and replays', async () => {
    const key = await secpKey()
    const bytes = await signEnvelope(key, offer(), { now: NOW, ttlMs: 20_000, nonce: nonce() })
    const cache = new VerifyCache()
    const verifier = countingVerifier()
    const receivers = [new ReplayCache(), new ReplayCache(), new ReplayCache()]
    for (const replay of receivers) {
      const r = await validateGossip(bytes, { now: NOW, replay, topicCell: BERLIN_CELL, verifyCache: cache, verifier })
      expect(r.verdict).to.equal('accept')
    }
    expect(verifier.calls).to.equal(1)
    const replayed = await validateGossip(bytes, { now: NOW + 1, replay: receivers[0], topicCell: BERLIN_CELL, verifyCache: cache, verifier })
    expect(replayed.verdict === 'ignore' && replayed.reason).to.equal('replayed')
    const late = await validateGossip(bytes, { now: NOW + 25_000, replay: new ReplayCache(), topicCell: BERLIN_CELL, verifyCache: cache, verifier })
    expect(late.verdict === 'ignore' && late.reason).to.equal('expired')
    expect(verifier.calls).to.equal(1)
  })

  it('stays within its bounds', async () => {
    const key = await secpKey()
    const cache = new VerifyCache({ maxEntries: 2, maxKeys: 1 })
    for (let i = 0; i < 5; i++) {
      await openEnvelope(await signEnvelope(key, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() }), { verifyCache: cache })
    }
    await openEnvelope(await signEnvelope(await secpKey(), request(), { now: NOW, ttlMs: 60_000, nonce: nonce() }), { verifyCache: cache })
    expect(cache.size).to.equal(2)
    expect(cache.keys.size).to.equal(1)
    expect(() => new VerifyCache({ maxEntries: 0 })).to.throw(InvalidParametersError)
    expect(() => new SenderKeyCache(0)).to.throw(InvalidParametersError)
  })

  it('a key cache alone decodes each sender once but verifies every direct message', async () => {
    const key = await secpKey()
    const keyCache = new SenderKeyCache()
    const verifier = countingVerifier()
    for (let i = 0; i < 3; i++) {
      const bytes = await signEnvelope(key, quote(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
      const r = await validateDirect(bytes, { now: NOW, keyCache, verifier })
      expect(r.verdict).to.equal('accept')
    }
    expect(verifier.calls).to.equal(3)
    expect(keyCache.size).to.equal(1)
  })
})
