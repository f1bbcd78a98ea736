/**
 * The channel engine: every channel as the machine has it and as it is on disk, and the one
 * step that moves a channel on. A step hands the machine's `persist` to the store and awaits
 * it before any action after it (a state is durable, fsynced, before any signature on it
 * leaves the node), settles the payments waiting for a nonce, wakes proposals waiting for a
 * lower nonce, and passes the chain work on to the chain watch.
 */
import {
  awaitsLowerNonces, channelStep, latestNonce, nonceGapWaitMs,
  type Channel, type ChannelAction, type ChannelEvent, type CoSignedState
} from '../../protocol/channel/index.js'
import { raceSignal } from 'race-signal'
import { timeoutOn, withResolvers, type Resolvers } from './concurrency.js'
import { ChannelNotOpenError, ChannelNotStartedError, ChannelRejectedError, UnknownChannelError } from './errors.js'
import type { ChainWatch } from './chain-watch.js'
import type { ChannelStore } from './channel-store.js'
import type { ChannelEventTarget } from './events.js'
import type { FaultInjector } from './fault-injection.js'
import type { Clock } from '../clock/index.js'
import type { Address, Hex } from 'viem'

const lower = (a: string): string => a.toLowerCase()

/** Options of {@link ChannelEngine}. */
export interface ChannelEngineInit {
  store: ChannelStore
  clock: Clock
  events: ChannelEventTarget
  faults: FaultInjector
  /** driver: emit `channel:arrears` beyond this */
  maxArrearsWei?: bigint
  /** bounds the wait for a nonce gap to fill (see `nonceGapWaitMs`) */
  unresponsiveTimeoutMs: number
  /** the chain watch the machine's chain work goes to, made once the engine exists */
  watch: (engine: ChannelEngine) => ChainWatch
}

/** The channels of one node and the machine step that moves them on. */
export class ChannelEngine {
  /** the chain side: challenges, finalizes, final states left unsubmitted */
  readonly watch: ChainWatch
  private readonly store: ChannelStore
  private readonly clock: Clock
  private readonly events: ChannelEventTarget
  private readonly faults: FaultInjector
  private readonly maxArrearsWei?: bigint
  private readonly unresponsiveTimeoutMs: number
  /** every channel as the machine has it now (a state may not be on disk yet) */
  private readonly channels = new Map<Hex, Channel>()
  /** every channel as it is on disk: what a peer is told */
  private readonly durable = new Map<Hex, Channel>()
  private readonly payments = new Map<string, Resolvers<CoSignedState>>()
  /** driver: handlers waiting for a lower nonce to be countersigned first */
  private readonly nonceWaiters = new Map<Hex, Set<() => void>>()

  constructor (init: ChannelEngineInit) {
    this.store = init.store
    this.clock = init.clock
    this.events = init.events
    this.faults = init.faults
    if (init.maxArrearsWei != null) this.maxArrearsWei = init.maxArrearsWei
    this.unresponsiveTimeoutMs = init.unresponsiveTimeoutMs
    this.watch = init.watch(this)
  }

  // ------------------------------------------------------------------ the channels

  /** Takes the channels loaded from the store: in memory and on disk alike. */
  load (channels: Iterable<Channel>): void {
    for (const channel of channels) {
      this.channels.set(channel.channelId, channel)
      this.durable.set(channel.channelId, channel)
    }
  }

  /** How many channels this node knows. */
  get size (): number {
    return this.channels.size
  }

  /** Every channel as the machine has it now. */
  all (): IterableIterator<Channel> {
    return this.channels.values()
  }

  has (channelId: Hex): boolean {
    return this.channels.has(channelId)
  }

  get (channelId: Hex): Channel | undefined {
    return this.channels.get(channelId)
  }

  /** The channel, or `UNKNOWN_CHANNEL`. */
  mustGet (channelId: Hex): Channel {
    const c = this.channels.get(channelId)
    if (c == null) throw new UnknownChannelError(`unknown channel ${channelId}`)
    return c
  }

  /** Rider: its channel with `driver` in one of `phases`, if any. */
  riderChannelWith (driver: Address, ...phases: Array<Channel['phase']>): Channel | undefined {
    return [...this.channels.values()].find(c => c.role === 'rider' && phases.includes(c.phase) && lower(c.driver) === lower(driver))
  }

