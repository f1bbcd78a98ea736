/**
 * The rider's side of the pay protocol and the requests this node makes of its peers:
 * proposals (pipelined, at most `maxInFlight` per channel, re-sent in nonce order after a
 * restart or a gap), sync requests, and the close request of a co-operative close.
 */
import { ChannelProtocolError, nextProposal, type Channel, type ChannelMessage, type ChannelState, type CoSignedState } from '../../protocol/channel/index.js'
import { boundedQueue, inQueue } from './concurrency.js'
import { BadChannelResponseError, ChannelNotOpenError, ChannelRejectedError, InvalidChannelArgumentError } from './errors.js'
import type { ChannelContext } from './context.js'
import type { PayOptions } from './options.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Queue } from '@libp2p/utils'
import type { Hex } from 'viem'

const lower = (a: string): string => a.toLowerCase()

/** What the pay client needs of its manager. */
export type PayClientContext = Pick<ChannelContext, 'engine' | 'signer' | 'transport' | 'turns' | 'faults' | 'lifecycle' | 'maxInFlight' | 'binding'>

/** A protocol rule broken by our own call, as the manager's error. */
function ruleError (err: unknown): Error {
  if (err instanceof ChannelProtocolError) {
    return new (err.code === 'not-open' ? ChannelNotOpenError : InvalidChannelArgumentError)(err.message, { reason: err.code, cause: err })
  }
  return err as Error
}

/** Our requests to the peers of our channels. */
export class PayClient {
  private readonly ctx: PayClientContext
  /** per channel: the payments in flight, at most `maxInFlight`, in the order of the calls */
  private readonly inFlight = new Map<Hex, Queue<unknown>>()
  /** per channel: one proposal built, signed and recorded at a time, so nonces are consecutive */
  private readonly proposing = new Map<Hex, Queue<unknown>>()

  constructor (ctx: PayClientContext) {
    this.ctx = ctx
  }

  /**
   * Rider: pays the driver `totalToDriverWei` in all on this channel (not an increment) and
   * resolves with the co-signed state. The state is persisted (fsync) before it is sent and the
   * countersignature before this resolves. Several calls may be in flight (each nonce + 1).
   */
  async pay (channelId: Hex, totalToDriverWei: bigint, options: PayOptions = {}): Promise<CoSignedState> {
    const { engine, faults } = this.ctx
    this.ctx.lifecycle.assertStarted()
    return await inQueue(queueOf(this.inFlight, channelId, this.ctx.maxInFlight), async () => {
      // build, sign and record the proposal under a per-channel lock, so concurrent calls get
      // consecutive nonces; the fsync happens outside it, so pipelined proposals share batches
      const { state, done, stepping } = await inQueue(queueOf(this.proposing, channelId, 1), async () => {
        // sign in a turn of our own, not in a burst with every payment a group commit freed
        await this.ctx.turns.turn()
        const channel = engine.mustGet(channelId)
        if (channel.role !== 'rider') throw new InvalidChannelArgumentError('only the rider pays')
        let state: ChannelState
        try {
          state = nextProposal(channel, totalToDriverWei, options.tripRecordHash)
        } catch (err) {
          throw ruleError(err)
        }
        const riderSig = this.ctx.signer.sign(state)
        faults.reached('before-persist', state.nonce)
        const done = engine.expectPayment(channelId, state.nonce)
        // step() replaces the channel synchronously, before its first await
        const stepping = engine.step(channelId, { type: 'proposal-signed', proposal: { state, riderSig } })
        return { state, done, stepping }
      })
      const sends = await stepping
      faults.reached('after-persist', state.nonce)
      for (const a of sends) if (a.type === 'send-proposal') await this.sendProposal(channelId, a.nonce, options)
      return await done.promise
    }, options.signal)
  }

  /**
   * Re-sends, in nonce order, the proposals the driver has not answered (after a restart or a
   * timeout), and asks the peer for its latest co-signed state.
   */
  async sync (channelId: Hex, options?: AbortOptions): Promise<CoSignedState | undefined> {
    const { engine } = this.ctx
    this.ctx.lifecycle.assertStarted()
    const channel = engine.mustGet(channelId)
    if (channel.role === 'rider') await this.resend(channelId, options)
    const answer = await this.ctx.transport.ask(channel.peer, { type: 'sync-request', channelId }, options)
    if (answer.type === 'sync-response' && answer.latest != null) {
      const signers = this.ctx.signer.signersOf(channel, answer.latest)
      await engine.step(channelId, { type: 'latest-received', latest: answer.latest, signers })
    }
    return engine.get(channelId)?.latest
  }

