/**
 * The rider's deposits and the gas this node keeps: opening a channel with a driver or topping
 * up the pair's open one (a close left pending settled first, an open in flight recorded so a
 * crash cannot lose its deposit), refusing what the gas reserve could not cover, and the
 * periodic check of that reserve.
 */
import { cosignedFinal, depositPlan, depositToAdopt, newChannel } from '../../protocol/channel/index.js'
import { DISPUTE_GAS } from '../../settlement/index.js'
import { isRevert } from './chain-watch.js'
import { ChannelNotOpenError, InsufficientFundsError, InvalidChannelArgumentError } from './errors.js'
import { channelSummary, type ChannelSummary } from './options.js'
import type { ChannelContext } from './context.js'
import type { TimerHandle } from '../clock/index.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Address } from 'viem'

/** What funding needs of its manager. */
export type ChannelFundingContext = Pick<ChannelContext,
'engine' | 'chain' | 'store' | 'reserve' | 'identity' | 'role' | 'clock' | 'events' | 'faults' | 'log' | 'lifecycle' | 'watchEnabled' | 'gasCheckIntervalMs'>

/** Opens and tops up the rider's channels, and watches the gas reserve. */
export class ChannelFunding {
  private readonly ctx: ChannelFundingContext
  private gasTimer: TimerHandle | undefined

  constructor (ctx: ChannelFundingContext) {
    this.ctx = ctx
  }

  /**
   * Rider: makes sure there is an open channel with the driver with at least `availableWei` not
   * yet promised to it: reuses the pair's open channel (across rides), tops it up, or opens one.
   * A channel with the driver whose final state both signed is submitted first; one whose close
   * is pending on chain refuses (`NOT_OPEN`) until it is settled. Refuses (`INSUFFICIENT_FUNDS`)
   * what would leave too little to pay for the defence of this node's channels. Emits
   * `channel:opened` / `channel:topped-up` with the transaction.
   */
  async ensureChannel (driverPeerId: string, driverAddress: Address, availableWei: bigint, options?: AbortOptions): Promise<ChannelSummary> {
    const { engine, chain, store, faults, events, log } = this.ctx
    this.ctx.lifecycle.assertStarted()
    if (this.ctx.role != null && this.ctx.role !== 'rider') throw new InvalidChannelArgumentError(`this node is a ${this.ctx.role}`)
    if (availableWei <= 0n) throw new InvalidChannelArgumentError('the deposit must be positive')
    const existing = engine.riderChannelWith(driverAddress, 'open')
    if (existing != null) {
      const info = await chain.getChannel(existing.channelId, options)
      if (info.status === 'open') {
        // the caller checked that this peer id speaks for the driver's address (its binding): a
        // driver that moved to another peer id (an earlier version's, migrated) is paid there
        if (existing.peer !== driverPeerId) {
          log('the driver of %s speaks under %s now (was %s)', existing.channelId, driverPeerId, existing.peer)
          await engine.step(existing.channelId, { type: 'peer-moved', peer: driverPeerId })
        }
        // re-read the deposit (a top-up from elsewhere), then reuse the channel or top it up
        const seen = depositToAdopt(existing, info)
        if (seen != null) await engine.step(existing.channelId, { type: 'deposit-changed', deposit: seen })
        const current = engine.mustGet(existing.channelId)
        const plan = depositPlan(current, availableWei)
        if (plan.type === 'reuse') return channelSummary(current)
        const amount = plan.amount
        await this.assertFunds({ spendWei: amount, spendGas: DISPUTE_GAS.challenge }, options)
        const tx = await chain.topUp(existing.channelId, amount, options)
        faults.reached('topup-mined', 0n)
        await engine.step(existing.channelId, { type: 'deposit-changed', deposit: current.deposit + amount })
        log('topped up %s by %d (gas %d)', existing.channelId, amount, tx.gasUsed)
        events.emit('channel:topped-up', { channelId: existing.channelId, ...tx, amount, deposit: current.deposit + amount })
        this.checkGasLater(0)
        return channelSummary(engine.mustGet(existing.channelId))
      }
      // settled or closing behind our back: forget it as a candidate
      await engine.step(existing.channelId, info.status === 'closing'
        ? { type: 'close-observed', nonce: info.nonce, closesAt: info.closesAt, by: driverAddress }
        : { type: 'settled' })
    }
    await this.settlePending(driverAddress, options)
    await this.assertFunds({ channels: 1, spendWei: availableWei, spendGas: DISPUTE_GAS.closeUnilateral }, options)
    // a crash between the open and storing its channel must leave a trace to find the deposit by
    await store.saveIntent({ driver: driverAddress, peer: driverPeerId, fromBlock: await chain.blockNumber(options) })
    const opened = await chain.open(driverAddress, availableWei, options)
    faults.reached('open-mined', 0n)
    const info = await chain.getChannel(opened.channelId, options)
    if (engine.has(opened.channelId)) {
      // the watcher found the open first
      await engine.step(opened.channelId, { type: 'deposit-changed', deposit: info.deposit })
    } else {
      await engine.add(newChannel({ channelId: opened.channelId, role: 'rider', rider: this.ctx.identity.ethAddress, driver: driverAddress, peer: driverPeerId, deposit: info.deposit }))
    }
    await store.deleteIntent(driverAddress)
    log('opened %s with %s: %d wei (gas %d)', opened.channelId, driverPeerId, info.deposit, opened.gasUsed)
    events.emit('channel:opened', { channelId: opened.channelId, txHash: opened.txHash, gasUsed: opened.gasUsed, blockNumber: opened.blockNumber, driver: driverAddress, deposit: info.deposit })
    this.checkGasLater(0)
    return channelSummary(engine.mustGet(opened.channelId))
  }

