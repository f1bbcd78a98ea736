import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { ChannelError, type InboundLimits } from '../../node/channel/index.js'
import { EmbeddedEvm } from '../../settlement/index.js'
import { recoverChannelStateSigner } from '../../protocol/channel/index.js'
import { startChannelNode, type ChannelNode } from '../fixtures/channel-node.js'
import { waitFor } from '../fixtures/wait-for.js'
import type { Libp2pNetwork } from '../../node/network/index.js'

const ETH = 10n ** 18n

interface Peer extends ChannelNode {
  /** requests sent on a stream of their own (not on the long-lived pay stream) */
  requests: { n: number }
}

describe('integration: ChannelManager between two nodes on one embedded chain', function () {
  this.timeout(60_000)
  let evm: EmbeddedEvm
  const peers: Peer[] = []

  async function startPeer (dir: string, extra: { watch?: boolean, maxInFlight?: number, inbound?: InboundLimits } = {}, pipes = true): Promise<Peer> {
    const requests = { n: 0 }
    const node = await startChannelNode({
      evm,
      dir,
      init: { unresponsiveTimeoutMs: 15_000, watchPollMs: 20, finalizeMarginMs: 0, ...extra },
      events: ['channel:opened', 'channel:topped-up', 'channel:closed', 'channel:challenged', 'channel:finalized', 'channel:settled', 'channel:arrears'],
      wrapNetwork: real => {
        // a node of a version without the long-lived pay stream: one stream per request
        const network = pipes ? real : Object.assign(Object.create(real) as Libp2pNetwork, { openPipe: undefined, handlePipe: undefined })
        const request = network.request.bind(network)
        network.request = async (...args) => { requests.n++; return await request(...args) }
        return network
      }
    })
    const peer = { ...node, requests }
    peers.push(peer)
    return peer
  }

  async function stopPeer (p: Peer): Promise<void> {
    peers.splice(peers.indexOf(p), 1)
    await p.stop()
  }

  async function connect (a: Peer, b: Peer): Promise<void> {
    await a.network.dial(b.network.addresses()[0])
  }

  let rider: Peer
  let driver: Peer
  const dirs: string[] = []

  before(async () => {
    evm = await EmbeddedEvm.start({ challengePeriodS: 60 })
    for (let i = 0; i < 2; i++) dirs.push(await mkdtemp(join(tmpdir(), 'hitch-channel-')))
    rider = await startPeer(dirs[0])
    driver = await startPeer(dirs[1])
    await evm.fund(rider.identity.ethAddress, 10n * ETH)
    await evm.fund(driver.identity.ethAddress, ETH)
    await connect(rider, driver)
  })

  after(async () => {
    for (const p of [...peers]) await stopPeer(p)
    await evm.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  let channelId: `0x${string}`

  it('opens a channel on chain and reuses it for the next ride, topping up only when needed', async () => {
    const first = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, ETH / 100n)
    channelId = first.channelId
    expect(first.deposit).to.equal(ETH / 100n)
    const opened = rider.events.find(e => e.type === 'channel:opened')
    expect(opened?.detail.txHash).to.match(/^0x[0-9a-f]{64}$/)
    expect(opened?.detail.gasUsed > 0n).to.equal(true)
    const again = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, ETH / 200n)
    expect(again.channelId).to.equal(channelId)
    expect(rider.events.filter(e => e.type === 'channel:opened')).to.have.length(1)
    expect(rider.events.filter(e => e.type === 'channel:topped-up')).to.have.length(0)
  })

  it('pays with co-signed states that the adjudicator would accept', async () => {
    const s1 = await rider.manager.pay(channelId, 1000n)
    const s2 = await rider.manager.pay(channelId, 2500n)
    expect(s2.state.nonce).to.equal(2n)
    expect(s2.state.balanceDriver).to.equal(2500n)
    expect(s2.state.balanceRider).to.equal(ETH / 100n - 2500n)
    expect(await recoverChannelStateSigner(s2.state, s2.driverSig, rider.chain.domain)).to.equal(driver.identity.ethAddress)
    expect(await recoverChannelStateSigner(s1.state, s1.riderSig, rider.chain.domain)).to.equal(rider.identity.ethAddress)
    await waitFor(() => driver.manager.getChannel(channelId)?.nonce === 2n, { what: 'driver at nonce 2' })
    expect(driver.manager.getChannel(channelId)?.paidToDriver).to.equal(2500n)
  })

  it('pipelines: many payments in flight, each nonce + 1, all co-signed in order', async () => {
    const totals = Array.from({ length: 40 }, (_, i) => 3000n + BigInt(i) * 10n)
    const states = await Promise.all(totals.map(async t => await rider.manager.pay(channelId, t)))
    expect(states.map(s => s.state.nonce)).to.deep.equal(totals.map((_, i) => 3n + BigInt(i)))
    expect(rider.manager.getChannel(channelId)?.nonce).to.equal(42n)
    expect(rider.manager.getChannel(channelId)?.inFlight).to.equal(0)
    expect(driver.manager.latestState(channelId)?.state.balanceDriver).to.equal(totals.at(-1))
    // every state the driver countersigned was persisted (batched when the disk is slower
    // than the CPU, see channel-store.spec.ts), all of it on the long-lived pay stream
    expect(driver.manager.storeStats.saves).to.be.at.least(totals.length)
    expect(rider.requests.n).to.equal(0)
  })

  it('talks to a node without the long-lived pay stream over one stream per request, both ways round', async () => {
    for (const ridersPipes of [false, true]) {
      const d = [await mkdtemp(join(tmpdir(), 'hitch-channel-')), await mkdtemp(join(tmpdir(), 'hitch-channel-'))]
      dirs.push(...d)
      // a window wider than the streams a peer accepts at once
      const r = await startPeer(d[0], { maxInFlight: 100 }, ridersPipes)
      // a driver that lets this rider's 80 payments in flight through at once
      const dr = await startPeer(d[1], { inbound: { requestBurst: 200 } }, !ridersPipes)
      await evm.fund(r.identity.ethAddress, ETH)
      // the driver keeps gas to defend the channel, or it serves none
      await evm.fund(dr.identity.ethAddress, ETH / 10n)
      await connect(r, dr)
      const ch = await r.manager.ensureChannel(dr.identity.peerId, dr.identity.ethAddress, ETH / 100n)
      const totals = Array.from({ length: 80 }, (_, i) => BigInt(10 * (i + 1)))
      const states = await Promise.all(totals.map(async t => await r.manager.pay(ch.channelId, t)))
      expect(states.map(s => s.state.nonce)).to.deep.equal(totals.map((_, i) => BigInt(i + 1)))
      expect(dr.manager.latestState(ch.channelId)?.state.balanceDriver).to.equal(800n)
      const closed = await r.manager.closeCooperative(ch.channelId)
      expect(closed.phase).to.equal('finalized')
      expect(r.requests.n).to.be.above(0)
      await stopPeer(r)
      await stopPeer(dr)
    }
  })

  it('refuses a smaller total without asking the driver', async () => {
    const err = await rider.manager.pay(channelId, 10n).catch(e => e)
    expect(err).to.be.instanceOf(ChannelError)
    expect(err.code).to.equal('INVALID_ARGUMENT')
    expect(err.reason).to.equal('driver-balance-decreased')
  })

  it('tops up when a ride needs more than is left', async () => {
    const before = rider.manager.getChannel(channelId)!
    const s = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, before.deposit)
    expect(s.channelId).to.equal(channelId)
    expect(s.available).to.equal(before.deposit)
    const topUp = rider.events.find(e => e.type === 'channel:topped-up')
    expect(topUp?.detail.amount).to.equal(before.paidToDriver)
    // the driver learns the new deposit from the chain when a state needs it
    await rider.manager.pay(channelId, s.deposit)
  })

  it('tracks what a rider owes and reports one that falls behind', async () => {
    const paid = driver.manager.getChannel(channelId)!.paidToDriver
    expect(await driver.manager.setOwed(channelId, paid + 5n)).to.equal(5n)
  })

  it('keeps its channels across a restart (LevelDB) and closes co-operatively', async () => {
    const latest = rider.manager.latestState(channelId)!
    await stopPeer(driver)
    driver = await startPeer(dirs[1])
    await connect(rider, driver)
    expect(driver.manager.latestState(channelId)).to.deep.equal(latest)
    const driverBefore = await driver.chain.balanceOf()
    const closed = await rider.manager.closeCooperative(channelId)
    expect(closed.phase).to.equal('finalized')
    const ev = rider.events.find(e => e.type === 'channel:closed')
    expect(ev?.detail.kind).to.equal('cooperative')
    expect(await driver.chain.balanceOf()).to.equal(driverBefore + latest.state.balanceDriver)
    // the phase changes before the record is persisted, the event only after: wait for the event
    await waitFor(() => driver.events.some(e => e.type === 'channel:settled' && e.detail.channelId === channelId), { what: 'driver sees the settlement' })
    expect(driver.manager.getChannel(channelId)?.phase).to.equal('finalized')
    const settled = driver.events.find(e => e.type === 'channel:settled' && e.detail.channelId === channelId)
    expect(settled?.detail.paidRider).to.equal(latest.state.balanceRider)
    expect(settled?.detail.paidDriver).to.equal(latest.state.balanceDriver)
  })

  it('answers a stale unilateral close with the newer state (watcher) and both get their due after finalize', async () => {
    // a dishonest rider: its node does not watch (it would otherwise challenge its own cheat)
    dirs.push(await mkdtemp(join(tmpdir(), 'hitch-channel-')))
    const cheat = await startPeer(dirs[2], { watch: false })
    await evm.fund(cheat.identity.ethAddress, ETH)
    await connect(cheat, driver)
    const ch = await cheat.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, ETH / 100n)
    const stale = await cheat.manager.pay(ch.channelId, 100n)
    const latest = await cheat.manager.pay(ch.channelId, 700n)
    // it cashes the older state
    await cheat.chain.closeUnilateral(stale.state, { rider: stale.riderSig, driver: stale.driverSig })
    await waitFor(() => driver.events.some(e => e.type === 'channel:challenged' && e.detail.channelId === ch.channelId), { what: 'challenge' })
    expect((await driver.chain.getChannel(ch.channelId)).nonce).to.equal(latest.state.nonce)
    const driverBefore = await driver.chain.balanceOf()
    await evm.increaseTime(61)
    // the finalize timer runs on the Clock port
    driver.clock.advance(61_000)
    await waitFor(() => driver.events.some(e => e.type === 'channel:settled' && e.detail.channelId === ch.channelId), { what: 'settled' })
    const settled = driver.events.find(e => e.type === 'channel:settled' && e.detail.channelId === ch.channelId)
    expect(settled?.detail.paidDriver).to.equal(700n)
    expect(settled?.detail.paidRider).to.equal(ETH / 100n - 700n)
    expect((await driver.chain.getChannel(ch.channelId)).status).to.equal('finalized')
    // the driver paid no gas for the finalize unless it sent it: its balance grew by at least what it was owed minus that
    const fin = driver.events.find(e => e.type === 'channel:finalized' && e.detail.channelId === ch.channelId)
    const driverGas = fin != null ? fin.detail.gasUsed * 10n ** 10n : 0n
    expect(await driver.chain.balanceOf() >= driverBefore + 700n - driverGas).to.equal(true)
  })

  it('fails a payment with PEER_UNRESPONSIVE when the driver is gone, then closes unilaterally with the latest state', async () => {
    const ch = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, ETH / 100n)
    await rider.manager.pay(ch.channelId, 300n)
    const driverDir = driver.dir
    await stopPeer(driver)
    const err = await rider.manager.pay(ch.channelId, 400n).catch(e => e)
    expect(err).to.be.instanceOf(ChannelError)
    expect(err.code).to.equal('PEER_UNRESPONSIVE')
    const closed = await rider.manager.close(ch.channelId)
    expect(closed.phase).to.equal('closing')
    expect((await rider.chain.getChannel(ch.channelId)).balanceDriver).to.equal(300n)
    driver = await startPeer(driverDir)
    await evm.increaseTime(61)
    rider.clock.advance(61_000)
    await waitFor(() => rider.manager.getChannel(ch.channelId)?.phase === 'finalized', { what: 'finalized by the rider' })
    expect(rider.events.some(e => e.type === 'channel:finalized' && e.detail.paidDriver === 300n)).to.equal(true)
  })
})
