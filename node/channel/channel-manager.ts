/**
 * The payment channels of one node: opens and tops up deposits (rider), signs, sends and
 * countersigns states over one long-lived `/hitch/pay/2.1.0` stream per peer (or a stream per
 * request on `/hitch/pay/2.0.0` with peers or networks without it), persists every state before
 * a signature leaves the node, and closes co-operatively or unilaterally. The rules live in
 * `protocol/channel`; this class runs the effects its machine asks for. The chain side (closes in
 * progress, settlement, deposits found after a crash) is `ChainWatch`'s; what a peer may cost this
 * node is `InboundGuard`'s; the gas kept for disputes is `GasReserve`'s.
 *
 * Money rules it keeps: a signature leaves only once its state is on disk, and what the node
 * tells a peer of its channel (a sync, the latest state with a refusal) is what is on disk, never
 * a state a crash could still lose; after signing a final state no other state of the channel is
 * signed; only the channel's participants may read it.
 */
import { logger as createLogger, prefixLogger } from '@libp2p/logger'
import { privateKeyToAccount } from 'viem/accounts'
import {
  ChannelProtocolError, channelStep, cosignedFinal, decodeChannelMessage, decodePayFrame, encodeChannelMessage, encodePayFrame, finalStateOf,
  highestTotal, latestNonce, newChannel, nextProposal, arrears as arrearsOf, validateFinal, validateProposal,
  type Channel, type ChannelAction, type ChannelEvent, type ChannelMessage, type ChannelRejectCode,
  type ChannelRole, type CoSignedState, MAX_CHANNEL_MESSAGE_BYTES, MAX_PAY_FRAME_BYTES, PAY_STREAM_PROTOCOL
} from '../../protocol/channel/index.js'
import { PAY_PROTOCOL } from '../../protocol/index.js'
import { DISPUTE_GAS, type Chain } from '../../settlement/index.js'
import { ChannelSignatureVerifier, channelSigningKey, channelStateDigest, recoverChannelStateDigestSigner, signChannelStateDigest, type ChannelState } from '../../protocol/channel/index.js'
import { ChainWatch, isRevert } from './chain-watch.js'
import { deferred, Slots, Turns, type Deferred } from './concurrency.js'
import { ChannelError } from './errors.js'
import { ChannelEventTarget } from './events.js'
import { ChannelStore, type ChannelStoreStats } from './channel-store.js'
import { faultInjectorFromEnv, type FaultInjector } from './fault-injection.js'
import { GasReserve } from './gas-reserve.js'
import { InboundGuard } from './inbound-guard.js'
import {
  channelSummary, DEFAULT_FINAL_SUBMIT_GRACE_MS, DEFAULT_FINALIZE_MARGIN_MS, DEFAULT_FINALIZE_RETRY_MS, DEFAULT_GAS_CHECK_INTERVAL_MS,
  DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_INBOUND_PIPES, DEFAULT_MAX_SIGNER_TABLES, DEFAULT_UNRESPONSIVE_TIMEOUT_MS, DEFAULT_WATCH_POLL_MS,
  type ChannelIdentity, type ChannelManagerInit, type ChannelSummary, type PayOptions
} from './options.js'
import { PayTransport } from './pay-transport.js'
import type { Clock, TimerHandle } from '../clock/index.js'
import type { Network, DirectRequest, MessagePipe, PipeHandlers } from '../network/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Address, Hex } from 'viem'

const lower = (a: string): string => a.toLowerCase()

/** What the machine is told signed a signature that verifies for nobody (its checks then refuse it). */
const NO_SIGNER: Address = '0x0000000000000000000000000000000000000000'

const NO_CHANNEL: Hex = `0x${'0'.repeat(64)}`

/**
 * One node's payment channels. `start()` loads stored channels, serves `/hitch/pay/*`, finds the
 * chain's view of every unsettled channel (closes in progress, deposits, settlements) and follows
 * it, and re-sends proposals that were never answered; `stop()` undoes it in reverse.
 */
export class ChannelManager extends ChannelEventTarget {
  private readonly network: Network
  private readonly chain: Chain
  private readonly store: ChannelStore
  private readonly identity: ChannelIdentity
  /** the clock of its timers (what `DriverPayments` measures its grace period on) */
  readonly clock: Clock
  private readonly role?: ChannelRole
  private readonly unresponsiveTimeoutMs: number
  private readonly maxInFlight: number
  private readonly maxArrearsWei?: bigint
  private readonly watchEnabled: boolean
  private readonly maxSignerTables: number
  private readonly gasCheckIntervalMs: number
  private readonly faults: FaultInjector
  private readonly log: Logger
  /** the identity's key as signing needs it (never logged) */
  private readonly secretKey: Uint8Array
  /** one per counterparty address, least recently used first: checks its signatures against its known public key */
  private readonly verifiers = new Map<string, ChannelSignatureVerifier>()
  /** EIP-712 digests of the states in flight, computed once per state object */
  private readonly digests = new WeakMap<ChannelState, Uint8Array>()
  /** every channel as the machine has it now (a state may not be on disk yet) */
  private readonly channels = new Map<Hex, Channel>()
  /** every channel as it is on disk: what a peer is told */
  private readonly durable = new Map<Hex, Channel>()
  private readonly payments = new Map<string, Deferred<CoSignedState>>()
  private readonly slots = new Map<Hex, Slots>()
  private readonly proposeLocks = new Map<Hex, Promise<void>>()
  /** driver: handlers waiting for a lower nonce to be countersigned first */
  private readonly nonceWaiters = new Map<Hex, Set<() => void>>()
  /** driver: chain lookups of channels first heard of, by channel and rider */
  private readonly learning = new Map<string, Promise<Channel | ChannelRejectCode>>()
  /** driver: the last nonce answered per channel, for the `after-send` crash point */
  private readonly answered = new Map<Hex, bigint>()
  private readonly turns = new Turns()
  private readonly transport: PayTransport
  private readonly guard: InboundGuard
  private readonly watch: ChainWatch
  private readonly reserve: GasReserve
  private readonly background = new Set<Promise<unknown>>()
  private gasTimer: TimerHandle | undefined
  private lifetime = new AbortController()
  private started = false

