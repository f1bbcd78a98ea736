import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ChannelStateMsg {
  channelId: Uint8Array<ArrayBuffer>
  nonce: bigint
  balanceRider: string
  balanceDriver: string
  tripRecordHash: Uint8Array<ArrayBuffer>
}

export namespace ChannelStateMsg {
  let _codec: Codec<ChannelStateMsg>

  export const codec = (): Codec<ChannelStateMsg> => {
    if (_codec == null) {
      _codec = message<ChannelStateMsg>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.channelId != null && obj.channelId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.channelId)
        }

        if ((obj.nonce != null && obj.nonce !== 0n)) {
          w.uint32(17)
          w.fixed64(obj.nonce)
        }

        if ((obj.balanceRider != null && obj.balanceRider !== '')) {
          w.uint32(26)
          w.string(obj.balanceRider)
        }

        if ((obj.balanceDriver != null && obj.balanceDriver !== '')) {
          w.uint32(34)
          w.string(obj.balanceDriver)
        }

        if ((obj.tripRecordHash != null && obj.tripRecordHash.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.tripRecordHash)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          channelId: uint8ArrayAlloc(0),
          nonce: 0n,
          balanceRider: '',
          balanceDriver: '',
          tripRecordHash: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.channelId = reader.bytes()
              break
            }
            case 2: {
              obj.nonce = reader.fixed64()
              break
            }
            case 3: {
              obj.balanceRider = reader.string()
              break
            }
            case 4: {
              obj.balanceDriver = reader.string()
              break
            }
            case 5: {
              obj.tripRecordHash = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.fixed64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.balanceRider`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.balanceDriver`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.tripRecordHash`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChannelStateMsgChannelIdFieldEvent {
    field: '$.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelStateMsgNonceFieldEvent {
    field: '$.nonce'
    value: bigint
  }

  export interface ChannelStateMsgBalanceRiderFieldEvent {
    field: '$.balanceRider'
    value: string
  }

  export interface ChannelStateMsgBalanceDriverFieldEvent {
    field: '$.balanceDriver'
    value: string
  }

  export interface ChannelStateMsgTripRecordHashFieldEvent {
    field: '$.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ChannelStateMsg>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChannelStateMsg.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChannelStateMsg>): ChannelStateMsg {
    return decodeMessage(buf, ChannelStateMsg.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChannelStateMsg>): Generator<ChannelStateMsgChannelIdFieldEvent | ChannelStateMsgNonceFieldEvent | ChannelStateMsgBalanceRiderFieldEvent | ChannelStateMsgBalanceDriverFieldEvent | ChannelStateMsgTripRecordHashFieldEvent> {
    return streamMessage(buf, ChannelStateMsg.codec(), opts)
  }
}

export interface CoSignedState {
  state?: ChannelStateMsg
  riderSig: Uint8Array<ArrayBuffer>
  driverSig: Uint8Array<ArrayBuffer>
}

export namespace CoSignedState {
  let _codec: Codec<CoSignedState>

  export const codec = (): Codec<CoSignedState> => {
    if (_codec == null) {
      _codec = message<CoSignedState>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.state != null) {
          w.uint32(10)
          ChannelStateMsg.codec().encode(obj.state, w)
        }

        if ((obj.riderSig != null && obj.riderSig.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.riderSig)
        }

        if ((obj.driverSig != null && obj.driverSig.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.driverSig)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          riderSig: uint8ArrayAlloc(0),
          driverSig: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.state = ChannelStateMsg.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.state
              })
              break
            }
            case 2: {
              obj.riderSig = reader.bytes()
              break
            }
            case 3: {
              obj.driverSig = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * ChannelStateMsg.codec().stream(reader, reader.uint32(), `${prefix}.state`, {
                limits: opts.limits?.state
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.riderSig`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.driverSig`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface CoSignedStateStateChannelIdFieldEvent {
    field: '$.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CoSignedStateStateNonceFieldEvent {
    field: '$.state.nonce'
    value: bigint
  }

  export interface CoSignedStateStateBalanceRiderFieldEvent {
    field: '$.state.balanceRider'
    value: string
  }

  export interface CoSignedStateStateBalanceDriverFieldEvent {
    field: '$.state.balanceDriver'
    value: string
  }

  export interface CoSignedStateStateTripRecordHashFieldEvent {
    field: '$.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CoSignedStateRiderSigFieldEvent {
    field: '$.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CoSignedStateDriverSigFieldEvent {
    field: '$.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CoSignedState>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CoSignedState.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CoSignedState>): CoSignedState {
    return decodeMessage(buf, CoSignedState.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CoSignedState>): Generator<CoSignedStateStateChannelIdFieldEvent | CoSignedStateStateNonceFieldEvent | CoSignedStateStateBalanceRiderFieldEvent | CoSignedStateStateBalanceDriverFieldEvent | CoSignedStateStateTripRecordHashFieldEvent | CoSignedStateRiderSigFieldEvent | CoSignedStateDriverSigFieldEvent> {
    return streamMessage(buf, CoSignedState.codec(), opts)
  }
}

export interface PeerBinding {
  peerId: string
  address: string
  requestId: string
  issuedAt: number
  signature: Uint8Array<ArrayBuffer>
}

export namespace PeerBinding {
  let _codec: Codec<PeerBinding>

  export const codec = (): Codec<PeerBinding> => {
    if (_codec == null) {
      _codec = message<PeerBinding>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peerId != null && obj.peerId !== '')) {
          w.uint32(10)
          w.string(obj.peerId)
        }

        if ((obj.address != null && obj.address !== '')) {
          w.uint32(18)
          w.string(obj.address)
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(26)
          w.string(obj.requestId)
        }

        if ((obj.issuedAt != null && obj.issuedAt !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.issuedAt)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peerId: '',
          address: '',
          requestId: '',
          issuedAt: 0,
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peerId = reader.string()
              break
            }
            case 2: {
              obj.address = reader.string()
              break
            }
            case 3: {
              obj.requestId = reader.string()
              break
            }
            case 4: {
              obj.issuedAt = reader.uint64Number()
              break
            }
            case 5: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.address`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.issuedAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PeerBindingPeerIdFieldEvent {
    field: '$.peerId'
    value: string
  }

  export interface PeerBindingAddressFieldEvent {
    field: '$.address'
    value: string
  }

  export interface PeerBindingRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface PeerBindingIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: number
  }

