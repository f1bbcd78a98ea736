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

/** An error of the channel manager; match on `code` (and `reason` for `REJECTED`). */
export class ChannelError extends Error {
  static readonly NAME = 'ChannelError'
  override readonly name = ChannelError.NAME
  readonly code: ChannelErrorCode
  /** for `REJECTED` (and rule violations): the protocol's reason */
  readonly reason?: ChannelRejectCode

  constructor (code: ChannelErrorCode, message: string, options?: { cause?: unknown, reason?: ChannelRejectCode }) {
    super(message, { cause: options?.cause })
    this.code = code
    if (options?.reason != null) this.reason = options.reason
  }
}
