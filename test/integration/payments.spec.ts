import { expect } from 'chai'
import { WallClock } from '../../node/clock/index.js'
import { Rider, roleComponents } from '../../node/index.js'
import { RiderPayments, WEI_PER_CENT } from '../../node/payments/index.js'
import { recordHash, toHex, verifyTripRecord } from '../../protocol/index.js'
import { EmbeddedEvm } from '../../settlement/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import { CITY, Swarm, rideTimings } from './roles-fixtures.js'
import type { ChannelManager } from '../../node/channel/index.js'
import type { Driver, DriverPeer, HitchPeerInit } from '../../node/index.js'
import type { PaymentEvents } from '../../node/payments/index.js'
import type { Chain } from '../../settlement/index.js'

const FUND = 10n ** 20n

/**
 * The ride clock runs this much faster than real time: slower than the other role tests, since
 * payments are real-time work (signatures, the chain) racing a car on the sped-up clock.
 */
const SPEED_UP = 30

/** Real ms a driver lets a rider stay beyond its allowance (payments run on real time). */
const GRACE_MS = 1_500

/** A peer's chain client and channel manager on the test's one EVM. */
function paying (evm: EmbeddedEvm, role: 'rider' | 'driver'): HitchPeerInit {
  return {
    chain: async identity => await evm.connect(identity.ethPrivateKeyHex, { fundWei: FUND }),
    // channel timers follow the chain's (real) time, not the sped-up ride clock
    channels: { role, clock: new WallClock(), watchPollMs: 50, unresponsiveTimeoutMs: 10_000, finalizeRetryMs: 200, finalizeMarginMs: 0 }
  }
}

function collect<K extends keyof PaymentEvents> (p: { on: (type: K, l: (d: PaymentEvents[K]) => void) => () => void }, type: K): Array<PaymentEvents[K]> {
  const got: Array<PaymentEvents[K]> = []
  p.on(type, d => { got.push(d) })
  return got
}

/*
 * The real-libp2p, real-contract smoke test of payments: a paid ride over TCP on the embedded EVM.
 * Paid pooling, a second ride reusing the channel (topped up, closed co-operatively) and
 * non-payment (a rider that stops paying, alone or in a shared car) run as rows of
 * scenarios.spec.ts on the simulated world with a virtual clock, on a memory ledger that applies
 * the adjudicator's rules (checked against the contract in test/unit/settlement/memory-chain.spec.ts);
 * channel-manager.spec.ts closes channels on the embedded EVM.
 */
describe('integration: rides paid through payment channels (libp2p over TCP, one embedded EVM)', function () {
  this.timeout(90_000)
  const swarm = new Swarm('tcp', SPEED_UP)
  const timings = (): ReturnType<typeof rideTimings> => rideTimings(SPEED_UP)
  let evm: EmbeddedEvm
  const stops: Array<() => Promise<void>> = []
  let driver: Driver
  let driverSide: { chain: Chain, manager: ChannelManager }

  async function rider (payments: (manager: ChannelManager) => RiderPayments): Promise<{ rider: Rider, payments: RiderPayments, manager: ChannelManager }> {
    // a rider whose payments the test chooses, on the peer's channels
    const peer = await swarm.peer(paying(evm, 'rider'))
    const manager = peer.channels!
    const p = payments(manager)
    const r = new Rider(roleComponents(peer.node, p), swarm.timings.rider)
    swarm.riders.push(r)
    await r.start()
    return { rider: r, payments: p, manager }
  }

  before(async () => {
    evm = await EmbeddedEvm.start({ challengePeriodS: 2 })
    await swarm.init()
    const peer = await swarm.peer<DriverPeer>({
      ...paying(evm, 'driver'),
      driverPayments: { graceMs: GRACE_MS },
      driver: { ...swarm.timings.driver, position: CITY.center, seats: 4 }
    })
    driverSide = { chain: peer.chain!, manager: peer.channels! }
    driver = peer.driver
    swarm.drivers.push(driver)
    await driver.start()
  })

  after(async () => {
    // roles first (they use the managers), then managers, then nodes, then the chain
    for (const r of [...swarm.riders].reverse()) await r.stop()
    for (const d of [...swarm.drivers].reverse()) await d.stop()
    for (const stop of stops.reverse()) await stop()
    await swarm.stop()
    await evm?.stop()
  })

  it('pays a ride in steps as the car moves; the last state pays the fare and carries the signed record', async () => {
    const honest = await rider(manager => new RiderPayments({ manager }))
    const paid = collect(honest.payments, 'paid')
    const result = await honest.rider.requestRide({ from: CITY.west, to: CITY.north, ...timings() })
    const settled = await honest.payments.settled(result.requestId)
    const fareWei = BigInt(result.quote.price) * WEI_PER_CENT

    // the header names the channel and what it pays, both signed
    const h = result.record.header
    expect(h.channelId).to.equal(settled.channelId.toLowerCase())
    expect(h.amountPaid).to.equal(String(fareWei))
    expect((await verifyTripRecord(result.record)).ok).to.equal(true)

    // several states: the first pays nothing new, then steps, then the whole fare
    const steps = paid.filter(p => p.requestId === result.requestId)
    expect(steps[0].rideWei).to.equal(0n)
    const during = steps.filter(p => !p.final && p.rideWei > 0n)
    expect(during.length, JSON.stringify(steps.map(s => String(s.rideWei)))).to.be.greaterThanOrEqual(2)
    for (let i = 1; i < steps.length; i++) expect(steps[i].rideWei >= steps[i - 1].rideWei).to.equal(true)
    expect(during.every(p => p.rideWei <= fareWei)).to.equal(true)
    expect(during[0].rideWei < fareWei).to.equal(true)
    expect(steps.at(-1)!.final).to.equal(true)
    expect(settled.final.state.balanceDriver).to.equal(fareWei)
    expect(settled.final.state.tripRecordHash).to.equal(`0x${toHex(recordHash(result.record))}`)

    // the driver holds the same final state and was never behind
    await waitFor(() => driverSide.manager.latestState(settled.channelId)?.state.nonce === settled.final.state.nonce, { what: 'driver has the final state' })
    expect(driverSide.manager.arrears(settled.channelId)).to.equal(0n)
    expect(driver.freeSeats).to.equal(4)
  })
})
