/**
 * Long-lived message pipes on the simulated network, so that the simulated mode runs the same
 * payment path as libp2p (`/hitch/pay/2.1.0` on one pipe per pair) instead of a stream per
 * message. Each message crosses the link like any other transmission (latency, bandwidth, in
 * order); the idle timeout and the rate limit of `PipeLimits` run on the world's virtual clock.
 * A message the link loses resets the pipe, as a broken connection resets a stream.
 */
import {
  IdleTimeoutError, MessageTooLargeError, NoHandlerError, NotStartedError, RateLimitedError, RateLimiter,
  RequestAbortedError, RequestFailedError, RequestTimeoutError
} from '../node/network/index.js'
import type { VirtualClock } from './event-scheduler.js'
import type { MessagePipe, NetworkStats, PipeHandlers, PipeLimits, PipeOptions } from '../node/network/index.js'
import type { TimerHandle } from '../node/clock/index.js'

/** What pipes need of the simulated world (the world implements it). */
export interface PipeWorld {
  readonly latencyMs: number
  readonly requestTimeoutMs: number
  readonly maxMessageBytes: number
  readonly stats: { directLost: number }
  /** schedules one delivery of `bytes` from `from` to `to`; false when it is lost */
  transmit: (from: string, to: string, bytes: number, kind: string, label: string, deliver: () => void) => boolean
  peer: (peerId: string) => { isStarted: () => boolean, pipeHost: () => PipeHost } | undefined
}

/** What one end of a pipe needs of the peer it belongs to. */
export interface PipeHost {
  readonly peerId: string
  readonly world: PipeWorld
  readonly clock: VirtualClock
  readonly counters: NetworkStats['direct']
  isStarted: () => boolean
  /** the pipes this peer serves on a protocol, if any */
  pipeServer: (protocol: string) => PipeServer | undefined
  /** remembers an open end, to end it when the peer stops */
  track: (end: PipeEnd) => void
  untrack: (end: PipeEnd) => void
}

/** How a peer serves the pipes of one protocol. */
export interface PipeServer {
  accept: (pipe: MessagePipe) => PipeHandlers
  limits: PipeLimits
  maxMessageBytes: number
  maxInboundStreams: number
  open: number
}

/** One end of a simulated pipe. */
export class PipeEnd implements MessagePipe {
  readonly remotePeer: string
  private readonly host: PipeHost
  private readonly protocol: string
  private readonly maxMessageBytes: number
  private readonly limits: PipeLimits
  private readonly limiter?: RateLimiter
  private peer?: PipeEnd
  private handlers?: PipeHandlers
  private ended = false
  private idleTimer?: TimerHandle
  private readonly onEnd?: () => void

  constructor (host: PipeHost, remotePeer: string, protocol: string, maxMessageBytes: number, limits: PipeLimits, onEnd?: () => void) {
    this.host = host
    this.remotePeer = remotePeer
    this.protocol = protocol
    this.maxMessageBytes = maxMessageBytes
    this.limits = limits
    if (limits.rateLimit != null) this.limiter = new RateLimiter({ limit: limits.rateLimit, maxKeys: 1, now: () => host.clock.now() })
    if (onEnd != null) this.onEnd = onEnd
  }

  get open (): boolean {
    return !this.ended
  }

  /** Joins this end to the other and starts delivering to `handlers`. */
  start (peer: PipeEnd, handlers: PipeHandlers): void {
    this.peer = peer
    this.handlers = handlers
    this.host.track(this)
    this.touch()
  }

  send (data: Uint8Array): void {
    if (this.ended) throw new RequestFailedError(`pipe ${this.protocol} to ${this.remotePeer} is closed`)
    if (data.byteLength > this.maxMessageBytes) throw new MessageTooLargeError(`message of ${data.byteLength} bytes exceeds ${this.maxMessageBytes}`)
    const copy = data.slice()
    this.host.counters.messagesOut++
    this.host.counters.bytesOut += copy.byteLength
    this.touch()
    const peer = this.peer
    const sent = this.host.world.transmit(this.host.peerId, this.remotePeer, copy.byteLength, 'pipe', this.protocol, () => { peer?.receive(copy) })
    if (!sent) {
      this.host.world.stats.directLost++
      this.end(new RequestFailedError(`pipe ${this.protocol} to ${this.remotePeer} reset: a message was lost`), true)
    }
  }

