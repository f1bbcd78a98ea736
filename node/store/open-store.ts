import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { RideStore } from './ride-store.js'
import type { Datastore, Key } from 'interface-datastore'

const log = logger('hitch:store')

/** Folder of the LevelDB database inside the data directory */
export const DATASTORE_DIR = 'datastore'

/**
 * Writes entries so that they survive a crash of the process or the machine. The contract:
 * the promise resolves only once every entry is on stable storage (fsynced), all of them or
 * none; a caller that signs something it wrote sends the signature only after it resolves.
 */
export type DurableBatch = (entries: Array<{ key: Key, value: Uint8Array }>) => Promise<void>

/** A datastore with its durable write: what the records that are money or evidence need. */
export interface DurableStore {
  datastore: Datastore
  /** @see DurableBatch */
  durableBatch: DurableBatch
}

/**
 * A node's storage: one datastore shared by libp2p (pass `datastore` to the
 * libp2p composition root: peer store, DHT records) and the app records in
 * `rides`, each under its own key namespace.
 */
export interface NodeStore extends DurableStore {
  rides: RideStore
  /** Close the database; idempotent. Stop libp2p first, it writes here too. */
  close(): Promise<void>
}

/**
 * Open (creating if needed) the LevelDB store at `<dataDir>/datastore`.
 * Trip records are written with LevelDB's `sync: true` (fsync).
 */
export async function openStore (dataDir: string): Promise<NodeStore> {
  const path = join(dataDir, DATASTORE_DIR)
  await mkdir(path, { recursive: true, mode: 0o700 })
  const datastore = new LevelDatastore(path)
  await datastore.open()
  log('opened %s', path)
  // datastore-level does not pass write options through: durable writes go to its Level
  // instance (a public field) with the same key encoding, in one synced batch
  const durableBatch: DurableBatch = async entries => {
    await datastore.db.batch(entries.map(e => ({ type: 'put', key: e.key.toString(), value: e.value })), { sync: true })
  }
  let closed = false
  const store: NodeStore = {
    datastore,
    durableBatch,
    // through the store's own durableBatch, so that a wrapper of it (metrics) sees these too
    rides: new RideStore({ datastore, durablePut: async (key, value) => { await store.durableBatch([{ key, value }]) } }),
    close: async () => {
      if (closed) {
        return
      }
      closed = true
      await datastore.close()
      log('closed %s', path)
    }
  }
  return store
}

/** The same store in memory, for unit tests and simulations */
export function memoryStore (): NodeStore {
  const datastore = new MemoryDatastore()
  return {
    ...memoryDurableStore(datastore),
    rides: new RideStore({ datastore }),
    close: async () => {}
  }
}

/**
 * A datastore that holds nothing across a crash (memory, tests) as a {@link DurableStore}: its
 * "durable" batch is the datastore's batch. Never for a datastore on disk.
 */
export function memoryDurableStore (datastore: Datastore): DurableStore {
  return {
    datastore,
    durableBatch: async entries => {
      const batch = datastore.batch()
      for (const e of entries) batch.put(e.key, e.value)
      await batch.commit()
    }
  }
}
