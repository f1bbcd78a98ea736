/**
 * The payment channels of one node: opens and tops up deposits (rider), signs, sends and
 * countersigns states over one long-lived `/hitch/pay/1.1.0` stream per peer (or a stream per
 * request on `/hitch/pay/1.0.0` with peers or networks without it), persists every state before
 * a signature leaves the node, closes co-operatively or unilaterally, and watches the chain to answer stale closes
 * and finalize pending ones, also across restarts. The rules live in `protocol/channel`; this
 * class runs the effects its machine asks for.
 */
import { logger as createLogger, prefixLogger } from '@libp2p/logger'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import {
  ChannelProtocolError, channelStep, decodeChannelMessage, decodePayFrame, encodeChannelMessage, encodePayFrame, finalStateOf,
  highestTotal, latestNonce, newChannel, nextProposal, paidToDriver, arrears as arrearsOf, validateFinal, validateProposal,
  type Channel, type ChannelAction, type ChannelEvent, type ChannelMessage, type ChannelPhase, type ChannelRejectCode,
  type ChannelRole, type CoSignedState, MAX_CHANNEL_MESSAGE_BYTES, MAX_PAY_FRAME_BYTES, PAY_STREAM_PROTOCOL
} from '../../protocol/channel/index.js'
import { PAY_PROTOCOL } from '../../protocol/index.js'
import {
  ChannelSignatureVerifier, channelSigningKey, channelStateDigest, recoverChannelStateDigestSigner, SettlementError,
  signChannelStateDigest, type AdjudicatorEvent, type Chain, type ChannelState, type Watcher
} from '../../settlement/index.js'
import { ChannelError } from './errors.js'
import { ChannelEventTarget } from './events.js'
import { ChannelStore, type ChannelStoreStats } from './channel-store.js'
import { faultInjectorFromEnv, type FaultInjector } from './fault-injection.js'
import type { Clock, TimerHandle } from '../clock/index.js'
import { NetworkError, type Network, type DirectRequest, type MessagePipe, type PipeHandlers } from '../network/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'
import type { Address, Hex } from 'viem'

/** @default 10_000 */
export const DEFAULT_UNRESPONSIVE_TIMEOUT_MS = 10_000
/** @default 16 */
export const DEFAULT_MAX_IN_FLIGHT = 16
/** @default 5_000 */
export const DEFAULT_FINALIZE_RETRY_MS = 5_000
/** @default 1_000 */
export const DEFAULT_FINALIZE_MARGIN_MS = 1_000
/** @default 250 */
export const DEFAULT_WATCH_POLL_MS = 250
/** @default 8 */
export const DEFAULT_MAX_INBOUND_PIPES = 8
/** @default 32 */
export const DEFAULT_MAX_SIGNER_TABLES = 32
/** How long a peer that refused the pay stream is asked on streams of their own, in clock ms. */
const NO_PIPE_RETRY_MS = 60_000
/**
 * Requests in flight to one peer on streams of their own (peers without the pay stream): what
 * any peer accepts at once, whatever `maxInFlight` is (more would be reset).
 * @default 32
 */
export const MAX_STREAM_REQUESTS_PER_PEER = 32

/** The part of a node identity the manager needs (never logged). */
export interface ChannelIdentity {
  peerId: string
  ethAddress: Address
  readonly ethPrivateKeyHex: Hex
}

/** Options of `ChannelManager`. */
export interface ChannelManagerInit {
  network: Network
  chain: Chain
  /** where channel records live (the node's LevelDB datastore; writes are fsynced) */
  store: Datastore
  identity: ChannelIdentity
  clock: Clock
  /**
   * Restricts the node to one side (a driver-only node never opens channels). Both sides are
   * served when unset.
   * @default undefined (both)
   */
  role?: ChannelRole
  /**
   * How long to wait for the peer's answer before a payment or a co-operative close fails with
   * `PEER_UNRESPONSIVE` (and `close()` falls back to a unilateral close).
   * @default 10_000
   */
  unresponsiveTimeoutMs?: number
  /**
   * Rider: most proposals in flight per channel (pipelining); more `pay` calls wait their turn.
   * @default 16
   */
  maxInFlight?: number
  /**
   * Driver: emit `channel:arrears` when a rider owes more than this beyond what it paid.
   * @default undefined (never)
   */
  maxArrearsWei?: bigint
  /**
   * Wait between finalize attempts while the challenge period is not over, in ms of the clock.
   * @default 5_000
   */
  finalizeRetryMs?: number
  /**
   * Added to the challenge period before the first finalize attempt, in ms of the clock.
   * @default 1_000
   */
  finalizeMarginMs?: number
  /**
   * How often the watcher polls the chain for adjudicator events, in ms.
   * @default 250
   */
  watchPollMs?: number
  /**
   * Answer stale closes and finalize pending ones. Off only in tests of a dishonest node.
   * @default true
   */
  watch?: boolean
  /** Prefix of log lines (the node's name in a simulation). */
  logPrefix?: string
  /**
   * Counterparties whose signatures are checked against a precomputed table of their public key
   * (about 300 KB each); beyond that the least recently used table is dropped and rebuilt on
   * demand.
   * @default 32
   */
  maxSignerTables?: number
  /** Test hook (see `fault-injection.ts`). @default read from `HITCH_CRASH_AT` */
  faults?: FaultInjector
}

