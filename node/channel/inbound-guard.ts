/**
 * What a channel manager lets a peer cost it. Every request is checked here before any work
 * that costs (a signature check, a chain call, a disk write): per-peer request rates, how many
 * pay pipes a peer (and everyone) may hold open, how many unanswered requests a pipe may carry,
 * an idle timeout on pipes, and a separate, tighter budget for the one request that costs a
 * chain call (a proposal on a channel this node does not know yet).
 */
import { WallClock } from '../clock/index.js'
import type { Clock, TimerHandle } from '../clock/index.js'
import type { MessagePipe } from '../network/index.js'

/** A token bucket: `capacity` tokens, refilled at `perSecond`; time is given by the caller (ms). */
export class TokenBucket {
  private tokens: number
  private last: number

  constructor (readonly capacity: number, readonly perSecond: number, now: number) {
    this.tokens = capacity
    this.last = now
  }

  /** Takes one token if there is one. */
  take (now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perSecond / 1000)
      this.last = now
    }
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}

/**
 * One token bucket per peer, at most `maxPeers` of them (the least recently used goes first: a
 * peer that comes back starts with a full bucket, which only the global limits bound).
 */
export class PeerBuckets {
  private readonly buckets = new Map<string, TokenBucket>()

  constructor (private readonly capacity: number, private readonly perSecond: number, private readonly maxPeers = 4096) {}

  take (peer: string, now: number): boolean {
    let bucket = this.buckets.get(peer)
    if (bucket != null) {
      this.buckets.delete(peer)
    } else {
      bucket = new TokenBucket(this.capacity, this.perSecond, now)
      if (this.buckets.size >= this.maxPeers) this.buckets.delete(this.buckets.keys().next().value!)
    }
    this.buckets.set(peer, bucket)
    return bucket.take(now)
  }
}

/** Limits on what peers may cost a channel manager. */
export interface InboundLimits {
  /**
   * Requests a peer may send in a burst (pipe frames and streams together); an honest rider has
   * at most `maxInFlight` proposals in flight.
   * @default 64
   */
  requestBurst?: number
  /**
   * Requests per second a peer may send on average (real time: a flood costs CPU whatever the
   * node's clock says).
   * @default 20
   */
  requestsPerSecond?: number
  /**
   * Pay pipes one peer may hold open to this node at once.
   * @default 2
   */
  maxPipesPerPeer?: number
  /**
   * Pay pipes all peers together may hold open to this node at once.
   * @default 128
   */
  maxPipes?: number
  /**
   * A pay pipe that carried no request for this long is closed (the peer opens another when it
   * needs one), in ms of the manager's clock.
   * @default 60_000
   */
  pipeIdleTimeoutMs?: number
  /**
   * Requests a pipe may have waiting for their answer; a peer that sends more is closed.
   * @default 32
   */
  maxPendingPerPipe?: number
  /**
   * Proposals on channels this node does not know (each costs a chain call) one peer may send in
   * a burst, and per minute on average.
   * @default 4 in a burst, 6 per minute
   */
  unknownChannelBurst?: number
  unknownChannelsPerMinute?: number
  /**
   * The same for all peers together.
   * @default 32 in a burst, 120 per minute
   */
  unknownChannelGlobalBurst?: number
  unknownChannelsGlobalPerMinute?: number
}

export const DEFAULT_INBOUND_LIMITS: Required<InboundLimits> = {
  requestBurst: 64,
  requestsPerSecond: 20,
  maxPipesPerPeer: 2,
  maxPipes: 128,
  pipeIdleTimeoutMs: 60_000,
  maxPendingPerPipe: 32,
  unknownChannelBurst: 4,
  unknownChannelsPerMinute: 6,
  unknownChannelGlobalBurst: 32,
  unknownChannelsGlobalPerMinute: 120
}

interface PipeState { pending: number, idle?: TimerHandle }

/** How long a pipe closed for idleness may take to close before it is reset, ms. */
const CLOSE_GRACE_MS = 5_000

/** The inbound side's accounting: rates per peer, pipes and their idle timers. */
export class InboundGuard {
  readonly limits: Required<InboundLimits>
  private readonly requests: PeerBuckets
  private readonly unknownPerPeer: PeerBuckets
  private readonly unknownGlobal: TokenBucket
  private readonly pipes = new Map<MessagePipe, PipeState>()
  private readonly pipesPerPeer = new Map<string, number>()

