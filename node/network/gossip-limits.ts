import { RateLimiter } from './rate-limiter.js'
import type { RateLimit } from './rate-limiter.js'
import type { GossipAdmission, ValidationResult } from './network.js'

export type { GossipAdmission } from './network.js'

/** Options of {@link GossipLimits}; every rate is real time */
export interface GossipLimitsInit {
  /**
   * Every gossip message from one neighbour (gossipsub's propagation source, authenticated by
   * the connection), whatever its topic, signer or kind: counted before gossipsub decodes or
   * verifies it, so that a flood costs almost nothing. Generous, since a neighbour relays the
   * messages of many signers; over it, messages are dropped unread.
   *
   * @default DEFAULT_GOSSIP_SOURCE_LIMIT (50/s, burst 200)
   */
  perSource?: RateLimit

  /**
   * Messages of one signer of one kind, after the signature is checked. A signer over it that
   * sent the message itself (it is the propagation source) is flooding: `reject`, which lowers
   * its gossipsub score; relayed copies are `ignore`d (the relay is not at fault).
   *
   * @default DEFAULT_GOSSIP_SIGNER_LIMITS (by kind), DEFAULT_GOSSIP_SIGNER_LIMIT otherwise
   */
  perSigner?: Partial<Record<string, RateLimit>>

  /**
   * Messages of one kind on one topic, from all signers: bounds the work a topic brings
   * whatever the number of signers; over it, `ignore`. Checked after the signer's budget, so
   * one signer's flood does not use up the topic's.
   *
   * @default DEFAULT_GOSSIP_TOPIC_LIMIT (200/s, burst 400)
   */
  perTopic?: RateLimit

  /**
   * Most peers, signers and topics tracked by each limiter.
   *
   * @default 10_000
   */
  maxKeys?: number

  /**
   * Monotonic time in ms.
   *
   * @default performance.now
   */
  now?: () => number
}

/** @see GossipLimitsInit.perSource */
export const DEFAULT_GOSSIP_SOURCE_LIMIT: RateLimit = Object.freeze({ perSecond: 50, burst: 200 })

/**
 * A signer's own budget by kind: an honest rider re-publishes its request every 1.5 s at the
 * fastest, a driver its offer every few seconds, and a cancel is sent once or twice.
 *
 * @see GossipLimitsInit.perSigner
 */
export const DEFAULT_GOSSIP_SIGNER_LIMITS: Readonly<Record<string, RateLimit>> = Object.freeze({
  'ride-request': Object.freeze({ perSecond: 2, burst: 10 }),
  'vehicle-offer': Object.freeze({ perSecond: 1, burst: 5 }),
  cancel: Object.freeze({ perSecond: 1, burst: 5 })
})

/** A signer's budget for kinds without their own. @see GossipLimitsInit.perSigner */
export const DEFAULT_GOSSIP_SIGNER_LIMIT: RateLimit = Object.freeze({ perSecond: 1, burst: 5 })

/** @see GossipLimitsInit.perTopic */
export const DEFAULT_GOSSIP_TOPIC_LIMIT: RateLimit = Object.freeze({ perSecond: 200, burst: 400 })

/** Counters of {@link GossipLimits} */
export interface GossipLimitStats {
  /** messages dropped unread: their neighbour was over its budget */
  sourceDropped: number
  /** messages over their signer's budget (rejected or ignored) */
  signerLimited: number
  /** messages over their topic's budget (ignored) */
  topicLimited: number
}

/**
 * The gossip rate limits of one node: per neighbour (before any decoding), per signer and
 * kind, and per topic and kind (after the signature). Bounded memory, O(1) per message.
 */
export class GossipLimits {
  private readonly sources: RateLimiter
  private readonly signers = new Map<string, RateLimiter>()
  private readonly topics: RateLimiter
  private readonly signerLimits: Partial<Record<string, RateLimit>>
  private readonly maxKeys?: number
  private readonly now?: () => number
  private readonly counters: GossipLimitStats = { sourceDropped: 0, signerLimited: 0, topicLimited: 0 }

  constructor (init: GossipLimitsInit = {}) {
    this.maxKeys = init.maxKeys
    this.now = init.now
    this.sources = new RateLimiter({ limit: init.perSource ?? DEFAULT_GOSSIP_SOURCE_LIMIT, maxKeys: init.maxKeys, now: init.now })
    this.topics = new RateLimiter({ limit: init.perTopic ?? DEFAULT_GOSSIP_TOPIC_LIMIT, maxKeys: init.maxKeys, now: init.now })
    this.signerLimits = { ...DEFAULT_GOSSIP_SIGNER_LIMITS, ...init.perSigner }
  }

  /** One more message from neighbour `source`: false when it is over its budget (drop it unread) */
  fromSource (source: string): boolean {
    if (this.sources.take(source)) {
      return true
    }
    this.counters.sourceDropped++
    return false
  }

  /** The verdict of the rate limits on a message whose signature verified */
  admit (m: GossipAdmission): ValidationResult {
    if (!this.signerLimiter(m.kind).take(m.signer)) {
      this.counters.signerLimited++
      return m.source === m.signer ? 'reject' : 'ignore'
    }
    if (!this.topics.take(`${m.kind}\n${m.topic}`)) {
      this.counters.topicLimited++
      return 'ignore'
    }
    return 'accept'
  }

  stats (): GossipLimitStats {
    return { ...this.counters }
  }

  private signerLimiter (kind: string): RateLimiter {
    let limiter = this.signers.get(kind)
    if (limiter == null) {
      // kinds come from decoded messages: a small, fixed set
      limiter = new RateLimiter({ limit: this.signerLimits[kind] ?? DEFAULT_GOSSIP_SIGNER_LIMIT, maxKeys: this.maxKeys, now: this.now })
      this.signers.set(kind, limiter)
    }
    return limiter
  }
}
