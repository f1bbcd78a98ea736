import { InvalidParametersError } from '@libp2p/interface'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import type { CachedKey, EnvelopeCache, OpenedEnvelope, SenderKeys } from './envelope.js'
import type { ValidationError } from './errors.js'

/** Options of {@link VerifyCache}. */
export interface VerifyCacheInit {
  /**
   * Most distinct envelopes remembered (oldest first out).
   *
   * @default DEFAULT_VERIFY_CACHE_ENTRIES (8192)
   */
  maxEntries?: number
  /**
   * Most distinct sender keys remembered, decoded, with their peer ids.
   *
   * @default DEFAULT_VERIFY_CACHE_KEYS (8192)
   */
  maxKeys?: number
}

/** @see VerifyCacheInit.maxEntries */
export const DEFAULT_VERIFY_CACHE_ENTRIES = 8192
/** @see VerifyCacheInit.maxKeys */
export const DEFAULT_VERIFY_CACHE_KEYS = 8192

/**
 * Sender keys decoded before, with their peer ids, by their protobuf bytes: every message of a
 * peer carries the same key. Pure and bounded (oldest first out).
 */
export class SenderKeyCache implements SenderKeys {
  readonly maxKeys: number
  private readonly keys = new Map<string, CachedKey>()

  constructor (maxKeys: number = DEFAULT_VERIFY_CACHE_KEYS) {
    this.maxKeys = maxKeys
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) {
      throw new InvalidParametersError('maxKeys must be a positive integer')
    }
  }

  /** Keys held */
  get size (): number {
    return this.keys.size
  }

  /** A sender key decoded before, by its protobuf bytes */
  get (protobuf: Uint8Array): CachedKey | undefined {
    return this.keys.get(uint8ArrayToString(protobuf, 'base64'))
  }

  /** Remembers a decoded sender key by its protobuf bytes */
  set (protobuf: Uint8Array, key: CachedKey): void {
    remember(this.keys, uint8ArrayToString(protobuf, 'base64'), key, this.maxKeys)
  }
}

/**
 * What opening an envelope gave, keyed by the exact envelope bytes: the opened envelope, or
 * the error it failed with. Opening (decoding, signature check, body decoding) depends on the
 * bytes alone, not on the clock, the topic or replays, so its result can be shared: by every
 * receiver of one gossip message in a simulated world, and in a node by the copies of a message
 * that arrive again (gossip re-sends, a peer replaying). Time, replay and topic checks still run
 * for every receiver. Pure: no clock, no I/O; bounded by `maxEntries` and `maxKeys`.
 *
 * Keying by bytes is sound because an envelope opens only in its one canonical encoding
 * (`protocol/canonical.ts`): a relay cannot make another byte string of the same message that
 * would miss the cache and cost a signature check (a padded varint, a DER variant, high S).
 *
 * Opened envelopes are shared between the callers that open the same bytes: treat them as
 * read-only.
 */
export class VerifyCache implements EnvelopeCache {
  readonly maxEntries: number
  /** the sender keys of the envelopes opened through this cache */
  readonly keys: SenderKeyCache
  private readonly entries = new Map<string, OpenedEnvelope | ValidationError>()
  private hitCount = 0
  private missCount = 0

  constructor (init: VerifyCacheInit = {}) {
    this.maxEntries = init.maxEntries ?? DEFAULT_VERIFY_CACHE_ENTRIES
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new InvalidParametersError('maxEntries must be a positive integer')
    }
    this.keys = new SenderKeyCache(init.maxKeys ?? DEFAULT_VERIFY_CACHE_KEYS)
  }

  /** Envelopes held */
  get size (): number {
    return this.entries.size
  }

  /** Lookups answered from the cache */
  get hits (): number {
    return this.hitCount
  }

  /** Lookups that had to open the envelope */
  get misses (): number {
    return this.missCount
  }

  /** The cache key of some bytes */
  keyOf (bytes: Uint8Array): string {
    return uint8ArrayToString(bytes, 'base64')
  }

  /** The result of opening the bytes with this key, if held (counts a hit or a miss) */
  get (key: string): OpenedEnvelope | ValidationError | undefined {
    const found = this.entries.get(key)
    if (found == null) {
      this.missCount++
    } else {
      this.hitCount++
    }
    return found
  }

  /** Remembers the result of opening the bytes with this key */
  set (key: string, result: OpenedEnvelope | ValidationError): void {
    remember(this.entries, key, result, this.maxEntries)
  }
}

function remember<V> (map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key)
  while (map.size >= max) {
    map.delete(map.keys().next().value as string)
  }
  map.set(key, value)
}