  constructor (init: ChannelManagerInit) {
    super()
    this.network = init.network
    this.chain = init.chain
    this.store = new ChannelStore(init.store)
    this.identity = init.identity
    this.clock = init.clock
    if (init.role != null) this.role = init.role
    this.unresponsiveTimeoutMs = init.unresponsiveTimeoutMs ?? DEFAULT_UNRESPONSIVE_TIMEOUT_MS
    this.maxInFlight = init.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT
    if (init.maxArrearsWei != null) this.maxArrearsWei = init.maxArrearsWei
    this.watchEnabled = init.watch ?? true
    this.maxSignerTables = init.maxSignerTables ?? DEFAULT_MAX_SIGNER_TABLES
    this.gasCheckIntervalMs = init.gasCheckIntervalMs ?? DEFAULT_GAS_CHECK_INTERVAL_MS
    this.faults = init.faults ?? faultInjectorFromEnv()
    this.log = init.logPrefix != null ? prefixLogger(init.logPrefix).forComponent('hitch:channel') : createLogger('hitch:channel')
    this.secretKey = channelSigningKey(init.identity.ethPrivateKeyHex)
    if (lower(privateKeyToAccount(init.identity.ethPrivateKeyHex).address) !== lower(init.chain.address)) {
      throw new ChannelError('INVALID_ARGUMENT', 'the chain client must use the node identity\'s key')
    }
    this.transport = new PayTransport({
      network: this.network, clock: this.clock, turns: this.turns, unresponsiveTimeoutMs: this.unresponsiveTimeoutMs,
      lifetime: () => this.lifetime.signal, log: this.log
    })
    this.guard = new InboundGuard(init.inbound)
    this.reserve = new GasReserve({
      chain: this.chain, events: this, log: this.log, margin: init.gasPriceMargin,
      channelsToDefend: () => [...this.channels.values()].filter(c => c.phase !== 'finalized').length
    })
    this.watch = new ChainWatch({
      chain: this.chain,
      clock: this.clock,
      store: this.store,
      address: this.identity.ethAddress,
      events: this,
      faults: this.faults,
      log: this.log,
      get: id => this.channels.get(id),
      all: () => this.channels.values(),
      step: async (id, event) => await this.step(id, event),
      adopt: async channel => {
        if (this.channels.has(channel.channelId)) return
        this.channels.set(channel.channelId, channel)
        await this.persist(channel.channelId)
      },
      track: p => { this.track(p) },
      started: () => this.started,
      lifetime: () => this.lifetime.signal
    }, {
      enabled: this.watchEnabled,
      watchPollMs: init.watchPollMs ?? DEFAULT_WATCH_POLL_MS,
      finalizeRetryMs: init.finalizeRetryMs ?? DEFAULT_FINALIZE_RETRY_MS,
      finalizeMarginMs: init.finalizeMarginMs ?? DEFAULT_FINALIZE_MARGIN_MS,
      finalSubmitGraceMs: init.finalSubmitGraceMs ?? DEFAULT_FINAL_SUBMIT_GRACE_MS
    })
  }

  /** Group-commit figures of the channel store (benchmark). */
  get storeStats (): ChannelStoreStats {
    return { ...this.store.stats }
  }

  /** Pay pipes peers hold open to this node (benchmark, tests). */
  get inboundPipes (): number {
    return this.guard.openPipes
  }

  async start (options?: AbortOptions): Promise<void> {
    if (this.started) return
    this.lifetime = new AbortController()
    for (const channel of await this.store.loadAll()) {
      this.channels.set(channel.channelId, channel)
      this.durable.set(channel.channelId, channel)
    }
    await this.network.handle(PAY_PROTOCOL, async (req, opts) => await this.onRequest(req, opts), {
      maxRequestBytes: MAX_CHANNEL_MESSAGE_BYTES,
      maxInboundStreams: Math.max(32, this.maxInFlight * 2)
    })
    if (this.network.handlePipe != null) {
      await this.network.handlePipe(PAY_STREAM_PROTOCOL, pipe => this.acceptPipe(pipe), {
        maxMessageBytes: MAX_PAY_FRAME_BYTES,
        maxInboundStreams: DEFAULT_MAX_INBOUND_PIPES
      })
    }
    this.started = true
    await this.watch.start(options)
    for (const channel of this.channels.values()) {
      // a final state both signed, left unsubmitted before a restart
      const final = cosignedFinal(channel)
      if (channel.phase === 'final' && final != null) this.watch.submitFinalLater(channel.channelId, final, 0)
      // proposals that were persisted but never answered (a crash, a timeout): send them again
      if (channel.role === 'rider' && channel.phase === 'open' && channel.proposals.length > 0) {
        this.track(this.resend(channel.channelId).catch(err => { this.log('resend on %s failed - %e', channel.channelId, err) }))
      }
    }
    if (this.watchEnabled) this.checkGasLater(0)
    this.log('started with %d channels', this.channels.size)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.lifetime.abort(new ChannelError('NOT_STARTED', 'channel manager stopped'))
    if (this.gasTimer != null) this.clock.clearTimeout(this.gasTimer)
    await this.watch.stop()
    await Promise.allSettled([...this.background])
    await this.network.unhandle(PAY_PROTOCOL).catch(() => {})
    if (this.network.handlePipe != null) await this.network.unhandle(PAY_STREAM_PROTOCOL).catch(() => {})
    this.transport.close()
    this.guard.closeAll()
    await this.store.drain()
    for (const d of this.payments.values()) d.reject(new ChannelError('NOT_STARTED', 'channel manager stopped'))
    this.payments.clear()
    this.log('stopped')
  }

  // ------------------------------------------------------------------ queries

  /** Every channel this node knows, with balances. */
  listChannels (): ChannelSummary[] {
    return [...this.channels.values()].map(channelSummary)
  }

  /** One channel, or undefined. */
  getChannel (channelId: Hex): ChannelSummary | undefined {
    const c = this.channels.get(channelId)
    return c == null ? undefined : channelSummary(c)
  }

  /** The latest co-signed state of a channel (undefined before the first). */
  latestState (channelId: Hex): CoSignedState | undefined {
    return this.channels.get(channelId)?.latest
  }

