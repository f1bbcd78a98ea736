import { Key } from 'interface-datastore'
import { CorruptRecordError, InvalidRecordIdError } from './errors.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** Namespace of ride summaries: `/hitch/rides/<id>` */
export const RIDES_PREFIX = '/hitch/rides'

/** Namespace of trip records: `/hitch/trips/<id>` */
export const TRIPS_PREFIX = '/hitch/trips'

/** A ride as this node remembers it; roles may add fields (JSON values only) */
export interface RideSummary {
  id: string
  role: 'driver' | 'rider'
  /** Peer id of the other party */
  counterparty: string
  status: string
  /** Clock time (ms) */
  createdAt: number
  /** Clock time (ms) */
  updatedAt: number
  [field: string]: unknown
}

/** A signed trip record as JSON (its shape belongs to `protocol/`) */
export interface StoredTripRecord {
  id: string
  [field: string]: unknown
}

/**
 * Writes that must survive a power cut (a trip record, a signed state) go
 * through this; the LevelDB store fsyncs them, the memory store just puts.
 */
export type DurablePut = (key: Key, value: Uint8Array, options?: AbortOptions) => Promise<void>

/** Options for {@link RideStore} */
export interface RideStoreInit {
  datastore: Datastore
  /** @default datastore.put (no fsync) */
  durablePut?: DurablePut
}

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/

/**
 * Typed app records over any `Datastore` (LevelDB in a node, memory in
 * tests), JSON-encoded under namespaced keys. Trip records are written
 * durably (fsync) because they are evidence; ride summaries are not, since
 * they can be rebuilt.
 */
export class RideStore {
  private readonly datastore: Datastore
  private readonly durablePut: DurablePut

  constructor (init: RideStoreInit) {
    this.datastore = init.datastore
    this.durablePut = init.durablePut ?? (async (key, value, options) => { await this.datastore.put(key, value, options) })
  }

  async putRide (ride: RideSummary, options?: AbortOptions): Promise<void> {
    await this.datastore.put(recordKey(RIDES_PREFIX, ride.id), encode(ride), options)
  }

  async getRide (id: string, options?: AbortOptions): Promise<RideSummary | undefined> {
    return this.read<RideSummary>(recordKey(RIDES_PREFIX, id), options)
  }

  /** All rides, ordered by id */
  async * listRides (options?: AbortOptions): AsyncGenerator<RideSummary> {
    yield * this.list<RideSummary>(RIDES_PREFIX, options)
  }

  /** Stored durably: resolves only once the record is on disk */
  async putTrip (trip: StoredTripRecord, options?: AbortOptions): Promise<void> {
    await this.durablePut(recordKey(TRIPS_PREFIX, trip.id), encode(trip), options)
  }

  async getTrip (id: string, options?: AbortOptions): Promise<StoredTripRecord | undefined> {
    return this.read<StoredTripRecord>(recordKey(TRIPS_PREFIX, id), options)
  }

  /** All trip records, ordered by id */
  async * listTrips (options?: AbortOptions): AsyncGenerator<StoredTripRecord> {
    yield * this.list<StoredTripRecord>(TRIPS_PREFIX, options)
  }

  private async read<T> (key: Key, options?: AbortOptions): Promise<T | undefined> {
    if (!(await this.datastore.has(key, options))) {
      return undefined
    }
    return decode<T>(key, await this.datastore.get(key, options))
  }

  private async * list<T> (prefix: string, options?: AbortOptions): AsyncGenerator<T> {
    const rows: Array<{ key: Key, value: Uint8Array }> = []
    for await (const pair of this.datastore.query({ prefix: `${prefix}/` }, options)) {
      rows.push(pair)
    }
    rows.sort((a, b) => a.key.toString() < b.key.toString() ? -1 : a.key.toString() > b.key.toString() ? 1 : 0)
    for (const row of rows) {
      yield decode<T>(row.key, row.value)
    }
  }
}

function recordKey (prefix: string, id: string): Key {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new InvalidRecordIdError(`record id must match ${ID_PATTERN.source}`)
  }
  return new Key(`${prefix}/${id}`)
}

function encode (value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value))
}

function decode<T> (key: Key, bytes: Uint8Array): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T
  } catch (err) {
    throw new CorruptRecordError(`record ${key.toString()} is not valid JSON`, { cause: err })
  }
}
