import { InvalidParametersError } from '@libp2p/interface'

/** Options of {@link ReplayCache}. */
export interface ReplayCacheInit {
  /**
   * Most message ids remembered. When full, expired ids go first, then the oldest inserted.
   * A message evicted early could be replayed until it expires, so size this above the number
   * of messages a node sees within the longest allowed lifetime.
   *
   * @default 65536
   */
  maxEntries?: number

  /**
   * Told of every id added (not of ids restored with `restore`): how a node persists the
   * cache without the protocol touching a disk.
   *
   * @default none
   */
  onAdd?: (msgId: string, expiresAt: number) => void
}

/** @see ReplayCacheInit.maxEntries */
export const DEFAULT_REPLAY_CACHE_ENTRIES = 65536

/**
 * Remembers message ids until they expire, so a replay within a message's lifetime is seen.
 * Pure: it never reads a clock, the caller passes `now`. Bounded by `maxEntries`.
 */
export class ReplayCache {
  readonly maxEntries: number
  /** msgId -> expiresAt, in insertion order */
  private readonly entries = new Map<string, number>()
  private readonly onAdd?: (msgId: string, expiresAt: number) => void
  /** ids inserted so far, and the count at which a full cache may prune again */
  private inserts = 0
  private nextPruneAt = 0

  constructor (init: ReplayCacheInit = {}) {
    this.maxEntries = init.maxEntries ?? DEFAULT_REPLAY_CACHE_ENTRIES
    this.onAdd = init.onAdd
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new InvalidParametersError('maxEntries must be a positive integer')
    }
  }

  /** Number of ids held (including expired ones not yet pruned). */
  get size (): number {
    return this.entries.size
  }

  /** True when `msgId` was added and has not expired at `now`. */
  has (msgId: string, now: number): boolean {
    const expiresAt = this.entries.get(msgId)
    return expiresAt != null && expiresAt >= now
  }

  /** Remembers `msgId` until `expiresAt` (ms since the epoch). */
  add (msgId: string, expiresAt: number, now: number): void {
    this.restore(msgId, expiresAt, now)
    this.onAdd?.(msgId, expiresAt)
  }

  /** Remembers `msgId` like `add`, without telling `onAdd` (ids read back from a store). */
  restore (msgId: string, expiresAt: number, now: number): void {
    this.entries.delete(msgId)
    this.inserts++
    if (this.entries.size >= this.maxEntries && this.inserts >= this.nextPruneAt) {
      // a full scan at most once per eighth of the capacity inserted: a full cache of
      // unexpired ids (a flood) would otherwise scan them all at every insert
      this.prune(now)
      this.nextPruneAt = this.inserts + Math.max(1, this.maxEntries >> 3)
    }
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
    }
    this.entries.set(msgId, expiresAt)
  }

  /** Adds `msgId` and returns true, or returns false if it is already held: one call for "seen?". */
  checkAndAdd (msgId: string, expiresAt: number, now: number): boolean {
    if (this.has(msgId, now)) {
      return false
    }
    this.add(msgId, expiresAt, now)
    return true
  }

  /** Forgets every id expired at `now`. */
  prune (now: number): void {
    for (const [id, expiresAt] of this.entries) {
      if (expiresAt < now) {
        this.entries.delete(id)
      }
    }
  }
}
