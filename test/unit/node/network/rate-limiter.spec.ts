import { InvalidParametersError } from '@libp2p/interface'
import { expect } from 'chai'
import { GossipLimits } from '../../../../node/network/gossip-limits.js'
import { RateLimiter } from '../../../../node/network/rate-limiter.js'

describe('node/network/rate-limiter', () => {
  it('lets a burst through, then the steady rate, per key', () => {
    let now = 0
    const limiter = new RateLimiter({ limit: { perSecond: 2, burst: 5 }, now: () => now })
    const taken = (key: string, n: number): number => Array.from({ length: n }, () => limiter.take(key)).filter(Boolean).length
    expect(taken('a', 20)).to.equal(5)
    expect(taken('b', 20)).to.equal(5)
    now += 1_000
    expect(taken('a', 20)).to.equal(2)
    now += 60_000
    // refills up to the burst, not beyond
    expect(taken('a', 20)).to.equal(5)
  })

  it('stays bounded by maxKeys, forgetting the least recently used', () => {
    const limiter = new RateLimiter({ limit: { perSecond: 1, burst: 1 }, maxKeys: 3, now: () => 0 })
    for (const k of ['a', 'b', 'c', 'd']) limiter.take(k)
    expect(limiter.size).to.equal(3)
    // 'a' was forgotten and comes back with a full bucket; 'd' is still empty
    expect(limiter.take('a')).to.equal(true)
    expect(limiter.take('d')).to.equal(false)
  })

  it('refuses nonsense limits', () => {
    expect(() => new RateLimiter({ limit: { perSecond: 0, burst: 1 } })).to.throw(InvalidParametersError)
    expect(() => new RateLimiter({ limit: { perSecond: 1, burst: 0 } })).to.throw(InvalidParametersError)
  })
})

describe('node/network/gossip-limits', () => {
  const now = (): number => 0
  it('rejects a signer flooding its own messages, ignores relayed copies over the budget', () => {
    const limits = new GossipLimits({ perSigner: { 'ride-request': { perSecond: 1, burst: 2 } }, now })
    const m = { topic: 't', kind: 'ride-request', signer: 'S', source: 'S' }
    expect([limits.admit(m), limits.admit(m), limits.admit(m)]).to.deep.equal(['accept', 'accept', 'reject'])
    expect(limits.admit({ ...m, source: 'relay' })).to.equal('ignore')
    // another kind of the same signer has its own budget
    expect(limits.admit({ ...m, kind: 'cancel' })).to.equal('accept')
    expect(limits.stats().signerLimited).to.equal(2)
  })

  it('bounds a topic whatever the number of signers, after the signer budget', () => {
    const limits = new GossipLimits({ perTopic: { perSecond: 1, burst: 3 }, now })
    const verdicts = Array.from({ length: 5 }, (_, i) => limits.admit({ topic: 't', kind: 'ride-request', signer: `k${i}`, source: 'relay' }))
    expect(verdicts).to.deep.equal(['accept', 'accept', 'accept', 'ignore', 'ignore'])
    expect(limits.admit({ topic: 'u', kind: 'ride-request', signer: 'k9', source: 'relay' })).to.equal('accept')
    expect(limits.stats().topicLimited).to.equal(2)
  })

  it('counts a neighbour\'s messages before anything is read', () => {
    const limits = new GossipLimits({ perSource: { perSecond: 1, burst: 3 }, now })
    const passed = Array.from({ length: 10 }, () => limits.fromSource('P')).filter(Boolean).length
    expect(passed).to.equal(3)
    expect(limits.fromSource('Q')).to.equal(true)
    expect(limits.stats().sourceDropped).to.equal(7)
  })
})
