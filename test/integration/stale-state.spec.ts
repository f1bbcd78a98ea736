/**
 * A rider restores an old copy of its store and closes with the stale state it holds: the
 * driver's watcher answers with the newer co-signed state during the challenge period and is
 * paid what it was owed, also when the driver itself restarts during the challenge period.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { ManualClock } from '../../node/clock/index.js'
import { ChannelManager, type ChannelEvents } from '../../node/channel/index.js'
import { loadOrCreateIdentity, type NodeIdentity } from '../../node/identity/index.js'
import { createNetwork } from '../../node/network/index.js'
import { openStore, type NodeStore } from '../../node/store/index.js'
import { EmbeddedEvm, type EmbeddedChain } from '../../settlement/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import type { Libp2pNetwork } from '../../node/network/index.js'

const ETH = 10n ** 18n
const PERIOD_S = 600

interface Node {
  dir: string
  identity: NodeIdentity
  network: Libp2pNetwork
  store: NodeStore
  chain: EmbeddedChain
  manager: ChannelManager
  seen: Array<{ type: keyof ChannelEvents, detail: any }>
}

describe('integration: a stale close is answered by the watcher', function () {
  this.timeout(60_000)
  let evm: EmbeddedEvm
  const running = new Set<Node>()
  const dirs: string[] = []

  async function start (dir: string): Promise<Node> {
    const identity = await loadOrCreateIdentity(dir)
    const network = await createNetwork({ privateKey: identity.peerKey, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], dht: false, loopbackFriendly: true })
    await network.start()
    const store = await openStore(dir)
    const chain = await evm.connect(identity.ethPrivateKeyHex)
    const manager = new ChannelManager({ network, chain, store, identity, clock: new ManualClock(), watchPollMs: 20 })
    const seen: Node['seen'] = []
    for (const type of ['channel:challenged', 'channel:close-observed', 'channel:settled', 'channel:error'] as const) manager.on(type, detail => seen.push({ type, detail }))
    await manager.start()
    const node = { dir, identity, network, store, chain, manager, seen }
    running.add(node)
    return node
  }

  async function stop (n: Node): Promise<void> {
    running.delete(n)
    await n.manager.stop()
    await n.network.stop()
    await n.chain.stop()
    await n.store.close()
  }

  before(async () => {
    evm = await EmbeddedEvm.start({ challengePeriodS: PERIOD_S })
  })

  after(async () => {
    for (const n of [...running]) await stop(n)
    await evm.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  async function scenario (restartDriverDuringChallenge: boolean): Promise<void> {
    const riderDir = await mkdtemp(join(tmpdir(), 'hitch-stale-r-'))
    const driverDir = await mkdtemp(join(tmpdir(), 'hitch-stale-d-'))
    const snapshot = await mkdtemp(join(tmpdir(), 'hitch-stale-snap-'))
    dirs.push(riderDir, driverDir, snapshot)
    let rider = await start(riderDir)
    let driver = await start(driverDir)
    await evm.fund(rider.identity.ethAddress, ETH)
    // the driver pays the gas of its challenge
    await evm.fund(driver.identity.ethAddress, ETH / 10n)
    await rider.network.dial(driver.network.addresses()[0])
    const ch = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, ETH / 100n)
    await rider.manager.pay(ch.channelId, 1_000n)
    await rider.manager.pay(ch.channelId, 2_000n)

    // copy the rider's store while it is stopped
    await stop(rider)
    await cp(riderDir, snapshot, { recursive: true })
    rider = await start(riderDir)
    await rider.network.dial(driver.network.addresses()[0])
    await rider.manager.pay(ch.channelId, 5_000n)
    const newest = await rider.manager.pay(ch.channelId, 9_000n)

    // restore the old copy and close with the stale state it holds
    await stop(rider)
    await rm(riderDir, { recursive: true, force: true })
    await cp(snapshot, riderDir, { recursive: true })
    rider = await start(riderDir)
    expect(rider.manager.latestState(ch.channelId)?.state.nonce).to.equal(2n)
    if (restartDriverDuringChallenge) await stop(driver)
    await rider.manager.closeUnilateral(ch.channelId)
    // the close started with the stale state (an online driver may have answered it already)
    const started = (await rider.chain.events(0n)).find(e => e.type === 'CloseStarted' && e.channelId === ch.channelId)
    expect(started?.type === 'CloseStarted' && started.nonce).to.equal(2n)
    if (restartDriverDuringChallenge) {
      // some time passes within the challenge period, then the driver comes back
      await evm.increaseTime(PERIOD_S / 2)
      driver = await start(driverDir)
    }

    await waitFor(() => driver.seen.some(e => e.type === 'channel:challenged' && e.detail.channelId === ch.channelId), { what: 'the driver\'s challenge' }).catch(err => { throw new Error(`${err.message}: ${driver.seen.map(e => `${e.type} ${String(e.detail.error?.cause?.details ?? e.detail.error?.cause?.message ?? '')}`).join('; ')}`) })
    const onChain = await rider.chain.getChannel(ch.channelId)
    expect(onChain.nonce).to.equal(newest.state.nonce)
    expect(onChain.balanceDriver).to.equal(9_000n)

    await evm.increaseTime(PERIOD_S + 1)
    await driver.manager.finalize(ch.channelId)
    const fin = (await driver.chain.events(0n)).find(e => e.type === 'Finalized' && e.channelId === ch.channelId)
    expect(fin?.type === 'Finalized' && fin.paidDriver).to.equal(9_000n)
    expect(fin?.type === 'Finalized' && fin.paidRider).to.equal(ETH / 100n - 9_000n)
    await stop(rider)
    await stop(driver)
  }

  it('the driver, online, challenges with the newer state and gets its money', async () => {
    await scenario(false)
  })

  it('the driver, restarted during the challenge period, catches up from its last block and challenges', async () => {
    await scenario(true)
  })
})
