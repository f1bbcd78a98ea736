/** What went wrong in the settlement layer. */
export type SettlementErrorCode =
  /** the Solidity compiler reported an error */
  | 'COMPILE_FAILED'
  /** a transaction or call was reverted by the adjudicator; see `revert` for the custom error */
  | 'REVERTED'
  /** the JSON-RPC endpoint failed or answered something unexpected */
  | 'RPC_FAILED'
  /** the adjudicator address is unknown or has no code */
  | 'NO_ADJUDICATOR'
  /** an argument was malformed (key, URL, duration) */
  | 'INVALID_ARGUMENT'
  /** the chain client was stopped */
  | 'STOPPED'

/** An error of the settlement layer; match on `code` (and `revert` for contract reverts). */
export class SettlementError extends Error {
  static readonly NAME = 'SettlementError'
  override readonly name = SettlementError.NAME
  readonly code: SettlementErrorCode
  /** For `REVERTED`: the adjudicator's custom error name, e.g. `StaleNonce`. */
  readonly revert?: string
  /** For `REVERTED`: the custom error's arguments. */
  readonly revertArgs?: readonly unknown[]

  constructor (code: SettlementErrorCode, message: string, options?: { cause?: unknown, revert?: string, revertArgs?: readonly unknown[] }) {
    super(message, { cause: options?.cause })
    this.code = code
    if (options?.revert != null) this.revert = options.revert
    if (options?.revertArgs != null) this.revertArgs = options.revertArgs
  }
}