  /** Rider: the open channel with `driver`, if any. */
  findOpenChannel (driver: Address): ChannelSummary | undefined {
    const c = this.riderChannelWith(driver, 'open')
    return c == null ? undefined : channelSummary(c)
  }

  private riderChannelWith (driver: Address, ...phases: Array<Channel['phase']>): Channel | undefined {
    return [...this.channels.values()].find(c => c.role === 'rider' && phases.includes(c.phase) && lower(c.driver) === lower(driver))
  }

  // ------------------------------------------------------------------ rider

  /**
   * Rider: makes sure there is an open channel with the driver with at least `availableWei` not
   * yet promised to it: reuses the pair's open channel (across rides), tops it up, or opens one.
   * A channel with the driver whose final state both signed is submitted first; one whose close
   * is pending on chain refuses (`NOT_OPEN`) until it is settled. Refuses (`INSUFFICIENT_FUNDS`)
   * what would leave too little to pay for the defence of this node's channels. Emits
   * `channel:opened` / `channel:topped-up` with the transaction.
   */
  async ensureChannel (driverPeerId: string, driverAddress: Address, availableWei: bigint, options?: AbortOptions): Promise<ChannelSummary> {
    this.assertStarted()
    this.assertRole('rider')
    if (availableWei <= 0n) throw new ChannelError('INVALID_ARGUMENT', 'the deposit must be positive')
    const existing = this.riderChannelWith(driverAddress, 'open')
    if (existing != null) {
      const info = await this.chain.getChannel(existing.channelId, options)
      if (info.status === 'open') {
        await this.step(existing.channelId, { type: 'deposit-changed', deposit: info.deposit })
        const current = this.mustGet(existing.channelId)
        const available = current.deposit - highestTotal(current)
        if (available >= availableWei) return channelSummary(current)
        const amount = availableWei - available
        await this.assertFunds({ spendWei: amount, spendGas: DISPUTE_GAS.challenge }, options)
        const tx = await this.chain.topUp(existing.channelId, amount, options)
        this.faults.reached('topup-mined', 0n)
        await this.step(existing.channelId, { type: 'deposit-changed', deposit: current.deposit + amount })
        this.log('topped up %s by %d (gas %d)', existing.channelId, amount, tx.gasUsed)
        this.emit('channel:topped-up', { channelId: existing.channelId, ...tx, amount, deposit: current.deposit + amount })
        this.checkGasLater(0)
        return channelSummary(this.mustGet(existing.channelId))
      }
      // settled or closing behind our back: forget it as a candidate
      await this.step(existing.channelId, info.status === 'closing'
        ? { type: 'close-observed', nonce: info.nonce, closesAt: info.closesAt, by: driverAddress }
        : { type: 'settled' })
    }
    await this.settlePending(driverAddress, options)
    await this.assertFunds({ channels: 1, spendWei: availableWei, spendGas: DISPUTE_GAS.closeUnilateral }, options)
    // a crash between the open and storing its channel must leave a trace to find the deposit by
    await this.store.saveIntent({ driver: driverAddress, peer: driverPeerId, fromBlock: await this.chain.blockNumber(options) })
    const opened = await this.chain.open(driverAddress, availableWei, options)
    this.faults.reached('open-mined', 0n)
    const info = await this.chain.getChannel(opened.channelId, options)
    if (this.channels.has(opened.channelId)) {
      // the watcher found the open first
      await this.step(opened.channelId, { type: 'deposit-changed', deposit: info.deposit })
    } else {
      this.channels.set(opened.channelId, newChannel({ channelId: opened.channelId, role: 'rider', rider: this.identity.ethAddress, driver: driverAddress, peer: driverPeerId, deposit: info.deposit }))
      await this.persist(opened.channelId)
    }
    await this.store.deleteIntent(driverAddress)
    this.log('opened %s with %s: %d wei (gas %d)', opened.channelId, driverPeerId, info.deposit, opened.gasUsed)
    this.emit('channel:opened', { channelId: opened.channelId, txHash: opened.txHash, gasUsed: opened.gasUsed, blockNumber: opened.blockNumber, driver: driverAddress, deposit: info.deposit })
    this.checkGasLater(0)
    return channelSummary(this.mustGet(opened.channelId))
  }

  /**
   * Rider: the pair's channel must be settled before a new one can be opened (the adjudicator
   * would add to the old one): a final state both signed is submitted now; a close pending on
   * chain is waited out by the caller.
   */
  private async settlePending (driverAddress: Address, options?: AbortOptions): Promise<void> {
    const pending = this.riderChannelWith(driverAddress, 'final', 'closing')
    if (pending == null) return
    const final = cosignedFinal(pending)
    if (pending.phase === 'final' && final != null) {
      try {
        const tx = await this.chain.closeCooperative(final.state, { rider: final.riderSig, driver: final.driverSig }, options)
        this.emit('channel:closed', { channelId: pending.channelId, ...tx, kind: 'cooperative', nonce: final.state.nonce, balanceDriver: final.state.balanceDriver })
      } catch (err) {
        if (!isRevert(err, 'AlreadyFinalized')) throw err
      }
      await this.step(pending.channelId, { type: 'settled' })
      return
    }
    const closesAt = pending.closing?.closesAt
    throw new ChannelError('NOT_OPEN', `the channel ${pending.channelId} with this driver is closing${closesAt != null ? ` until ${new Date(Number(closesAt) * 1000).toISOString()}` : ''}: a new one opens once it is settled`)
  }

  /** Throws `INSUFFICIENT_FUNDS` unless the balance covers the spending and the defence of the channels. */
  private async assertFunds (extra: { channels?: number, spendWei?: bigint, spendGas?: bigint }, options?: AbortOptions): Promise<void> {
    const c = await this.reserve.check(extra, options)
    if (!c.ok) {
      throw new ChannelError('INSUFFICIENT_FUNDS', `balance ${c.balance} wei is below the ${c.needed} wei needed for this deposit and the gas to defend ${c.channels} channels`)
    }
  }

