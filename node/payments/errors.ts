import { ErrorFamily } from '../../protocol/index.js'

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
export abstract class PaymentError extends ErrorFamily<PaymentErrorCode> {}

/** The fare's currency cannot be paid through a channel. */
export class UnsupportedCurrencyError extends PaymentError { static readonly code: PaymentErrorCode = 'UNSUPPORTED_CURRENCY' }

/** An amount is not a non-negative integer. */
export class InvalidAmountError extends PaymentError { static readonly code: PaymentErrorCode = 'INVALID_AMOUNT' }

/** No payment is known for this ride. */
export class UnknownRideError extends PaymentError { static readonly code: PaymentErrorCode = 'UNKNOWN_RIDE' }

/** The ride's channel could not be opened or topped up. */
export class NoChannelError extends PaymentError { static readonly code: PaymentErrorCode = 'NO_CHANNEL' }
