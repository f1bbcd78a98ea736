/**
 * Durable storage of channel records: one JSON record per channel under `/hitch/channels/<id>`,
 * written with fsync, and the last chain block the watcher has seen. Concurrent writes are
 * group-committed: while one fsynced batch is being written, later writes queue, and the next
 * batch writes each queued channel once, as it is at that moment. A write resolves only once a
 * batch holding the channel's state at least as new as the caller's is on disk.
 */
import { Key, type Datastore } from 'interface-datastore'
import type { Address, Hex } from 'viem'
import type { Channel, CoSignedState, ProposedState } from '../../protocol/channel/index.js'
import type { ChannelState } from '../../protocol/channel/index.js'
import type { DurableBatch, DurableStore } from '../store/index.js'

/** Namespace of channel records: `/hitch/channels/<channelId>` */
export const CHANNELS_PREFIX = '/hitch/channels'
/** Key of the last block the watcher has handled */
export const WATCH_BLOCK_KEY = new Key('/hitch/channel-watch/block')
/** Namespace of opens in flight: `/hitch/channel-intents/<driver address>` */
export const INTENTS_PREFIX = '/hitch/channel-intents'

/**
 * A rider's open that was about to be sent: written (fsynced) before the transaction, removed
 * once the channel is stored, so a crash in between leaves a trace to find the deposit by.
 */
export interface OpenIntent {
  driver: Address
  /** the driver's peer id */
  peer: string
  /** the chain's block number before the transaction was sent */
  fromBlock: bigint
}

type Json = Record<string, unknown>

function stateToJson (s: ChannelState): Json {
  return { channelId: s.channelId, nonce: s.nonce.toString(), balanceRider: s.balanceRider.toString(), balanceDriver: s.balanceDriver.toString(), tripRecordHash: s.tripRecordHash }
}

function stateFromJson (j: any): ChannelState {
  return { channelId: j.channelId, nonce: BigInt(j.nonce), balanceRider: BigInt(j.balanceRider), balanceDriver: BigInt(j.balanceDriver), tripRecordHash: j.tripRecordHash }
}

/** A channel record as JSON (amounts and nonces as decimal strings). */
export function channelToJson (c: Channel): Json {
  return {
    v: 1,
    channelId: c.channelId,
    role: c.role,
    rider: c.rider,
    driver: c.driver,
    peer: c.peer,
    deposit: c.deposit.toString(),
    latest: c.latest != null ? { state: stateToJson(c.latest.state), riderSig: c.latest.riderSig, driverSig: c.latest.driverSig } : null,
    proposals: c.proposals.map(p => ({ state: stateToJson(p.state), riderSig: p.riderSig })),
    phase: c.phase,
    final: c.final != null ? { state: stateToJson(c.final.state), riderSig: c.final.riderSig ?? null, driverSig: c.final.driverSig ?? null } : null,
    closing: c.closing != null ? { nonce: c.closing.nonce.toString(), closesAt: c.closing.closesAt.toString(), by: c.closing.by } : null,
    owedToDriver: c.owedToDriver.toString()
  }
}

/** The inverse of `channelToJson`. */
export function channelFromJson (j: any): Channel {
  const latest: CoSignedState | undefined = j.latest != null
    ? { state: stateFromJson(j.latest.state), riderSig: j.latest.riderSig as Hex, driverSig: j.latest.driverSig as Hex }
    : undefined
  const proposals: ProposedState[] = (j.proposals as any[]).map(p => ({ state: stateFromJson(p.state), riderSig: p.riderSig as Hex }))
  return {
    channelId: j.channelId as Hex,
    role: j.role,
    rider: j.rider as Address,
    driver: j.driver as Address,
    peer: j.peer,
    deposit: BigInt(j.deposit),
    ...(latest != null ? { latest } : {}),
    proposals,
    phase: j.phase,
    ...(j.final != null
      ? {
          final: {
            state: stateFromJson(j.final.state),
            ...(j.final.riderSig != null ? { riderSig: j.final.riderSig as Hex } : {}),
            ...(j.final.driverSig != null ? { driverSig: j.final.driverSig as Hex } : {})
          }
        }
      : {}),
    ...(j.closing != null ? { closing: { nonce: BigInt(j.closing.nonce), closesAt: BigInt(j.closing.closesAt), by: j.closing.by as Address } } : {}),
    owedToDriver: BigInt(j.owedToDriver)
  }
}