  /** Checks the gas reserve after `delayMs` (and then every `gasCheckIntervalMs`). */
  private checkGasLater (delayMs: number): void {
    if (!this.started || !this.watchEnabled) return
    if (this.gasTimer != null) this.clock.clearTimeout(this.gasTimer)
    this.gasTimer = this.clock.setTimeout(() => {
      this.gasTimer = undefined
      this.track(this.reserve.warnIfLow({ signal: this.lifetime.signal }).catch(err => {
        if (this.started) this.emit('channel:error', { step: 'gas-check', error: err as Error })
      }).finally(() => {
        if (this.gasCheckIntervalMs > 0 && this.started && this.gasTimer == null) this.checkGasLater(this.gasCheckIntervalMs)
      }))
    }, delayMs)
  }

  /**
   * Rider: pays the driver `totalToDriverWei` in all on this channel (not an increment) and
   * resolves with the co-signed state. The state is persisted (fsync) before it is sent and the
   * countersignature before this resolves. Several calls may be in flight (each nonce + 1).
   */
  async pay (channelId: Hex, totalToDriverWei: bigint, options: PayOptions = {}): Promise<CoSignedState> {
    this.assertStarted()
    const slots = this.slotsOf(channelId)
    await slots.take(options.signal)
    try {
      // build, sign and record the proposal under a per-channel lock, so concurrent calls get
      // consecutive nonces; the fsync happens outside it, so pipelined proposals share batches
      const { state, done, stepping } = await this.withProposeLock(channelId, async () => {
        // sign in a turn of our own, not in a burst with every payment a group commit freed
        await this.turns.turn()
        const channel = this.mustGet(channelId)
        if (channel.role !== 'rider') throw new ChannelError('INVALID_ARGUMENT', 'only the rider pays')
        let state: ChannelState
        try {
          state = nextProposal(channel, totalToDriverWei, options.tripRecordHash)
        } catch (err) {
          throw this.ruleError(err)
        }
        const riderSig = this.sign(state)
        this.faults.reached('before-persist', state.nonce)
        const done = deferred<CoSignedState>()
        this.payments.set(this.paymentKey(channelId, state.nonce), done)
        // step() replaces the channel synchronously, before its first await
        const stepping = this.step(channelId, { type: 'proposal-signed', proposal: { state, riderSig } })
        return { state, done, stepping }
      })
      const sends = await stepping
      this.faults.reached('after-persist', state.nonce)
      for (const a of sends) if (a.type === 'send-proposal') await this.sendProposal(channelId, a.nonce, options)
      return await done.promise
    } finally {
      slots.give()
    }
  }

  /**
   * Re-sends, in nonce order, the proposals the driver has not answered (after a restart or a
   * timeout), and asks the peer for its latest co-signed state.
   */
  async sync (channelId: Hex, options?: AbortOptions): Promise<CoSignedState | undefined> {
    this.assertStarted()
    const channel = this.mustGet(channelId)
    if (channel.role === 'rider') await this.resend(channelId, options)
    const answer = await this.transport.ask(channel.peer, { type: 'sync-request', channelId }, options)
    if (answer.type === 'sync-response' && answer.latest != null) {
      const signers = this.signersOf(channel, answer.latest)
      await this.step(channelId, { type: 'latest-received', latest: answer.latest, signers })
    }
    return this.channels.get(channelId)?.latest
  }

  private async resend (channelId: Hex, options?: AbortOptions): Promise<void> {
    for (const p of [...this.mustGet(channelId).proposals]) {
      if (!this.mustGet(channelId).proposals.some(q => q.state.nonce === p.state.nonce)) continue
      await this.sendProposal(channelId, p.state.nonce, options)
    }
  }

  private async sendProposal (channelId: Hex, nonce: bigint, options?: AbortOptions, retried = false): Promise<void> {
    const channel = this.mustGet(channelId)
    const proposal = channel.proposals.find(p => p.state.nonce === nonce)
    if (proposal == null) return
    this.faults.reached('before-send', nonce)
    let answer: ChannelMessage
    try {
      answer = await this.transport.ask(channel.peer, { type: 'propose', proposal }, options)
    } catch (err) {
      this.payments.get(this.paymentKey(channelId, nonce))?.reject(err)
      throw err
    }
    this.faults.reached('after-send', nonce)
    if (answer.type === 'countersign' && lower(answer.channelId) === lower(channelId) && answer.nonce === nonce) {
      const signer = this.signerOf(proposal.state, answer.driverSig, channel.driver)
      this.faults.reached('after-countersign', nonce)
      try {
        await this.step(channelId, { type: 'countersign-received', nonce, driverSig: answer.driverSig, signer })
      } catch (err) {
        const e = this.ruleError(err)
        this.payments.get(this.paymentKey(channelId, nonce))?.reject(e)
        throw e
      }
      return
    }
    if (answer.type === 'reject') {
      const signers = answer.latest != null ? this.signersOf(channel, answer.latest) : undefined
      await this.step(channelId, {
        type: 'reject-received', nonce, code: answer.code, ...(answer.latest != null ? { latest: answer.latest, latestSigners: signers } : {})
      })
      if (answer.code === 'gap' && !retried) {
        // an earlier proposal never reached the driver (a timeout, a restart): send those first
        for (const p of [...this.mustGet(channelId).proposals]) {
          if (p.state.nonce >= nonce) break
          await this.sendProposal(channelId, p.state.nonce, options, true)
        }
        await this.sendProposal(channelId, nonce, options, true)
        return
      }
      const pending = this.payments.get(this.paymentKey(channelId, nonce))
      if (pending != null && this.mustGet(channelId).proposals.some(p => p.state.nonce === nonce)) {
        pending.reject(new ChannelError('REJECTED', `driver refused nonce ${nonce}: ${answer.code} ${answer.detail}`, { reason: answer.code }))
      }
      return
    }
    const err = new ChannelError('BAD_RESPONSE', `unexpected ${answer.type} to a proposal`)
    this.payments.get(this.paymentKey(channelId, nonce))?.reject(err)
    throw err
  }

