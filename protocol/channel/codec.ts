/**
 * The wire form of channel messages (`protocol/pb/channel.proto`) to and from the domain types,
 * with every field checked: 32-byte ids and hashes, 65-byte signatures, decimal amounts within
 * uint256, nonces within uint64.
 */
import { bytesToHex, hexToBytes, type Hex } from 'viem'
import { FINAL_NONCE, type ChannelState } from './state.js'
import { ChannelMessage as ChannelMessagePb, PayFrame as PayFramePb, Reject as RejectPb } from '../pb/channel.js'
import type { ChannelStateMsg, CoSignedState as CoSignedStatePb } from '../pb/channel.js'
import { ChannelProtocolError, type ChannelRejectCode } from './errors.js'
import type { CoSignedState, ProposedState } from './machine.js'
import type { IdentityBinding } from '../pb/messages.js'

/** Longest reject detail carried, in characters (the encoder cuts a longer one). */
export const MAX_DETAIL_CHARS = 200

/** Largest encoded channel message accepted, in bytes. */
export const MAX_CHANNEL_MESSAGE_BYTES = 4096

/** Largest encoded `PayFrame` accepted: a message and its id. */
export const MAX_PAY_FRAME_BYTES = MAX_CHANNEL_MESSAGE_BYTES + 16

/**
 * The long-lived stream of a channel pair: `PayFrame`s both ways, each request answered by a
 * frame with its id, so pipelined updates share one stream instead of opening one each
 * (`/hitch/pay/2.0.0`, one request per stream, stays for peers without it).
 */
export const PAY_STREAM_PROTOCOL = '/hitch/pay/2.1.0'

const MAX_UINT256 = (1n << 256n) - 1n

/** A decoded channel message: exactly one kind. */
export type ChannelMessage =
  | { type: 'propose', proposal: ProposedState, binding?: IdentityBinding }
  | { type: 'countersign', channelId: Hex, nonce: bigint, driverSig: Hex }
  | { type: 'reject', channelId: Hex, nonce: bigint, code: ChannelRejectCode, detail: string, latest?: CoSignedState }
  | { type: 'close-request', state: ChannelState, sig: Hex }
  | { type: 'close-accept', channelId: Hex, sig: Hex }
  | { type: 'sync-request', channelId: Hex }
  | { type: 'sync-response', latest?: CoSignedState }

const REASONS: Record<ChannelRejectCode, RejectPb.Reason> = {
  'unknown-channel': RejectPb.Reason.UNKNOWN_CHANNEL,
  stale: RejectPb.Reason.STALE,
  gap: RejectPb.Reason.GAP,
  'driver-balance-decreased': RejectPb.Reason.DRIVER_BALANCE_DECREASED,
  'over-deposit': RejectPb.Reason.OVER_DEPOSIT,
  'bad-signature': RejectPb.Reason.BAD_SIGNATURE,
  'bad-binding': RejectPb.Reason.BAD_BINDING,
  'final-mismatch': RejectPb.Reason.FINAL_MISMATCH,
  'not-open': RejectPb.Reason.NOT_OPEN,
  malformed: RejectPb.Reason.MALFORMED,
  'invalid-request': RejectPb.Reason.OTHER,
  'rate-limited': RejectPb.Reason.RATE_LIMITED,
  'cannot-defend': RejectPb.Reason.CANNOT_DEFEND,
  other: RejectPb.Reason.OTHER
}

const CODES = new Map<RejectPb.Reason, ChannelRejectCode>(
  (Object.entries(REASONS) as Array<[ChannelRejectCode, RejectPb.Reason]>)
    .filter(([code]) => code !== 'invalid-request')
    .map(([code, reason]) => [reason, code])
)

/** A `fixed64` as read: protons-runtime reads it as a signed int64, the wire means unsigned. */
function u64 (n: bigint): bigint {
  return BigInt.asUintN(64, n)
}

function malformed (what: string): ChannelProtocolError {
  return new ChannelProtocolError('malformed', what)
}

function bytes32 (value: Uint8Array | undefined, what: string): Hex {
  if (value == null || value.byteLength !== 32) throw malformed(`${what} must be 32 bytes`)
  return bytesToHex(value)
}