  /**
   * Rider: the pair's channel must be settled before a new one can be opened (the adjudicator
   * would add to the old one): a final state both signed is submitted now; a close pending on
   * chain is waited out by the caller.
   */
  private async settlePending (driverAddress: Address, options?: AbortOptions): Promise<void> {
    const { engine } = this.ctx
    const pending = engine.riderChannelWith(driverAddress, 'final', 'closing')
    if (pending == null) return
    const final = cosignedFinal(pending)
    if (pending.phase === 'final' && final != null) {
      try {
        const tx = await this.ctx.chain.closeCooperative(final.state, { rider: final.riderSig, driver: final.driverSig }, options)
        this.ctx.events.emit('channel:closed', { channelId: pending.channelId, ...tx, kind: 'cooperative', nonce: final.state.nonce, balanceDriver: final.state.balanceDriver })
      } catch (err) {
        if (!isRevert(err, 'AlreadyFinalized')) throw err
      }
      await engine.step(pending.channelId, { type: 'settled' })
      return
    }
    const closesAt = pending.closing?.closesAt
    throw new ChannelNotOpenError(`the channel ${pending.channelId} with this driver is closing${closesAt != null ? ` until ${new Date(Number(closesAt) * 1000).toISOString()}` : ''}: a new one opens once it is settled`)
  }

  /** Throws `INSUFFICIENT_FUNDS` unless the balance covers the spending and the defence of the channels. */
  private async assertFunds (extra: { channels?: number, spendWei?: bigint, spendGas?: bigint }, options?: AbortOptions): Promise<void> {
    const c = await this.ctx.reserve.check(extra, options)
    if (!c.ok) {
      throw new InsufficientFundsError(`balance ${c.balance} wei is below the ${c.needed} wei needed for this deposit and the gas to defend ${c.channels} channels`)
    }
  }

  /** Checks the gas reserve after `delayMs` (and then every `gasCheckIntervalMs`). */
  checkGasLater (delayMs: number): void {
    const { clock, lifecycle } = this.ctx
    if (!lifecycle.started || !this.ctx.watchEnabled) return
    if (this.gasTimer != null) clock.clearTimeout(this.gasTimer)
    this.gasTimer = clock.setTimeout(() => {
      this.gasTimer = undefined
      lifecycle.track(this.ctx.reserve.warnIfLow({ signal: lifecycle.signal }).catch(err => {
        if (lifecycle.started) this.ctx.events.emit('channel:error', { step: 'gas-check', error: err as Error })
      }).finally(() => {
        if (this.ctx.gasCheckIntervalMs > 0 && lifecycle.started && this.gasTimer == null) this.checkGasLater(this.ctx.gasCheckIntervalMs)
      }))
    }, delayMs)
  }

  /** Stops the gas reserve checks. */
  stop (): void {
    if (this.gasTimer != null) this.ctx.clock.clearTimeout(this.gasTimer)
  }
}
