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

/** An error of the ride payments; match on `code`. */
export class PaymentError extends Error {
  static readonly NAME = 'PaymentError'
  override readonly name = PaymentError.NAME
  readonly code: PaymentErrorCode

  constructor (code: PaymentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause })
    this.code = code
  }
}