  export interface PeerBindingSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<PeerBinding>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PeerBinding.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerBinding>): PeerBinding {
    return decodeMessage(buf, PeerBinding.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerBinding>): Generator<PeerBindingPeerIdFieldEvent | PeerBindingAddressFieldEvent | PeerBindingRequestIdFieldEvent | PeerBindingIssuedAtFieldEvent | PeerBindingSignatureFieldEvent> {
    return streamMessage(buf, PeerBinding.codec(), opts)
  }
}

export interface Propose {
  state?: ChannelStateMsg
  riderSig: Uint8Array<ArrayBuffer>
  binding?: PeerBinding
}

export namespace Propose {
  let _codec: Codec<Propose>

  export const codec = (): Codec<Propose> => {
    if (_codec == null) {
      _codec = message<Propose>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.state != null) {
          w.uint32(10)
          ChannelStateMsg.codec().encode(obj.state, w)
        }

        if ((obj.riderSig != null && obj.riderSig.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.riderSig)
        }

        if (obj.binding != null) {
          w.uint32(26)
          PeerBinding.codec().encode(obj.binding, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          riderSig: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.state = ChannelStateMsg.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.state
              })
              break
            }
            case 2: {
              obj.riderSig = reader.bytes()
              break
            }
            case 3: {
              obj.binding = PeerBinding.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.binding
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * ChannelStateMsg.codec().stream(reader, reader.uint32(), `${prefix}.state`, {
                limits: opts.limits?.state
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.riderSig`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield * PeerBinding.codec().stream(reader, reader.uint32(), `${prefix}.binding`, {
                limits: opts.limits?.binding
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ProposeStateChannelIdFieldEvent {
    field: '$.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ProposeStateNonceFieldEvent {
    field: '$.state.nonce'
    value: bigint
  }

  export interface ProposeStateBalanceRiderFieldEvent {
    field: '$.state.balanceRider'
    value: string
  }

  export interface ProposeStateBalanceDriverFieldEvent {
    field: '$.state.balanceDriver'
    value: string
  }

  export interface ProposeStateTripRecordHashFieldEvent {
    field: '$.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ProposeRiderSigFieldEvent {
    field: '$.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ProposeBindingPeerIdFieldEvent {
    field: '$.binding.peerId'
    value: string
  }

  export interface ProposeBindingAddressFieldEvent {
    field: '$.binding.address'
    value: string
  }

  export interface ProposeBindingRequestIdFieldEvent {
    field: '$.binding.requestId'
    value: string
  }

  export interface ProposeBindingIssuedAtFieldEvent {
    field: '$.binding.issuedAt'
    value: number
  }

  export interface ProposeBindingSignatureFieldEvent {
    field: '$.binding.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Propose>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Propose.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Propose>): Propose {
    return decodeMessage(buf, Propose.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Propose>): Generator<ProposeStateChannelIdFieldEvent | ProposeStateNonceFieldEvent | ProposeStateBalanceRiderFieldEvent | ProposeStateBalanceDriverFieldEvent | ProposeStateTripRecordHashFieldEvent | ProposeRiderSigFieldEvent | ProposeBindingPeerIdFieldEvent | ProposeBindingAddressFieldEvent | ProposeBindingRequestIdFieldEvent | ProposeBindingIssuedAtFieldEvent | ProposeBindingSignatureFieldEvent> {
    return streamMessage(buf, Propose.codec(), opts)
  }
}

export interface Countersign {
  channelId: Uint8Array<ArrayBuffer>
  nonce: bigint
  driverSig: Uint8Array<ArrayBuffer>
}

export namespace Countersign {
  let _codec: Codec<Countersign>

  export const codec = (): Codec<Countersign> => {
    if (_codec == null) {
      _codec = message<Countersign>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.channelId != null && obj.channelId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.channelId)
        }

        if ((obj.nonce != null && obj.nonce !== 0n)) {
          w.uint32(17)
          w.fixed64(obj.nonce)
        }

        if ((obj.driverSig != null && obj.driverSig.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.driverSig)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          channelId: uint8ArrayAlloc(0),
          nonce: 0n,
          driverSig: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.channelId = reader.bytes()
              break
            }
            case 2: {
              obj.nonce = reader.fixed64()
              break
            }
            case 3: {
              obj.driverSig = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.fixed64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.driverSig`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface CountersignChannelIdFieldEvent {
    field: '$.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CountersignNonceFieldEvent {
    field: '$.nonce'
    value: bigint
  }

  export interface CountersignDriverSigFieldEvent {
    field: '$.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Countersign>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Countersign.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Countersign>): Countersign {
    return decodeMessage(buf, Countersign.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Countersign>): Generator<CountersignChannelIdFieldEvent | CountersignNonceFieldEvent | CountersignDriverSigFieldEvent> {
    return streamMessage(buf, Countersign.codec(), opts)
  }
}

export interface Reject {
  channelId: Uint8Array<ArrayBuffer>
  nonce: bigint
  reason: Reject.Reason
  detail: string
  latest?: CoSignedState
}

export namespace Reject {
  export enum Reason {
    REASON_UNSPECIFIED = 'REASON_UNSPECIFIED',
    UNKNOWN_CHANNEL = 'UNKNOWN_CHANNEL',
    STALE = 'STALE',
    GAP = 'GAP',
    DRIVER_BALANCE_DECREASED = 'DRIVER_BALANCE_DECREASED',
    OVER_DEPOSIT = 'OVER_DEPOSIT',
    BAD_SIGNATURE = 'BAD_SIGNATURE',
    FINAL_MISMATCH = 'FINAL_MISMATCH',
    NOT_OPEN = 'NOT_OPEN',
    MALFORMED = 'MALFORMED',
    OTHER = 'OTHER',
    RATE_LIMITED = 'RATE_LIMITED',
    CANNOT_DEFEND = 'CANNOT_DEFEND',
    BAD_BINDING = 'BAD_BINDING'
  }

  enum __ReasonValues {
    REASON_UNSPECIFIED = 0,
    UNKNOWN_CHANNEL = 1,
    STALE = 2,
    GAP = 3,
    DRIVER_BALANCE_DECREASED = 4,
    OVER_DEPOSIT = 5,
    BAD_SIGNATURE = 6,
    FINAL_MISMATCH = 7,
    NOT_OPEN = 8,
    MALFORMED = 9,
    OTHER = 10,
    RATE_LIMITED = 11,
    CANNOT_DEFEND = 12,
    BAD_BINDING = 13
  }

  export namespace Reason {
    export const codec = (): Codec<Reason> => {
      return enumeration<Reason>(__ReasonValues)
    }
  }

  let _codec: Codec<Reject>

  export const codec = (): Codec<Reject> => {
    if (_codec == null) {
      _codec = message<Reject>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.channelId != null && obj.channelId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.channelId)
        }

        if ((obj.nonce != null && obj.nonce !== 0n)) {
          w.uint32(17)
          w.fixed64(obj.nonce)
        }

        if (obj.reason != null && __ReasonValues[obj.reason] !== 0) {
          w.uint32(24)
          Reject.Reason.codec().encode(obj.reason, w)
        }

        if ((obj.detail != null && obj.detail !== '')) {
          w.uint32(34)
          w.string(obj.detail)
        }

        if (obj.latest != null) {
          w.uint32(42)
          CoSignedState.codec().encode(obj.latest, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          channelId: uint8ArrayAlloc(0),
          nonce: 0n,
          reason: Reason.REASON_UNSPECIFIED,
          detail: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.channelId = reader.bytes()
              break
            }
            case 2: {
              obj.nonce = reader.fixed64()
              break
            }
            case 3: {
              obj.reason = Reject.Reason.codec().decode(reader)
              break
            }
            case 4: {
              obj.detail = reader.string()
              break
            }
            case 5: {
              obj.latest = CoSignedState.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.latest
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.fixed64()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.reason`,
                value: Reject.Reason.codec().decode(reader)
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.detail`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield * CoSignedState.codec().stream(reader, reader.uint32(), `${prefix}.latest`, {
                limits: opts.limits?.latest
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RejectChannelIdFieldEvent {
    field: '$.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RejectNonceFieldEvent {
    field: '$.nonce'
    value: bigint
  }

  export interface RejectReasonFieldEvent {
    field: '$.reason'
    value: Reject.Reason
  }

  export interface RejectDetailFieldEvent {
    field: '$.detail'
    value: string
  }

  export interface RejectLatestStateChannelIdFieldEvent {
    field: '$.latest.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RejectLatestStateNonceFieldEvent {
    field: '$.latest.state.nonce'
    value: bigint
  }

  export interface RejectLatestStateBalanceRiderFieldEvent {
    field: '$.latest.state.balanceRider'
    value: string
  }

  export interface RejectLatestStateBalanceDriverFieldEvent {
    field: '$.latest.state.balanceDriver'
    value: string
  }

  export interface RejectLatestStateTripRecordHashFieldEvent {
    field: '$.latest.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RejectLatestRiderSigFieldEvent {
    field: '$.latest.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RejectLatestDriverSigFieldEvent {
    field: '$.latest.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Reject>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Reject.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reject>): Reject {
    return decodeMessage(buf, Reject.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reject>): Generator<RejectChannelIdFieldEvent | RejectNonceFieldEvent | RejectReasonFieldEvent | RejectDetailFieldEvent | RejectLatestStateChannelIdFieldEvent | RejectLatestStateNonceFieldEvent | RejectLatestStateBalanceRiderFieldEvent | RejectLatestStateBalanceDriverFieldEvent | RejectLatestStateTripRecordHashFieldEvent | RejectLatestRiderSigFieldEvent | RejectLatestDriverSigFieldEvent> {
    return streamMessage(buf, Reject.codec(), opts)
  }
}

export interface CloseRequest {
  state?: ChannelStateMsg
  sig: Uint8Array<ArrayBuffer>
}

export namespace CloseRequest {
  let _codec: Codec<CloseRequest>

  export const codec = (): Codec<CloseRequest> => {
    if (_codec == null) {
      _codec = message<CloseRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.state != null) {
          w.uint32(10)
          ChannelStateMsg.codec().encode(obj.state, w)
        }

        if ((obj.sig != null && obj.sig.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.sig)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          sig: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.state = ChannelStateMsg.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.state
              })
              break
            }
            case 2: {
              obj.sig = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * ChannelStateMsg.codec().stream(reader, reader.uint32(), `${prefix}.state`, {
                limits: opts.limits?.state
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.sig`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface CloseRequestStateChannelIdFieldEvent {
    field: '$.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CloseRequestStateNonceFieldEvent {
    field: '$.state.nonce'
    value: bigint
  }

  export interface CloseRequestStateBalanceRiderFieldEvent {
    field: '$.state.balanceRider'
    value: string
  }

  export interface CloseRequestStateBalanceDriverFieldEvent {
    field: '$.state.balanceDriver'
    value: string
  }

  export interface CloseRequestStateTripRecordHashFieldEvent {
    field: '$.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CloseRequestSigFieldEvent {
    field: '$.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CloseRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CloseRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CloseRequest>): CloseRequest {
    return decodeMessage(buf, CloseRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CloseRequest>): Generator<CloseRequestStateChannelIdFieldEvent | CloseRequestStateNonceFieldEvent | CloseRequestStateBalanceRiderFieldEvent | CloseRequestStateBalanceDriverFieldEvent | CloseRequestStateTripRecordHashFieldEvent | CloseRequestSigFieldEvent> {
    return streamMessage(buf, CloseRequest.codec(), opts)
  }
}

export interface CloseAccept {
  channelId: Uint8Array<ArrayBuffer>
  sig: Uint8Array<ArrayBuffer>
}

export namespace CloseAccept {
  let _codec: Codec<CloseAccept>

  export const codec = (): Codec<CloseAccept> => {
    if (_codec == null) {
      _codec = message<CloseAccept>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.channelId != null && obj.channelId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.channelId)
        }

        if ((obj.sig != null && obj.sig.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.sig)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          channelId: uint8ArrayAlloc(0),
          sig: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.channelId = reader.bytes()
              break
            }
            case 2: {
              obj.sig = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.sig`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface CloseAcceptChannelIdFieldEvent {
    field: '$.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface CloseAcceptSigFieldEvent {
    field: '$.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<CloseAccept>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, CloseAccept.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CloseAccept>): CloseAccept {
    return decodeMessage(buf, CloseAccept.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<CloseAccept>): Generator<CloseAcceptChannelIdFieldEvent | CloseAcceptSigFieldEvent> {
    return streamMessage(buf, CloseAccept.codec(), opts)
  }
}

export interface SyncRequest {
  channelId: Uint8Array<ArrayBuffer>
}

export namespace SyncRequest {
  let _codec: Codec<SyncRequest>

  export const codec = (): Codec<SyncRequest> => {
    if (_codec == null) {
      _codec = message<SyncRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.channelId != null && obj.channelId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.channelId)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          channelId: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.channelId = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SyncRequestChannelIdFieldEvent {
    field: '$.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SyncRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): SyncRequest {
    return decodeMessage(buf, SyncRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): Generator<SyncRequestChannelIdFieldEvent> {
    return streamMessage(buf, SyncRequest.codec(), opts)
  }
}

export interface SyncResponse {
  latest?: CoSignedState
}

export namespace SyncResponse {
  let _codec: Codec<SyncResponse>

  export const codec = (): Codec<SyncResponse> => {
    if (_codec == null) {
      _codec = message<SyncResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.latest != null) {
          w.uint32(10)
          CoSignedState.codec().encode(obj.latest, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.latest = CoSignedState.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.latest
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * CoSignedState.codec().stream(reader, reader.uint32(), `${prefix}.latest`, {
                limits: opts.limits?.latest
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SyncResponseLatestStateChannelIdFieldEvent {
    field: '$.latest.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncResponseLatestStateNonceFieldEvent {
    field: '$.latest.state.nonce'
    value: bigint
  }

  export interface SyncResponseLatestStateBalanceRiderFieldEvent {
    field: '$.latest.state.balanceRider'
    value: string
  }

  export interface SyncResponseLatestStateBalanceDriverFieldEvent {
    field: '$.latest.state.balanceDriver'
    value: string
  }

  export interface SyncResponseLatestStateTripRecordHashFieldEvent {
    field: '$.latest.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncResponseLatestRiderSigFieldEvent {
    field: '$.latest.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncResponseLatestDriverSigFieldEvent {
    field: '$.latest.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SyncResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncResponse>): SyncResponse {
    return decodeMessage(buf, SyncResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncResponse>): Generator<SyncResponseLatestStateChannelIdFieldEvent | SyncResponseLatestStateNonceFieldEvent | SyncResponseLatestStateBalanceRiderFieldEvent | SyncResponseLatestStateBalanceDriverFieldEvent | SyncResponseLatestStateTripRecordHashFieldEvent | SyncResponseLatestRiderSigFieldEvent | SyncResponseLatestDriverSigFieldEvent> {
    return streamMessage(buf, SyncResponse.codec(), opts)
  }
}

export interface ChannelMessage {
  propose?: Propose
  countersign?: Countersign
  reject?: Reject
  closeRequest?: CloseRequest
  closeAccept?: CloseAccept
  syncRequest?: SyncRequest
  syncResponse?: SyncResponse
}

export namespace ChannelMessage {
  let _codec: Codec<ChannelMessage>

  export const codec = (): Codec<ChannelMessage> => {
    if (_codec == null) {
      _codec = message<ChannelMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.propose != null) {
          w.uint32(10)
          Propose.codec().encode(obj.propose, w)
        }

        if (obj.countersign != null) {
          w.uint32(18)
          Countersign.codec().encode(obj.countersign, w)
        }

        if (obj.reject != null) {
          w.uint32(26)
          Reject.codec().encode(obj.reject, w)
        }

        if (obj.closeRequest != null) {
          w.uint32(34)
          CloseRequest.codec().encode(obj.closeRequest, w)
        }

        if (obj.closeAccept != null) {
          w.uint32(42)
          CloseAccept.codec().encode(obj.closeAccept, w)
        }

        if (obj.syncRequest != null) {
          w.uint32(50)
          SyncRequest.codec().encode(obj.syncRequest, w)
        }

        if (obj.syncResponse != null) {
          w.uint32(58)
          SyncResponse.codec().encode(obj.syncResponse, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.propose = Propose.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.propose
              })
              break
            }
            case 2: {
              obj.countersign = Countersign.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.countersign
              })
              break
            }
            case 3: {
              obj.reject = Reject.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.reject
              })
              break
            }
            case 4: {
              obj.closeRequest = CloseRequest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.closeRequest
              })
              break
            }
            case 5: {
              obj.closeAccept = CloseAccept.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.closeAccept
              })
              break
            }
            case 6: {
              obj.syncRequest = SyncRequest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.syncRequest
              })
              break
            }
            case 7: {
              obj.syncResponse = SyncResponse.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.syncResponse
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Propose.codec().stream(reader, reader.uint32(), `${prefix}.propose`, {
                limits: opts.limits?.propose
              })

              break
            }
            case 2: {
              yield * Countersign.codec().stream(reader, reader.uint32(), `${prefix}.countersign`, {
                limits: opts.limits?.countersign
              })

              break
            }
            case 3: {
              yield * Reject.codec().stream(reader, reader.uint32(), `${prefix}.reject`, {
                limits: opts.limits?.reject
              })

              break
            }
            case 4: {
              yield * CloseRequest.codec().stream(reader, reader.uint32(), `${prefix}.closeRequest`, {
                limits: opts.limits?.closeRequest
              })

              break
            }
            case 5: {
              yield * CloseAccept.codec().stream(reader, reader.uint32(), `${prefix}.closeAccept`, {
                limits: opts.limits?.closeAccept
              })

              break
            }
            case 6: {
              yield * SyncRequest.codec().stream(reader, reader.uint32(), `${prefix}.syncRequest`, {
                limits: opts.limits?.syncRequest
              })

              break
            }
            case 7: {
              yield * SyncResponse.codec().stream(reader, reader.uint32(), `${prefix}.syncResponse`, {
                limits: opts.limits?.syncResponse
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ChannelMessageProposeStateChannelIdFieldEvent {
    field: '$.propose.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageProposeStateNonceFieldEvent {
    field: '$.propose.state.nonce'
    value: bigint
  }

  export interface ChannelMessageProposeStateBalanceRiderFieldEvent {
    field: '$.propose.state.balanceRider'
    value: string
  }

  export interface ChannelMessageProposeStateBalanceDriverFieldEvent {
    field: '$.propose.state.balanceDriver'
    value: string
  }

  export interface ChannelMessageProposeStateTripRecordHashFieldEvent {
    field: '$.propose.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageProposeRiderSigFieldEvent {
    field: '$.propose.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageProposeBindingPeerIdFieldEvent {
    field: '$.propose.binding.peerId'
    value: string
  }

  export interface ChannelMessageProposeBindingAddressFieldEvent {
    field: '$.propose.binding.address'
    value: string
  }

  export interface ChannelMessageProposeBindingRequestIdFieldEvent {
    field: '$.propose.binding.requestId'
    value: string
  }

  export interface ChannelMessageProposeBindingIssuedAtFieldEvent {
    field: '$.propose.binding.issuedAt'
    value: number
  }

  export interface ChannelMessageProposeBindingSignatureFieldEvent {
    field: '$.propose.binding.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageCountersignChannelIdFieldEvent {
    field: '$.countersign.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageCountersignNonceFieldEvent {
    field: '$.countersign.nonce'
    value: bigint
  }

  export interface ChannelMessageCountersignDriverSigFieldEvent {
    field: '$.countersign.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageRejectChannelIdFieldEvent {
    field: '$.reject.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageRejectNonceFieldEvent {
    field: '$.reject.nonce'
    value: bigint
  }

  export interface ChannelMessageRejectReasonFieldEvent {
    field: '$.reject.reason'
    value: Reject.Reason
  }

  export interface ChannelMessageRejectDetailFieldEvent {
    field: '$.reject.detail'
    value: string
  }

  export interface ChannelMessageRejectLatestStateChannelIdFieldEvent {
    field: '$.reject.latest.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageRejectLatestStateNonceFieldEvent {
    field: '$.reject.latest.state.nonce'
    value: bigint
  }

  export interface ChannelMessageRejectLatestStateBalanceRiderFieldEvent {
    field: '$.reject.latest.state.balanceRider'
    value: string
  }

  export interface ChannelMessageRejectLatestStateBalanceDriverFieldEvent {
    field: '$.reject.latest.state.balanceDriver'
    value: string
  }

  export interface ChannelMessageRejectLatestStateTripRecordHashFieldEvent {
    field: '$.reject.latest.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageRejectLatestRiderSigFieldEvent {
    field: '$.reject.latest.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageRejectLatestDriverSigFieldEvent {
    field: '$.reject.latest.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageCloseRequestStateChannelIdFieldEvent {
    field: '$.closeRequest.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageCloseRequestStateNonceFieldEvent {
    field: '$.closeRequest.state.nonce'
    value: bigint
  }

  export interface ChannelMessageCloseRequestStateBalanceRiderFieldEvent {
    field: '$.closeRequest.state.balanceRider'
    value: string
  }

  export interface ChannelMessageCloseRequestStateBalanceDriverFieldEvent {
    field: '$.closeRequest.state.balanceDriver'
    value: string
  }

  export interface ChannelMessageCloseRequestStateTripRecordHashFieldEvent {
    field: '$.closeRequest.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageCloseRequestSigFieldEvent {
    field: '$.closeRequest.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageCloseAcceptChannelIdFieldEvent {
    field: '$.closeAccept.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageCloseAcceptSigFieldEvent {
    field: '$.closeAccept.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageSyncRequestChannelIdFieldEvent {
    field: '$.syncRequest.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageSyncResponseLatestStateChannelIdFieldEvent {
    field: '$.syncResponse.latest.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageSyncResponseLatestStateNonceFieldEvent {
    field: '$.syncResponse.latest.state.nonce'
    value: bigint
  }

  export interface ChannelMessageSyncResponseLatestStateBalanceRiderFieldEvent {
    field: '$.syncResponse.latest.state.balanceRider'
    value: string
  }

  export interface ChannelMessageSyncResponseLatestStateBalanceDriverFieldEvent {
    field: '$.syncResponse.latest.state.balanceDriver'
    value: string
  }

  export interface ChannelMessageSyncResponseLatestStateTripRecordHashFieldEvent {
    field: '$.syncResponse.latest.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageSyncResponseLatestRiderSigFieldEvent {
    field: '$.syncResponse.latest.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChannelMessageSyncResponseLatestDriverSigFieldEvent {
    field: '$.syncResponse.latest.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ChannelMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChannelMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChannelMessage>): ChannelMessage {
    return decodeMessage(buf, ChannelMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChannelMessage>): Generator<ChannelMessageProposeStateChannelIdFieldEvent | ChannelMessageProposeStateNonceFieldEvent | ChannelMessageProposeStateBalanceRiderFieldEvent | ChannelMessageProposeStateBalanceDriverFieldEvent | ChannelMessageProposeStateTripRecordHashFieldEvent | ChannelMessageProposeRiderSigFieldEvent | ChannelMessageProposeBindingPeerIdFieldEvent | ChannelMessageProposeBindingAddressFieldEvent | ChannelMessageProposeBindingRequestIdFieldEvent | ChannelMessageProposeBindingIssuedAtFieldEvent | ChannelMessageProposeBindingSignatureFieldEvent | ChannelMessageCountersignChannelIdFieldEvent | ChannelMessageCountersignNonceFieldEvent | ChannelMessageCountersignDriverSigFieldEvent | ChannelMessageRejectChannelIdFieldEvent | ChannelMessageRejectNonceFieldEvent | ChannelMessageRejectReasonFieldEvent | ChannelMessageRejectDetailFieldEvent | ChannelMessageRejectLatestStateChannelIdFieldEvent | ChannelMessageRejectLatestStateNonceFieldEvent | ChannelMessageRejectLatestStateBalanceRiderFieldEvent | ChannelMessageRejectLatestStateBalanceDriverFieldEvent | ChannelMessageRejectLatestStateTripRecordHashFieldEvent | ChannelMessageRejectLatestRiderSigFieldEvent | ChannelMessageRejectLatestDriverSigFieldEvent | ChannelMessageCloseRequestStateChannelIdFieldEvent | ChannelMessageCloseRequestStateNonceFieldEvent | ChannelMessageCloseRequestStateBalanceRiderFieldEvent | ChannelMessageCloseRequestStateBalanceDriverFieldEvent | ChannelMessageCloseRequestStateTripRecordHashFieldEvent | ChannelMessageCloseRequestSigFieldEvent | ChannelMessageCloseAcceptChannelIdFieldEvent | ChannelMessageCloseAcceptSigFieldEvent | ChannelMessageSyncRequestChannelIdFieldEvent | ChannelMessageSyncResponseLatestStateChannelIdFieldEvent | ChannelMessageSyncResponseLatestStateNonceFieldEvent | ChannelMessageSyncResponseLatestStateBalanceRiderFieldEvent | ChannelMessageSyncResponseLatestStateBalanceDriverFieldEvent | ChannelMessageSyncResponseLatestStateTripRecordHashFieldEvent | ChannelMessageSyncResponseLatestRiderSigFieldEvent | ChannelMessageSyncResponseLatestDriverSigFieldEvent> {
    return streamMessage(buf, ChannelMessage.codec(), opts)
  }
}

export interface PayFrame {
  id: bigint
  message?: ChannelMessage
}

export namespace PayFrame {
  let _codec: Codec<PayFrame>

  export const codec = (): Codec<PayFrame> => {
    if (_codec == null) {
      _codec = message<PayFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== 0n)) {
          w.uint32(9)
          w.fixed64(obj.id)
        }

        if (obj.message != null) {
          w.uint32(18)
          ChannelMessage.codec().encode(obj.message, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.fixed64()
              break
            }
            case 2: {
              obj.message = ChannelMessage.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.message
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.fixed64()
              }
              break
            }
            case 2: {
              yield * ChannelMessage.codec().stream(reader, reader.uint32(), `${prefix}.message`, {
                limits: opts.limits?.message
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PayFrameIdFieldEvent {
    field: '$.id'
    value: bigint
  }

  export interface PayFrameMessageProposeStateChannelIdFieldEvent {
    field: '$.message.propose.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageProposeStateNonceFieldEvent {
    field: '$.message.propose.state.nonce'
    value: bigint
  }

  export interface PayFrameMessageProposeStateBalanceRiderFieldEvent {
    field: '$.message.propose.state.balanceRider'
    value: string
  }

  export interface PayFrameMessageProposeStateBalanceDriverFieldEvent {
    field: '$.message.propose.state.balanceDriver'
    value: string
  }

  export interface PayFrameMessageProposeStateTripRecordHashFieldEvent {
    field: '$.message.propose.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageProposeRiderSigFieldEvent {
    field: '$.message.propose.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageProposeBindingPeerIdFieldEvent {
    field: '$.message.propose.binding.peerId'
    value: string
  }

  export interface PayFrameMessageProposeBindingAddressFieldEvent {
    field: '$.message.propose.binding.address'
    value: string
  }

  export interface PayFrameMessageProposeBindingRequestIdFieldEvent {
    field: '$.message.propose.binding.requestId'
    value: string
  }

  export interface PayFrameMessageProposeBindingIssuedAtFieldEvent {
    field: '$.message.propose.binding.issuedAt'
    value: number
  }

  export interface PayFrameMessageProposeBindingSignatureFieldEvent {
    field: '$.message.propose.binding.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageCountersignChannelIdFieldEvent {
    field: '$.message.countersign.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageCountersignNonceFieldEvent {
    field: '$.message.countersign.nonce'
    value: bigint
  }

  export interface PayFrameMessageCountersignDriverSigFieldEvent {
    field: '$.message.countersign.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageRejectChannelIdFieldEvent {
    field: '$.message.reject.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageRejectNonceFieldEvent {
    field: '$.message.reject.nonce'
    value: bigint
  }

  export interface PayFrameMessageRejectReasonFieldEvent {
    field: '$.message.reject.reason'
    value: Reject.Reason
  }

  export interface PayFrameMessageRejectDetailFieldEvent {
    field: '$.message.reject.detail'
    value: string
  }

  export interface PayFrameMessageRejectLatestStateChannelIdFieldEvent {
    field: '$.message.reject.latest.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageRejectLatestStateNonceFieldEvent {
    field: '$.message.reject.latest.state.nonce'
    value: bigint
  }

  export interface PayFrameMessageRejectLatestStateBalanceRiderFieldEvent {
    field: '$.message.reject.latest.state.balanceRider'
    value: string
  }

  export interface PayFrameMessageRejectLatestStateBalanceDriverFieldEvent {
    field: '$.message.reject.latest.state.balanceDriver'
    value: string
  }

  export interface PayFrameMessageRejectLatestStateTripRecordHashFieldEvent {
    field: '$.message.reject.latest.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageRejectLatestRiderSigFieldEvent {
    field: '$.message.reject.latest.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageRejectLatestDriverSigFieldEvent {
    field: '$.message.reject.latest.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageCloseRequestStateChannelIdFieldEvent {
    field: '$.message.closeRequest.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageCloseRequestStateNonceFieldEvent {
    field: '$.message.closeRequest.state.nonce'
    value: bigint
  }

  export interface PayFrameMessageCloseRequestStateBalanceRiderFieldEvent {
    field: '$.message.closeRequest.state.balanceRider'
    value: string
  }

  export interface PayFrameMessageCloseRequestStateBalanceDriverFieldEvent {
    field: '$.message.closeRequest.state.balanceDriver'
    value: string
  }

  export interface PayFrameMessageCloseRequestStateTripRecordHashFieldEvent {
    field: '$.message.closeRequest.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageCloseRequestSigFieldEvent {
    field: '$.message.closeRequest.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageCloseAcceptChannelIdFieldEvent {
    field: '$.message.closeAccept.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageCloseAcceptSigFieldEvent {
    field: '$.message.closeAccept.sig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageSyncRequestChannelIdFieldEvent {
    field: '$.message.syncRequest.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageSyncResponseLatestStateChannelIdFieldEvent {
    field: '$.message.syncResponse.latest.state.channelId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageSyncResponseLatestStateNonceFieldEvent {
    field: '$.message.syncResponse.latest.state.nonce'
    value: bigint
  }

  export interface PayFrameMessageSyncResponseLatestStateBalanceRiderFieldEvent {
    field: '$.message.syncResponse.latest.state.balanceRider'
    value: string
  }

  export interface PayFrameMessageSyncResponseLatestStateBalanceDriverFieldEvent {
    field: '$.message.syncResponse.latest.state.balanceDriver'
    value: string
  }

  export interface PayFrameMessageSyncResponseLatestStateTripRecordHashFieldEvent {
    field: '$.message.syncResponse.latest.state.tripRecordHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageSyncResponseLatestRiderSigFieldEvent {
    field: '$.message.syncResponse.latest.riderSig'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PayFrameMessageSyncResponseLatestDriverSigFieldEvent {
    field: '$.message.syncResponse.latest.driverSig'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<PayFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PayFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PayFrame>): PayFrame {
    return decodeMessage(buf, PayFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PayFrame>): Generator<PayFrameIdFieldEvent | PayFrameMessageProposeStateChannelIdFieldEvent | PayFrameMessageProposeStateNonceFieldEvent | PayFrameMessageProposeStateBalanceRiderFieldEvent | PayFrameMessageProposeStateBalanceDriverFieldEvent | PayFrameMessageProposeStateTripRecordHashFieldEvent | PayFrameMessageProposeRiderSigFieldEvent | PayFrameMessageProposeBindingPeerIdFieldEvent | PayFrameMessageProposeBindingAddressFieldEvent | PayFrameMessageProposeBindingRequestIdFieldEvent | PayFrameMessageProposeBindingIssuedAtFieldEvent | PayFrameMessageProposeBindingSignatureFieldEvent | PayFrameMessageCountersignChannelIdFieldEvent | PayFrameMessageCountersignNonceFieldEvent | PayFrameMessageCountersignDriverSigFieldEvent | PayFrameMessageRejectChannelIdFieldEvent | PayFrameMessageRejectNonceFieldEvent | PayFrameMessageRejectReasonFieldEvent | PayFrameMessageRejectDetailFieldEvent | PayFrameMessageRejectLatestStateChannelIdFieldEvent | PayFrameMessageRejectLatestStateNonceFieldEvent | PayFrameMessageRejectLatestStateBalanceRiderFieldEvent | PayFrameMessageRejectLatestStateBalanceDriverFieldEvent | PayFrameMessageRejectLatestStateTripRecordHashFieldEvent | PayFrameMessageRejectLatestRiderSigFieldEvent | PayFrameMessageRejectLatestDriverSigFieldEvent | PayFrameMessageCloseRequestStateChannelIdFieldEvent | PayFrameMessageCloseRequestStateNonceFieldEvent | PayFrameMessageCloseRequestStateBalanceRiderFieldEvent | PayFrameMessageCloseRequestStateBalanceDriverFieldEvent | PayFrameMessageCloseRequestStateTripRecordHashFieldEvent | PayFrameMessageCloseRequestSigFieldEvent | PayFrameMessageCloseAcceptChannelIdFieldEvent | PayFrameMessageCloseAcceptSigFieldEvent | PayFrameMessageSyncRequestChannelIdFieldEvent | PayFrameMessageSyncResponseLatestStateChannelIdFieldEvent | PayFrameMessageSyncResponseLatestStateNonceFieldEvent | PayFrameMessageSyncResponseLatestStateBalanceRiderFieldEvent | PayFrameMessageSyncResponseLatestStateBalanceDriverFieldEvent | PayFrameMessageSyncResponseLatestStateTripRecordHashFieldEvent | PayFrameMessageSyncResponseLatestRiderSigFieldEvent | PayFrameMessageSyncResponseLatestDriverSigFieldEvent> {
    return streamMessage(buf, PayFrame.codec(), opts)
  }
}
