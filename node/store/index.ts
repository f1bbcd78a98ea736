/**
 * @packageDocumentation
 *
 * The node's storage: LevelDB (or memory) shared by libp2p and the typed app
 * records of {@link RideStore}.
 */
export { openStore, memoryStore, memoryDurableStore, DATASTORE_DIR } from './open-store.js'
export type { NodeStore, DurableStore, DurableBatch } from './open-store.js'
export { RideStore, RIDES_PREFIX, TRIPS_PREFIX } from './ride-store.js'
export type { DurablePut, RideStoreInit, RideSummary, StoredTripRecord } from './ride-store.js'
export { StoreError, CorruptRecordError, InvalidRecordIdError, StoreClosedError } from './errors.js'
export type { StoreErrorCode } from './errors.js'
