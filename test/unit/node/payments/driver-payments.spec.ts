import { InvalidParametersError } from '@libp2p/interface'
import { expect } from 'chai'
import { ManualClock } from '../../../../node/clock/index.js'
import { DriverPayments } from '../../../../node/payments/index.js'
import { PAYABLE_CURRENCY, WEI_PER_CENT } from '../../../../node/payments/units.js'
import type { ChannelManager, ChannelSummary } from '../../../../node/channel/index.js'
import type { RideInfo } from '../../../../node/roles/index.js'
import type { Hex } from 'viem'

const CHANNEL = `0x${'ab'.repeat(32)}` as Hex
const RIDER = 'rider-peer'
/** the rider's payment address, as its identity binding names it */
const RIDER_ADDRESS = '0x00000000000000000000000000000000000000aa'

/**
 * The part of a ChannelManager DriverPayments uses: one open channel with the rider, whose
 * co-signed total the test sets (as if the rider had paid), on a manual clock.
 */
class FakeManager {
  readonly clock = new ManualClock({ now: 1_000_000 })
  paidToDriver = 0n
  readonly owed: bigint[] = []
  readonly closed: Hex[] = []

  on (): () => void { return () => {} }
  listChannels (): ChannelSummary[] { return [this.summary()] }
  getChannel (): ChannelSummary { return this.summary() }
  async setOwed (_id: Hex, total: bigint): Promise<void> { this.owed.push(total) }
  async close (id: Hex): Promise<void> { this.closed.push(id) }

  private summary (): ChannelSummary {
    return {
      // the channel was opened on an earlier ride, under another peer id: riders take a fresh
      // peer id per ride, and the channel is found by the address the ride's binding names
      channelId: CHANNEL, role: 'driver', peer: 'earlier-ride-peer', counterparty: '0x00000000000000000000000000000000000000AA', phase: 'open',
      deposit: 10n ** 18n, nonce: 1n, paidToDriver: this.paidToDriver, balanceRider: 0n, inFlight: 0, available: 0n, arrears: 0n
    }
  }
}

// a 1,000 cent fare over 10 km: 250 cents per 2.5 km; the allowance is 2 steps of 250 m = 50 cents
const ride: RideInfo = {
  requestId: 'r1', rider: RIDER, riderAddress: RIDER_ADDRESS, driver: 'driver-peer', quoteId: 'q1', price: '1000', currency: PAYABLE_CURRENCY,
  seats: 1, pooled: false, routeM: 10_000
}
const cents = (c: number): bigint => BigInt(c) * WEI_PER_CENT

describe('node/payments: DriverPayments', () => {
  it('finds a ride\'s channel by the rider\'s bound address, never by peer id, and none without one', async () => {
    const manager = new FakeManager()
    const payments = new DriverPayments({ manager: manager as unknown as ChannelManager })
    payments.onAccepted(ride)
    expect(payments.channelOf(ride.requestId, RIDER)).to.equal(CHANNEL)
    // another rider with the same request id and no binding, or another address: no channel
    const unbound: RideInfo = { ...ride, rider: 'other-peer', riderAddress: undefined }
    const stranger: RideInfo = { ...ride, rider: 'third-peer', riderAddress: '0x00000000000000000000000000000000000000bb' }
    payments.onAccepted(unbound)
    payments.onAccepted(stranger)
    expect(payments.channelOf(ride.requestId, 'other-peer')).to.equal(undefined)
    expect(payments.channelOf(ride.requestId, 'third-peer')).to.equal(undefined)
    await payments.onProgress(unbound, 1_000, '100')
    await payments.onProgress(stranger, 1_000, '100')
    expect(manager.owed).to.deep.equal([])
    expect(await payments.recordTerms(stranger)).to.equal(undefined)
    expect((await payments.recordTerms(ride))?.channelId).to.equal(CHANNEL)
  })

  it('drops a rider only once it stayed beyond its allowance for the grace period', async () => {
    const manager = new FakeManager()
    const payments = new DriverPayments({ manager: manager as unknown as ChannelManager, graceMs: 10_000 })
    const dropped: unknown[] = []
    payments.on('non-payment', e => { dropped.push(e) })
    payments.onAccepted(ride)

    // the car reports 1 km, then 2 km: the rider owes 100 cents for the first km and pays nothing
    await payments.onProgress(ride, 1_000, '100')
    await payments.onProgress(ride, 2_000, '200')
    expect(payments.isBehind(ride)).to.equal(false)
    expect(manager.owed.at(-1)).to.equal(cents(200))

    // still beyond at the next report, but within the grace period
    manager.clock.advance(9_999)
    await payments.onProgress(ride, 3_000, '300')
    expect(payments.isBehind(ride)).to.equal(false)

    // the grace period is over
    manager.clock.advance(1)
    await payments.onProgress(ride, 4_000, '400')
    expect(payments.isBehind(ride)).to.equal(true)
    expect(dropped).to.have.length(1)
    expect(manager.closed).to.deep.equal([CHANNEL])
  })

  it('forgives a rider that caught up within the grace period, and counts it afresh next time', async () => {
    const manager = new FakeManager()
    const payments = new DriverPayments({ manager: manager as unknown as ChannelManager, graceMs: 10_000 })
    payments.onAccepted(ride)
    await payments.onProgress(ride, 1_000, '100')
    await payments.onProgress(ride, 2_000, '200') // beyond since now
    manager.clock.advance(8_000)
    manager.paidToDriver = cents(200) // the late payments arrive
    await payments.onProgress(ride, 3_000, '300')
    manager.clock.advance(8_000)
    await payments.onProgress(ride, 4_000, '400') // beyond again: a new grace period starts
    expect(payments.isBehind(ride)).to.equal(false)
    manager.clock.advance(10_000)
    await payments.onProgress(ride, 5_000, '500')
    expect(payments.isBehind(ride)).to.equal(true)
  })

  it('with no grace period, drops at the first report beyond the allowance', async () => {
    const manager = new FakeManager()
    const payments = new DriverPayments({ manager: manager as unknown as ChannelManager, graceMs: 0 })
    payments.onAccepted(ride)
    await payments.onProgress(ride, 250, '25')
    expect(payments.isBehind(ride)).to.equal(false) // 0 owed at the previous report
    await payments.onProgress(ride, 500, '50')
    expect(payments.isBehind(ride)).to.equal(false) // 25 owed, 50 allowed
    await payments.onProgress(ride, 1_000, '100')
    expect(payments.isBehind(ride)).to.equal(false) // 50 owed, 50 allowed
    await payments.onProgress(ride, 1_250, '125')
    expect(payments.isBehind(ride)).to.equal(true) // 100 owed, 50 allowed
  })

  it('refuses a negative grace period', () => {
    expect(() => new DriverPayments({ manager: new FakeManager() as unknown as ChannelManager, graceMs: -1 })).to.throw(InvalidParametersError)
  })
})
