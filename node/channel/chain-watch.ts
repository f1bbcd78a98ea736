/**
 * The chain side of a node's channels (LDK keeps its chain monitor apart from channel state in
 * the same way): at start it finds, from the chain itself, every close in progress on the node's
 * channels, every deposit a crash left unrecorded and every settlement it missed, whatever the
 * stored watch position says; then it follows the adjudicator's events, answers stale closes,
 * finalizes pending ones, and submits a co-signed final state the peer left unsubmitted.
 */
import { depositToAdopt, newChannel, type Channel, type ChannelEvent, type CoSignedState } from '../../protocol/channel/index.js'
import { SettlementError, type AdjudicatorEvent, type Chain, type Watcher } from '../../settlement/index.js'
import type { ChannelEventTarget } from './events.js'
import type { ChannelStore, OpenIntent } from './channel-store.js'
import type { FaultInjector } from './fault-injection.js'
import type { Clock, TimerHandle } from '../clock/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Address, Hex } from 'viem'

/** What the watch needs of the channel manager that owns it. */
export interface ChainWatchHost {
  readonly chain: Chain
  readonly clock: Clock
  readonly store: ChannelStore
  readonly address: Address
  readonly events: ChannelEventTarget
  readonly faults: FaultInjector
  readonly log: Logger
  get: (channelId: Hex) => Channel | undefined
  all: () => Iterable<Channel>
  /** runs one machine step (persisting before anything follows) */
  step: (channelId: Hex, event: ChannelEvent) => Promise<unknown>
  /** stores a channel found on chain that the store did not know */
  adopt: (channel: Channel) => Promise<void>
  /** runs work in the background until the manager stops */
  track: (p: Promise<unknown>) => void
  started: () => boolean
  lifetime: () => AbortSignal
}

/** Options of {@link ChainWatch}. */
export interface ChainWatchInit {
  /** follow the chain at all (off only in tests of a dishonest node) */
  enabled: boolean
  watchPollMs: number
  finalizeRetryMs: number
  finalizeMarginMs: number
  /**
   * How long after signing the final state in answer to a close request this node waits for the
   * requester to submit it before it submits it itself, in ms of the clock.
   */
  finalSubmitGraceMs: number
}

const NOBODY: Address = '0x0000000000000000000000000000000000000000'

export function isRevert (err: unknown, ...names: string[]): boolean {
  return err instanceof SettlementError && err.code === 'REVERTED' && names.includes(err.revert ?? '')
}

/** Disputes and settlement of one node's channels, as the chain sees them. */
export class ChainWatch {
  private readonly host: ChainWatchHost
  private readonly init: ChainWatchInit
  private readonly log: Logger
  private readonly finalizeTimers = new Map<Hex, TimerHandle>()
  private readonly submitTimers = new Map<Hex, TimerHandle>()
  private watcher: Watcher | undefined

  constructor (host: ChainWatchHost, init: ChainWatchInit) {
    this.host = host
    this.init = init
    this.log = host.log
  }

  /**
   * Reconciles the stored channels with the chain, then follows it. Without `enabled`, only
   * resumes the finalize timers of closes the store knows.
   */
  async start (options?: AbortOptions): Promise<void> {
    if (!this.init.enabled) {
      for (const c of this.host.all()) {
        if (c.phase === 'closing' && c.closing != null) this.scheduleFinalize(c.channelId, c.closing.closesAt, 0)
      }
      return
    }
    const stored = await this.host.store.watchBlock()
    const head = await this.host.chain.blockNumber(options)
    await this.recoverOpens(options)
    await this.reconcile(options)
    const fromBlock = stored ?? head
    if (stored == null) await this.host.store.setWatchBlock(fromBlock)
    this.watcher = this.host.chain.watch(async event => { await this.onEvent(event) }, {
      fromBlock,
      pollIntervalMs: this.init.watchPollMs,
      onError: err => { this.host.events.emit('channel:error', { step: 'watch', error: err }) }
    })
  }

