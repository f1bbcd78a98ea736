import { Key } from 'interface-datastore'
import { ReplayCache } from '../../protocol/index.js'
import type { Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** Namespace of persisted replay ids: `/hitch/replay/<name>/<batch>` */
export const REPLAY_PREFIX = '/hitch/replay'

/** @see ReplayJournalInit.flushIntervalMs */
export const DEFAULT_REPLAY_FLUSH_INTERVAL_MS = 1_000
/** @see ReplayJournalInit.maxPending */
export const DEFAULT_REPLAY_MAX_PENDING = 4_096

/** Options of {@link ReplayJournal} */
export interface ReplayJournalInit {
  datastore: Datastore
  /** which cache: `gossip` or `direct` (one namespace each) */
  name: string
  /** the cache whose ids are persisted (give it `onAdd: journal.record` via `listen`) */
  cache: ReplayCache
  /**
   * Write the ids added since the last write at most this often, real ms: one datastore
   * write per interval, however many messages came.
   *
   * @default DEFAULT_REPLAY_FLUSH_INTERVAL_MS (1 s)
   */
  flushIntervalMs?: number
  /**
   * Write earlier once this many ids are waiting.
   *
   * @default DEFAULT_REPLAY_MAX_PENDING (4096)
   */
  maxPending?: number
  /**
   * Most ids kept on disk; the oldest batches go first.
   *
   * @default the cache's `maxEntries`
   */
  maxEntries?: number
  /** the node's clock, ms since the epoch: the time message expiries are on */
  now: () => number
  log: Logger
}

interface Batch {
  key: Key
  /** latest expiry in the batch */
  expiresAt: number
  count: number
}

/**
 * Persists the ids of a replay cache, so that a restarted node still refuses the messages it
 * accepted within their lifetime (up to 10 minutes). Ids are written in batches (one record
 * per flush interval, or per `maxPending` ids), kept bounded (`maxEntries`, whole batches
 * dropped oldest first) and dropped once every id of a batch has expired.
 *
 * What a crash can still let through: the ids accepted after the last write (at most one
 * flush interval, or `maxPending` ids). Each could be accepted once more after the restart.
 * That is harmless: a direct message is accepted only from its signer (the stream's peer),
 * who could as well sign it again; a gossip message is a signed public request or offer that
 * was valid and is still within its lifetime, and the restarted node has lost what it did
 * with it (its negotiation state lives in memory): hearing it again is hearing a re-publish.
 */
export class ReplayJournal {
  private readonly datastore: Datastore
  private readonly name: string
  private readonly cache: ReplayCache
  private readonly flushIntervalMs: number
  private readonly maxPending: number
  private readonly maxEntries: number
  private readonly log: Logger
  private readonly now: () => number
  private pending: Array<[string, number]> = []
  private readonly batches: Batch[] = []
  private timer?: ReturnType<typeof setTimeout>
  private writing: Promise<void> = Promise.resolve()
  private seq = 0
  private closed = false

  constructor (init: ReplayJournalInit) {
    this.datastore = init.datastore
    this.name = init.name
    this.cache = init.cache
    this.flushIntervalMs = init.flushIntervalMs ?? DEFAULT_REPLAY_FLUSH_INTERVAL_MS
    this.maxPending = init.maxPending ?? DEFAULT_REPLAY_MAX_PENDING
    this.maxEntries = init.maxEntries ?? init.cache.maxEntries
    this.log = init.log
    this.now = init.now
  }

  /** Batches on disk, and ids in them (for tests and metrics) */
  get stored (): { batches: number, ids: number } {
    return { batches: this.batches.length, ids: this.batches.reduce((n, b) => n + b.count, 0) }
  }

  /**
   * Reads the persisted ids back into the cache (those not expired at `now`) and deletes the
   * batches that expired. Call once, before messages arrive.
   */
  async load (): Promise<number> {
    const now = this.now()
    const found: Array<{ key: Key, value: Uint8Array }> = []
    for await (const pair of this.datastore.query({ prefix: this.prefix() })) {
      found.push(pair)
    }
    found.sort((a, b) => compare(a.key.toString(), b.key.toString()))
    const ids: Array<[string, number]> = []
    const expired: Key[] = []
    for (const { key, value } of found) {
      const entries = decode(value)
      const live = entries.filter(([, expiresAt]) => expiresAt >= now)
      if (live.length === 0) {
        expired.push(key)
        continue
      }
      ids.push(...live)
      this.batches.push({ key, expiresAt: Math.max(...entries.map(e => e[1])), count: entries.length })
      this.seq = Math.max(this.seq, sequenceOf(key) + 1)
    }
    // earliest expiry first, so that a full cache keeps the latest
    ids.sort((a, b) => a[1] - b[1])
    for (const [msgId, expiresAt] of ids) {
      this.cache.restore(msgId, expiresAt, now)
    }
    if (expired.length > 0) {
      const batch = this.datastore.batch()
      for (const key of expired) batch.delete(key)
      await batch.commit()
    }
    this.log('replay %s: %d ids restored, %d expired batches dropped', this.name, ids.length, expired.length)
    return ids.length
  }

  /** Queues one id added to the cache; written at the next flush */
  readonly record = (msgId: string, expiresAt: number): void => {
    if (this.closed) {
      return
    }
    this.pending.push([msgId, expiresAt])
    if (this.pending.length >= this.maxPending) {
      void this.flush()
    } else if (this.timer == null) {
      this.timer = setTimeout(() => { void this.flush() }, this.flushIntervalMs)
      this.timer.unref?.()
    }
  }

  /** Writes what is pending (one record) and drops expired and surplus batches */
  async flush (): Promise<void> {
    const now = this.now()
    if (this.timer != null) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const entries = this.pending
    this.pending = []
    // one write at a time, in order
    this.writing = this.writing.then(async () => { await this.write(entries, now) }).catch(err => {
      this.log.error('replay %s: writing %d ids failed - %e', this.name, entries.length, err)
    })
    await this.writing
  }

  /** Writes what is pending and stops; `record` does nothing after */
  async close (): Promise<void> {
    await this.flush()
    this.closed = true
  }

  private async write (entries: Array<[string, number]>, now: number): Promise<void> {
    const batch = this.datastore.batch()
    if (entries.length > 0) {
      const expiresAt = Math.max(...entries.map(e => e[1]))
      const key = new Key(`${this.prefix()}${String(this.seq++).padStart(12, '0')}`)
      batch.put(key, encode(entries))
      this.batches.push({ key, expiresAt, count: entries.length })
    }
    let total = this.batches.reduce((n, b) => n + b.count, 0)
    for (let i = 0; i < this.batches.length;) {
      const b = this.batches[i]
      // a batch goes once all its ids expired, or (oldest first) while there are too many
      if (b.expiresAt < now || (total > this.maxEntries && this.batches.length > 1)) {
        batch.delete(b.key)
        total -= b.count
        this.batches.splice(i, 1)
      } else {
        i++
      }
    }
    await batch.commit()
  }

  private prefix (): string {
    return `${REPLAY_PREFIX}/${this.name}/`
  }
}

/** `expiresAt msgId` lines: message ids hold no spaces or newlines */
function encode (entries: Array<[string, number]>): Uint8Array {
  return new TextEncoder().encode(entries.map(([id, at]) => `${at} ${id}`).join('\n'))
}

function decode (value: Uint8Array): Array<[string, number]> {
  const out: Array<[string, number]> = []
  for (const line of new TextDecoder().decode(value).split('\n')) {
    const space = line.indexOf(' ')
    const at = Number(line.slice(0, space))
    if (space > 0 && Number.isSafeInteger(at)) {
      out.push([line.slice(space + 1), at])
    }
  }
  return out
}

function sequenceOf (key: Key): number {
  const n = Number(key.baseNamespace())
  return Number.isSafeInteger(n) ? n : 0
}

function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Options of {@link journaledReplayCache} */
export interface JournaledReplayCacheInit extends Omit<ReplayJournalInit, 'cache'> {
  /** @see ReplayCacheInit.maxEntries */
  maxEntries?: number
}

/** A replay cache whose added ids a {@link ReplayJournal} persists */
export function journaledReplayCache (init: JournaledReplayCacheInit): { cache: ReplayCache, journal: ReplayJournal } {
  let journal: ReplayJournal | undefined = undefined
  const cache = new ReplayCache({ maxEntries: init.maxEntries, onAdd: (id, at) => { journal?.record(id, at) } })
  journal = new ReplayJournal({ ...init, cache })
  return { cache, journal }
}