function signature (value: Uint8Array | undefined, what: string): Hex {
  if (value == null || value.byteLength !== 65) throw malformed(`${what} must be 65 bytes`)
  return bytesToHex(value)
}

function amount (value: string, what: string): bigint {
  if (!/^(0|[1-9][0-9]{0,77})$/.test(value)) throw malformed(`${what} is not a decimal amount`)
  const n = BigInt(value)
  if (n > MAX_UINT256) throw malformed(`${what} exceeds uint256`)
  return n
}

function stateToPb (state: ChannelState): ChannelStateMsg {
  if (state.nonce < 0n || state.nonce > FINAL_NONCE) throw malformed('nonce out of uint64')
  return {
    channelId: hexToBytes(state.channelId) as Uint8Array<ArrayBuffer>,
    nonce: state.nonce,
    balanceRider: state.balanceRider.toString(),
    balanceDriver: state.balanceDriver.toString(),
    tripRecordHash: hexToBytes(state.tripRecordHash) as Uint8Array<ArrayBuffer>
  }
}

function stateFromPb (pb: ChannelStateMsg | undefined): ChannelState {
  if (pb == null) throw malformed('state missing')
  return {
    channelId: bytes32(pb.channelId, 'channel id'),
    nonce: u64(pb.nonce),
    balanceRider: amount(pb.balanceRider, 'rider balance'),
    balanceDriver: amount(pb.balanceDriver, 'driver balance'),
    tripRecordHash: bytes32(pb.tripRecordHash, 'trip record hash')
  }
}

function cosignedToPb (c: CoSignedState): CoSignedStatePb {
  return { state: stateToPb(c.state), riderSig: hexToBytes(c.riderSig) as Uint8Array<ArrayBuffer>, driverSig: hexToBytes(c.driverSig) as Uint8Array<ArrayBuffer> }
}

function cosignedFromPb (pb: CoSignedStatePb | undefined): CoSignedState | undefined {
  if (pb == null) return undefined
  return { state: stateFromPb(pb.state), riderSig: signature(pb.riderSig, 'rider signature'), driverSig: signature(pb.driverSig, 'driver signature') }
}

const sig = (hex: Hex): Uint8Array<ArrayBuffer> => hexToBytes(hex) as Uint8Array<ArrayBuffer>

/** Encodes one channel message. */
export function encodeChannelMessage (message: ChannelMessage): Uint8Array {
  return ChannelMessagePb.encode(messageToPb(message))
}

/** One frame of `PAY_STREAM_PROTOCOL`: a request or the answer to the request with this id. */
export interface PayFrame {
  id: bigint
  message: ChannelMessage
}

/** Encodes one frame of `PAY_STREAM_PROTOCOL`. */
export function encodePayFrame (frame: PayFrame): Uint8Array {
  if (frame.id < 0n || frame.id > FINAL_NONCE) throw malformed('frame id out of uint64')
  return PayFramePb.encode({ id: frame.id, message: messageToPb(frame.message) })
}

/**
 * Decodes one frame; throws `ChannelProtocolError` (`malformed`) on anything off. A frame whose
 * id is readable but whose message is not comes back as `{ id, error }`, so it can be answered.
 */
export function decodePayFrame (bytes: Uint8Array): PayFrame | { id: bigint, error: ChannelProtocolError } {
  if (bytes.byteLength > MAX_PAY_FRAME_BYTES) throw malformed('frame too large')
  let pb: PayFramePb
  try {
    pb = PayFramePb.decode(bytes)
  } catch (err) {
    throw malformed(`not a pay frame: ${(err as Error).message}`)
  }
  try {
    if (pb.message == null) throw malformed('frame without a message')
    const frame = { id: u64(pb.id), message: messageFromPb(pb.message) }
    canonical(bytes, encodePayFrame(frame))
    return frame
  } catch (err) {
    if (err instanceof ChannelProtocolError) return { id: u64(pb.id), error: err }
    throw err
  }
}

