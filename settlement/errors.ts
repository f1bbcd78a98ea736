import { ErrorFamily } from '../protocol/index.js'

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

/** What a settlement error may carry beyond its message. */
export interface SettlementErrorOptions extends ErrorOptions {
  /** for a revert: the adjudicator's custom error name */
  revert?: string
  /** for a revert: the custom error's arguments */
  revertArgs?: readonly unknown[]
}

/** An error of the settlement layer: one class per failure below; `revert` for contract reverts. */
export abstract class SettlementError extends ErrorFamily<SettlementErrorCode> {
  /** For `REVERTED`: the adjudicator's custom error name, e.g. `StaleNonce`. */
  readonly revert?: string
  /** For `REVERTED`: the custom error's arguments. */
  readonly revertArgs?: readonly unknown[]

  constructor (message: string, options?: SettlementErrorOptions) {
    super(message, { cause: options?.cause })
    if (options?.revert != null) this.revert = options.revert
    if (options?.revertArgs != null) this.revertArgs = options.revertArgs
  }
}

/** The Solidity compiler reported an error. */
export class CompileFailedError extends SettlementError { static readonly code: SettlementErrorCode = 'COMPILE_FAILED' }

/** A transaction or call was reverted by the adjudicator; `revert` names its custom error. */
export class RevertedError extends SettlementError { static readonly code: SettlementErrorCode = 'REVERTED' }

/** The JSON-RPC endpoint failed or answered something unexpected. */
export class RpcFailedError extends SettlementError { static readonly code: SettlementErrorCode = 'RPC_FAILED' }

/** The adjudicator address is unknown or has no code. */
export class NoAdjudicatorError extends SettlementError { static readonly code: SettlementErrorCode = 'NO_ADJUDICATOR' }

/** An argument was malformed (key, URL, duration). */
export class InvalidSettlementArgumentError extends SettlementError { static readonly code: SettlementErrorCode = 'INVALID_ARGUMENT' }

/** The chain client was stopped. */
export class ChainStoppedError extends SettlementError { static readonly code: SettlementErrorCode = 'STOPPED' }
