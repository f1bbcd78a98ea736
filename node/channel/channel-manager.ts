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
import { arrears as arrearsOf, cosignedFinal, type CoSignedState } from '../../protocol/channel/index.js'
import { OwnBinding } from '../identity/index.js'
import { watchChain } from './chain-glue.js'
import { ChannelStore, type ChannelStoreStats } from './channel-store.js'
import { ChannelCloser } from './closing.js'
import { Turns } from './concurrency.js'
import { ChannelEngine } from './engine.js'
import { ChannelEventTarget } from './events.js'
import { NO_FAULTS } from './fault-injection.js'
import { ChannelFunding } from './funding.js'
import { GasReserve } from './gas-reserve.js'
import { InboundGuard } from './inbound-guard.js'
import { Lifecycle } from './lifecycle.js'
import {
  channelSummary, DEFAULT_FINAL_SUBMIT_GRACE_MS, DEFAULT_FINALIZE_MARGIN_MS, DEFAULT_FINALIZE_RETRY_MS, DEFAULT_GAS_CHECK_INTERVAL_MS,
  DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_SIGNER_TABLES, DEFAULT_UNRESPONSIVE_TIMEOUT_MS, DEFAULT_WATCH_POLL_MS,
  type ChannelManagerInit, type ChannelSummary, type PayOptions
} from './options.js'
import { PayClient } from './pay-client.js'
import { PayServer } from './pay-server.js'
import { PayTransport } from './pay-transport.js'
import { ChannelSigner } from './signer.js'
import type { ChannelContext } from './context.js'
import type { Clock } from '../clock/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Address, Hex } from 'viem'

/**
 * One node's payment channels. `start()` loads stored channels, serves `/hitch/pay/*`, finds the
 * chain's view of every unsettled channel (closes in progress, deposits, settlements) and follows
 * it, and re-sends proposals that were never answered; `stop()` undoes it in reverse.
 *
 * A facade: the channels and their steps are the engine's (`engine.ts`), the requests to peers
 * the pay client's (`pay-client.ts`), the answers to them the pay server's (`pay-server.ts`,
 * `pay-handlers.ts`), closing `closing.ts`'s, deposits and the gas reserve `funding.ts`'s, the
 * chain side `ChainWatch`'s (`chain-glue.ts`), signatures the signer's (`signer.ts`).
 */
export class ChannelManager extends ChannelEventTarget {
  /** the clock of its timers (what `DriverPayments` measures its grace period on) */
  readonly clock: Clock
  private readonly maxArrearsWei?: bigint
  private readonly log: Logger
  private readonly store: ChannelStore
  private readonly lifecycle = new Lifecycle()
  private readonly engine: ChannelEngine
  private readonly transport: PayTransport
  private readonly guard: InboundGuard
  private readonly client: PayClient
  private readonly server: PayServer
  private readonly closer: ChannelCloser
  private readonly funding: ChannelFunding

  constructor (init: ChannelManagerInit) {
    super()
    this.store = new ChannelStore(init.store)
    this.clock = init.clock
    const unresponsiveTimeoutMs = init.unresponsiveTimeoutMs ?? DEFAULT_UNRESPONSIVE_TIMEOUT_MS
    if (init.maxArrearsWei != null) this.maxArrearsWei = init.maxArrearsWei
    const watchEnabled = init.watch ?? true
    const faults = init.faults ?? NO_FAULTS
    this.log = init.logPrefix != null ? prefixLogger(init.logPrefix).forComponent('hitch:channel') : createLogger('hitch:channel')
    const signer = new ChannelSigner({ ethPrivateKeyHex: init.identity.ethPrivateKeyHex, chain: init.chain, maxSignerTables: init.maxSignerTables ?? DEFAULT_MAX_SIGNER_TABLES })
    const lifecycle = this.lifecycle
    this.engine = new ChannelEngine({
      store: this.store,
      clock: this.clock,
      events: this,
      faults,
      ...(init.maxArrearsWei != null ? { maxArrearsWei: init.maxArrearsWei } : {}),
      unresponsiveTimeoutMs,
      watch: engine => watchChain(engine, lifecycle, {
        chain: init.chain,
        clock: this.clock,
        store: this.store,
        address: init.identity.ethAddress,
        events: this,
        faults,
        log: this.log
      }, {
        enabled: watchEnabled,
        watchPollMs: init.watchPollMs ?? DEFAULT_WATCH_POLL_MS,
        finalizeRetryMs: init.finalizeRetryMs ?? DEFAULT_FINALIZE_RETRY_MS,
        finalizeMarginMs: init.finalizeMarginMs ?? DEFAULT_FINALIZE_MARGIN_MS,
        finalSubmitGraceMs: init.finalSubmitGraceMs ?? DEFAULT_FINAL_SUBMIT_GRACE_MS
      })
    })
    const turns = new Turns()
    this.transport = new PayTransport({
      network: init.network, clock: this.clock, turns, unresponsiveTimeoutMs, lifetime: () => lifecycle.signal, log: this.log
    })
    this.guard = new InboundGuard(init.inbound, undefined, this.clock)
    const reserve = new GasReserve({
      chain: init.chain, events: this, log: this.log, margin: init.gasPriceMargin,
      channelsToDefend: () => [...this.engine.all()].filter(c => c.phase !== 'finalized').length
    })
    const ctx: ChannelContext = {
      network: init.network,
      chain: init.chain,
      store: this.store,
      identity: init.identity,
      binding: new OwnBinding({ peerId: init.network.peerId, identity: init.identity, clock: this.clock }, this.log),
      clock: this.clock,
      ...(init.role != null ? { role: init.role } : {}),
      events: this,
      faults,
      log: this.log,
      lifecycle,
      engine: this.engine,
      signer,
      turns,
      transport: this.transport,
      guard: this.guard,
      reserve,
      maxInFlight: init.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      watchEnabled,
      gasCheckIntervalMs: init.gasCheckIntervalMs ?? DEFAULT_GAS_CHECK_INTERVAL_MS
    }
    this.client = new PayClient(ctx)
    this.server = new PayServer(ctx)
    this.closer = new ChannelCloser(ctx, this.client)
    this.funding = new ChannelFunding(ctx)
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
    const { engine, lifecycle } = this
    if (lifecycle.started) return
    lifecycle.renew()
    engine.load(await this.store.loadAll())
    await this.server.start()
    lifecycle.markStarted()
    await engine.watch.start(options)
    for (const channel of engine.all()) {
      // a final state both signed, left unsubmitted before a restart
      const final = cosignedFinal(channel)
      if (channel.phase === 'final' && final != null) engine.watch.submitFinalLater(channel.channelId, final, 0)
      // proposals that were persisted but never answered (a crash, a timeout): send them again
      if (channel.role === 'rider' && channel.phase === 'open' && channel.proposals.length > 0) {
        lifecycle.track(this.client.resend(channel.channelId).catch(err => { this.log('resend on %s failed - %e', channel.channelId, err) }))
      }
    }
    this.funding.checkGasLater(0)
    this.log('started with %d channels', engine.size)
  }

