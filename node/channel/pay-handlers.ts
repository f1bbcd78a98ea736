/**
 * What this node answers to each request a peer may make on the pay protocol, one handler per
 * request type: a proposal (driver: countersign it once it is on disk), a close request (sign
 * the final state once the channel is `final` on disk), a sync request (the latest state on
 * disk, to the counterparty only).
 */
import {
  ChannelProtocolError, depositToAdopt, newChannel, refreshesDeposit, validateFinal, validateProposal,
  type Channel, type ChannelMessage, type ChannelRejectCode, type ChannelState, type CoSignedState
} from '../../protocol/channel/index.js'
import { ANY_RIDE, BindingError, checkBinding } from '../../protocol/index.js'
import { ethAddressOfPeer } from '../identity/index.js'
import type { ChannelContext } from './context.js'
import type { IdentityBinding } from '../../protocol/index.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Address, Hex } from 'viem'

const lower = (a: string): string => a.toLowerCase()

/** The channel id of a refusal that concerns no channel. */
export const NO_CHANNEL: Hex = `0x${'0'.repeat(64)}`

/** A refusal, with what is on disk of the channel for a peer that should catch up. */
export function rejection (channelId: Hex, nonce: bigint, code: ChannelRejectCode, detail: string, latest?: CoSignedState): ChannelMessage {
  return { type: 'reject', channelId, nonce, code, detail, ...(latest != null ? { latest } : {}) }
}

/** What the handlers need of their manager. */
export type PayHandlersContext = Pick<ChannelContext, 'engine' | 'signer' | 'guard' | 'chain' | 'reserve' | 'identity' | 'role' | 'watchEnabled' | 'faults' | 'log' | 'clock'>

/** Driver: answers proposals. */
export class ProposeHandler {
  private readonly ctx: PayHandlersContext
  /** driver: chain lookups of channels first heard of, by channel and rider */
  private readonly learning = new Map<string, Promise<Channel | ChannelRejectCode>>()
  /** driver: the last nonce answered per channel, for the `after-send` crash point */
  private readonly answered = new Map<Hex, bigint>()

  constructor (ctx: PayHandlersContext) {
    this.ctx = ctx
  }

  /**
   * A proposal from `from`: checked (signature, nonce order, deposit), then countersigned; the
   * countersignature leaves only once the state is on disk.
   */
  async handle (from: string, state: ChannelState, riderSig: Hex, opts: Required<AbortOptions>, binding?: IdentityBinding): Promise<ChannelMessage> {
    const { engine, faults } = this.ctx
    const { channelId, nonce } = state
    const previous = this.answered.get(channelId)
    if (previous != null && nonce > previous) faults.reached('after-send', previous)
    if (this.ctx.role === 'rider') return rejection(channelId, nonce, 'unknown-channel', 'this node does not drive')
    let channel = engine.get(channelId)
    if (channel?.peer !== from) {
      // a peer this channel has not heard from (a new channel, or the rider's new peer id): its
      // peer id must be bound to the rider whose signature the state carries, before anything else
      const rider = channel?.rider ?? this.ctx.signer.recover(state, riderSig)
      if (rider == null) return rejection(channelId, nonce, 'bad-signature', 'not signed by a rider')
      const refused = await this.bindingRefusal(from, binding, rider)
      if (refused != null) {
        this.ctx.log('refusing nonce %d on %s from %s: %s', nonce, channelId, from, refused)
        return rejection(channelId, nonce, 'bad-binding', refused)
      }
    }
    if (channel == null) {
      const learnt = await this.learnChannel(from, state, riderSig, opts)
      if (typeof learnt === 'string') return rejection(channelId, nonce, learnt, learnt === 'cannot-defend' ? 'this driver cannot defend a new channel now' : 'no open channel with this node as driver')
      channel = learnt
    }
    const signer = this.ctx.signer.signerOf(state, riderSig, channel.rider)
    if (signer !== channel.rider) return rejection(channelId, nonce, 'bad-signature', 'not signed by the rider')
    // pipelined proposals arrive on separate streams, possibly out of order: wait for the gap to fill
    await engine.waitForLowerNonces(channelId, nonce, opts.signal)
    channel = engine.mustGet(channelId)
    let verdict = validateProposal(channel, state, signer)
    if (refreshesDeposit(verdict) && this.ctx.guard.allowChainLookup(from)) {
      // a top-up the watcher has not reported yet
      const info = await this.ctx.chain.getChannel(channelId, opts)
      const deposit = depositToAdopt(engine.mustGet(channelId), info)
      if (deposit != null) {
        await engine.step(channelId, { type: 'deposit-changed', deposit })
        channel = engine.mustGet(channelId)
        verdict = validateProposal(channel, state, signer)
      }
    }
    if (!verdict.ok) {
      this.ctx.log('refused nonce %d on %s: %s', nonce, channelId, verdict.code)
      return rejection(channelId, nonce, verdict.code, verdict.detail, verdict.code === 'stale' ? engine.durableLatest(channelId, from) : undefined)
    }
    const driverSig = this.ctx.signer.sign(state)
    faults.reached('after-countersign', nonce)
    faults.reached('before-persist', nonce)
    try {
      await engine.step(channelId, { type: 'proposal-accepted', proposal: { state, riderSig }, driverSig, ...(from !== channel.peer ? { peer: from } : {}) })
    } catch (err) {
      // the same proposal twice at once (a re-send racing the original): the first one won
      if (!(err instanceof ChannelProtocolError)) throw err
      return rejection(channelId, nonce, err.code, err.message, err.code === 'stale' ? engine.durableLatest(channelId, from) : undefined)
    }
    faults.reached('after-persist', nonce)
    faults.reached('before-send', nonce)
    this.answered.set(channelId, nonce)
    return { type: 'countersign', channelId, nonce, driverSig }
  }

