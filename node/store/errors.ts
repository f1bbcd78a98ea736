import { ErrorFamily } from '../../protocol/index.js'

/** Every code a {@link StoreError} can carry */
export type StoreErrorCode = 'ERR_CORRUPT_RECORD' | 'ERR_INVALID_ID' | 'ERR_STORE_CLOSED'

/** A record could not be read or written. One class per failure below. */
export abstract class StoreError extends ErrorFamily<StoreErrorCode> {}

/** A stored record does not decode. */
export class CorruptRecordError extends StoreError { static readonly code: StoreErrorCode = 'ERR_CORRUPT_RECORD' }

/** A record id is not of the right form. */
export class InvalidRecordIdError extends StoreError { static readonly code: StoreErrorCode = 'ERR_INVALID_ID' }

/** The store is closed. */
export class StoreClosedError extends StoreError { static readonly code: StoreErrorCode = 'ERR_STORE_CLOSED' }