  async stop (): Promise<void> {
    for (const t of this.finalizeTimers.values()) this.host.clock.clearTimeout(t)
    this.finalizeTimers.clear()
    for (const t of this.submitTimers.values()) this.host.clock.clearTimeout(t)
    this.submitTimers.clear()
    await this.watcher?.stop()
    this.watcher = undefined
  }

  /**
   * Every stored channel that is not settled, as the chain has it now: a close in progress is
   * observed (and answered if stale), a settlement missed is recorded, a deposit topped up
   * behind our back is adopted, a co-signed final state is submitted.
   */
  private async reconcile (options?: AbortOptions): Promise<void> {
    for (const channel of [...this.host.all()]) {
      if (channel.phase === 'finalized') continue
      const id = channel.channelId
      try {
        const info = await this.host.chain.getChannel(id, options)
        switch (info.status) {
          case 'closing':
            await this.host.step(id, { type: 'close-observed', nonce: info.nonce, closesAt: info.closesAt, by: channel.closing?.by ?? NOBODY })
            break
          case 'finalized':
            await this.host.step(id, { type: 'settled' })
            break
          case 'open': {
            const deposit = depositToAdopt(channel, info)
            if (deposit != null) await this.host.step(id, { type: 'deposit-changed', deposit })
            break
          }
          case 'none':
            this.log('channel %s is unknown to the chain', id)
            break
        }
      } catch (err) {
        this.log.error('reconciling %s with the chain failed - %e', id, err)
        this.host.events.emit('channel:error', { channelId: id, step: 'reconcile', error: err as Error })
      }
    }
  }

  /**
   * A rider that crashed between sending an open and storing its channel left an intent: find
   * the channel in the chain's `Opened` events of this node's address and store it.
   */
  private async recoverOpens (options?: AbortOptions): Promise<void> {
    const intents = await this.host.store.loadIntents()
    if (intents.length === 0) return
    const from = intents.reduce((min, i) => i.fromBlock < min ? i.fromBlock : min, intents[0].fromBlock)
    const opened = await this.host.chain.openedBy(this.host.address, from, undefined, options)
    for (const event of opened) {
      if (event.type === 'Opened') await this.adoptOpened(event, intents)
    }
    for (const intent of intents) await this.host.store.deleteIntent(intent.driver)
  }

  /** Stores the channel of an `Opened` event of ours that the store does not know. */
  private async adoptOpened (event: AdjudicatorEvent & { type: 'Opened' }, intents: OpenIntent[]): Promise<void> {
    if (this.host.get(event.channelId) != null) return
    if (event.rider.toLowerCase() !== this.host.address.toLowerCase()) return
    const intent = intents.find(i => i.driver.toLowerCase() === event.driver.toLowerCase())
    if (intent == null) return
    const info = await this.host.chain.getChannel(event.channelId)
    if (info.status === 'finalized' || info.status === 'none') return
    const channel = newChannel({ channelId: event.channelId, role: 'rider', rider: info.rider, driver: info.driver, peer: intent.peer, deposit: info.deposit })
    await this.host.adopt(channel)
    this.log('recovered channel %s with %s: %d wei deposited before a crash', event.channelId, intent.peer, info.deposit)
    this.host.events.emit('channel:recovered', { channelId: event.channelId, driver: info.driver, deposit: info.deposit })
    if (info.status === 'closing') {
      await this.host.step(event.channelId, { type: 'close-observed', nonce: info.nonce, closesAt: info.closesAt, by: NOBODY })
    }
  }

