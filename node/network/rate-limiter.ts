import { InvalidParametersError } from '@libp2p/interface'

/** A token-bucket limit: `burst` at once, refilled at `perSecond` */
export interface RateLimit {
  /** tokens added per second (steady rate) */
  perSecond: number
  /** most tokens held (what may come at once after a quiet time) */
  burst: number
}

/** Options of {@link RateLimiter} */
export interface RateLimiterInit {
  /** the limit of every key */
  limit: RateLimit

  /**
   * Most keys tracked; when full, the key used least recently is forgotten (it comes back
   * with a full bucket). Bounds memory against a peer that invents keys.
   *
   * @default 10_000
   */
  maxKeys?: number

  /**
   * Monotonic time in ms (real time: limits protect real CPU and memory, whatever a
   * simulation's clock does).
   *
   * @default performance.now
   */
  now?: () => number
}

/** @default 10_000 */
export const DEFAULT_RATE_LIMITER_KEYS = 10_000

interface Bucket {
  tokens: number
  at: number
}

/**
 * Token buckets by key (a peer, a signer, a topic): `take` says whether one more event fits.
 * O(1) per call, bounded memory.
 */
export class RateLimiter {
  readonly limit: RateLimit
  readonly maxKeys: number
  private readonly now: () => number
  /** in order of last use, least recent first */
  private readonly buckets = new Map<string, Bucket>()

  constructor (init: RateLimiterInit) {
    this.limit = init.limit
    this.maxKeys = init.maxKeys ?? DEFAULT_RATE_LIMITER_KEYS
    this.now = init.now ?? (() => performance.now())
    if (!(init.limit.perSecond > 0) || !(init.limit.burst >= 1)) {
      throw new InvalidParametersError('a rate limit needs perSecond > 0 and burst >= 1')
    }
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new InvalidParametersError('maxKeys must be a positive integer')
    }
  }

  /** Keys tracked */
  get size (): number {
    return this.buckets.size
  }

  /** Takes `cost` tokens of `key` and returns true, or returns false (taking none) when it has fewer */
  take (key: string, cost = 1): boolean {
    const now = this.now()
    let bucket = this.buckets.get(key)
    if (bucket == null) {
      bucket = { tokens: this.limit.burst, at: now }
      if (this.buckets.size >= this.maxKeys) {
        this.buckets.delete(this.buckets.keys().next().value as string)
      }
    } else {
      this.buckets.delete(key)
      bucket.tokens = Math.min(this.limit.burst, bucket.tokens + (now - bucket.at) * this.limit.perSecond / 1000)
      bucket.at = now
    }
    this.buckets.set(key, bucket)
    if (bucket.tokens < cost) {
      return false
    }
    bucket.tokens -= cost
    return true
  }

  /** Forgets a key (e.g. a peer that disconnected) */
  delete (key: string): void {
    this.buckets.delete(key)
  }
}
