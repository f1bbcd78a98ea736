/**
 * Payment channels between real nodes (libp2p over the memory transport, LevelDB stores, one
 * embedded EVM running the adjudicator) against a peer who attacks them (issue 9, "The money"
 * and "The service"): each test is the attack, run against the honest node.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { toHex, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { ChannelError, WATCH_BLOCK_KEY, type ChannelManagerInit } from '../../node/channel/index.js'
import {
  decodeChannelMessage, encodeChannelMessage, encodePayFrame, finalStateOf, PAY_STREAM_PROTOCOL, type Channel
} from '../../protocol/channel/index.js'
import { ANY_RIDE, PAY_PROTOCOL, signBinding, type IdentityBinding } from '../../protocol/index.js'
import { EmbeddedEvm, type Chain, type EmbeddedChain } from '../../settlement/index.js'
import { FINAL_NONCE, signChannelState, type ChannelState } from '../../protocol/channel/index.js'
import { startChannelNode, type ChannelNode } from '../fixtures/channel-node.js'
import { waitFor } from '../fixtures/wait-for.js'
import type { MessagePipe } from '../../node/network/index.js'

const ETH = 10n ** 18n
const PERIOD_S = 600
const DEPOSIT = ETH / 100n

interface Peer extends ChannelNode {
  /** chain calls the manager made, by method */
  calls: Map<string, number>
}