  /**
   * Driver: records what the rider of this channel owes for the service so far (in all). When it
   * exceeds what the rider paid by more than `maxArrearsWei`, `channel:arrears` is emitted and
   * `isBehind` turns true, so the role can stop serving the rider.
   */
  async setOwed (channelId: Hex, totalOwedWei: bigint): Promise<bigint> {
    await this.step(channelId, { type: 'owed-changed', owedToDriver: totalOwedWei })
    return arrearsOf(this.mustGet(channelId))
  }

  /** Driver: what the rider owes beyond what it paid. */
  arrears (channelId: Hex): bigint {
    return arrearsOf(this.mustGet(channelId))
  }

  /** Driver: whether the rider owes more than `maxArrearsWei` beyond what it paid. */
  isBehind (channelId: Hex): boolean {
    return this.maxArrearsWei != null && this.arrears(channelId) > this.maxArrearsWei
  }

  // ------------------------------------------------------------------ serving peers

  /** A request on a stream of its own (`/hitch/pay/2.0.0`). */
  private async onRequest (req: DirectRequest, opts: Required<AbortOptions>): Promise<Uint8Array> {
    if (!this.guard.allowRequest(req.from)) {
      return encodeChannelMessage(this.reject(NO_CHANNEL, 0n, 'rate-limited', 'too many requests'))
    }
    let message: ChannelMessage
    try {
      message = decodeChannelMessage(req.data)
    } catch (err) {
      return encodeChannelMessage(this.reject(NO_CHANNEL, 0n, 'malformed', (err as Error).message))
    }
    return encodeChannelMessage(await this.serve(req.from, message, opts))
  }

  /**
   * A pipe a peer opened to us: each frame is a request, served in order, one per turn of the
   * event loop, and answered with the request's id once served (a proposal is still persisted
   * before its countersignature leaves). A peer holding too many pipes, sending faster than its
   * rate, piling up unanswered requests, or idle for too long has its pipe closed.
   */
  private acceptPipe (pipe: MessagePipe): PipeHandlers {
    if (!this.guard.admitPipe(pipe)) {
      this.log('refusing a pay pipe from %s: too many open', pipe.remotePeer)
      queueMicrotask(() => { this.guard.reset(pipe) })
      return { onMessage: () => {}, onClose: () => {} }
    }
    const closed = new AbortController()
    const signal = AbortSignal.any([closed.signal, this.lifetime.signal])
    return {
      onMessage: data => {
        if (!this.guard.serves(pipe)) return
        this.guard.touch(pipe)
        if (!this.guard.allowRequest(pipe.remotePeer) || !this.guard.begin(pipe)) {
          this.log('resetting the pay pipe from %s: too many requests', pipe.remotePeer)
          this.guard.reset(pipe)
          return
        }
        this.turns.run(() => {
          if (this.started) this.onPipeRequest(pipe, data, signal)
          else this.guard.end(pipe)
        })
      },
      onClose: () => {
        closed.abort(new ChannelError('NOT_STARTED', 'pipe closed'))
        this.guard.removePipe(pipe)
      }
    }
  }

  private onPipeRequest (pipe: MessagePipe, data: Uint8Array, signal: AbortSignal): void {
    let frame: ReturnType<typeof decodePayFrame>
    try {
      frame = decodePayFrame(data)
    } catch (err) {
      // no id to answer to: the peer does not speak the protocol
      this.log('closing the pipe from %s: %s', pipe.remotePeer, (err as Error).message)
      this.guard.end(pipe)
      pipe.close()
      return
    }
    const id = frame.id
    const answer = 'error' in frame
      ? Promise.resolve(this.reject(NO_CHANNEL, 0n, 'malformed', frame.error.message))
      : this.serve(pipe.remotePeer, frame.message, { signal })
    this.track(answer.then(message => {
      if (pipe.open) pipe.send(encodePayFrame({ id, message }))
    }).catch(err => {
      this.log('request %d on the pipe from %s failed - %e', id, pipe.remotePeer, err)
    }).finally(() => { this.guard.end(pipe) }))
  }

  /** The answer to one request from `from`, whichever way it came (a stream of its own or a pipe). */
  private async serve (from: string, message: ChannelMessage, opts: Required<AbortOptions>): Promise<ChannelMessage> {
    switch (message.type) {
      case 'propose': return await this.onPropose(from, message.proposal.state, message.proposal.riderSig, opts)
      case 'close-request': return await this.onCloseRequest(from, message.state, message.sig, opts)
      case 'sync-request': {
        // only the counterparty may read the channel, and only what is on disk
        const channel = this.durable.get(message.channelId)
        if (channel == null || channel.peer !== from) return { type: 'sync-response' }
        return { type: 'sync-response', ...(channel.latest != null ? { latest: channel.latest } : {}) }
      }
      default:
        return this.reject(NO_CHANNEL, 0n, 'malformed', `${message.type} is an answer, not a request`)
    }
  }

  private reject (channelId: Hex, nonce: bigint, code: ChannelRejectCode, detail: string, latest?: CoSignedState): ChannelMessage {
    return { type: 'reject', channelId, nonce, code, detail, ...(latest != null ? { latest } : {}) }
  }

  /** What a refusal tells the peer of our latest state: what is on disk, to the counterparty only. */
  private durableLatest (channelId: Hex, from: string): CoSignedState | undefined {
    const channel = this.durable.get(channelId)
    return channel != null && channel.peer === from ? channel.latest : undefined
  }

