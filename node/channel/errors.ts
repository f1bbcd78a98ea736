import { ErrorFamily } from '../../protocol/index.js'
import type { ChannelRejectCode } from '../../protocol/channel/index.js'

/** What went wrong in the node's channel manager. */
export type ChannelErrorCode =
  /** no channel with this id is known to this node */
  | 'UNKNOWN_CHANNEL'
  /** the peer refused the update or close; see `reason` */
  | 'REJECTED'
  /** the peer did not answer within `unresponsiveTimeoutMs` */
  | 'PEER_UNRESPONSIVE'
  /** the manager is not started (or was stopped) */
  | 'NOT_STARTED'
  /** an argument breaks the channel rules (a smaller total, a wrong role, ...) */
  | 'INVALID_ARGUMENT'
  /** the channel is closing or closed */
  | 'NOT_OPEN'
  /** the peer answered something that is not a valid channel message */
  | 'BAD_RESPONSE'
  /** this account cannot pay for the deposit and the gas to defend its channels */
  | 'INSUFFICIENT_FUNDS'

/** What a channel error may carry beyond its message. */
export interface ChannelErrorOptions extends ErrorOptions {
  /** for a refusal (and rule violations): the protocol's reason */
  reason?: ChannelRejectCode
}

/** An error of the channel manager: one class per failure below; `reason` for refusals. */
export abstract class ChannelError extends ErrorFamily<ChannelErrorCode> {
  /** for `REJECTED` (and rule violations): the protocol's reason */
  readonly reason?: ChannelRejectCode

  constructor (message: string, options?: ChannelErrorOptions) {
    super(message, { cause: options?.cause })
    if (options?.reason != null) this.reason = options.reason
  }
}

/** No channel with this id is known to this node. */
export class UnknownChannelError extends ChannelError { static readonly code: ChannelErrorCode = 'UNKNOWN_CHANNEL' }

/** The peer refused the update or close; `reason` says why. */
export class ChannelRejectedError extends ChannelError { static readonly code: ChannelErrorCode = 'REJECTED' }

/** The peer did not answer within `unresponsiveTimeoutMs`. */
export class PeerUnresponsiveError extends ChannelError { static readonly code: ChannelErrorCode = 'PEER_UNRESPONSIVE' }

/** The channel manager is not started (or was stopped). */
export class ChannelNotStartedError extends ChannelError { static readonly code: ChannelErrorCode = 'NOT_STARTED' }

/** An argument breaks the channel rules (a smaller total, a wrong role, ...). */
export class InvalidChannelArgumentError extends ChannelError { static readonly code: ChannelErrorCode = 'INVALID_ARGUMENT' }

/** The channel is closing or closed. */
export class ChannelNotOpenError extends ChannelError { static readonly code: ChannelErrorCode = 'NOT_OPEN' }

/** The peer answered something that is not a valid channel message. */
export class BadChannelResponseError extends ChannelError { static readonly code: ChannelErrorCode = 'BAD_RESPONSE' }

/** This account cannot pay for the deposit and the gas to defend its channels. */
export class InsufficientFundsError extends ChannelError { static readonly code: ChannelErrorCode = 'INSUFFICIENT_FUNDS' }