describe('integration: payment channels against a hostile peer', function () {
  this.timeout(60_000)
  let evm: EmbeddedEvm
  const peers = new Set<Peer>()
  const dirs: string[] = []

  before(async () => {
    evm = await EmbeddedEvm.start({ challengePeriodS: PERIOD_S })
  })

  after(async () => {
    for (const p of [...peers]) await stop(p)
    await evm.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  })

  /** The chain client with every call counted (the manager's view of the chain is unchanged). */
  function counted (chain: EmbeddedChain, calls: Map<string, number>): Chain {
    return new Proxy(chain, {
      get (target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1)
          return value.apply(target, args)
        }
      }
    })
  }

  async function start (dir?: string, extra: Partial<ChannelManagerInit> = {}, fundWei = ETH, legacyPeerId = false): Promise<Peer> {
    dir ??= await mkdtemp(join(tmpdir(), 'hitch-attack-'))
    if (!dirs.includes(dir)) dirs.push(dir)
    const calls = new Map<string, number>()
    const node = await startChannelNode({
      evm,
      dir,
      fundWei,
      init: { unresponsiveTimeoutMs: 3_000, watchPollMs: 20, finalizeMarginMs: 0, finalizeRetryMs: 100, ...extra },
      events: ['channel:closed', 'channel:challenged', 'channel:finalized', 'channel:settled', 'channel:low-gas', 'channel:error', 'channel:close-observed'],
      wrapChain: chain => counted(chain, calls),
      legacyPeerId
    })
    const peer = { ...node, calls }
    peers.add(peer)
    return peer
  }

  async function stop (p: Peer): Promise<void> {
    if (!peers.delete(p)) return
    await p.stop()
  }

  async function setBalance (address: string, wei: bigint): Promise<void> {
    await evm.provider.request({ method: 'hardhat_setBalance', params: [address, toHex(wei)] })
  }

  async function pair (driverExtra: Partial<ChannelManagerInit> = {}, riderExtra: Partial<ChannelManagerInit> = {}): Promise<{ rider: Peer, driver: Peer, channelId: Hex }> {
    const rider = await start(undefined, riderExtra)
    const driver = await start(undefined, driverExtra)
    await rider.network.dial(driver.network.addresses()[0])
    const { channelId } = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, DEPOSIT)
    return { rider, driver, channelId }
  }

  it('a rider that collected the driver\'s final signature early can neither go on paying nor settle with it later', async () => {
    const { rider, driver, channelId } = await pair({ finalSubmitGraceMs: 5_000 })
    await rider.manager.pay(channelId, 1000n)
    // the attack: ask for the final state at the start of the ride, keep it, ride on
    const channel = { channelId, deposit: DEPOSIT, latest: { state: { channelId, nonce: 1n, balanceRider: DEPOSIT - 1000n, balanceDriver: 1000n, tripRecordHash: `0x${'0'.repeat(64)}` } } } as unknown as Channel
    const final: ChannelState = finalStateOf(channel)
    expect(final.nonce).to.equal(FINAL_NONCE)
    const riderSig = await signChannelState(rider.identity.ethPrivateKeyHex, final, rider.chain.domain)
    const answer = decodeChannelMessage(await rider.network.request(driver.identity.peerId, PAY_PROTOCOL, encodeChannelMessage({ type: 'close-request', state: final, sig: riderSig })))
    expect(answer.type).to.equal('close-accept')
    // once it signed the final state, the driver signs nothing else of this channel
    expect(driver.manager.getChannel(channelId)?.phase).to.equal('final')
    const err = await rider.manager.pay(channelId, 9000n).catch(e => e)
    expect(err, 'the driver countersigned a state after the final one').to.be.instanceOf(ChannelError)
    expect(err.reason).to.equal('not-open')
    expect(driver.manager.latestState(channelId)?.state.balanceDriver).to.equal(1000n)
    // and the rider cannot keep the driver's money locked by never submitting the final state
    driver.clock.advance(5_000)
    await waitFor(() => driver.events.some(e => e.type === 'channel:closed'), { what: 'the driver submits the final state itself' })
    const info = await driver.chain.getChannel(channelId)
    expect(info.status).to.equal('finalized')
    const [settled] = (await driver.chain.events(0n)).filter(e => e.type === 'ClosedCooperatively' && e.channelId === channelId)
    expect(settled).to.include({ paidDriver: 1000n })
    await stop(rider)
    await stop(driver)
  })

  it('a node restarted during a challenge period finds the stale close from the chain and answers it, whatever its watch position says', async () => {
    // the rider is the attacker: its node does not answer its own stale close
    const { rider, driver, channelId } = await pair({}, { watch: false })
    const old = await rider.manager.pay(channelId, 1000n)
    await rider.manager.pay(channelId, 9000n)
    await waitFor(() => driver.manager.latestState(channelId)?.state.nonce === 2n, { what: 'the driver at nonce 2' })
    // the driver cannot pay for its first challenge ...
    await setBalance(driver.identity.ethAddress, 0n)
    await rider.chain.closeUnilateral(old.state, { rider: old.riderSig, driver: old.driverSig })
    await waitFor(() => driver.events.some(e => e.type === 'channel:error' && e.detail.step === 'challenge'), { what: 'the first challenge fails' })
    // ... another pair's channel moves the driver's watch position past the close ...
    const x = await evm.connect(generatePrivateKey(), { fundWei: ETH })
    const opened = await x.open((await evm.connect(generatePrivateKey())).address, 1n)
    const watchBlock = async (): Promise<bigint> => BigInt(new TextDecoder().decode(await driver.store.datastore.get(WATCH_BLOCK_KEY)))
    await waitFor(async () => await watchBlock() >= opened.blockNumber, { what: 'the watch position passes the close' })
    // ... and it restarts during the challenge period, with gas again
    await stop(driver)
    await setBalance(driver.identity.ethAddress, ETH)
    const again = await start(driver.dir, {}, 0n)
    await waitFor(() => again.events.some(e => e.type === 'channel:challenged'), { what: 'the restarted driver challenges' })
    await evm.increaseTime(PERIOD_S + 1)
    await again.manager.finalize(channelId)
    const [fin] = (await again.chain.events(0n)).filter(e => e.type === 'Finalized' && e.channelId === channelId)
    expect(fin).to.include({ paidDriver: 9000n, paidRider: DEPOSIT - 9000n })
    await stop(rider)
    await stop(again)
  })

  it('a driver that could not pay the gas of a dispute serves no new channel, and says so', async () => {
    const rider = await start()
    const driver = await start(undefined, {}, 0n)
    await rider.network.dial(driver.network.addresses()[0])
    const { channelId } = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, DEPOSIT)
    const err = await rider.manager.pay(channelId, 1000n).catch(e => e)
    expect(err).to.be.instanceOf(ChannelError)
    expect(err.reason).to.equal('cannot-defend')
    expect(driver.manager.getChannel(channelId)).to.equal(undefined)
    expect(driver.events.some(e => e.type === 'channel:low-gas')).to.equal(true)
    await stop(rider)
    await stop(driver)
  })

  it('a rider that could not pay for its deposit and the gas to defend it is refused before any transaction', async () => {
    const rider = await start(undefined, {}, 0n)
    const driver = await start()
    // enough for the deposit and the open, not for the defence of the channel afterwards
    await setBalance(rider.identity.ethAddress, DEPOSIT + 3n * 10n ** 14n)
    const nonce = await rider.chain.publicClient.getTransactionCount({ address: rider.identity.ethAddress })
    const err = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, DEPOSIT).catch(e => e)
    expect(err).to.be.instanceOf(ChannelError)
    expect(err.code).to.equal('INSUFFICIENT_FUNDS')
    expect(await rider.chain.publicClient.getTransactionCount({ address: rider.identity.ethAddress })).to.equal(nonce)
    await stop(rider)
    await stop(driver)
  })

  it('only the channel\'s counterparty may read its latest state', async () => {
    const { rider, driver, channelId } = await pair()
    await rider.manager.pay(channelId, 1000n)
    const stranger = await start()
    await stranger.network.dial(driver.network.addresses()[0])
    const strangers = decodeChannelMessage(await stranger.network.request(driver.identity.peerId, PAY_PROTOCOL, encodeChannelMessage({ type: 'sync-request', channelId })))
    expect(strangers).to.deep.equal({ type: 'sync-response' })
    const riders = decodeChannelMessage(await rider.network.request(driver.identity.peerId, PAY_PROTOCOL, encodeChannelMessage({ type: 'sync-request', channelId })))
    expect(riders.type === 'sync-response' && riders.latest?.state.nonce).to.equal(1n)
    await stop(stranger)
    await stop(rider)
    await stop(driver)
  })

  it('a stranger relaying the rider\'s signed state is refused with bad-binding, whatever binding it shows, and takes over nothing', async () => {
    const { rider, driver, channelId } = await pair()
    await rider.manager.pay(channelId, 1000n)
    const stranger = await start()
    await stranger.network.dial(driver.network.addresses()[0])
    // the rider's next state, signed by the rider (a stranger that got hold of it relays it)
    const state: ChannelState = { channelId, nonce: 2n, balanceRider: DEPOSIT - 2000n, balanceDriver: 2000n, tripRecordHash: `0x${'0'.repeat(64)}` }
    const riderSig = await signChannelState(rider.identity.ethPrivateKeyHex, state, rider.chain.domain)
    const now = driver.clock.now()
    const riderBinding = await signBinding({ peerId: rider.network.peerId, requestId: ANY_RIDE, issuedAt: now }, rider.identity.ethPrivateKeyHex)
    const cases: Array<[string, IdentityBinding | undefined]> = [
      ['no binding', undefined],
      ['its own binding (another address)', await signBinding({ peerId: stranger.network.peerId, requestId: ANY_RIDE, issuedAt: now }, stranger.identity.ethPrivateKeyHex)],
      ['the rider\'s binding (another peer id)', riderBinding],
      ['its peer id and the rider\'s address, signed by itself', { ...(await signBinding({ peerId: stranger.network.peerId, requestId: ANY_RIDE, issuedAt: now }, stranger.identity.ethPrivateKeyHex)), address: riderBinding.address }],
      ['an expired one of the rider\'s', await signBinding({ peerId: stranger.network.peerId, requestId: ANY_RIDE, issuedAt: now - 2 * 3_600_000 }, rider.identity.ethPrivateKeyHex)]
    ]
    for (const [what, binding] of cases) {
      const answer = decodeChannelMessage(await stranger.network.request(driver.identity.peerId, PAY_PROTOCOL, encodeChannelMessage({ type: 'propose', proposal: { state, riderSig }, ...(binding != null ? { binding } : {}) })))
      expect(answer.type === 'reject' && answer.code, what).to.equal('bad-binding')
    }
    // nothing was countersigned, the channel still follows the rider, and the rider goes on
    expect(driver.manager.latestState(channelId)?.state.nonce).to.equal(1n)
    expect(driver.manager.getChannel(channelId)?.peer).to.equal(rider.network.peerId)
    await rider.manager.pay(channelId, 2000n)
    expect(driver.manager.latestState(channelId)?.state.balanceDriver).to.equal(2000n)
    await stop(stranger)
    await stop(rider)
    await stop(driver)
  })

  it('a driver that moved from an earlier version\'s secp256k1 peer id to its Ed25519 one is paid there, on the same channel', async () => {
    const driverDir = await mkdtemp(join(tmpdir(), 'hitch-attack-'))
    const rider = await start()
    let driver = await start(driverDir, {}, ETH, true)
    const legacyPeer = driver.network.peerId
    await rider.network.dial(driver.network.addresses()[0])
    const { channelId } = await rider.manager.ensureChannel(legacyPeer, driver.identity.ethAddress, DEPOSIT)
    await rider.manager.pay(channelId, 1000n)
    // the driver upgrades: same data directory, same address, a new (Ed25519) peer id
    await stop(driver)
    driver = await start(driverDir)
    expect(driver.network.peerId).to.not.equal(legacyPeer)
    await rider.network.dial(driver.network.addresses()[0])
    // its quote's binding vouched for the new peer id: the rider reuses the channel and pays there
    const again = await rider.manager.ensureChannel(driver.network.peerId, driver.identity.ethAddress, DEPOSIT / 2n)
    expect(again.channelId).to.equal(channelId)
    expect(rider.manager.getChannel(channelId)?.peer).to.equal(driver.network.peerId)
    await rider.manager.pay(channelId, 2000n)
    expect(driver.manager.latestState(channelId)?.state.balanceDriver).to.equal(2000n)
    await stop(rider)
    await stop(driver)
  })

  it('proposals on random channel ids cost a bounded number of chain calls, and the honest rider is still served', async () => {
    const { rider, driver, channelId } = await pair()
    const attacker = await start()
    await attacker.network.dial(driver.network.addresses()[0])
    const before = driver.calls.get('getChannel') ?? 0
    // the attacker binds its own peer id to its own address: only the lookup budget stops it
    const binding = await signBinding({ peerId: attacker.network.peerId, requestId: ANY_RIDE, issuedAt: attacker.clock.now() }, attacker.identity.ethPrivateKeyHex)
    const propose = async (signed: boolean): Promise<void> => {
      const state: ChannelState = { channelId: toHex(randomBytes(32)), nonce: 1n, balanceRider: 1n, balanceDriver: 1n, tripRecordHash: `0x${'0'.repeat(64)}` }
      const riderSig = signed ? await signChannelState(attacker.identity.ethPrivateKeyHex, state, attacker.chain.domain) : toHex(randomBytes(65))
      await attacker.network.request(driver.identity.peerId, PAY_PROTOCOL, encodeChannelMessage({ type: 'propose', proposal: { state, riderSig }, binding })).catch(() => {})
    }
    for (let i = 0; i < 60; i++) await propose(i % 2 === 0)
    const lookups = (driver.calls.get('getChannel') ?? 0) - before
    expect(lookups, `${lookups} chain calls for 60 bogus proposals`).to.be.at.most(4)
    await rider.manager.pay(channelId, 1000n)
    await stop(attacker)
    await stop(rider)
    await stop(driver)
  })

  it('a peer that floods pay frames, holds too many pipes or leaves them idle has them closed', async () => {
    const driver = await start(undefined, { inbound: { pipeIdleTimeoutMs: 1_500, requestBurst: 50, requestsPerSecond: 10 } })
    const attacker = await start()
    await attacker.network.dial(driver.network.addresses()[0])
    const pipes: Array<{ pipe: MessagePipe, closed: Promise<void> }> = []
    for (let i = 0; i < 5; i++) {
      let onClose!: () => void
      const closed = new Promise<void>(resolve => { onClose = resolve })
      const pipe = await attacker.network.openPipe(driver.identity.peerId, PAY_STREAM_PROTOCOL, { onMessage: () => {}, onClose: () => { onClose() } })
      pipes.push({ pipe, closed })
    }
    // a peer holds at most two: the others are closed at once
    await waitFor(() => pipes.filter(p => !p.pipe.open).length >= 3, { what: 'extra pipes closed' })
    expect(driver.manager.inboundPipes).to.be.at.most(2)
    // a flood of frames closes the pipe that carries it
    const flooded = pipes.find(p => p.pipe.open)!
    for (let i = 0; i < 500 && flooded.pipe.open; i++) {
      flooded.pipe.send(encodePayFrame({ id: BigInt(i + 1), message: { type: 'sync-request', channelId: toHex(randomBytes(32)) } }))
    }
    await flooded.closed
    // and an idle one is closed after the idle timeout of the manager's clock (then reset after the grace)
    expect(driver.manager.inboundPipes).to.be.greaterThan(0)
    driver.clock.advance(1_500)
    driver.clock.advance(5_000)
    await waitFor(() => driver.manager.inboundPipes === 0, { what: 'idle pipes closed', timeoutMs: 5_000 })
    await stop(attacker)
    await stop(driver)
  })
})