  /**
   * Why `from` may not speak for the rider `rider`, or undefined when it may: the binding of its
   * peer id to that address (for every ride), checked; without one, only an earlier version's
   * secp256k1 peer id, which is the rider's key itself.
   */
  private async bindingRefusal (from: string, binding: IdentityBinding | undefined, rider: Address): Promise<string | undefined> {
    if (binding == null && ethAddressOfPeer(from) === lower(rider)) return undefined
    try {
      const address = await checkBinding(binding, { peerId: from, requestId: ANY_RIDE, now: this.ctx.clock.now() })
      return address === lower(rider) ? undefined : 'ERR_BINDING_MISMATCH: the binding names another address than the channel\'s rider'
    } catch (err: any) {
      if (!(err instanceof BindingError)) throw err
      return `${err.code}: ${err.message}`
    }
  }

  /**
   * Driver: a channel first heard of in a proposal. The chain call it costs comes only after the
   * rider's signature recovered to an address and within the peer's (and everyone's) budget of
   * such lookups; then only what the chain says is trusted, and a channel this node could not
   * pay to defend is refused.
   */
  private async learnChannel (from: string, state: ChannelState, riderSig: Hex, options: AbortOptions): Promise<Channel | ChannelRejectCode> {
    const signer = this.ctx.signer.recover(state, riderSig)
    if (signer == null) return 'bad-signature'
    // pipelined proposals of a new channel share one lookup
    const key = `${state.channelId}/${lower(signer)}`
    let learning = this.learning.get(key)
    if (learning == null) {
      if (!this.ctx.guard.allowChainLookup(from)) return 'rate-limited'
      learning = this.lookUpChannel(from, state.channelId, signer, options)
      this.learning.set(key, learning)
      void learning.finally(() => { this.learning.delete(key) }).catch(() => {})
    }
    return await learning
  }

  private async lookUpChannel (from: string, channelId: Hex, signer: Address, options: AbortOptions): Promise<Channel | ChannelRejectCode> {
    const { engine, reserve, log } = this.ctx
    const state = { channelId }
    const info = await this.ctx.chain.getChannel(state.channelId, options)
    if (info.status !== 'open' || lower(info.driver) !== lower(this.ctx.identity.ethAddress) || lower(info.rider) !== lower(signer)) return 'unknown-channel'
    const known = engine.get(state.channelId)
    if (known != null) return known
    if (this.ctx.watchEnabled) {
      const gas = await reserve.check({ channels: 1 }, options)
      if (!gas.ok) {
        reserve.warn(gas)
        log('refusing channel %s: balance %d wei is below the %d wei its defence needs', state.channelId, gas.balance, gas.needed)
        return 'cannot-defend'
      }
    }
    if (engine.has(state.channelId)) return engine.mustGet(state.channelId)
    const channel = newChannel({ channelId: state.channelId, role: 'driver', rider: info.rider, driver: info.driver, peer: from, deposit: info.deposit })
    await engine.add(channel)
    log('serving channel %s from %s (deposit %d)', state.channelId, from, info.deposit)
    return channel
  }
}

/**
 * A peer asks to close: the peer's signature is checked first, the final state must carry the
 * latest co-signed balances, and ours leaves only once the channel is `final` on disk. The
 * requester submits it; if it has not within `finalSubmitGraceMs`, this node does.
 */
export async function answerCloseRequest (ctx: PayHandlersContext, from: string, state: ChannelState, sig: Hex, opts: Required<AbortOptions>): Promise<ChannelMessage> {
  const { engine, signer } = ctx
  const channel = engine.get(state.channelId)
  if (channel == null) return rejection(state.channelId, state.nonce, 'unknown-channel', 'unknown channel')
  const other = channel.role === 'rider' ? channel.driver : channel.rider
  if (signer.signerOf(state, sig, other) !== other) {
    return rejection(state.channelId, state.nonce, 'bad-signature', 'final state not signed by the peer')
  }
  const verdict = validateFinal(channel, state)
  if (!verdict.ok) return rejection(state.channelId, state.nonce, verdict.code, verdict.detail, engine.durableLatest(state.channelId, from))
  opts.signal.throwIfAborted()
  const mine = signer.sign(state)
  try {
    await engine.step(state.channelId, { type: 'final-signed', state, ...(channel.role === 'rider' ? { riderSig: mine, driverSig: sig } : { riderSig: sig, driverSig: mine }) })
  } catch (err) {
    if (!(err instanceof ChannelProtocolError)) throw err
    return rejection(state.channelId, state.nonce, err.code, err.message)
  }
  ctx.faults.reached('final-signed', 2n)
  ctx.log('signed the final state of %s for %s', state.channelId, from)
  return { type: 'close-accept', channelId: state.channelId, sig: mine }
}

/** A peer asks for a channel's latest state: only the counterparty may read it, and only what is on disk. */
export function answerSyncRequest (ctx: Pick<ChannelContext, 'engine'>, from: string, channelId: Hex): ChannelMessage {
  const latest = ctx.engine.durableLatest(channelId, from)
  return { type: 'sync-response', ...(latest != null ? { latest } : {}) }
}
