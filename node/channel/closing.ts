/**
 * Closing a channel from this node: co-operatively (both sign the final state, this node
 * submits it), unilaterally (the newest state both signed goes on chain, the finalize follows
 * after the challenge period), or co-operatively with the unilateral close as the fallback.
 */
import { closeFallback, cosignedFinal, finalStateOf, unilateralCloseState, validateFinal, type CloseFailure } from '../../protocol/channel/index.js'
import { isRevert } from './chain-watch.js'
import { ChannelError, ChannelNotOpenError, InvalidChannelArgumentError } from './errors.js'
import { channelSummary, type ChannelSummary } from './options.js'
import type { ChannelContext } from './context.js'
import type { PayClient } from './pay-client.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Hex } from 'viem'

/** What closing needs of its manager. */
export type ChannelCloserContext = Pick<ChannelContext, 'engine' | 'signer' | 'chain' | 'identity' | 'events' | 'faults' | 'log' | 'lifecycle'>

/** Closes this node's channels. */
export class ChannelCloser {
  private readonly ctx: ChannelCloserContext
  private readonly client: PayClient

  constructor (ctx: ChannelCloserContext, client: PayClient) {
    this.ctx = ctx
    this.client = client
  }

  /**
   * Closes co-operatively: this node signs the final state (nonce `FINAL_NONCE`, the latest
   * balances), and from then on signs no other state of the channel; the peer countersigns it and
   * this node submits it. Emits `channel:closed`. Throws `PEER_UNRESPONSIVE` if the peer does not
   * answer within `unresponsiveTimeoutMs` (`close()` then closes unilaterally).
   */
  async closeCooperative (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    const { engine, faults } = this.ctx
    this.ctx.lifecycle.assertStarted()
    let channel = engine.mustGet(channelId)
    if (channel.phase !== 'open' && channel.phase !== 'final') throw new ChannelNotOpenError(`channel is ${channel.phase}`)
    if (channel.role === 'rider' && channel.proposals.length > 0) await this.client.resend(channelId, options)
    channel = engine.mustGet(channelId)
    const final = channel.final?.state ?? finalStateOf(channel)
    const verdict = validateFinal(channel, final)
    if (!verdict.ok) throw new InvalidChannelArgumentError(`cannot close yet: ${verdict.detail}`, { reason: verdict.code })
    const mySig = this.ctx.signer.sign(final)
    // on disk before the signature leaves: from here on this node signs no other state
    await engine.step(channelId, { type: 'final-signed', state: final, ...(channel.role === 'rider' ? { riderSig: mySig } : { driverSig: mySig }) })
    faults.reached('final-signed', 1n)
    let cosigned = cosignedFinal(engine.mustGet(channelId))
    if (cosigned == null) {
      await this.client.requestClose(channel, final, mySig, options)
      cosigned = cosignedFinal(engine.mustGet(channelId))!
    }
    let tx
    try {
      tx = await this.ctx.chain.closeCooperative(cosigned.state, { rider: cosigned.riderSig, driver: cosigned.driverSig }, options)
    } catch (err) {
      if (!isRevert(err, 'AlreadyFinalized')) throw err
      // the peer submitted it first
      await engine.step(channelId, { type: 'settled' })
      return channelSummary(engine.mustGet(channelId))
    }
    faults.reached('close-mined', 0n)
    await engine.step(channelId, { type: 'settled' })
    engine.watch.clear(channelId)
    this.ctx.log('closed %s co-operatively (gas %d)', channelId, tx.gasUsed)
    this.ctx.events.emit('channel:closed', { channelId, ...tx, kind: 'cooperative', nonce: final.nonce, balanceDriver: final.balanceDriver })
    return channelSummary(engine.mustGet(channelId))
  }

  /**
   * Starts a unilateral close with the newest state both signed (the final state if this node
   * holds both its signatures, else the latest; before any, the nonce-0 refund). The finalize
   * follows by itself after the challenge period (clock timer, resumed after a restart). Emits
   * `channel:closed`.
   */
  async closeUnilateral (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    const { engine, chain } = this.ctx
    this.ctx.lifecycle.assertStarted()
    const channel = engine.mustGet(channelId)
    if (channel.phase === 'finalized') throw new ChannelNotOpenError('channel is settled')
    const { state, cosigned: best } = unilateralCloseState(channel)
    const tx = await chain.closeUnilateral(state, best != null ? { rider: best.riderSig, driver: best.driverSig } : undefined, options)
    this.ctx.faults.reached('unilateral-mined', 0n)
    const info = await chain.getChannel(channelId, options)
    await engine.step(channelId, { type: 'close-observed', nonce: state.nonce, closesAt: info.closesAt, by: this.ctx.identity.ethAddress })
    this.ctx.log('started unilateral close of %s at nonce %d (gas %d)', channelId, state.nonce, tx.gasUsed)
    this.ctx.events.emit('channel:closed', { channelId, ...tx, kind: 'unilateral', nonce: state.nonce, balanceDriver: state.balanceDriver })
    return channelSummary(engine.mustGet(channelId))
  }

  /** Co-operative close, or unilateral if the peer does not answer or refuses. */
  async close (channelId: Hex, options?: AbortOptions): Promise<ChannelSummary> {
    try {
      return await this.closeCooperative(channelId, options)
    } catch (err) {
      if (closeFallback(closeFailure(err)) !== 'unilateral') throw err
      this.ctx.log('co-operative close of %s failed (%s), closing unilaterally', channelId, (err as ChannelError).code)
      return await this.closeUnilateral(channelId, options)
    }
  }
}

/** How a co-operative close failed, in the terms of the close rules. */
function closeFailure (err: unknown): CloseFailure {
  if (!(err instanceof ChannelError)) return 'other'
  switch (err.code) {
    case 'PEER_UNRESPONSIVE': return 'unresponsive'
    case 'REJECTED': return 'refused'
    case 'BAD_RESPONSE': return 'bad-response'
    default: return 'other'
  }
}
