import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '@libp2p/logger'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { RideStore } from './ride-store.js'
import type { Datastore } from 'interface-datastore'

const log = logger('hitch:store')

/** Folder of the LevelDB database inside the data directory */
export const DATASTORE_DIR = 'datastore'

/**
 * A node's storage: one datastore shared by libp2p (pass `datastore` to the
 * libp2p composition root: peer store, DHT records) and the app records in
 * `rides`, each under its own key namespace.
 */
export interface NodeStore {
  datastore: Datastore
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
  const rides = new RideStore({
    datastore,
    durablePut: async (key, value) => {
      // datastore-level does not pass write options through, so durable
      // writes go to the Level instance with the same key encoding
      await datastore.db.put(key.toString(), value, { sync: true })
    }
  })
  let closed = false
  return {
    datastore,
    rides,
    close: async () => {
      if (closed) {
        return
      }
      closed = true
      await datastore.close()
      log('closed %s', path)
    }
  }
}

/** The same store in memory, for unit tests and simulations */
export function memoryStore (): NodeStore {
  const datastore = new MemoryDatastore()
  return {
    datastore,
    rides: new RideStore({ datastore }),
    close: async () => {}
  }
}