  /** real time in ms: what a flood costs is CPU, whatever the node's clock says */
  private readonly now: () => number

  /** the pipes' idle timers: on the manager's clock (virtual in a simulated run) */
  private readonly clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>

  constructor (limits: InboundLimits = {}, now: () => number = () => performance.now(), clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> = new WallClock({ unref: true })) {
    this.now = now
    this.clock = clock
    this.limits = { ...DEFAULT_INBOUND_LIMITS, ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v != null)) }
    const l = this.limits
    this.requests = new PeerBuckets(l.requestBurst, l.requestsPerSecond)
    this.unknownPerPeer = new PeerBuckets(l.unknownChannelBurst, l.unknownChannelsPerMinute / 60)
    this.unknownGlobal = new TokenBucket(l.unknownChannelGlobalBurst, l.unknownChannelsGlobalPerMinute / 60, now())
  }

  /** May `peer` send one more request now? */
  allowRequest (peer: string): boolean {
    return this.requests.take(peer, this.now())
  }

  /** May `peer` make this node look up a channel it does not know (a chain call) now? */
  allowChainLookup (peer: string): boolean {
    const now = this.now()
    return this.unknownPerPeer.take(peer, now) && this.unknownGlobal.take(now)
  }

  /** Pipes open to this node. */
  get openPipes (): number {
    return this.pipes.size
  }

  /** Registers a pipe a peer opened; false when it is one too many (the caller closes it). */
  admitPipe (pipe: MessagePipe): boolean {
    const mine = this.pipesPerPeer.get(pipe.remotePeer) ?? 0
    if (mine >= this.limits.maxPipesPerPeer || this.pipes.size >= this.limits.maxPipes) return false
    this.pipesPerPeer.set(pipe.remotePeer, mine + 1)
    this.pipes.set(pipe, { pending: 0 })
    this.touch(pipe)
    return true
  }

  /** A request arrived on `pipe`: restarts its idle timer. */
  touch (pipe: MessagePipe): void {
    const state = this.pipes.get(pipe)
    if (state == null) return
    if (state.idle != null) this.clock.clearTimeout(state.idle)
    state.idle = this.clock.setTimeout(() => {
      // politely first; a peer that keeps its end open anyway is reset
      pipe.close()
      state.idle = this.clock.setTimeout(() => { this.reset(pipe) }, CLOSE_GRACE_MS)
    }, this.limits.pipeIdleTimeoutMs)
  }

  /**
   * Resets a pipe whose peer misbehaved (too many pipes, too many requests): at once, and out of
   * the accounting, whatever the peer does with its end.
   */
  reset (pipe: MessagePipe): void {
    this.removePipe(pipe)
    if (pipe.abort != null) pipe.abort()
    else pipe.close()
  }

  /** Whether `pipe` is still one this node serves. */
  serves (pipe: MessagePipe): boolean {
    return this.pipes.has(pipe)
  }

  /** A request on `pipe` is being served; false when the pipe carries too many already. */
  begin (pipe: MessagePipe): boolean {
    const state = this.pipes.get(pipe)
    if (state == null) return false
    if (state.pending >= this.limits.maxPendingPerPipe) return false
    state.pending++
    return true
  }

  /** A request on `pipe` was answered. */
  end (pipe: MessagePipe): void {
    const state = this.pipes.get(pipe)
    if (state != null && state.pending > 0) state.pending--
  }

  /** The pipe closed. */
  removePipe (pipe: MessagePipe): void {
    const state = this.pipes.get(pipe)
    if (state == null) return
    if (state.idle != null) this.clock.clearTimeout(state.idle)
    this.pipes.delete(pipe)
    const mine = (this.pipesPerPeer.get(pipe.remotePeer) ?? 1) - 1
    if (mine <= 0) this.pipesPerPeer.delete(pipe.remotePeer)
    else this.pipesPerPeer.set(pipe.remotePeer, mine)
  }

  /** Closes every pipe (the manager stops). */
  closeAll (): void {
    for (const pipe of [...this.pipes.keys()]) {
      this.removePipe(pipe)
      pipe.close()
    }
  }
}