  private async onPropose (from: string, state: ChannelState, riderSig: Hex, opts: Required<AbortOptions>): Promise<ChannelMessage> {
    const { channelId, nonce } = state
    const previous = this.answered.get(channelId)
    if (previous != null && nonce > previous) this.faults.reached('after-send', previous)
    if (this.role === 'rider') return this.reject(channelId, nonce, 'unknown-channel', 'this node does not drive')
    let channel = this.channels.get(channelId)
    if (channel == null) {
      const learnt = await this.learnChannel(from, state, riderSig, opts)
      if (typeof learnt === 'string') return this.reject(channelId, nonce, learnt, learnt === 'cannot-defend' ? 'this driver cannot defend a new channel now' : 'no open channel with this node as driver')
      channel = learnt
    }
    const signer = this.signerOf(state, riderSig, channel.rider)
    if (signer !== channel.rider) return this.reject(channelId, nonce, 'bad-signature', 'not signed by the rider')
    // pipelined proposals arrive on separate streams, possibly out of order: wait for the gap to fill
    await this.waitForNonce(channelId, nonce - 1n, opts.signal)
    channel = this.mustGet(channelId)
    let verdict = validateProposal(channel, state, signer)
    if (!verdict.ok && verdict.code === 'over-deposit' && this.guard.allowChainLookup(from)) {
      // a top-up the watcher has not reported yet
      const info = await this.chain.getChannel(channelId, opts)
      if (info.status === 'open' && info.deposit > channel.deposit) {
        await this.step(channelId, { type: 'deposit-changed', deposit: info.deposit })
        channel = this.mustGet(channelId)
        verdict = validateProposal(channel, state, signer)
      }
    }
    if (!verdict.ok) {
      this.log('refused nonce %d on %s: %s', nonce, channelId, verdict.code)
      return this.reject(channelId, nonce, verdict.code, verdict.detail, verdict.code === 'stale' ? this.durableLatest(channelId, from) : undefined)
    }
    const driverSig = this.sign(state)
    this.faults.reached('after-countersign', nonce)
    this.faults.reached('before-persist', nonce)
    try {
      await this.step(channelId, { type: 'proposal-accepted', proposal: { state, riderSig }, driverSig, ...(from !== channel.peer ? { peer: from } : {}) })
    } catch (err) {
      // the same proposal twice at once (a re-send racing the original): the first one won
      if (!(err instanceof ChannelProtocolError)) throw err
      return this.reject(channelId, nonce, err.code, err.message, err.code === 'stale' ? this.durableLatest(channelId, from) : undefined)
    }
    this.faults.reached('after-persist', nonce)
    this.faults.reached('before-send', nonce)
    this.answered.set(channelId, nonce)
    return { type: 'countersign', channelId, nonce, driverSig }
  }

  /**
   * Driver: a channel first heard of in a proposal. The chain call it costs comes only after the
   * rider's signature recovered to an address and within the peer's (and everyone's) budget of
   * such lookups; then only what the chain says is trusted, and a channel this node could not
   * pay to defend is refused.
   */
  private async learnChannel (from: string, state: ChannelState, riderSig: Hex, options: AbortOptions): Promise<Channel | ChannelRejectCode> {
    const signer = recoverChannelStateDigestSigner(this.digestOf(state), riderSig)
    if (signer == null) return 'bad-signature'
    // pipelined proposals of a new channel share one lookup
    const key = `${state.channelId}/${lower(signer)}`
    let learning = this.learning.get(key)
    if (learning == null) {
      if (!this.guard.allowChainLookup(from)) return 'rate-limited'
      learning = this.lookUpChannel(from, state.channelId, signer, options)
      this.learning.set(key, learning)
      void learning.finally(() => { this.learning.delete(key) }).catch(() => {})
    }
    return await learning
  }

  private async lookUpChannel (from: string, channelId: Hex, signer: Address, options: AbortOptions): Promise<Channel | ChannelRejectCode> {
    const state = { channelId }
    const info = await this.chain.getChannel(state.channelId, options)
    if (info.status !== 'open' || lower(info.driver) !== lower(this.identity.ethAddress) || lower(info.rider) !== lower(signer)) return 'unknown-channel'
    const known = this.channels.get(state.channelId)
    if (known != null) return known
    if (this.watchEnabled) {
      const gas = await this.reserve.check({ channels: 1 }, options)
      if (!gas.ok) {
        this.reserve.warn(gas)
        this.log('refusing channel %s: balance %d wei is below the %d wei its defence needs', state.channelId, gas.balance, gas.needed)
        return 'cannot-defend'
      }
    }
    if (this.channels.has(state.channelId)) return this.mustGet(state.channelId)
    const channel = newChannel({ channelId: state.channelId, role: 'driver', rider: info.rider, driver: info.driver, peer: from, deposit: info.deposit })
    this.channels.set(state.channelId, channel)
    await this.persist(state.channelId)
    this.log('serving channel %s from %s (deposit %d)', state.channelId, from, info.deposit)
    return channel
  }

  private async waitForNonce (channelId: Hex, nonce: bigint, signal: AbortSignal): Promise<void> {
    if (latestNonce(this.mustGet(channelId)) >= nonce) return
    // give up on a gap after a short while: the proposal that fills it may never come
    const gapWait = AbortSignal.any([signal, AbortSignal.timeout(Math.min(this.unresponsiveTimeoutMs, 2_000))])
    while (latestNonce(this.mustGet(channelId)) < nonce && this.mustGet(channelId).phase === 'open') {
      if (gapWait.aborted) return
      let waiters = this.nonceWaiters.get(channelId)
      if (waiters == null) { waiters = new Set(); this.nonceWaiters.set(channelId, waiters) }
      const set = waiters
      const aborted = await new Promise<boolean>(resolve => {
        const wake = (): void => { set.delete(wake); gapWait.removeEventListener('abort', onAbort); resolve(false) }
        const onAbort = (): void => { set.delete(wake); resolve(true) }
        set.add(wake)
        gapWait.addEventListener('abort', onAbort, { once: true })
      })
      if (aborted) return
    }
  }

  // ------------------------------------------------------------------ closing