  /** Rider: re-sends, in nonce order, the proposals the driver has not answered. */
  async resend (channelId: Hex, options?: AbortOptions): Promise<void> {
    const { engine } = this.ctx
    for (const p of [...engine.mustGet(channelId).proposals]) {
      if (!engine.mustGet(channelId).proposals.some(q => q.state.nonce === p.state.nonce)) continue
      await this.sendProposal(channelId, p.state.nonce, options)
    }
  }

  /**
   * Asks the peer to countersign the final state this node signed (`sig`, on disk already) and
   * records its countersignature. Throws `REJECTED` if it refuses, `BAD_RESPONSE` for anything
   * but its signature over that state, `PEER_UNRESPONSIVE` if it does not answer.
   */
  async requestClose (channel: Channel, final: ChannelState, sig: Hex, options?: AbortOptions): Promise<void> {
    const answer = await this.ctx.transport.ask(channel.peer, { type: 'close-request', state: final, sig }, options)
    if (answer.type === 'reject') throw new ChannelRejectedError(`peer refused to close: ${answer.code} ${answer.detail}`, { reason: answer.code })
    if (answer.type !== 'close-accept') throw new BadChannelResponseError(`unexpected ${answer.type} to a close request`)
    const other = channel.role === 'rider' ? channel.driver : channel.rider
    const signer = this.ctx.signer.signerOf(final, answer.sig, other)
    if (signer !== other) throw new BadChannelResponseError('the final state was not signed by the peer')
    await this.ctx.engine.step(channel.channelId, { type: 'final-countersigned', sig: answer.sig, signer })
  }

  private async sendProposal (channelId: Hex, nonce: bigint, options?: AbortOptions, resent = false): Promise<void> {
    const { engine, faults } = this.ctx
    const channel = engine.mustGet(channelId)
    const proposal = channel.proposals.find(p => p.state.nonce === nonce)
    if (proposal == null) return
    faults.reached('before-send', nonce)
    let answer: ChannelMessage
    try {
      answer = await this.ctx.transport.ask(channel.peer, { type: 'propose', proposal, binding: await this.ctx.binding.sign() }, options)
    } catch (err) {
      engine.payment(channelId, nonce)?.reject(err)
      throw err
    }
    faults.reached('after-send', nonce)
    if (answer.type === 'countersign' && lower(answer.channelId) === lower(channelId) && answer.nonce === nonce) {
      const signer = this.ctx.signer.signerOf(proposal.state, answer.driverSig, channel.driver)
      faults.reached('after-countersign', nonce)
      try {
        await engine.step(channelId, { type: 'countersign-received', nonce, driverSig: answer.driverSig, signer })
      } catch (err) {
        const e = ruleError(err)
        engine.payment(channelId, nonce)?.reject(e)
        throw e
      }
      return
    }
    if (answer.type === 'reject') {
      // the machine decides: re-send after a first gap (the lower proposals first), else fail the payment
      const signers = answer.latest != null ? this.ctx.signer.signersOf(channel, answer.latest) : undefined
      const sends = await engine.step(channelId, {
        type: 'reject-received',
        nonce,
        code: answer.code,
        detail: answer.detail,
        resent,
        ...(answer.latest != null ? { latest: answer.latest, latestSigners: signers } : {})
      })
      for (const a of sends) if (a.type === 'send-proposal') await this.sendProposal(channelId, a.nonce, options, true)
      return
    }
    const err = new BadChannelResponseError(`unexpected ${answer.type} to a proposal`)
    engine.payment(channelId, nonce)?.reject(err)
    throw err
  }
}

/** The queue of `key` in `queues`, made with `concurrency` on first use. */
function queueOf (queues: Map<Hex, Queue<unknown>>, key: Hex, concurrency: number): Queue<unknown> {
  let q = queues.get(key)
  if (q == null) { q = boundedQueue(concurrency); queues.set(key, q) }
  return q
}