  /** What a peer may be told of a channel's latest state: what is on disk, to the counterparty only. */
  durableLatest (channelId: Hex, from: string): CoSignedState | undefined {
    const channel = this.durable.get(channelId)
    return channel != null && channel.peer === from ? channel.latest : undefined
  }

  /** Records a new channel and writes it durably. */
  async add (channel: Channel): Promise<void> {
    this.channels.set(channel.channelId, channel)
    await this.persist(channel.channelId)
  }

  // ------------------------------------------------------------------ the step

  /**
   * Runs one machine step: the new channel replaces the old at once (so pipelined calls see it),
   * then the actions run in order; `persist` is awaited before anything after it. Returns the
   * send actions for the caller to perform. A step may leave the channel as it was and still
   * ask for work (a refusal that carries nothing newer: re-send after a gap, fail the payment),
   * so only a step without actions is skipped.
   */
  async step (channelId: Hex, event: ChannelEvent): Promise<ChannelAction[]> {
    const channel = this.mustGet(channelId)
    const t = channelStep(channel, event, this.maxArrearsWei != null ? { maxArrearsWei: this.maxArrearsWei } : {})
    if (t.channel === channel && t.actions.length === 0) return []
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
          const key = paymentKey(channelId, action.nonce)
          this.payments.get(key)?.resolve(action.cosigned)
          this.payments.delete(key)
          break
        }
        case 'fail': {
          const key = paymentKey(channelId, action.nonce)
          const why = `${action.code}${action.detail != null ? ` ${action.detail}` : ''}`
          this.payments.get(key)?.reject(new (action.code === 'not-open' ? ChannelNotOpenError : ChannelRejectedError)(`payment ${action.nonce} failed: ${why}`, { reason: action.code }))
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
          this.events.emit('channel:arrears', { channelId, peer: t.channel.peer, arrears: action.arrears })
          break
      }
    }
    if (t.channel.phase === 'finalized') this.watch.clear(channelId)
    if (advanced) this.events.emit('channel:updated', { channelId, peer: t.channel.peer, cosigned: after })
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

  // ------------------------------------------------------------------ payments in flight

  /** Rider: the payment that resolves once `nonce` is countersigned (or fails with it). */
  expectPayment (channelId: Hex, nonce: bigint): Resolvers<CoSignedState> {
    const done = withResolvers<CoSignedState>()
    this.payments.set(paymentKey(channelId, nonce), done)
    return done
  }

  /** Rider: the payment waiting for `nonce`, if any. */
  payment (channelId: Hex, nonce: bigint): Resolvers<CoSignedState> | undefined {
    return this.payments.get(paymentKey(channelId, nonce))
  }

  /** Fails every payment in flight with `NOT_STARTED` (the manager stops). */
  rejectPayments (): void {
    for (const d of this.payments.values()) d.reject(new ChannelNotStartedError('channel manager stopped'))
    this.payments.clear()
  }

  // ------------------------------------------------------------------ nonce gaps

  /**
   * Driver: waits while a proposal of nonce `nonce` must wait for the lower nonces before it
   * (`awaitsLowerNonces`: pipelined proposals arrive on separate streams, possibly out of order),
   * at most `nonceGapWaitMs` on the clock, or until `signal` aborts; the caller then checks the
   * proposal as it stands.
   */
  async waitForLowerNonces (channelId: Hex, nonce: bigint, signal: AbortSignal): Promise<void> {
    if (!awaitsLowerNonces(this.mustGet(channelId), nonce)) return
    // give up on a gap after a short while: the proposal that fills it may never come
    const gapOver = timeoutOn(this.clock, nonceGapWaitMs(this.unresponsiveTimeoutMs))
    const gapWait = AbortSignal.any([signal, gapOver.signal])
    try {
      while (awaitsLowerNonces(this.mustGet(channelId), nonce)) {
        let waiters = this.nonceWaiters.get(channelId)
        if (waiters == null) { waiters = new Set(); this.nonceWaiters.set(channelId, waiters) }
        const woken = withResolvers<void>()
        waiters.add(woken.resolve)
        try {
          await raceSignal(woken.promise, gapWait)
        } catch {
          return
        } finally {
          waiters.delete(woken.resolve)
        }
      }
    } finally {
      gapOver.clear()
    }
  }
}

function paymentKey (channelId: Hex, nonce: bigint): string {
  return `${channelId}/${nonce}`
}
