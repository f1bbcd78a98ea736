/**
 * The requests a channel manager sends to its peers: on one long-lived `/hitch/pay/2.1.0` pipe
 * per peer when both speak it (answers matched by id), otherwise one `/hitch/pay/2.0.0` stream per
 * request, at most `MAX_STREAM_REQUESTS_PER_PEER` at once.
 */
import {
  decodeChannelMessage, decodePayFrame, encodeChannelMessage, encodePayFrame,
  MAX_CHANNEL_MESSAGE_BYTES, MAX_PAY_FRAME_BYTES, PAY_STREAM_PROTOCOL, type ChannelMessage
} from '../../protocol/channel/index.js'
import { PAY_PROTOCOL } from '../../protocol/index.js'
import { raceSignal } from 'race-signal'
import { boundedQueue, inQueue, timeoutOn, withResolvers, type ClockTimeout, type Turns } from './concurrency.js'
import { BadChannelResponseError, ChannelError, PeerUnresponsiveError } from './errors.js'
import { NetworkError, type MessagePipe, type Network } from '../network/index.js'
import type { Clock } from '../clock/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Queue } from '@libp2p/utils'

/** How long a peer that refused the pay stream is asked on streams of their own, in clock ms. */
const NO_PIPE_RETRY_MS = 60_000

/**
 * Requests in flight to one peer on streams of their own (peers without the pay stream): what
 * any peer accepts at once, whatever `maxInFlight` is (more would be reset).
 * @default 32
 */
export const MAX_STREAM_REQUESTS_PER_PEER = 32

/** Our requests to one peer on one long-lived pipe, answered by id. */
interface PayLink {
  pipe: MessagePipe
  nextId: bigint
  pending: Map<bigint, { resolve: (m: ChannelMessage) => void, reject: (e: Error) => void }>
}

/** Options of {@link PayTransport}. */
export interface PayTransportInit {
  network: Network
  clock: Clock
  /** answers are handled one per turn (shared with the manager's inbound frames) */
  turns: Turns
  /** how long to wait for an answer, in ms of the clock */
  unresponsiveTimeoutMs: number
  /** aborted when the manager stops */
  lifetime: () => AbortSignal
  log: Logger
}

/** Sends channel requests to peers and waits for their answers. */
export class PayTransport {
  private readonly network: Network
  private readonly clock: Clock
  private readonly turns: Turns
  private readonly unresponsiveTimeoutMs: number
  private readonly lifetime: () => AbortSignal
  private readonly log: Logger
  /** our pipes to peers (by peer id), or the pending opening of one */
  private readonly links = new Map<string, Promise<PayLink>>()
  /**
   * peers that did not speak `PAY_STREAM_PROTOCOL` when last asked (clock ms): one stream per
   * request with them for a while (a peer shutting down also answers so; it may come back)
   */
  private readonly noPipe = new Map<string, number>()
  /** per peer: requests on streams of their own in flight */
  private readonly streamQueues = new Map<string, Queue<unknown>>()

  constructor (init: PayTransportInit) {
    this.network = init.network
    this.clock = init.clock
    this.turns = init.turns
    this.unresponsiveTimeoutMs = init.unresponsiveTimeoutMs
    this.lifetime = init.lifetime
    this.log = init.log
  }

  /** Closes every pipe to a peer. */
  close (): void {
    for (const link of this.links.values()) void link.then(l => { l.pipe.close() }, () => {})
    this.links.clear()
  }

