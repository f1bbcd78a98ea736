import { CodedError } from '../../protocol/index.js'

/** What went wrong with a ride's payment. */
export type PaymentErrorCode =
  /** the fare's currency cannot be paid through a channel */
  | 'UNSUPPORTED_CURRENCY'
  /** an amount is not a non-negative integer */
  | 'INVALID_AMOUNT'
  /** no payment is known for this ride */
  | 'UNKNOWN_RIDE'
  /** the ride's channel could not be opened or topped up */
  | 'NO_CHANNEL'

/** An error of the ride payments: one class per failure below. */
export abstract class PaymentError extends CodedError<PaymentErrorCode> {}

/** The fare's currency cannot be paid through a channel. */
export class UnsupportedCurrencyError extends PaymentError {
  static readonly NAME = 'UnsupportedCurrencyError'
  override readonly name = UnsupportedCurrencyError.NAME
  constructor (message: string, options?: ErrorOptions) { super('UNSUPPORTED_CURRENCY', message, options) }
}

/** An amount is not a non-negative integer. */
export class InvalidAmountError extends PaymentError {
  static readonly NAME = 'InvalidAmountError'
  override readonly name = InvalidAmountError.NAME
  constructor (message: string, options?: ErrorOptions) { super('INVALID_AMOUNT', message, options) }
}

/** No payment is known for this ride. */
export class UnknownRideError extends PaymentError {
  static readonly NAME = 'UnknownRideError'
  override readonly name = UnknownRideError.NAME
  constructor (message: string, options?: ErrorOptions) { super('UNKNOWN_RIDE', message, options) }
}

/** The ride's channel could not be opened or topped up. */
export class NoChannelError extends PaymentError {
  static readonly NAME = 'NoChannelError'
  override readonly name = NoChannelError.NAME
  constructor (message: string, options?: ErrorOptions) { super('NO_CHANNEL', message, options) }
}
