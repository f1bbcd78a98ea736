import { expect } from 'chai'
import { DEFAULT_OFFER_INTERVAL_MS, DEFAULT_QUOTE_TTL_MS, DEFAULT_REPUBLISH_MS } from '../../../node/index.js'
import { DEFAULT_MAX_TTL_MS, DEFAULT_QUOTE_WINDOW_MS, DEFAULT_REVEAL_TIMEOUT_MS } from '../../../protocol/index.js'
import { SIM_REAL_TIMINGS_MS, simRoleTimings } from '../../../sim/index.js'
import { SIM_DHT_SERVERS, SIM_RIDER_DHT_K, simDhtServer, simLibp2pOptions } from '../../../sim/libp2p-tuning.js'

describe('sim/libp2p-tuning', () => {
  const t = SIM_REAL_TIMINGS_MS

  it('scales each real-time margin by the clock\'s speed-up', () => {
    const at60 = simRoleTimings(60)
    expect(at60.request).to.deep.equal({ quoteWindowMs: t.quoteWindow * 60, acceptTimeoutMs: t.acceptTimeout * 60 })
    expect(at60.driver.revealTimeoutMs).to.equal(t.reveal * 60)
    expect(at60.rider.republishMs).to.equal(t.republish * 60)
    expect(at60.rider.discoveryTimeoutMs).to.equal(t.discovery * 60)
    expect(at60.lingerMs).to.equal(t.linger * 60)
  })

  it('never goes below the role\'s default, or the scenario\'s when it gives one', () => {
    const slow = simRoleTimings(0.5)
    expect(slow.request.quoteWindowMs).to.equal(DEFAULT_QUOTE_WINDOW_MS)
    expect(slow.driver.revealTimeoutMs).to.equal(DEFAULT_REVEAL_TIMEOUT_MS)
    expect(slow.driver.offerIntervalMs).to.equal(DEFAULT_OFFER_INTERVAL_MS)
    expect(slow.rider.republishMs).to.equal(DEFAULT_REPUBLISH_MS)
    const scenario = simRoleTimings(0.5, { offerIntervalS: 45, republishS: 7 })
    expect(scenario.driver.offerIntervalMs).to.equal(45_000)
    expect(scenario.rider.republishMs).to.equal(7_000)
    expect(scenario.rider.maxRepublishMs).to.be.at.least(7_000)
    expect(simRoleTimings(60, { offerIntervalS: 0, republishS: 1 }).driver.offerIntervalMs, 'offers off stay off').to.equal(0)
  })

  it('keeps lifetimes within what validation accepts', () => {
    const fast = simRoleTimings(1_000)
    expect(fast.driver.quoteTtlMs).to.equal(DEFAULT_MAX_TTL_MS)
    expect(fast.driver.offerIntervalMs).to.equal(DEFAULT_MAX_TTL_MS)
    expect(fast.messageTtlMs).to.equal(DEFAULT_MAX_TTL_MS)
    expect(simRoleTimings(1).driver.quoteTtlMs).to.equal(Math.max(DEFAULT_QUOTE_TTL_MS, t.quoteTtl))
  })

  it('makes the first drivers and every process\'s bootstrap drivers DHT servers, the other drivers and the riders clients', () => {
    expect(simDhtServer(0)).to.equal(true)
    expect(simDhtServer(SIM_DHT_SERVERS - 1)).to.equal(true)
    expect(simDhtServer(SIM_DHT_SERVERS)).to.equal(false)
    // 20 workers, 3 bootstrap drivers each, dealt round-robin: indices 0..59
    expect(simDhtServer(59, 20, 3)).to.equal(true)
    expect(simDhtServer(60, 20, 3)).to.equal(false)
    expect(simLibp2pOptions('driver', true).dhtOptions?.clientMode).to.equal(false)
    expect(simLibp2pOptions('driver', false).dhtOptions?.clientMode).to.equal(true)
    expect(simLibp2pOptions('rider').dhtOptions?.clientMode).to.equal(true)
  })

  it('keeps fewer DHT servers than a driver writes a cell\'s record to, and at least as many as a rider asks', () => {
    // every server then holds every cell's record: a rider's lookup finds the same drivers
    expect(SIM_DHT_SERVERS).to.be.at.most(20)
    expect(SIM_DHT_SERVERS).to.be.at.least(SIM_RIDER_DHT_K)
  })
})