  private async onEvent (event: AdjudicatorEvent): Promise<void> {
    const channel = this.host.get(event.channelId)
    if (channel != null) {
      try {
        switch (event.type) {
          case 'ToppedUp':
          {
            const deposit = depositToAdopt(channel, { status: 'open', deposit: event.deposit })
            if (deposit != null) await this.host.step(event.channelId, { type: 'deposit-changed', deposit })
            break
          }
          case 'CloseStarted':
            this.host.events.emit('channel:close-observed', { channelId: event.channelId, by: event.by, nonce: event.nonce, closesAt: event.closesAt })
            await this.host.step(event.channelId, { type: 'close-observed', nonce: event.nonce, closesAt: event.closesAt, by: event.by })
            break
          case 'Challenged': {
            const closesAt = channel.closing?.closesAt ?? (await this.host.chain.getChannel(event.channelId)).closesAt
            await this.host.step(event.channelId, { type: 'close-observed', nonce: event.nonce, closesAt, by: event.by })
            break
          }
          case 'ClosedCooperatively':
          case 'Finalized':
            if (channel.phase !== 'finalized') {
              await this.host.step(event.channelId, { type: 'settled' })
            }
            this.clear(event.channelId)
            this.host.events.emit('channel:settled', { channelId: event.channelId, paidRider: event.paidRider, paidDriver: event.paidDriver, txHash: event.txHash })
            break
          default:
            break
        }
      } catch (err) {
        this.log.error('handling %s on %s failed - %e', event.type, event.channelId, err)
        this.host.events.emit('channel:error', { channelId: event.channelId, step: event.type, error: err as Error })
      }
    } else if (event.type === 'Opened' && event.rider.toLowerCase() === this.host.address.toLowerCase()) {
      // an open of ours the store does not hold yet: a crash may come before it does
      try {
        await this.adoptOpened(event, await this.host.store.loadIntents())
      } catch (err) {
        this.host.events.emit('channel:error', { channelId: event.channelId, step: 'recover', error: err as Error })
      }
    }
    await this.host.store.setWatchBlock(event.blockNumber)
  }

  // ------------------------------------------------------------------ answering a close

  private async challenge (channelId: Hex, cosigned: CoSignedState): Promise<void> {
    const info = await this.host.chain.getChannel(channelId)
    if (info.status !== 'closing' || info.nonce >= cosigned.state.nonce) return
    try {
      const tx = await this.host.chain.challenge(cosigned.state, { rider: cosigned.riderSig, driver: cosigned.driverSig })
      this.host.faults.reached('challenge-mined', cosigned.state.nonce)
      this.log('challenged the close of %s: nonce %d over %d (gas %d)', channelId, cosigned.state.nonce, info.nonce, tx.gasUsed)
      this.host.events.emit('channel:challenged', { channelId, ...tx, nonce: cosigned.state.nonce, staleNonce: info.nonce })
    } catch (err) {
      if (isRevert(err, 'StaleNonce', 'NotClosing', 'AlreadyFinalized')) return
      throw err
    }
  }

  /** Challenges now and, while the close is pending, again after `finalizeRetryMs` on failure (no gas, RPC down). */
  challengeWithRetry (channelId: Hex, cosigned: CoSignedState): void {
    this.host.track(this.challenge(channelId, cosigned).catch(err => {
      if (!this.host.started() || isRevert(err, 'ChallengePeriodOver')) return
      this.log.error('challenging the close of %s failed, retrying - %e', channelId, err)
      this.host.events.emit('channel:error', { channelId, step: 'challenge', error: err as Error })
      this.host.clock.setTimeout(() => {
        if (this.host.started() && this.host.get(channelId)?.phase === 'closing') this.challengeWithRetry(channelId, cosigned)
      }, this.init.finalizeRetryMs)
    }))
  }

  // ------------------------------------------------------------------ finalizing

  scheduleFinalize (channelId: Hex, closesAt: bigint, firstDelayMs?: number): void {
    this.clearTimer(this.finalizeTimers, channelId)
    if (!this.host.started()) return
    const untilClose = Number(closesAt) * 1000 - this.host.clock.now()
    const delay = firstDelayMs ?? Math.max(0, Math.min(this.host.chain.challengePeriodS * 1000, untilClose)) + this.init.finalizeMarginMs
    const handle = this.host.clock.setTimeout(() => {
      this.finalizeTimers.delete(channelId)
      this.host.track(this.tryFinalize(channelId))
    }, delay)
    this.finalizeTimers.set(channelId, handle)
  }