/** A channel as `listChannels` reports it (`hitch channels`). */
export interface ChannelSummary {
  channelId: Hex
  role: ChannelRole
  /** the counterparty's peer id */
  peer: string
  /** the counterparty's address */
  counterparty: Address
  phase: ChannelPhase
  deposit: bigint
  /** latest co-signed nonce */
  nonce: bigint
  /** what the latest co-signed state pays the driver */
  paidToDriver: bigint
  /** what the latest co-signed state leaves the rider */
  balanceRider: bigint
  /** rider: proposals awaiting a countersignature */
  inFlight: number
  /** rider: deposit not yet promised to the driver */
  available: bigint
  /** driver: what the rider owes beyond what it paid */
  arrears: bigint
  /** unix seconds when a pending close can be finalized */
  closesAt?: bigint
}

/** What a stored channel amounts to, as `listChannels` and `hitch channels` show it. */
export function channelSummary (c: Channel): ChannelSummary {
  return {
    channelId: c.channelId,
    role: c.role,
    peer: c.peer,
    counterparty: c.role === 'rider' ? c.driver : c.rider,
    phase: c.phase,
    deposit: c.deposit,
    nonce: latestNonce(c),
    paidToDriver: paidToDriver(c),
    balanceRider: c.latest?.state.balanceRider ?? c.deposit,
    inFlight: c.proposals.length,
    available: c.deposit - highestTotal(c),
    arrears: arrearsOf(c),
    ...(c.closing != null ? { closesAt: c.closing.closesAt } : {})
  }
}

/** Options of `pay`. */
export interface PayOptions extends AbortOptions {
  /** hash of the trip record this state settles (default: the previous state's) */
  tripRecordHash?: Hex
}

interface Deferred<T> { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void }

function deferred<T> (): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

const lower = (a: string): string => a.toLowerCase()

/** What the machine is told signed a signature that verifies for nobody (its checks then refuse it). */
const NO_SIGNER: Address = '0x0000000000000000000000000000000000000000'

/** Our requests to one peer on one long-lived pipe, answered by id. */
interface PayLink {
  pipe: MessagePipe
  nextId: bigint
  pending: Map<bigint, { resolve: (m: ChannelMessage) => void, reject: (e: Error) => void }>
}

function isRevert (err: unknown, ...names: string[]): boolean {
  return err instanceof SettlementError && err.code === 'REVERTED' && names.includes(err.revert ?? '')
}

/** A small counting semaphore (in-flight proposals per channel). */
class Slots {
  private free: number
  private readonly queue: Array<() => void> = []
  constructor (n: number) { this.free = n }
  async take (signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.free > 0) { this.free--; return }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => { signal?.removeEventListener('abort', onAbort); resolve() }
      const onAbort = (): void => {
        const i = this.queue.indexOf(go)
        if (i >= 0) this.queue.splice(i, 1)
        reject(signal?.reason)
      }
      this.queue.push(go)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  give (): void {
    const next = this.queue.shift()
    if (next != null) next()
    else this.free++
  }
}