function messageToPb (message: ChannelMessage): ChannelMessagePb {
  const pb: ChannelMessagePb = {}
  switch (message.type) {
    case 'propose':
      pb.propose = { state: stateToPb(message.proposal.state), riderSig: sig(message.proposal.riderSig), ...(message.binding != null ? { binding: message.binding } : {}) }
      break
    case 'countersign':
      pb.countersign = { channelId: sig(message.channelId), nonce: message.nonce, driverSig: sig(message.driverSig) }
      break
    case 'reject':
      pb.reject = {
        channelId: sig(message.channelId),
        nonce: message.nonce,
        reason: REASONS[message.code],
        detail: message.detail.slice(0, MAX_DETAIL_CHARS),
        ...(message.latest != null ? { latest: cosignedToPb(message.latest) } : {})
      }
      break
    case 'close-request':
      pb.closeRequest = { state: stateToPb(message.state), sig: sig(message.sig) }
      break
    case 'close-accept':
      pb.closeAccept = { channelId: sig(message.channelId), sig: sig(message.sig) }
      break
    case 'sync-request':
      pb.syncRequest = { channelId: sig(message.channelId) }
      break
    case 'sync-response':
      pb.syncResponse = message.latest != null ? { latest: cosignedToPb(message.latest) } : {}
      break
  }
  return pb
}

/** Decodes one channel message; throws `ChannelProtocolError` (`malformed`) on anything off. */
export function decodeChannelMessage (bytes: Uint8Array): ChannelMessage {
  if (bytes.byteLength > MAX_CHANNEL_MESSAGE_BYTES) throw malformed('message too large')
  let pb: ChannelMessagePb
  try {
    pb = ChannelMessagePb.decode(bytes)
  } catch (err) {
    throw malformed(`not a channel message: ${(err as Error).message}`)
  }
  const message = messageFromPb(pb)
  canonical(bytes, encodeChannelMessage(message))
  return message
}

/**
 * One message, one encoding: what decodes must be what the encoder writes (minimal varints, each
 * field once and in order, no unknown field, valid UTF-8), so no two byte strings carry one
 * message. Channel messages evolve by protocol version, not by unknown fields.
 */
function canonical (bytes: Uint8Array, encoded: Uint8Array): void {
  if (bytes.byteLength !== encoded.byteLength || !bytes.every((b, i) => b === encoded[i])) {
    throw malformed('not the canonical encoding of the message')
  }
}

function messageFromPb (pb: ChannelMessagePb): ChannelMessage {
  const set = [pb.propose, pb.countersign, pb.reject, pb.closeRequest, pb.closeAccept, pb.syncRequest, pb.syncResponse].filter(f => f != null)
  if (set.length !== 1) throw malformed(`exactly one message kind expected, got ${set.length}`)
  if (pb.propose != null) {
    const proposal = { state: stateFromPb(pb.propose.state), riderSig: signature(pb.propose.riderSig, 'rider signature') }
    return { type: 'propose', proposal, ...(pb.propose.binding != null ? { binding: pb.propose.binding } : {}) }
  }
  if (pb.countersign != null) {
    return { type: 'countersign', channelId: bytes32(pb.countersign.channelId, 'channel id'), nonce: u64(pb.countersign.nonce), driverSig: signature(pb.countersign.driverSig, 'driver signature') }
  }
  if (pb.reject != null) {
    const code = CODES.get(pb.reject.reason)
    if (code == null) throw malformed('unknown reject reason')
    const latest = cosignedFromPb(pb.reject.latest)
    return { type: 'reject', channelId: bytes32(pb.reject.channelId, 'channel id'), nonce: u64(pb.reject.nonce), code, detail: pb.reject.detail, ...(latest != null ? { latest } : {}) }
  }
  if (pb.closeRequest != null) {
    return { type: 'close-request', state: stateFromPb(pb.closeRequest.state), sig: signature(pb.closeRequest.sig, 'signature') }
  }
  if (pb.closeAccept != null) {
    return { type: 'close-accept', channelId: bytes32(pb.closeAccept.channelId, 'channel id'), sig: signature(pb.closeAccept.sig, 'signature') }
  }
  if (pb.syncRequest != null) {
    return { type: 'sync-request', channelId: bytes32(pb.syncRequest.channelId, 'channel id') }
  }
  const latest = cosignedFromPb(pb.syncResponse?.latest)
  return { type: 'sync-response', ...(latest != null ? { latest } : {}) }
}