  private async tryFinalize (channelId: Hex): Promise<void> {
    const channel = this.host.get(channelId)
    if (channel == null || channel.phase !== 'closing' || !this.host.started()) return
    try {
      await this.finalize(channelId, { signal: this.host.lifetime() })
    } catch (err) {
      if (isRevert(err, 'AlreadyFinalized', 'NotClosing')) {
        await this.host.step(channelId, { type: 'settled' })
        return
      }
      if (!isRevert(err, 'ChallengePeriodNotOver')) {
        if (!this.host.started()) return
        this.host.events.emit('channel:error', { channelId, step: 'finalize', error: err as Error })
      }
      this.scheduleFinalize(channelId, channel.closing?.closesAt ?? 0n, this.init.finalizeRetryMs)
    }
  }

  /** Finalizes a pending close now (throws if the challenge period is not over). */
  async finalize (channelId: Hex, options?: AbortOptions): Promise<void> {
    const tx = await this.host.chain.finalize(channelId, options)
    this.host.faults.reached('finalize-mined', 0n)
    const events = await this.host.chain.events(tx.blockNumber, tx.blockNumber, options)
    const fin = events.find(e => e.type === 'Finalized' && e.channelId.toLowerCase() === channelId.toLowerCase())
    await this.host.step(channelId, { type: 'settled' })
    this.clear(channelId)
    this.host.events.emit('channel:finalized', {
      channelId, ...tx,
      paidRider: fin?.type === 'Finalized' ? fin.paidRider : 0n,
      paidDriver: fin?.type === 'Finalized' ? fin.paidDriver : 0n
    })
  }

  // ------------------------------------------------------------------ a final state left unsubmitted

  /**
   * The final state is co-signed: unless the channel is settled within `finalSubmitGraceMs`
   * (the requester submits it), submit it ourselves, so a peer that keeps a final state unsent
   * cannot keep this node's money locked (nor play it later: a close in progress beats it).
   */
  submitFinalLater (channelId: Hex, cosigned: CoSignedState, delayMs = this.init.finalSubmitGraceMs): void {
    this.clearTimer(this.submitTimers, channelId)
    if (!this.host.started() || !this.init.enabled) return
    const handle = this.host.clock.setTimeout(() => {
      this.submitTimers.delete(channelId)
      this.host.track(this.submitFinal(channelId, cosigned))
    }, delayMs)
    this.submitTimers.set(channelId, handle)
  }

  private async submitFinal (channelId: Hex, cosigned: CoSignedState): Promise<void> {
    if (this.host.get(channelId)?.phase !== 'final' || !this.host.started()) return
    try {
      const info = await this.host.chain.getChannel(channelId)
      if (info.status === 'open') {
        const tx = await this.host.chain.closeCooperative(cosigned.state, { rider: cosigned.riderSig, driver: cosigned.driverSig })
        this.host.faults.reached('close-mined', 0n)
        this.log('submitted the final state of %s the peer left unsubmitted (gas %d)', channelId, tx.gasUsed)
        this.host.events.emit('channel:closed', { channelId, ...tx, kind: 'cooperative', nonce: cosigned.state.nonce, balanceDriver: cosigned.state.balanceDriver })
        await this.host.step(channelId, { type: 'settled' })
      } else if (info.status === 'finalized') {
        await this.host.step(channelId, { type: 'settled' })
      } else if (info.status === 'closing') {
        await this.host.step(channelId, { type: 'close-observed', nonce: info.nonce, closesAt: info.closesAt, by: NOBODY })
      }
    } catch (err) {
      if (isRevert(err, 'AlreadyFinalized')) {
        await this.host.step(channelId, { type: 'settled' })
        return
      }
      if (!this.host.started()) return
      this.host.events.emit('channel:error', { channelId, step: 'submit-final', error: err as Error })
      this.submitFinalLater(channelId, cosigned, this.init.finalizeRetryMs)
    }
  }

  /** Forgets the timers of a settled channel. */
  clear (channelId: Hex): void {
    this.clearTimer(this.finalizeTimers, channelId)
    this.clearTimer(this.submitTimers, channelId)
  }

  private clearTimer (timers: Map<Hex, TimerHandle>, channelId: Hex): void {
    const t = timers.get(channelId)
    if (t != null) this.host.clock.clearTimeout(t)
    timers.delete(channelId)
  }
}