  close (): void {
    this.end(undefined, true)
  }

  abort (reason?: Error): void {
    this.end(reason ?? new RequestAbortedError(`pipe ${this.protocol} to ${this.remotePeer} aborted`), true)
  }

  /** A message from the other end arrives. */
  receive (data: Uint8Array): void {
    if (this.ended) return
    if (this.limiter != null && !this.limiter.take('pipe')) {
      this.end(new RateLimitedError(`${this.protocol} from ${this.remotePeer}: more messages than the pipe allows`), true)
      return
    }
    this.host.counters.messagesIn++
    this.host.counters.bytesIn += data.byteLength
    this.touch()
    this.handlers?.onMessage(data)
  }

  /**
   * Ends this end (once): its handlers hear `onClose(err)`; with `tell`, the other end learns
   * of it after the link's latency, as a reset (with an error) or a close.
   */
  end (err?: Error, tell = false): void {
    if (this.ended) return
    this.ended = true
    if (this.idleTimer != null) this.host.clock.clearTimeout(this.idleTimer)
    this.host.untrack(this)
    this.onEnd?.()
    const peer = this.peer
    if (tell && peer != null) {
      const reset = err != null ? new RequestFailedError(`pipe ${this.protocol} reset by ${this.host.peerId}`) : undefined
      this.host.world.transmit(this.host.peerId, this.remotePeer, 0, 'pipe', this.protocol, () => { peer.end(reset) })
    }
    try {
      this.handlers?.onClose?.(err)
    } catch {}
  }

  private touch (): void {
    const idleMs = this.limits.idleTimeoutMs
    if (idleMs == null || this.ended) return
    if (this.idleTimer != null) this.host.clock.clearTimeout(this.idleTimer)
    this.idleTimer = this.host.clock.setTimeout(() => {
      this.end(new IdleTimeoutError(`pipe ${this.protocol} with ${this.remotePeer} idle for ${idleMs} ms`), true)
    }, idleMs)
  }
}

/** Opens a pipe from `host` to `peerId` (see `Network.openPipe`). */
export async function openSimulatedPipe (host: PipeHost, peerId: string, protocol: string, handlers: PipeHandlers, options: PipeOptions): Promise<MessagePipe> {
  if (!host.isStarted()) throw new NotStartedError('Network not started')
  options.signal?.throwIfAborted()
  const timeoutMs = options.timeoutMs ?? host.world.requestTimeoutMs
  const maxMessageBytes = options.maxMessageBytes ?? host.world.maxMessageBytes
  // a dial and a stream open: a round trip
  const roundTrip = 2 * host.world.latencyMs
  if (roundTrip >= timeoutMs) {
    await host.clock.sleep(timeoutMs, options)
    throw new RequestTimeoutError(`pipe ${protocol} to ${peerId} timed out after ${timeoutMs}ms`)
  }
  await host.clock.sleep(roundTrip, options)
  const target = host.world.peer(peerId)
  if (target == null || !target.isStarted() || peerId === host.peerId) {
    host.counters.failedRequests++
    throw new RequestFailedError(`cannot dial ${peerId}`)
  }
  const server = target.pipeHost().pipeServer(protocol)
  if (server == null) {
    host.counters.failedRequests++
    throw new NoHandlerError(`peer does not handle ${protocol} to ${peerId}`)
  }
  if (server.open >= server.maxInboundStreams) {
    host.counters.failedRequests++
    throw new RequestFailedError(`${protocol} to ${peerId}: too many pipes`)
  }
  const remoteHost = target.pipeHost()
  server.open++
  const local = new PipeEnd(host, peerId, protocol, maxMessageBytes, options)
  const remote = new PipeEnd(remoteHost, host.peerId, protocol, server.maxMessageBytes, server.limits, () => { server.open-- })
  let accepted: PipeHandlers
  try {
    accepted = server.accept(remote)
  } catch (err) {
    server.open--
    remoteHost.counters.failedHandlers++
    throw new RequestFailedError(`${protocol} to ${peerId}: the peer refused the pipe`, { cause: err })
  }
  remote.start(local, accepted)
  local.start(remote, handlers)
  return local
}