  /**
   * Closes co-operatively: this node signs the final state (nonce `FINAL_NONCE`, the latest
   * balances), and from then on signs no other state of the channel; the peer countersigns it and
   * this node submits it. Emits `channel:closed`. Throws `PEER_UNRESPONSIVE` if the peer does not
   * answer within `unresponsiveTimeoutMs` (`close()` then closes unilaterally).
   */
  async closeCooperative (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    this.assertStarted()
    let channel = this.mustGet(channelId)
    if (channel.phase !== 'open' && channel.phase !== 'final') throw new ChannelError('NOT_OPEN', `channel is ${channel.phase}`)
    if (channel.role === 'rider' && channel.proposals.length > 0) await this.resend(channelId, options)
    channel = this.mustGet(channelId)
    const final = channel.final?.state ?? finalStateOf(channel)
    const verdict = validateFinal(channel, final)
    if (!verdict.ok) throw new ChannelError('INVALID_ARGUMENT', `cannot close yet: ${verdict.detail}`, { reason: verdict.code })
    const mySig = this.sign(final)
    // on disk before the signature leaves: from here on this node signs no other state
    await this.step(channelId, { type: 'final-signed', state: final, ...(channel.role === 'rider' ? { riderSig: mySig } : { driverSig: mySig }) })
    this.faults.reached('final-signed', 1n)
    let cosigned = cosignedFinal(this.mustGet(channelId))
    if (cosigned == null) {
      const answer = await this.transport.ask(channel.peer, { type: 'close-request', state: final, sig: mySig }, options)
      if (answer.type === 'reject') throw new ChannelError('REJECTED', `peer refused to close: ${answer.code} ${answer.detail}`, { reason: answer.code })
      if (answer.type !== 'close-accept') throw new ChannelError('BAD_RESPONSE', `unexpected ${answer.type} to a close request`)
      const other = channel.role === 'rider' ? channel.driver : channel.rider
      const signer = this.signerOf(final, answer.sig, other)
      if (signer !== other) throw new ChannelError('BAD_RESPONSE', 'the final state was not signed by the peer')
      await this.step(channelId, { type: 'final-countersigned', sig: answer.sig, signer })
      cosigned = cosignedFinal(this.mustGet(channelId))!
    }
    let tx
    try {
      tx = await this.chain.closeCooperative(cosigned.state, { rider: cosigned.riderSig, driver: cosigned.driverSig }, options)
    } catch (err) {
      if (!isRevert(err, 'AlreadyFinalized')) throw err
      // the peer submitted it first
      await this.step(channelId, { type: 'settled' })
      return channelSummary(this.mustGet(channelId))
    }
    this.faults.reached('close-mined', 0n)
    await this.step(channelId, { type: 'settled' })
    this.watch.clear(channelId)
    this.log('closed %s co-operatively (gas %d)', channelId, tx.gasUsed)
    this.emit('channel:closed', { channelId, ...tx, kind: 'cooperative', nonce: final.nonce, balanceDriver: final.balanceDriver })
    return channelSummary(this.mustGet(channelId))
  }

  /**
   * Starts a unilateral close with the newest state both signed (the final state if this node
   * holds both its signatures, else the latest; before any, the nonce-0 refund). The finalize
   * follows by itself after the challenge period (clock timer, resumed after a restart). Emits
   * `channel:closed`.
   */
  async closeUnilateral (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    this.assertStarted()
    const channel = this.mustGet(channelId)
    if (channel.phase === 'finalized') throw new ChannelError('NOT_OPEN', 'channel is settled')
    const best = cosignedFinal(channel) ?? channel.latest
    const state: ChannelState = best?.state ?? { ...finalStateOf(channel), nonce: 0n, balanceRider: channel.deposit, balanceDriver: 0n }
    const tx = await this.chain.closeUnilateral(state, best != null ? { rider: best.riderSig, driver: best.driverSig } : undefined, options)
    this.faults.reached('unilateral-mined', 0n)
    const info = await this.chain.getChannel(channelId, options)
    await this.step(channelId, { type: 'close-observed', nonce: state.nonce, closesAt: info.closesAt, by: this.identity.ethAddress })
    this.log('started unilateral close of %s at nonce %d (gas %d)', channelId, state.nonce, tx.gasUsed)
    this.emit('channel:closed', { channelId, ...tx, kind: 'unilateral', nonce: state.nonce, balanceDriver: state.balanceDriver })
    return channelSummary(this.mustGet(channelId))
  }

  /** Co-operative close, or unilateral if the peer does not answer or refuses. */
  async close (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    try {
      return await this.closeCooperative(channelId, options)
    } catch (err) {
      if (err instanceof ChannelError && (err.code === 'PEER_UNRESPONSIVE' || err.code === 'REJECTED' || err.code === 'BAD_RESPONSE')) {
        this.log('co-operative close of %s failed (%s), closing unilaterally', channelId, err.code)
        return await this.closeUnilateral(channelId, options)
      }
      throw err
    }
  }

  /** Finalizes a pending close now (throws if the challenge period is not over). */
  async finalize (channelId: Hex, options?: AbortOptions): Promise<void> {
    await this.watch.finalize(channelId, options)
  }

  /**
   * A peer asks to close: the peer's signature is checked first, the final state must carry the
   * latest co-signed balances, and ours leaves only once the channel is `final` on disk. The
   * requester submits it; if it has not within `finalSubmitGraceMs`, this node does.
   */
  private async onCloseRequest (from: string, state: ChannelState, sig: Hex, opts: Required<AbortOptions>): Promise<ChannelMessage> {
    const channel = this.channels.get(state.channelId)
    if (channel == null) return this.reject(state.channelId, state.nonce, 'unknown-channel', 'unknown channel')
    const other = channel.role === 'rider' ? channel.driver : channel.rider
    if (this.signerOf(state, sig, other) !== other) {
      return this.reject(state.channelId, state.nonce, 'bad-signature', 'final state not signed by the peer')
    }
    const verdict = validateFinal(channel, state)
    if (!verdict.ok) return this.reject(state.channelId, state.nonce, verdict.code, verdict.detail, this.durableLatest(state.channelId, from))
    opts.signal.throwIfAborted()
    const mine = this.sign(state)
    try {
      await this.step(state.channelId, { type: 'final-signed', state, ...(channel.role === 'rider' ? { riderSig: mine, driverSig: sig } : { riderSig: sig, driverSig: mine }) })
    } catch (err) {
      if (!(err instanceof ChannelProtocolError)) throw err
      return this.reject(state.channelId, state.nonce, err.code, err.message)
    }
    this.faults.reached('final-signed', 2n)
    this.log('signed the final state of %s for %s', state.channelId, from)
    return { type: 'close-accept', channelId: state.channelId, sig: mine }
  }

  // ------------------------------------------------------------------ the machine's effects