/**
 * One node's payment channels. `start()` loads stored channels, serves `/hitch/pay/1.0.0`,
 * resumes finalize timers, rescans the chain from the last block seen and re-sends proposals
 * that were never answered; `stop()` undoes it in reverse.
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
  private readonly finalizeRetryMs: number
  private readonly finalizeMarginMs: number
  private readonly watchPollMs: number
  private readonly watchEnabled: boolean
  private readonly maxSignerTables: number
  private readonly faults: FaultInjector
  private readonly log: Logger
  private readonly account: PrivateKeyAccount
  /** the identity's key as signing needs it (never logged) */
  private readonly secretKey: Uint8Array
  /** one per counterparty address, least recently used first: checks its signatures against its known public key */
  private readonly verifiers = new Map<string, ChannelSignatureVerifier>()
  /** EIP-712 digests of the states in flight, computed once per state object */
  private readonly digests = new WeakMap<ChannelState, Uint8Array>()
  private readonly channels = new Map<Hex, Channel>()
  private readonly payments = new Map<string, Deferred<CoSignedState>>()
  private readonly slots = new Map<Hex, Slots>()
  private readonly proposeLocks = new Map<Hex, Promise<void>>()
  /** driver: handlers waiting for a lower nonce to be countersigned first */
  private readonly nonceWaiters = new Map<Hex, Set<() => void>>()
  /** driver: the last nonce answered per channel, for the `after-send` crash point */
  private readonly answered = new Map<Hex, bigint>()
  private readonly finalizeTimers = new Map<Hex, TimerHandle>()
  /** our pipes to peers (by peer id), or the pending opening of one */
  private readonly links = new Map<string, Promise<PayLink>>()
  /**
   * peers that did not speak `PAY_STREAM_PROTOCOL` when last asked (clock ms): one stream per
   * request with them for a while (a peer shutting down also answers so; it may come back)
   */
  private readonly noPipe = new Map<string, number>()
  /** per peer: requests on streams of their own in flight */
  private readonly streamSlots = new Map<string, Slots>()
  /** pipes peers opened to us */
  private readonly inboundPipes = new Set<MessagePipe>()
  /** tasks waiting for a turn of the event loop of their own (see `inTurn`) */
  private readonly turns: Array<() => void> = []
  private turnScheduled = false
  private readonly background = new Set<Promise<unknown>>()
  private watcher: Watcher | undefined
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
    this.finalizeRetryMs = init.finalizeRetryMs ?? DEFAULT_FINALIZE_RETRY_MS
    this.finalizeMarginMs = init.finalizeMarginMs ?? DEFAULT_FINALIZE_MARGIN_MS
    this.watchPollMs = init.watchPollMs ?? DEFAULT_WATCH_POLL_MS
    this.watchEnabled = init.watch ?? true
    this.maxSignerTables = init.maxSignerTables ?? DEFAULT_MAX_SIGNER_TABLES
    this.faults = init.faults ?? faultInjectorFromEnv()
    this.log = init.logPrefix != null ? prefixLogger(init.logPrefix).forComponent('hitch:channel') : createLogger('hitch:channel')
    this.account = privateKeyToAccount(init.identity.ethPrivateKeyHex)
    this.secretKey = channelSigningKey(init.identity.ethPrivateKeyHex)
    if (lower(this.account.address) !== lower(init.chain.address)) {
      throw new ChannelError('INVALID_ARGUMENT', 'the chain client must use the node identity\'s key')
    }
  }

  /** Group-commit figures of the channel store (benchmark). */
  get storeStats (): ChannelStoreStats {
    return { ...this.store.stats }
  }

  async start (options?: AbortOptions): Promise<void> {
    if (this.started) return
    this.lifetime = new AbortController()
    for (const channel of await this.store.loadAll()) this.channels.set(channel.channelId, channel)
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
    for (const channel of this.channels.values()) {
      if (channel.phase === 'closing' && channel.closing != null) this.scheduleFinalize(channel.channelId, channel.closing.closesAt, 0)
    }
    if (this.watchEnabled) await this.startWatcher(options)
    // proposals that were persisted but never answered (a crash, a timeout): send them again
    for (const channel of this.channels.values()) {
      if (channel.role === 'rider' && channel.phase === 'open' && channel.proposals.length > 0) {
        this.track(this.resend(channel.channelId).catch(err => { this.log('resend on %s failed - %e', channel.channelId, err) }))
      }
    }
    this.log('started with %d channels', this.channels.size)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.lifetime.abort(new ChannelError('NOT_STARTED', 'channel manager stopped'))
    for (const t of this.finalizeTimers.values()) this.clock.clearTimeout(t)
    this.finalizeTimers.clear()
    await this.watcher?.stop()
    this.watcher = undefined
    await Promise.allSettled([...this.background])
    await this.network.unhandle(PAY_PROTOCOL).catch(() => {})
    if (this.network.handlePipe != null) await this.network.unhandle(PAY_STREAM_PROTOCOL).catch(() => {})
    for (const link of this.links.values()) void link.then(l => { l.pipe.close() }, () => {})
    this.links.clear()
    for (const pipe of this.inboundPipes) pipe.close()
    this.inboundPipes.clear()
    await this.store.drain()
    for (const d of this.payments.values()) d.reject(new ChannelError('NOT_STARTED', 'channel manager stopped'))
    this.payments.clear()
    this.log('stopped')
  }

  // ------------------------------------------------------------------ queries

  /** Every channel this node knows, with balances. */
  listChannels (): ChannelSummary[] {
    return [...this.channels.values()].map(c => this.summary(c))
  }

  /** One channel, or undefined. */
  getChannel (channelId: Hex): ChannelSummary | undefined {
    const c = this.channels.get(channelId)
    return c == null ? undefined : this.summary(c)
  }

  /** The latest co-signed state of a channel (undefined before the first). */
  latestState (channelId: Hex): CoSignedState | undefined {
    return this.channels.get(channelId)?.latest
  }

  /** Rider: the open channel with `driver`, if any. */
  findOpenChannel (driver: Address): ChannelSummary | undefined {
    const c = [...this.channels.values()].find(c => c.role === 'rider' && c.phase === 'open' && lower(c.driver) === lower(driver))
    return c == null ? undefined : this.summary(c)
  }

  private summary (c: Channel): ChannelSummary {
    return channelSummary(c)
  }

  // ------------------------------------------------------------------ rider

  /**
   * Rider: makes sure there is an open channel with the driver with at least `availableWei` not
   * yet promised to it: reuses the pair's open channel (across rides), tops it up, or opens one.
   * Emits `channel:opened` / `channel:topped-up` with the transaction.
   */
  async ensureChannel (driverPeerId: string, driverAddress: Address, availableWei: bigint, options?: AbortOptions): Promise<ChannelSummary> {
    this.assertStarted()
    this.assertRole('rider')
    if (availableWei <= 0n) throw new ChannelError('INVALID_ARGUMENT', 'the deposit must be positive')
    const existing = [...this.channels.values()].find(c => c.role === 'rider' && c.phase === 'open' && lower(c.driver) === lower(driverAddress))
    if (existing != null) {
      const info = await this.chain.getChannel(existing.channelId, options)
      if (info.status === 'open') {
        await this.step(existing.channelId, { type: 'deposit-changed', deposit: info.deposit })
        const current = this.channels.get(existing.channelId)!
        const available = current.deposit - highestTotal(current)
        if (available >= availableWei) return this.summary(current)
        const amount = availableWei - available
        const tx = await this.chain.topUp(existing.channelId, amount, options)
        await this.step(existing.channelId, { type: 'deposit-changed', deposit: current.deposit + amount })
        this.log('topped up %s by %d (gas %d)', existing.channelId, amount, tx.gasUsed)
        this.emit('channel:topped-up', { channelId: existing.channelId, ...tx, amount, deposit: current.deposit + amount })
        return this.summary(this.channels.get(existing.channelId)!)
      }
      // settled or closing behind our back: forget it as a candidate
      await this.step(existing.channelId, info.status === 'closing'
        ? { type: 'close-observed', nonce: info.nonce, closesAt: info.closesAt, by: driverAddress }
        : { type: 'settled' })
    }
    const opened = await this.chain.open(driverAddress, availableWei, options)
    const info = await this.chain.getChannel(opened.channelId, options)
    const channel = newChannel({ channelId: opened.channelId, role: 'rider', rider: this.identity.ethAddress, driver: driverAddress, peer: driverPeerId, deposit: info.deposit })
    this.channels.set(channel.channelId, channel)
    await this.persist(channel.channelId)
    this.log('opened %s with %s: %d wei (gas %d)', channel.channelId, driverPeerId, info.deposit, opened.gasUsed)
    this.emit('channel:opened', { channelId: opened.channelId, txHash: opened.txHash, gasUsed: opened.gasUsed, blockNumber: opened.blockNumber, driver: driverAddress, deposit: info.deposit })
    return this.summary(channel)
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
        await this.nextTurn()
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
    const answer = await this.ask(channel.peer, { type: 'sync-request', channelId }, options)
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
      answer = await this.ask(channel.peer, { type: 'propose', proposal }, options)
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

  // ------------------------------------------------------------------ driver

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

  private async onRequest (req: DirectRequest, opts: Required<AbortOptions>): Promise<Uint8Array> {
    let message: ChannelMessage
    try {
      message = decodeChannelMessage(req.data)
    } catch (err) {
      return encodeChannelMessage(this.reject(`0x${'0'.repeat(64)}`, 0n, 'malformed', (err as Error).message))
    }
    return encodeChannelMessage(await this.serve(req.from, message, opts))
  }

  /** The answer to one request from `from`, whichever way it came (a stream of its own or a pipe). */
  private async serve (from: string, message: ChannelMessage, opts: Required<AbortOptions>): Promise<ChannelMessage> {
    switch (message.type) {
      case 'propose': return await this.onPropose(from, message.proposal.state, message.proposal.riderSig, opts)
      case 'close-request': return await this.onCloseRequest(from, message.state, message.sig, opts)
      case 'sync-request': {
        const channel = this.channels.get(message.channelId)
        return { type: 'sync-response', ...(channel?.latest != null ? { latest: channel.latest } : {}) }
      }
      default:
        return this.reject(`0x${'0'.repeat(64)}`, 0n, 'malformed', `${message.type} is an answer, not a request`)
    }
  }

  /**
   * A pipe a peer opened to us: each frame is a request, served in order, one per turn of the
   * event loop (see `inTurn`), and answered with the request's id once served (a proposal is
   * still persisted before its countersignature leaves).
   */
  private acceptPipe (pipe: MessagePipe): PipeHandlers {
    const closed = new AbortController()
    const signal = AbortSignal.any([closed.signal, this.lifetime.signal])
    this.inboundPipes.add(pipe)
    return {
      onMessage: data => { this.inTurn(() => { if (this.started) this.onPipeRequest(pipe, data, signal) }) },
      onClose: () => {
        closed.abort(new ChannelError('NOT_STARTED', 'pipe closed'))
        this.inboundPipes.delete(pipe)
      }
    }
  }

  /**
   * Runs `fn` in a turn of the event loop of its own, after the I/O that finished meanwhile.
   * Frames come in bursts (all those one write carried) and so do the payments a group commit
   * frees; checking or signing them all in one go would hold back the fsyncs and sends that
   * finished meanwhile until the whole burst is done, and the two peers would take turns instead
   * of working at once. One task per turn: an immediate queued by an immediate runs only in the
   * next turn, after the event loop has polled for I/O. Tasks keep the order of the calls.
   */
  private inTurn (fn: () => void): void {
    this.turns.push(fn)
    if (!this.turnScheduled) {
      this.turnScheduled = true
      setImmediate(this.runTurn)
    }
  }

  private readonly runTurn = (): void => {
    this.turnScheduled = false
    const fn = this.turns.shift()
    if (this.turns.length > 0) {
      this.turnScheduled = true
      setImmediate(this.runTurn)
    }
    fn?.()
  }

  /** Resolves in a turn of its own (see `inTurn`). */
  private async nextTurn (): Promise<void> {
    await new Promise<void>(resolve => { this.inTurn(resolve) })
  }

  private onPipeRequest (pipe: MessagePipe, data: Uint8Array, signal: AbortSignal): void {
        let frame: ReturnType<typeof decodePayFrame>
        try {
          frame = decodePayFrame(data)
        } catch (err) {
          // no id to answer to: the peer does not speak the protocol
          this.log('closing the pipe from %s: %s', pipe.remotePeer, (err as Error).message)
          pipe.close()
          return
        }
        const id = frame.id
        const answer = 'error' in frame
          ? Promise.resolve(this.reject(`0x${'0'.repeat(64)}`, 0n, 'malformed', frame.error.message))
          : this.serve(pipe.remotePeer, frame.message, { signal })
        this.track(answer.then(message => {
          if (pipe.open) pipe.send(encodePayFrame({ id, message }))
        }).catch(err => {
          this.log('request %d on the pipe from %s failed - %e', id, pipe.remotePeer, err)
        }))
  }

  private reject (channelId: Hex, nonce: bigint, code: ChannelRejectCode, detail: string, latest?: CoSignedState): ChannelMessage {
    return { type: 'reject', channelId, nonce, code, detail, ...(latest != null ? { latest } : {}) }
  }

  private async onPropose (from: string, state: ChannelState, riderSig: Hex, opts: Required<AbortOptions>): Promise<ChannelMessage> {
    const { channelId, nonce } = state
    const previous = this.answered.get(channelId)
    if (previous != null && nonce > previous) this.faults.reached('after-send', previous)
    if (this.role === 'rider') return this.reject(channelId, nonce, 'unknown-channel', 'this node does not drive')
    let channel = this.channels.get(channelId) ?? await this.learnChannel(channelId, from, opts)
    if (channel == null) return this.reject(channelId, nonce, 'unknown-channel', 'no open channel with this node as driver')
    const signer = this.signerOf(state, riderSig, channel.rider)
    // pipelined proposals arrive on separate streams, possibly out of order: wait for the gap to fill
    await this.waitForNonce(channelId, nonce - 1n, opts.signal)
    channel = this.mustGet(channelId)
    let verdict = validateProposal(channel, state, signer)
    if (!verdict.ok && verdict.code === 'over-deposit') {
      const info = await this.chain.getChannel(channelId, opts)
      if (info.status === 'open' && info.deposit > channel.deposit) {
        await this.step(channelId, { type: 'deposit-changed', deposit: info.deposit })
        channel = this.mustGet(channelId)
        verdict = validateProposal(channel, state, signer)
      }
    }
    if (!verdict.ok) {
      this.log('refused nonce %d on %s: %s', nonce, channelId, verdict.code)
      return this.reject(channelId, nonce, verdict.code, verdict.detail, verdict.code === 'stale' ? channel.latest : undefined)
    }
    const driverSig = this.sign(state)
    this.faults.reached('after-countersign', nonce)
    this.faults.reached('before-persist', nonce)
    try {
      await this.step(channelId, { type: 'proposal-accepted', proposal: { state, riderSig }, driverSig })
    } catch (err) {
      // the same proposal twice at once (a re-send racing the original): the first one won
      if (!(err instanceof ChannelProtocolError)) throw err
      return this.reject(channelId, nonce, err.code, err.message, err.code === 'stale' ? this.mustGet(channelId).latest : undefined)
    }
    this.faults.reached('after-persist', nonce)
    this.faults.reached('before-send', nonce)
    this.answered.set(channelId, nonce)
    return { type: 'countersign', channelId, nonce, driverSig }
  }

  /** Driver: a channel first heard of in a proposal; trust only what the chain says. */
  private async learnChannel (channelId: Hex, from: string, options: AbortOptions): Promise<Channel | undefined> {
    const info = await this.chain.getChannel(channelId, options)
    if (info.status !== 'open' || lower(info.driver) !== lower(this.identity.ethAddress)) return undefined
    if (this.channels.has(channelId)) return this.channels.get(channelId)
    const channel = newChannel({ channelId, role: 'driver', rider: info.rider, driver: info.driver, peer: from, deposit: info.deposit })
    this.channels.set(channelId, channel)
    await this.persist(channelId)
    this.log('serving channel %s from %s (deposit %d)', channelId, from, info.deposit)
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
   * Closes co-operatively: both sign the final state (nonce `FINAL_NONCE`, latest balances),
   * and this node submits it. Emits `channel:closed`. Throws `PEER_UNRESPONSIVE` if the peer does
   * not answer within `unresponsiveTimeoutMs`.
   */
  async closeCooperative (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    this.assertStarted()
    let channel = this.mustGet(channelId)
    if (channel.phase !== 'open') throw new ChannelError('NOT_OPEN', `channel is ${channel.phase}`)
    if (channel.role === 'rider' && channel.proposals.length > 0) await this.resend(channelId, options)
    channel = this.mustGet(channelId)
    const final = finalStateOf(channel)
    const verdict = validateFinal(channel, final)
    if (!verdict.ok) throw new ChannelError('INVALID_ARGUMENT', `cannot close yet: ${verdict.detail}`, { reason: verdict.code })
    const mySig = this.sign(final)
    const answer = await this.ask(channel.peer, { type: 'close-request', state: final, sig: mySig }, options)
    if (answer.type === 'reject') throw new ChannelError('REJECTED', `peer refused to close: ${answer.code} ${answer.detail}`, { reason: answer.code })
    if (answer.type !== 'close-accept') throw new ChannelError('BAD_RESPONSE', `unexpected ${answer.type} to a close request`)
    const other = channel.role === 'rider' ? channel.driver : channel.rider
    if (this.signerOf(final, answer.sig, other) !== other) {
      throw new ChannelError('BAD_RESPONSE', 'the final state was not signed by the peer')
    }
    const sigs = channel.role === 'rider' ? { rider: mySig, driver: answer.sig } : { rider: answer.sig, driver: mySig }
    const tx = await this.chain.closeCooperative(final, sigs, options)
    await this.step(channelId, { type: 'settled' })
    this.log('closed %s co-operatively (gas %d)', channelId, tx.gasUsed)
    this.emit('channel:closed', { channelId, ...tx, kind: 'cooperative', nonce: final.nonce, balanceDriver: final.balanceDriver })
    return this.summary(this.mustGet(channelId))
  }

  /**
   * Starts a unilateral close with the latest co-signed state (or, before any, the nonce-0
   * refund). The finalize follows by itself after the challenge period (clock timer, resumed
   * after a restart). Emits `channel:closed`.
   */
  async closeUnilateral (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    this.assertStarted()
    const channel = this.mustGet(channelId)
    if (channel.phase === 'finalized') throw new ChannelError('NOT_OPEN', 'channel is settled')
    const latest = channel.latest
    const state: ChannelState = latest?.state ?? { ...finalStateOf(channel), nonce: 0n, balanceRider: channel.deposit, balanceDriver: 0n }
    const tx = await this.chain.closeUnilateral(state, latest != null ? { rider: latest.riderSig, driver: latest.driverSig } : undefined, options)
    const info = await this.chain.getChannel(channelId, options)
    await this.step(channelId, { type: 'close-observed', nonce: state.nonce, closesAt: info.closesAt, by: this.identity.ethAddress })
    this.log('started unilateral close of %s at nonce %d (gas %d)', channelId, state.nonce, tx.gasUsed)
    this.emit('channel:closed', { channelId, ...tx, kind: 'unilateral', nonce: state.nonce, balanceDriver: state.balanceDriver })
    return this.summary(this.mustGet(channelId))
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
    const tx = await this.chain.finalize(channelId, options)
    const events = await this.chain.events(tx.blockNumber, tx.blockNumber, options)
    const fin = events.find(e => e.type === 'Finalized' && lower(e.channelId) === lower(channelId))
    await this.step(channelId, { type: 'settled' })
    this.emit('channel:finalized', {
      channelId, ...tx,
      paidRider: fin?.type === 'Finalized' ? fin.paidRider : 0n,
      paidDriver: fin?.type === 'Finalized' ? fin.paidDriver : 0n
    })
  }

  private async onCloseRequest (from: string, state: ChannelState, sig: Hex, opts: Required<AbortOptions>): Promise<ChannelMessage> {
    const channel = this.channels.get(state.channelId)
    if (channel == null) return this.reject(state.channelId, state.nonce, 'unknown-channel', 'unknown channel')
    const verdict = validateFinal(channel, state)
    if (!verdict.ok) return this.reject(state.channelId, state.nonce, verdict.code, verdict.detail, channel.latest)
    const other = channel.role === 'rider' ? channel.driver : channel.rider
    if (this.signerOf(state, sig, other) !== other) {
      return this.reject(state.channelId, state.nonce, 'bad-signature', 'final state not signed by the peer')
    }
    opts.signal.throwIfAborted()
    const mine = this.sign(state)
    this.log('signed the final state of %s for %s', state.channelId, from)
    return { type: 'close-accept', channelId: state.channelId, sig: mine }
  }

  // ------------------------------------------------------------------ watcher

  private async startWatcher (options?: AbortOptions): Promise<void> {
    const stored = await this.store.watchBlock()
    const fromBlock = stored ?? await this.chain.blockNumber(options)
    if (stored == null) await this.store.setWatchBlock(fromBlock)
    this.watcher = this.chain.watch(async event => { await this.onChainEvent(event) }, {
      fromBlock,
      pollIntervalMs: this.watchPollMs,
      onError: err => { this.emit('channel:error', { step: 'watch', error: err }) }
    })
  }

  private async onChainEvent (event: AdjudicatorEvent): Promise<void> {
    const channel = this.channels.get(event.channelId)
    if (channel != null) {
      try {
        switch (event.type) {
          case 'ToppedUp':
            if (channel.phase === 'open' && event.deposit > channel.deposit) await this.step(event.channelId, { type: 'deposit-changed', deposit: event.deposit })
            break
          case 'CloseStarted':
            this.emit('channel:close-observed', { channelId: event.channelId, by: event.by, nonce: event.nonce, closesAt: event.closesAt })
            await this.step(event.channelId, { type: 'close-observed', nonce: event.nonce, closesAt: event.closesAt, by: event.by })
            break
          case 'Challenged': {
            const closesAt = channel.closing?.closesAt ?? (await this.chain.getChannel(event.channelId)).closesAt
            await this.step(event.channelId, { type: 'close-observed', nonce: event.nonce, closesAt, by: event.by })
            break
          }
          case 'ClosedCooperatively':
          case 'Finalized':
            if (channel.phase !== 'finalized') {
              await this.step(event.channelId, { type: 'settled' })
            }
            this.clearFinalize(event.channelId)
            this.emit('channel:settled', { channelId: event.channelId, paidRider: event.paidRider, paidDriver: event.paidDriver, txHash: event.txHash })
            break
          default:
            break
        }
      } catch (err) {
        this.log.error('handling %s on %s failed - %e', event.type, event.channelId, err)
        this.emit('channel:error', { channelId: event.channelId, step: event.type, error: err as Error })
      }
    }
    await this.store.setWatchBlock(event.blockNumber)
  }

  private async challenge (channelId: Hex, cosigned: CoSignedState): Promise<void> {
    const info = await this.chain.getChannel(channelId)
    if (info.status !== 'closing' || info.nonce >= cosigned.state.nonce) return
    try {
      const tx = await this.chain.challenge(cosigned.state, { rider: cosigned.riderSig, driver: cosigned.driverSig })
      this.log('challenged the close of %s: nonce %d over %d (gas %d)', channelId, cosigned.state.nonce, info.nonce, tx.gasUsed)
      this.emit('channel:challenged', { channelId, ...tx, nonce: cosigned.state.nonce, staleNonce: info.nonce })
    } catch (err) {
      if (isRevert(err, 'StaleNonce', 'NotClosing', 'AlreadyFinalized')) return
      throw err
    }
  }

  /** Challenges now and, while the close is pending, again after `finalizeRetryMs` on failure (no gas, RPC down). */
  private challengeWithRetry (channelId: Hex, cosigned: CoSignedState): void {
    this.track(this.challenge(channelId, cosigned).catch(err => {
      if (!this.started || isRevert(err, 'ChallengePeriodOver')) return
      this.emit('channel:error', { channelId, step: 'challenge', error: err as Error })
      this.clock.setTimeout(() => {
        if (this.started && this.channels.get(channelId)?.phase === 'closing') this.challengeWithRetry(channelId, cosigned)
      }, this.finalizeRetryMs)
    }))
  }

  private scheduleFinalize (channelId: Hex, closesAt: bigint, firstDelayMs?: number): void {
    this.clearFinalize(channelId)
    if (!this.started) return
    const untilClose = Number(closesAt) * 1000 - this.clock.now()
    const delay = firstDelayMs ?? Math.max(0, Math.min(this.chain.challengePeriodS * 1000, untilClose)) + this.finalizeMarginMs
    const handle = this.clock.setTimeout(() => {
      this.finalizeTimers.delete(channelId)
      this.track(this.tryFinalize(channelId))
    }, delay)
    this.finalizeTimers.set(channelId, handle)
  }

  private clearFinalize (channelId: Hex): void {
    const t = this.finalizeTimers.get(channelId)
    if (t != null) this.clock.clearTimeout(t)
    this.finalizeTimers.delete(channelId)
  }

  private async tryFinalize (channelId: Hex): Promise<void> {
    const channel = this.channels.get(channelId)
    if (channel == null || channel.phase !== 'closing' || !this.started) return
    try {
      await this.finalize(channelId, { signal: this.lifetime.signal })
    } catch (err) {
      if (isRevert(err, 'AlreadyFinalized', 'NotClosing')) {
        await this.step(channelId, { type: 'settled' })
        return
      }
      if (!isRevert(err, 'ChallengePeriodNotOver')) {
        if (!this.started) return
        this.emit('channel:error', { channelId, step: 'finalize', error: err as Error })
      }
      this.scheduleFinalize(channelId, channel.closing?.closesAt ?? 0n, this.finalizeRetryMs)
    }
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
          this.challengeWithRetry(channelId, action.cosigned)
          break
        case 'schedule-finalize':
          this.scheduleFinalize(channelId, action.closesAt)
          break
        case 'arrears-exceeded':
          this.emit('channel:arrears', { channelId, peer: t.channel.peer, arrears: action.arrears })
          break
      }
    }
    if (advanced) this.emit('channel:updated', { channelId, peer: t.channel.peer, cosigned: after })
    return sends
  }

  private async persist (channelId: Hex): Promise<void> {
    await this.store.save(channelId, () => this.mustGet(channelId))
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

  /**
   * Sends a request to `peer` and waits for its answer: on our long-lived pipe to it when both
   * speak `PAY_STREAM_PROTOCOL`, otherwise on a stream of its own (`PAY_PROTOCOL`).
   */
  private async ask (peer: string, message: ChannelMessage, options?: AbortOptions): Promise<ChannelMessage> {
    if (this.network.openPipe != null && !(this.clock.now() - (this.noPipe.get(peer) ?? -Infinity) < NO_PIPE_RETRY_MS)) {
      let link: PayLink | undefined
      try {
        link = await this.linkTo(peer, options)
      } catch (err) {
        if (options?.signal?.aborted === true) throw err
        if (!(err instanceof NetworkError && err.code === 'ERR_NO_HANDLER')) {
          throw new ChannelError('PEER_UNRESPONSIVE', `peer ${peer} did not answer: ${(err as Error).message}`, { cause: err })
        }
        this.noPipe.set(peer, this.clock.now())
      }
      if (link != null) return await this.askOnPipe(peer, link, message, options)
    }
    return await this.askOnStream(peer, message, options)
  }

  private async linkTo (peer: string, options?: AbortOptions): Promise<PayLink> {
    const existing = this.links.get(peer)
    if (existing != null) {
      const link = await existing
      if (link.pipe.open) return link
      // closed meanwhile (the peer restarted, an idle timeout): open another
      if (this.links.get(peer) === existing) this.links.delete(peer)
      return await this.linkTo(peer, options)
    }
    const opening = this.openLink(peer, options)
    this.links.set(peer, opening)
    opening.catch(() => { if (this.links.get(peer) === opening) this.links.delete(peer) })
    return await opening
  }

  private async openLink (peer: string, options?: AbortOptions): Promise<PayLink> {
    const signal = options?.signal != null ? AbortSignal.any([options.signal, this.lifetime.signal]) : this.lifetime.signal
    const pending: PayLink['pending'] = new Map()
    let pipe: MessagePipe | undefined
    pipe = await this.network.openPipe!(peer, PAY_STREAM_PROTOCOL, {
      // answers are handled one per turn too (see `inTurn`)
      onMessage: data => { this.inTurn(() => {
        if (!this.started) return
        let frame: ReturnType<typeof decodePayFrame>
        try {
          frame = decodePayFrame(data)
        } catch (err) {
          this.log('closing the pipe to %s: %s', peer, (err as Error).message)
          pipe?.close()
          return
        }
        const waiting = pending.get(frame.id)
        if (waiting == null) return
        pending.delete(frame.id)
        if ('error' in frame) waiting.reject(new ChannelError('BAD_RESPONSE', 'peer answered a malformed channel message', { cause: frame.error }))
        else waiting.resolve(frame.message)
      }) },
      onClose: err => {
        for (const w of pending.values()) w.reject(new ChannelError('PEER_UNRESPONSIVE', `the pipe to ${peer} closed${err != null ? `: ${err.message}` : ''}`, { cause: err }))
        pending.clear()
      }
    }, { signal, timeoutMs: this.unresponsiveTimeoutMs, maxMessageBytes: MAX_PAY_FRAME_BYTES })
    return { pipe, nextId: 1n, pending }
  }

  private async askOnPipe (peer: string, link: PayLink, message: ChannelMessage, options?: AbortOptions): Promise<ChannelMessage> {
    options?.signal?.throwIfAborted()
    const id = link.nextId++
    const answer = deferred<ChannelMessage>()
    const timer = setTimeout(() => {
      link.pending.delete(id)
      answer.reject(new ChannelError('PEER_UNRESPONSIVE', `peer ${peer} did not answer within ${this.unresponsiveTimeoutMs} ms`))
    }, this.unresponsiveTimeoutMs)
    const onAbort = (): void => {
      link.pending.delete(id)
      answer.reject(options?.signal?.reason)
    }
    options?.signal?.addEventListener('abort', onAbort, { once: true })
    link.pending.set(id, answer)
    try {
      link.pipe.send(encodePayFrame({ id, message }))
      return await answer.promise
    } catch (err) {
      link.pending.delete(id)
      if (err instanceof ChannelError || options?.signal?.aborted === true) throw err
      throw new ChannelError('PEER_UNRESPONSIVE', `peer ${peer} did not answer: ${(err as Error).message}`, { cause: err })
    } finally {
      clearTimeout(timer)
      options?.signal?.removeEventListener('abort', onAbort)
    }
  }

  private async askOnStream (peer: string, message: ChannelMessage, options?: AbortOptions): Promise<ChannelMessage> {
    let slots = this.streamSlots.get(peer)
    if (slots == null) {
      slots = new Slots(MAX_STREAM_REQUESTS_PER_PEER)
      this.streamSlots.set(peer, slots)
    }
    await slots.take(options?.signal)
    try {
      return await this.askOneStream(peer, message, options)
    } finally {
      slots.give()
    }
  }

  private async askOneStream (peer: string, message: ChannelMessage, options?: AbortOptions): Promise<ChannelMessage> {
    const signal = options?.signal != null ? AbortSignal.any([options.signal, this.lifetime.signal]) : this.lifetime.signal
    let bytes: Uint8Array
    try {
      bytes = await this.network.request(peer, PAY_PROTOCOL, encodeChannelMessage(message), {
        timeoutMs: this.unresponsiveTimeoutMs, signal, maxResponseBytes: MAX_CHANNEL_MESSAGE_BYTES
      })
    } catch (err) {
      if (options?.signal?.aborted === true) throw err
      throw new ChannelError('PEER_UNRESPONSIVE', `peer ${peer} did not answer: ${(err as Error).message}`, { cause: err })
    }
    try {
      return decodeChannelMessage(bytes)
    } catch (err) {
      throw new ChannelError('BAD_RESPONSE', 'peer answered a malformed channel message', { cause: err })
    }
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
