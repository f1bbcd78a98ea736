import { RateLimiter } from './rate-limiter.js'
import type { RateLimit } from './rate-limiter.js'

/** @see HandleOptions.rateLimit */
export const DEFAULT_REQUEST_RATE_LIMIT: RateLimit = Object.freeze({ perSecond: 50, burst: 100 })
/** @see Libp2pNetworkInit.maxConcurrentHandlers */
export const DEFAULT_MAX_CONCURRENT_HANDLERS = 256
/** @see HandlePipeOptions.maxPipesPerPeer */
export const DEFAULT_MAX_PIPES_PER_PEER = 8
/** @see HandlePipeOptions.maxPipes */
export const DEFAULT_MAX_PIPES = 256

/** Takes a slot for a peer, or undefined when a limit says no; the caller releases the slot once done */
export type Admit = (peer: string) => (() => void) | undefined

/** Options of {@link InboundLimits} */
export interface InboundLimitsInit {
  /** @default DEFAULT_MAX_CONCURRENT_HANDLERS */
  maxConcurrentHandlers?: number
  /** monotonic ms. @default performance.now */
  now?: () => number
}

/**
 * Bounds on inbound direct streams of one node: per peer and protocol, a request rate and a
 * number served at once; in all, a number of handlers at once; for pipes, a number held open
 * per peer and in all. Counting is per peer id, so a peer's several connections share its
 * budget (libp2p's `maxInboundStreams` counts per connection).
 */
export class InboundLimits {
  private readonly maxConcurrentHandlers: number
  private readonly now?: () => number
  private handlers = 0
  private readonly counters = { requests: 0, pipes: 0 }

  constructor (init: InboundLimitsInit = {}) {
    this.maxConcurrentHandlers = init.maxConcurrentHandlers ?? DEFAULT_MAX_CONCURRENT_HANDLERS
    this.now = init.now
  }

  /** The admission of request streams of one protocol (call once per `handle`) */
  forRequests (options: { rateLimit?: RateLimit | false, maxConcurrentPerPeer: number }): Admit {
    const limit = options.rateLimit ?? DEFAULT_REQUEST_RATE_LIMIT
    const rate = limit === false ? undefined : new RateLimiter({ limit, now: this.now })
    const active = new Map<string, number>()
    return (peer) => {
      const busy = active.get(peer) ?? 0
      if (busy >= options.maxConcurrentPerPeer || this.handlers >= this.maxConcurrentHandlers || (rate != null && !rate.take(peer))) {
        this.counters.requests++
        return undefined
      }
      active.set(peer, busy + 1)
      this.handlers++
      let released = false
      return () => {
        if (released) return
        released = true
        this.handlers--
        const left = (active.get(peer) ?? 1) - 1
        if (left <= 0) active.delete(peer)
        else active.set(peer, left)
      }
    }
  }

  /** The admission of inbound pipes of one protocol (call once per `handlePipe`) */
  forPipes (options: { maxPipesPerPeer?: number, maxPipes?: number }): Admit {
    const perPeer = options.maxPipesPerPeer ?? DEFAULT_MAX_PIPES_PER_PEER
    const all = options.maxPipes ?? DEFAULT_MAX_PIPES
    const open = new Map<string, number>()
    let total = 0
    return (peer) => {
      const held = open.get(peer) ?? 0
      if (held >= perPeer || total >= all) {
        this.counters.pipes++
        return undefined
      }
      open.set(peer, held + 1)
      total++
      let released = false
      return () => {
        if (released) return
        released = true
        total--
        const left = (open.get(peer) ?? 1) - 1
        if (left <= 0) open.delete(peer)
        else open.set(peer, left)
      }
    }
  }

  stats (): { requests: number, pipes: number } {
    return { ...this.counters }
  }
}
