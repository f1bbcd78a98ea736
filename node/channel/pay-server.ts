/**
 * The pay protocol as this node serves it: `/hitch/pay/2.0.0` (a stream per request) and the
 * long-lived `/hitch/pay/2.1.0` pipes peers open to it, each request checked against what the
 * peer may cost (`InboundGuard`) before it reaches its handler in `pay-handlers.ts`.
 */
import {
  decodeChannelMessage, decodePayFrame, encodeChannelMessage, encodePayFrame,
  MAX_CHANNEL_MESSAGE_BYTES, MAX_PAY_FRAME_BYTES, PAY_STREAM_PROTOCOL, type ChannelMessage
} from '../../protocol/channel/index.js'
import { PAY_PROTOCOL } from '../../protocol/index.js'
import { ChannelNotStartedError } from './errors.js'
import { DEFAULT_MAX_INBOUND_PIPES } from './options.js'
import { answerCloseRequest, answerSyncRequest, NO_CHANNEL, ProposeHandler, rejection, type PayHandlersContext } from './pay-handlers.js'
import type { ChannelContext } from './context.js'
import type { DirectRequest, MessagePipe, PipeHandlers } from '../network/index.js'
import type { AbortOptions } from '@libp2p/interface'

/** What the pay server needs of its manager. */
export type PayServerContext = PayHandlersContext & Pick<ChannelContext, 'network' | 'turns' | 'lifecycle' | 'maxInFlight'>

/** Serves the pay protocol to this node's peers. */
export class PayServer {
  private readonly ctx: PayServerContext
  private readonly propose: ProposeHandler

  constructor (ctx: PayServerContext) {
    this.ctx = ctx
    this.propose = new ProposeHandler(ctx)
  }

  /** Serves `/hitch/pay/*` (the pipe protocol where the network has pipes). */
  async start (): Promise<void> {
    const { network } = this.ctx
    await network.handle(PAY_PROTOCOL, async (req, opts) => await this.onRequest(req, opts), {
      maxRequestBytes: MAX_CHANNEL_MESSAGE_BYTES,
      maxInboundStreams: Math.max(32, this.ctx.maxInFlight * 2)
    })
    if (network.handlePipe != null) {
      await network.handlePipe(PAY_STREAM_PROTOCOL, pipe => this.acceptPipe(pipe), {
        maxMessageBytes: MAX_PAY_FRAME_BYTES,
        maxInboundStreams: DEFAULT_MAX_INBOUND_PIPES
      })
    }
  }

  /** Stops serving `/hitch/pay/*` (the pipes already open stay until closed). */
  async stop (): Promise<void> {
    const { network } = this.ctx
    await network.unhandle(PAY_PROTOCOL).catch(() => {})
    if (network.handlePipe != null) await network.unhandle(PAY_STREAM_PROTOCOL).catch(() => {})
  }

  /** A request on a stream of its own (`/hitch/pay/2.0.0`). */
  private async onRequest (req: DirectRequest, opts: Required<AbortOptions>): Promise<Uint8Array> {
    if (!this.ctx.guard.allowRequest(req.from)) {
      return encodeChannelMessage(rejection(NO_CHANNEL, 0n, 'rate-limited', 'too many requests'))
    }
    let message: ChannelMessage
    try {
      message = decodeChannelMessage(req.data)
    } catch (err) {
      return encodeChannelMessage(rejection(NO_CHANNEL, 0n, 'malformed', (err as Error).message))
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
    const { guard, lifecycle, log } = this.ctx
    if (!guard.admitPipe(pipe)) {
      log('refusing a pay pipe from %s: too many open', pipe.remotePeer)
      queueMicrotask(() => { guard.reset(pipe) })
      return { onMessage: () => {}, onClose: () => {} }
    }
    const closed = new AbortController()
    const signal = AbortSignal.any([closed.signal, lifecycle.signal])
    return {
      onMessage: data => {
        if (!guard.serves(pipe)) return
        guard.touch(pipe)
        if (!guard.allowRequest(pipe.remotePeer) || !guard.begin(pipe)) {
          log('resetting the pay pipe from %s: too many requests', pipe.remotePeer)
          guard.reset(pipe)
          return
        }
        this.ctx.turns.run(() => {
          if (lifecycle.started) this.onPipeRequest(pipe, data, signal)
          else guard.end(pipe)
        })
      },
      onClose: () => {
        closed.abort(new ChannelNotStartedError('pipe closed'))
        guard.removePipe(pipe)
      }
    }
  }

  private onPipeRequest (pipe: MessagePipe, data: Uint8Array, signal: AbortSignal): void {
    const { guard, log } = this.ctx
    let frame: ReturnType<typeof decodePayFrame>
    try {
      frame = decodePayFrame(data)
    } catch (err) {
      // no id to answer to: the peer does not speak the protocol
      log('closing the pipe from %s: %s', pipe.remotePeer, (err as Error).message)
      guard.end(pipe)
      pipe.close()
      return
    }
    const id = frame.id
    const answer = 'error' in frame
      ? Promise.resolve(rejection(NO_CHANNEL, 0n, 'malformed', frame.error.message))
      : this.serve(pipe.remotePeer, frame.message, { signal })
    this.ctx.lifecycle.track(answer.then(message => {
      if (pipe.open) pipe.send(encodePayFrame({ id, message }))
    }).catch(err => {
      log('request %d on the pipe from %s failed - %e', id, pipe.remotePeer, err)
    }).finally(() => { guard.end(pipe) }))
  }

  /** The answer to one request from `from`, whichever way it came (a stream of its own or a pipe). */
  private async serve (from: string, message: ChannelMessage, opts: Required<AbortOptions>): Promise<ChannelMessage> {
    switch (message.type) {
      case 'propose': return await this.propose.handle(from, message.proposal.state, message.proposal.riderSig, opts, message.binding)
      case 'close-request': return await answerCloseRequest(this.ctx, from, message.state, message.sig, opts)
      case 'sync-request': return answerSyncRequest(this.ctx, from, message.channelId)
      default:
        return rejection(NO_CHANNEL, 0n, 'malformed', `${message.type} is an answer, not a request`)
    }
  }
}
