import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { DEFAULT_ESTIMATE_SLACK_S } from '../../node/roles/driver.js'
import { defaultScenario, runSimulation } from '../../sim/index.js'

describe('sim: decentralized run of the real roles on the simulated network', () => {
  it('drivers and riders negotiate, ride and are measured beside the centralized baseline', async function () {
    this.timeout(180_000)
    const map = await openRoutedMap()
    const s = defaultScenario()
    s.riders = 8
    s.drivers = 4
    s.durationS = 600
    s.drainS = 1800
    s.seed = 5
    const { results } = await runSimulation(s, { map })
    const d = results.decentralized
    const c = results.centralized
    expect(d).to.not.equal(null)
    expect(c).to.not.equal(null)
    if (d == null || c == null) return
    expect(d.requests).to.equal(8)
    expect(d.served).to.be.at.least(6)
    for (const r of results.records.decentralized?.requests ?? []) {
      if (r.status !== 'served') continue
      expect(r.assignTimeS as number).to.be.at.least(r.requestTimeS)
      expect(r.pickupTimeS as number).to.be.at.least(r.assignTimeS as number)
      // quoted within the patience plus the estimate's slack (in whole minutes), and a committed
      // driver keeps that quoted minute plus the slack again once the exact points arrive (issue 9)
      expect((r.pickupTimeS as number) - r.requestTimeS).to.be.at.most(s.patienceS + 2 * DEFAULT_ESTIMATE_SLACK_S + 60 + 1)
      expect(r.dropoffTimeS as number).to.be.greaterThan(r.pickupTimeS as number)
      expect(r.fareCents as number).to.be.at.least(s.fare.minimumCents * (1 - s.fare.poolingDiscountBps / 10_000))
    }
    expect(d.network?.nodes).to.equal(12)
    expect(d.network?.gossip.messagesPerNode).to.be.greaterThan(0)
    expect(d.network?.direct.messagesPerNode).to.be.greaterThan(0)
    expect(d.vehicleKm.total).to.be.greaterThan(0)
    // every served ride paid through its channel on the run's EVM: opened, paid in steps, closed
    const p = d.payments
    expect(p, 'payments counted').to.not.equal(null)
    if (p == null) return
    expect(p.ridesSettled).to.equal(d.served)
    expect(p.ridesUnsettled).to.equal(0)
    expect(p.byFunction?.open?.transactions).to.equal(d.served)
    expect(p.byFunction?.closeCooperative?.transactions).to.equal(d.served)
    expect(p.onChainTxs).to.equal(2 * d.served)
    expect(p.channelUpdates).to.be.at.least(3 * d.served)
    expect(p.gasPerSettledRide).to.be.greaterThan(100_000)
    expect(BigInt(results.records.decentralized?.payments?.paidWei ?? 0)).to.equal(BigInt(d.fares.totalCents) * 10n ** 13n)
    expect(results.notes.join(' ')).to.include('pays as the car moves')
    // the declared invariants: every one applied to this paid run, and held
    expect(results.invariants.decentralized?.map(i => [i.id, i.status, i.violations])).to.deep.equal([
      ['served-rides-are-signed', 'held', []],
      ['nobody-paid-more-than-the-quote', 'held', []],
      ['channels-pay-out-their-deposits', 'held', []],
      ['cars-carried-their-riders', 'held', []]
    ])
  })
})