function intentKey (driver: Address): Key {
  return new Key(`${INTENTS_PREFIX}/${driver.toLowerCase()}`)
}

/** Statistics of the group commit (for the benchmark). */
export interface ChannelStoreStats {
  /** fsynced batches written */
  batches: number
  /** channel records written (a record queued twice between batches counts once) */
  records: number
  /** writes asked for (`save` calls, one per state to persist) that the batches covered */
  saves: number
}

/** Channel records in a datastore, with group-committed fsynced writes. */
export class ChannelStore {
  private readonly datastore: Datastore
  private readonly syncedBatch: DurableBatch
  private readonly queued = new Map<string, () => Channel>()
  private flushing: Promise<void> | undefined
  private waiters: Array<{ resolve: () => void, reject: (err: unknown) => void }> = []
  readonly stats: ChannelStoreStats = { batches: 0, records: 0, saves: 0 }

  constructor (store: DurableStore) {
    this.datastore = store.datastore
    this.syncedBatch = store.durableBatch
  }

  /** Every stored channel. */
  async loadAll (): Promise<Channel[]> {
    const out: Channel[] = []
    for await (const { value } of this.datastore.query({ prefix: `${CHANNELS_PREFIX}/` })) {
      out.push(channelFromJson(JSON.parse(new TextDecoder().decode(value))))
    }
    return out
  }

  /**
   * Writes the channel durably. `current` is read when the batch is written, so a later state
   * queued meanwhile is written once, in the same batch.
   */
  async save (channelId: Hex, current: () => Channel): Promise<void> {
    this.queued.set(channelId, current)
    const done = new Promise<void>((resolve, reject) => { this.waiters.push({ resolve, reject }) })
    this.flushing ??= this.flushLoop()
    await done
  }

  /** Records an open about to be sent (fsynced before it returns). */
  async saveIntent (intent: OpenIntent): Promise<void> {
    const json = { driver: intent.driver, peer: intent.peer, fromBlock: intent.fromBlock.toString() }
    await this.syncedBatch([{ key: intentKey(intent.driver), value: new TextEncoder().encode(JSON.stringify(json)) }])
  }

  /** Forgets an open once its channel is stored. */
  async deleteIntent (driver: Address): Promise<void> {
    await this.datastore.delete(intentKey(driver))
  }

  /** Opens that were sent but whose channel may not be stored (a crash between the two). */
  async loadIntents (): Promise<OpenIntent[]> {
    const out: OpenIntent[] = []
    for await (const { value } of this.datastore.query({ prefix: `${INTENTS_PREFIX}/` })) {
      const j = JSON.parse(new TextDecoder().decode(value))
      out.push({ driver: j.driver as Address, peer: j.peer, fromBlock: BigInt(j.fromBlock) })
    }
    return out
  }

  /** The last block the watcher handled, if any. */
  async watchBlock (): Promise<bigint | undefined> {
    if (!(await this.datastore.has(WATCH_BLOCK_KEY))) return undefined
    return BigInt(new TextDecoder().decode(await this.datastore.get(WATCH_BLOCK_KEY)))
  }

  /** Remembers the last block handled (not fsynced: rescanning a few blocks is harmless). */
  async setWatchBlock (block: bigint): Promise<void> {
    await this.datastore.put(WATCH_BLOCK_KEY, new TextEncoder().encode(block.toString()))
  }

  /** Resolves once every queued write is on disk. */
  async drain (): Promise<void> {
    await this.flushing
  }

  private async flushLoop (): Promise<void> {
    try {
      while (this.queued.size > 0) {
        const entries = [...this.queued.entries()]
        const waiters = this.waiters
        this.queued.clear()
        this.waiters = []
        try {
          await this.syncedBatch(entries.map(([id, current]) => ({
            key: new Key(`${CHANNELS_PREFIX}/${id}`),
            value: new TextEncoder().encode(JSON.stringify(channelToJson(current())))
          })))
          this.stats.batches++
          this.stats.records += entries.length
          this.stats.saves += waiters.length
          for (const w of waiters) w.resolve()
        } catch (err) {
          for (const w of waiters) w.reject(err)
        }
      }
    } finally {
      this.flushing = undefined
    }
  }
}