  async stop (): Promise<void> {
    const { engine, lifecycle } = this
    if (!lifecycle.started) return
    lifecycle.end()
    this.funding.stop()
    await engine.watch.stop()
    await lifecycle.settled()
    await this.server.stop()
    this.transport.close()
    this.guard.closeAll()
    await this.store.drain()
    engine.rejectPayments()
    this.log('stopped')
  }

  // ------------------------------------------------------------------ queries

  /** Every channel this node knows, with balances. */
  listChannels (): ChannelSummary[] {
    return [...this.engine.all()].map(channelSummary)
  }

  /** One channel, or undefined. */
  getChannel (channelId: Hex): ChannelSummary | undefined {
    const c = this.engine.get(channelId)
    return c == null ? undefined : channelSummary(c)
  }

  /** The latest co-signed state of a channel (undefined before the first). */
  latestState (channelId: Hex): CoSignedState | undefined {
    return this.engine.get(channelId)?.latest
  }

  /** Rider: the open channel with `driver`, if any. */
  findOpenChannel (driver: Address): ChannelSummary | undefined {
    const c = this.engine.riderChannelWith(driver, 'open')
    return c == null ? undefined : channelSummary(c)
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
    return await this.funding.ensureChannel(driverPeerId, driverAddress, availableWei, options)
  }

  /**
   * Rider: pays the driver `totalToDriverWei` in all on this channel (not an increment) and
   * resolves with the co-signed state. The state is persisted (fsync) before it is sent and the
   * countersignature before this resolves. Several calls may be in flight (each nonce + 1).
   */
  async pay (channelId: Hex, totalToDriverWei: bigint, options: PayOptions = {}): Promise<CoSignedState> {
    return await this.client.pay(channelId, totalToDriverWei, options)
  }

  /**
   * Re-sends, in nonce order, the proposals the driver has not answered (after a restart or a
   * timeout), and asks the peer for its latest co-signed state.
   */
  async sync (channelId: Hex, options?: AbortOptions): Promise<CoSignedState | undefined> {
    return await this.client.sync(channelId, options)
  }

  // ------------------------------------------------------------------ driver

  /**
   * Driver: records what the rider of this channel owes for the service so far (in all). When it
   * exceeds what the rider paid by more than `maxArrearsWei`, `channel:arrears` is emitted and
   * `isBehind` turns true, so the role can stop serving the rider.
   */
  async setOwed (channelId: Hex, totalOwedWei: bigint): Promise<bigint> {
    await this.engine.step(channelId, { type: 'owed-changed', owedToDriver: totalOwedWei })
    return arrearsOf(this.engine.mustGet(channelId))
  }

  /** Driver: what the rider owes beyond what it paid. */
  arrears (channelId: Hex): bigint {
    return arrearsOf(this.engine.mustGet(channelId))
  }

  /** Driver: whether the rider owes more than `maxArrearsWei` beyond what it paid. */
  isBehind (channelId: Hex): boolean {
    return this.maxArrearsWei != null && this.arrears(channelId) > this.maxArrearsWei
  }

  // ------------------------------------------------------------------ closing

  /**
   * Closes co-operatively: this node signs the final state (nonce `FINAL_NONCE`, the latest
   * balances), and from then on signs no other state of the channel; the peer countersigns it and
   * this node submits it. Emits `channel:closed`. Throws `PEER_UNRESPONSIVE` if the peer does not
   * answer within `unresponsiveTimeoutMs` (`close()` then closes unilaterally).
   */
  async closeCooperative (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    return await this.closer.closeCooperative(channelId, options)
  }

  /**
   * Starts a unilateral close with the newest state both signed (the final state if this node
   * holds both its signatures, else the latest; before any, the nonce-0 refund). The finalize
   * follows by itself after the challenge period (clock timer, resumed after a restart). Emits
   * `channel:closed`.
   */
  async closeUnilateral (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    return await this.closer.closeUnilateral(channelId, options)
  }

  /** Co-operative close, or unilateral if the peer does not answer or refuses. */
  async close (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    return await this.closer.close(channelId, options)
  }

  /** Finalizes a pending close now (throws if the challenge period is not over). */
  async finalize (channelId: Hex, options?: AbortOptions): Promise<void> {
    await this.engine.watch.finalize(channelId, options)
  }
}
