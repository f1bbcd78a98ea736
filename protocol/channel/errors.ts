import { CodedError } from '../errors.js'

/** Why a channel message or state was refused (mirrors `Reject.Reason` on the wire). */
export type ChannelRejectCode =
  /** the channel id is not the channel this record is about, or unknown to the peer */
  | 'unknown-channel'
  /** the nonce is at or below the latest co-signed one */
  | 'stale'
  /** a state with a lower nonce is still missing */
  | 'gap'
  /** the driver's balance would decrease */
  | 'driver-balance-decreased'
  /** rider + driver exceed the deposit */
  | 'over-deposit'
  /** a signature is not the expected party's */
  | 'bad-signature'
  /** the proposer's peer id is not bound to the channel's rider */
  | 'bad-binding'
  /** a final state does not carry the latest co-signed balances */
  | 'final-mismatch'
  /** the channel is closing or closed */
  | 'not-open'
  /** a message could not be decoded or a field is out of range */
  | 'malformed'
  /** the caller asked for something the rules forbid (e.g. a smaller total) */
  | 'invalid-request'
  /** the peer sent more than the receiver serves per period */
  | 'rate-limited'
  /** the driver cannot pay the gas to defend a new channel in a dispute */
  | 'cannot-defend'
  /** any other refusal */
  | 'other'

/** A channel rule was broken. Match on `code`, never on the message. */
export class ChannelProtocolError extends CodedError<ChannelRejectCode> {
  static readonly NAME = 'ChannelProtocolError'
  override readonly name = ChannelProtocolError.NAME
}