  /**
   * Sends a request to `peer` and waits for its answer: on our long-lived pipe to it when both
   * speak `PAY_STREAM_PROTOCOL`, otherwise on a stream of its own (`PAY_PROTOCOL`).
   */
  async ask (peer: string, message: ChannelMessage, options?: AbortOptions): Promise<ChannelMessage> {
    if (this.network.openPipe != null && !(this.clock.now() - (this.noPipe.get(peer) ?? -Infinity) < NO_PIPE_RETRY_MS)) {
      let link: PayLink | undefined
      try {
        link = await this.linkTo(peer, options)
      } catch (err) {
        if (options?.signal?.aborted === true) throw err
        if (!(err instanceof NetworkError && err.code === 'ERR_NO_HANDLER')) {
          throw new PeerUnresponsiveError(`peer ${peer} did not answer: ${(err as Error).message}`, { cause: err })
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
    const lifetime = this.lifetime()
    const timeout = this.timeout(peer)
    const signal = AbortSignal.any(options?.signal != null ? [options.signal, lifetime, timeout.signal] : [lifetime, timeout.signal])
    const pending: PayLink['pending'] = new Map()
    // read by the handlers, which may run before openPipe returns
    let pipe: MessagePipe | undefined = undefined
    try {
      pipe = await this.network.openPipe!(peer, PAY_STREAM_PROTOCOL, {
        // answers are handled one per turn too
        onMessage: data => {
          this.turns.run(() => {
            if (lifetime.aborted) return
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
            if ('error' in frame) waiting.reject(new BadChannelResponseError('peer answered a malformed channel message', { cause: frame.error }))
            else waiting.resolve(frame.message)
          })
        },
        onClose: err => {
          for (const w of pending.values()) w.reject(new PeerUnresponsiveError(`the pipe to ${peer} closed${err != null ? `: ${err.message}` : ''}`, { cause: err }))
          pending.clear()
        }
      }, { signal, timeoutMs: this.unresponsiveTimeoutMs, maxMessageBytes: MAX_PAY_FRAME_BYTES })
    } finally {
      timeout.clear()
    }
    return { pipe, nextId: 1n, pending }
  }

  private async askOnPipe (peer: string, link: PayLink, message: ChannelMessage, options?: AbortOptions): Promise<ChannelMessage> {
    options?.signal?.throwIfAborted()
    const id = link.nextId++
    const answer = withResolvers<ChannelMessage>()
    const timer = this.clock.setTimeout(() => {
      link.pending.delete(id)
      answer.reject(this.unresponsive(peer))
    }, this.unresponsiveTimeoutMs)
    link.pending.set(id, answer)
    try {
      link.pipe.send(encodePayFrame({ id, message }))
      return await raceSignal(answer.promise, options?.signal)
    } catch (err) {
      if (err instanceof ChannelError || options?.signal?.aborted === true) throw err
      throw new PeerUnresponsiveError(`peer ${peer} did not answer: ${(err as Error).message}`, { cause: err })
    } finally {
      link.pending.delete(id)
      this.clock.clearTimeout(timer)
    }
  }

  private async askOnStream (peer: string, message: ChannelMessage, options?: AbortOptions): Promise<ChannelMessage> {
    let queue = this.streamQueues.get(peer)
    if (queue == null) {
      queue = boundedQueue(MAX_STREAM_REQUESTS_PER_PEER)
      this.streamQueues.set(peer, queue)
    }
    return await inQueue(queue, async () => await this.askOneStream(peer, message, options), options?.signal)
  }

  private async askOneStream (peer: string, message: ChannelMessage, options?: AbortOptions): Promise<ChannelMessage> {
    const lifetime = this.lifetime()
    const timeout = this.timeout(peer)
    const signal = AbortSignal.any(options?.signal != null ? [options.signal, lifetime, timeout.signal] : [lifetime, timeout.signal])
    let bytes: Uint8Array
    try {
      bytes = await this.network.request(peer, PAY_PROTOCOL, encodeChannelMessage(message), {
        timeoutMs: this.unresponsiveTimeoutMs, signal, maxResponseBytes: MAX_CHANNEL_MESSAGE_BYTES
      })
    } catch (err) {
      if (options?.signal?.aborted === true) throw err
      throw new PeerUnresponsiveError(`peer ${peer} did not answer: ${(err as Error).message}`, { cause: err })
    } finally {
      timeout.clear()
    }
    try {
      return decodeChannelMessage(bytes)
    } catch (err) {
      throw new BadChannelResponseError('peer answered a malformed channel message', { cause: err })
    }
  }

  /**
   * The bound on one request or pipe opening, on the node's clock (a simulation's peer is
   * unresponsive after the same simulated time whatever the host's speed); the network's own
   * `timeoutMs` stays as a bound in its time.
   */
  private timeout (peer: string): ClockTimeout {
    return timeoutOn(this.clock, this.unresponsiveTimeoutMs, () => this.unresponsive(peer))
  }

  private unresponsive (peer: string): ChannelError {
    return new PeerUnresponsiveError(`peer ${peer} did not answer within ${this.unresponsiveTimeoutMs} ms`)
  }
}