  /**
   * Runs one machine step: the new channel replaces the old at once (so pipelined calls see it),
   * then the actions run in order; `persist` is awaited before anything after it. Returns the
   * send actions for the caller to perform.
   */
  private async step (channelId: Hex, event: ChannelEvent): Promise<ChannelAction[]> {
    const channel = this.mustGet(channelId)
    const t = channelStep(channel, event, this.maxArrearsWei != null ? { maxArrearsWei: this.maxArrearsWei } : {})
    if (t.channel === channel) return []
    this.channels.set(channelId, t.channel)
    const before = channel.latest?.state.nonce ?? 0n
    const after = t.channel.latest
    const advanced = after != null && after.state.nonce > before
    if (advanced) {
      // a pipelined proposal waiting for this nonce may be validated now; its own answer still
      // waits for a fsync that covers this state too
      const waiters = this.nonceWaiters.get(channelId)
      if (waiters != null) for (const wake of [...waiters]) wake()
    }
    const sends: ChannelAction[] = []
    for (const action of t.actions) {
      switch (action.type) {
        case 'persist':
          if (event.type === 'proposal-accepted') await this.faults.hold?.('in-persist', event.proposal.state.nonce)
          await this.persist(channelId)
          break
        case 'send-proposal':
        case 'send-countersign':
          sends.push(action)
          break
        case 'resolve': {
          const key = this.paymentKey(channelId, action.nonce)
          this.payments.get(key)?.resolve(action.cosigned)
          this.payments.delete(key)
          break
        }
        case 'fail': {
          const key = this.paymentKey(channelId, action.nonce)
          this.payments.get(key)?.reject(new ChannelError(action.code === 'not-open' ? 'NOT_OPEN' : 'REJECTED', `payment ${action.nonce} failed: ${action.code}`, { reason: action.code }))
          this.payments.delete(key)
          break
        }
        case 'challenge':
          this.watch.challengeWithRetry(channelId, action.cosigned)
          break
        case 'schedule-finalize':
          this.watch.scheduleFinalize(channelId, action.closesAt)
          break
        case 'final-ready':
          this.watch.submitFinalLater(channelId, action.cosigned)
          break
        case 'arrears-exceeded':
          this.emit('channel:arrears', { channelId, peer: t.channel.peer, arrears: action.arrears })
          break
      }
    }
    if (t.channel.phase === 'finalized') this.watch.clear(channelId)
    if (advanced) this.emit('channel:updated', { channelId, peer: t.channel.peer, cosigned: after })
    return sends
  }

  /** Writes the channel durably; what is on disk then is what peers are told. */
  private async persist (channelId: Hex): Promise<void> {
    const written = this.mustGet(channelId)
    await this.store.save(channelId, () => this.mustGet(channelId))
    // the batch wrote this state or a newer one: `written` is on disk at least
    const known = this.durable.get(channelId)
    if (known == null || latestNonce(written) >= latestNonce(known)) this.durable.set(channelId, written)
  }

  /** Our signature over a state (EIP-712, low-s, v in {27, 28}). */
  private sign (state: ChannelState): Hex {
    return signChannelStateDigest(this.secretKey, this.digestOf(state))
  }

  private digestOf (state: ChannelState): Uint8Array {
    let digest = this.digests.get(state)
    if (digest == null) {
      digest = channelStateDigest(state, this.chain.domain)
      this.digests.set(state, digest)
    }
    return digest
  }

  /**
   * Who signed `state`, as the adjudicator's `ecrecover` would tell: `expected` when the
   * signature is its (checked against its known public key, no full recovery), otherwise the
   * recovered address, or `NO_SIGNER` for a signature the adjudicator refuses.
   */
  private signerOf (state: ChannelState, sig: Hex, expected: Address): Address {
    const digest = this.digestOf(state)
    const key = lower(expected)
    let verifier = this.verifiers.get(key)
    if (verifier != null) {
      this.verifiers.delete(key)
    } else {
      verifier = new ChannelSignatureVerifier(expected)
      if (this.verifiers.size >= this.maxSignerTables) this.verifiers.delete(this.verifiers.keys().next().value!)
    }
    this.verifiers.set(key, verifier)
    if (verifier.verify(digest, sig)) return expected
    return recoverChannelStateDigestSigner(digest, sig) ?? NO_SIGNER
  }

  /** The signers of a co-signed state, checked against the channel's parties. */
  private signersOf (channel: Channel, c: CoSignedState): { rider: Address, driver: Address } {
    return { rider: this.signerOf(c.state, c.riderSig, channel.rider), driver: this.signerOf(c.state, c.driverSig, channel.driver) }
  }

  private ruleError (err: unknown): Error {
    if (err instanceof ChannelProtocolError) {
      return new ChannelError(err.code === 'not-open' ? 'NOT_OPEN' : 'INVALID_ARGUMENT', err.message, { reason: err.code, cause: err })
    }
    return err as Error
  }

  private async withProposeLock<T> (channelId: Hex, fn: () => Promise<T>): Promise<T> {
    const previous = this.proposeLocks.get(channelId) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const tail = run.then(() => {}, () => {})
    this.proposeLocks.set(channelId, tail)
    try {
      return await run
    } finally {
      if (this.proposeLocks.get(channelId) === tail) this.proposeLocks.delete(channelId)
    }
  }

  private slotsOf (channelId: Hex): Slots {
    let s = this.slots.get(channelId)
    if (s == null) { s = new Slots(this.maxInFlight); this.slots.set(channelId, s) }
    return s
  }

  private paymentKey (channelId: Hex, nonce: bigint): string {
    return `${channelId}/${nonce}`
  }

  private mustGet (channelId: Hex): Channel {
    const c = this.channels.get(channelId)
    if (c == null) throw new ChannelError('UNKNOWN_CHANNEL', `unknown channel ${channelId}`)
    return c
  }

  private assertStarted (): void {
    if (!this.started) throw new ChannelError('NOT_STARTED', 'channel manager is not started')
  }

  private assertRole (role: ChannelRole): void {
    if (this.role != null && this.role !== role) throw new ChannelError('INVALID_ARGUMENT', `this node is a ${this.role}`)
  }

  private track (p: Promise<unknown>): void {
    const q = p.catch(() => {}).finally(() => { this.background.delete(q) })
    this.background.add(q)
  }
}
