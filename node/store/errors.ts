import { CodedError } from '../../protocol/index.js'

/** Every code a {@link StoreError} can carry */
export type StoreErrorCode = 'ERR_CORRUPT_RECORD' | 'ERR_INVALID_ID' | 'ERR_STORE_CLOSED'

/** A record could not be read or written. One class per failure below. */
export abstract class StoreError extends CodedError<StoreErrorCode> {}

/** A stored record does not decode. */
export class CorruptRecordError extends StoreError {
  static readonly NAME = 'CorruptRecordError'
  override readonly name = CorruptRecordError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_CORRUPT_RECORD', message, options) }
}

/** A record id is not of the right form. */
export class InvalidRecordIdError extends StoreError {
  static readonly NAME = 'InvalidRecordIdError'
  override readonly name = InvalidRecordIdError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_INVALID_ID', message, options) }
}

/** The store is closed. */
export class StoreClosedError extends StoreError {
  static readonly NAME = 'StoreClosedError'
  override readonly name = StoreClosedError.NAME
  constructor (message: string, options?: ErrorOptions) { super('ERR_STORE_CLOSED', message, options) }
}
