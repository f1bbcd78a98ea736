import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Envelope {
  version: number
  type: Envelope.Type
  payload: Uint8Array<ArrayBuffer>
  senderKey: Uint8Array<ArrayBuffer>
  expiresAt: number
  nonce: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace Envelope {
  export enum Type {
    TYPE_UNSPECIFIED = 'TYPE_UNSPECIFIED',
    VEHICLE_OFFER = 'VEHICLE_OFFER',
    RIDE_REQUEST = 'RIDE_REQUEST',
    QUOTE = 'QUOTE',
    ACCEPT = 'ACCEPT',
    CONFIRM = 'CONFIRM',
    DECLINE = 'DECLINE',
    CANCEL = 'CANCEL',
    TRIP_UPDATE = 'TRIP_UPDATE',
    TRIP_RECORD = 'TRIP_RECORD',
    REVEAL = 'REVEAL'
  }

  enum __TypeValues {
    TYPE_UNSPECIFIED = 0,
    VEHICLE_OFFER = 1,
    RIDE_REQUEST = 2,
    QUOTE = 3,
    ACCEPT = 4,
    CONFIRM = 5,
    DECLINE = 6,
    CANCEL = 7,
    TRIP_UPDATE = 8,
    TRIP_RECORD = 9,
    REVEAL = 10
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<Envelope>

  export const codec = (): Codec<Envelope> => {
    if (_codec == null) {
      _codec = message<Envelope>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(16)
          Envelope.Type.codec().encode(obj.type, w)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.payload)
        }

        if ((obj.senderKey != null && obj.senderKey.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.senderKey)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.expiresAt)
        }

        if ((obj.nonce != null && obj.nonce.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.nonce)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          type: Type.TYPE_UNSPECIFIED,
          payload: uint8ArrayAlloc(0),
          senderKey: uint8ArrayAlloc(0),
          expiresAt: 0,
          nonce: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.type = Envelope.Type.codec().decode(reader)
              break
            }
            case 3: {
              obj.payload = reader.bytes()
              break
            }
            case 4: {
              obj.senderKey = reader.bytes()
              break
            }
            case 5: {
              obj.expiresAt = reader.uint64Number()
              break
            }
            case 6: {
              obj.nonce = reader.bytes()
              break
            }
            case 7: {
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
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.type`,
                value: Envelope.Type.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.senderKey`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
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

  export interface EnvelopeVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface EnvelopeTypeFieldEvent {
    field: '$.type'
    value: Envelope.Type
  }

  export interface EnvelopePayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeSenderKeyFieldEvent {
    field: '$.senderKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: number
  }

  export interface EnvelopeNonceFieldEvent {
    field: '$.nonce'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EnvelopeSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Envelope>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Envelope.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Envelope {
    return decodeMessage(buf, Envelope.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Envelope>): Generator<EnvelopeVersionFieldEvent | EnvelopeTypeFieldEvent | EnvelopePayloadFieldEvent | EnvelopeSenderKeyFieldEvent | EnvelopeExpiresAtFieldEvent | EnvelopeNonceFieldEvent | EnvelopeSignatureFieldEvent> {
    return streamMessage(buf, Envelope.codec(), opts)
  }
}

export interface LatLon {
  lat: number
  lon: number
}

export namespace LatLon {
  let _codec: Codec<LatLon>

  export const codec = (): Codec<LatLon> => {
    if (_codec == null) {
      _codec = message<LatLon>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.lat != null && obj.lat !== 0)) {
          w.uint32(9)
          w.double(obj.lat)
        }

        if ((obj.lon != null && obj.lon !== 0)) {
          w.uint32(17)
          w.double(obj.lon)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          lat: 0,
          lon: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.lat = reader.double()
              break
            }
            case 2: {
              obj.lon = reader.double()
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
                field: `${prefix}.lat`,
                value: reader.double()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.lon`,
                value: reader.double()
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

  export interface LatLonLatFieldEvent {
    field: '$.lat'
    value: number
  }

  export interface LatLonLonFieldEvent {
    field: '$.lon'
    value: number
  }

  export function encode (obj: Partial<LatLon>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, LatLon.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LatLon>): LatLon {
    return decodeMessage(buf, LatLon.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<LatLon>): Generator<LatLonLatFieldEvent | LatLonLonFieldEvent> {
    return streamMessage(buf, LatLon.codec(), opts)
  }
}

export interface FareSummary {
  currency: string
  base: string
  perKm: string
  perMinute: string
}

export namespace FareSummary {
  let _codec: Codec<FareSummary>

  export const codec = (): Codec<FareSummary> => {
    if (_codec == null) {
      _codec = message<FareSummary>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.currency != null && obj.currency !== '')) {
          w.uint32(10)
          w.string(obj.currency)
        }

        if ((obj.base != null && obj.base !== '')) {
          w.uint32(18)
          w.string(obj.base)
        }

        if ((obj.perKm != null && obj.perKm !== '')) {
          w.uint32(26)
          w.string(obj.perKm)
        }

        if ((obj.perMinute != null && obj.perMinute !== '')) {
          w.uint32(34)
          w.string(obj.perMinute)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          currency: '',
          base: '',
          perKm: '',
          perMinute: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.currency = reader.string()
              break
            }
            case 2: {
              obj.base = reader.string()
              break
            }
            case 3: {
              obj.perKm = reader.string()
              break
            }
            case 4: {
              obj.perMinute = reader.string()
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
                field: `${prefix}.currency`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.base`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.perKm`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.perMinute`,
                value: reader.string()
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

  export interface FareSummaryCurrencyFieldEvent {
    field: '$.currency'
    value: string
  }

  export interface FareSummaryBaseFieldEvent {
    field: '$.base'
    value: string
  }

  export interface FareSummaryPerKmFieldEvent {
    field: '$.perKm'
    value: string
  }

  export interface FareSummaryPerMinuteFieldEvent {
    field: '$.perMinute'
    value: string
  }

  export function encode (obj: Partial<FareSummary>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, FareSummary.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FareSummary>): FareSummary {
    return decodeMessage(buf, FareSummary.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<FareSummary>): Generator<FareSummaryCurrencyFieldEvent | FareSummaryBaseFieldEvent | FareSummaryPerKmFieldEvent | FareSummaryPerMinuteFieldEvent> {
    return streamMessage(buf, FareSummary.codec(), opts)
  }
}

export interface VehicleOffer {
  cell: string
  freeSeats: number
  capacity: number
  fare?: FareSummary
  vehicle: string
  expiresAt: number
}

export namespace VehicleOffer {
  let _codec: Codec<VehicleOffer>

  export const codec = (): Codec<VehicleOffer> => {
    if (_codec == null) {
      _codec = message<VehicleOffer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.cell != null && obj.cell !== '')) {
          w.uint32(10)
          w.string(obj.cell)
        }

        if ((obj.freeSeats != null && obj.freeSeats !== 0)) {
          w.uint32(16)
          w.uint32(obj.freeSeats)
        }

        if ((obj.capacity != null && obj.capacity !== 0)) {
          w.uint32(24)
          w.uint32(obj.capacity)
        }

        if (obj.fare != null) {
          w.uint32(34)
          FareSummary.codec().encode(obj.fare, w)
        }

        if ((obj.vehicle != null && obj.vehicle !== '')) {
          w.uint32(42)
          w.string(obj.vehicle)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.expiresAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          cell: '',
          freeSeats: 0,
          capacity: 0,
          vehicle: '',
          expiresAt: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.cell = reader.string()
              break
            }
            case 2: {
              obj.freeSeats = reader.uint32()
              break
            }
            case 3: {
              obj.capacity = reader.uint32()
              break
            }
            case 4: {
              obj.fare = FareSummary.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.fare
              })
              break
            }
            case 5: {
              obj.vehicle = reader.string()
              break
            }
            case 6: {
              obj.expiresAt = reader.uint64Number()
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
                field: `${prefix}.cell`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.freeSeats`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.capacity`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield * FareSummary.codec().stream(reader, reader.uint32(), `${prefix}.fare`, {
                limits: opts.limits?.fare
              })

              break
            }
            case 5: {
              yield {
                field: `${prefix}.vehicle`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64Number()
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

  export interface VehicleOfferCellFieldEvent {
    field: '$.cell'
    value: string
  }

  export interface VehicleOfferFreeSeatsFieldEvent {
    field: '$.freeSeats'
    value: number
  }

  export interface VehicleOfferCapacityFieldEvent {
    field: '$.capacity'
    value: number
  }

  export interface VehicleOfferFareCurrencyFieldEvent {
    field: '$.fare.currency'
    value: string
  }

  export interface VehicleOfferFareBaseFieldEvent {
    field: '$.fare.base'
    value: string
  }

  export interface VehicleOfferFarePerKmFieldEvent {
    field: '$.fare.perKm'
    value: string
  }

  export interface VehicleOfferFarePerMinuteFieldEvent {
    field: '$.fare.perMinute'
    value: string
  }

  export interface VehicleOfferVehicleFieldEvent {
    field: '$.vehicle'
    value: string
  }

  export interface VehicleOfferExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: number
  }

  export function encode (obj: Partial<VehicleOffer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, VehicleOffer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VehicleOffer>): VehicleOffer {
    return decodeMessage(buf, VehicleOffer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VehicleOffer>): Generator<VehicleOfferCellFieldEvent | VehicleOfferFreeSeatsFieldEvent | VehicleOfferCapacityFieldEvent | VehicleOfferFareCurrencyFieldEvent | VehicleOfferFareBaseFieldEvent | VehicleOfferFarePerKmFieldEvent | VehicleOfferFarePerMinuteFieldEvent | VehicleOfferVehicleFieldEvent | VehicleOfferExpiresAtFieldEvent> {
    return streamMessage(buf, VehicleOffer.codec(), opts)
  }
}

export interface RideRequest {
  requestId: string
  pickupCell: string
  dropoffCell: string
  seats: number
  latestPickupAt: number
  maxPrice: string
  expiresAt: number
  currency: string
}

export namespace RideRequest {
  let _codec: Codec<RideRequest>

  export const codec = (): Codec<RideRequest> => {
    if (_codec == null) {
      _codec = message<RideRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(10)
          w.string(obj.requestId)
        }

        if ((obj.pickupCell != null && obj.pickupCell !== '')) {
          w.uint32(18)
          w.string(obj.pickupCell)
        }

        if ((obj.dropoffCell != null && obj.dropoffCell !== '')) {
          w.uint32(26)
          w.string(obj.dropoffCell)
        }

        if ((obj.seats != null && obj.seats !== 0)) {
          w.uint32(32)
          w.uint32(obj.seats)
        }

        if ((obj.latestPickupAt != null && obj.latestPickupAt !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.latestPickupAt)
        }

        if ((obj.maxPrice != null && obj.maxPrice !== '')) {
          w.uint32(50)
          w.string(obj.maxPrice)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0)) {
          w.uint32(56)
          w.uint64Number(obj.expiresAt)
        }

        if ((obj.currency != null && obj.currency !== '')) {
          w.uint32(66)
          w.string(obj.currency)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: '',
          pickupCell: '',
          dropoffCell: '',
          seats: 0,
          latestPickupAt: 0,
          maxPrice: '',
          expiresAt: 0,
          currency: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.string()
              break
            }
            case 2: {
              obj.pickupCell = reader.string()
              break
            }
            case 3: {
              obj.dropoffCell = reader.string()
              break
            }
            case 4: {
              obj.seats = reader.uint32()
              break
            }
            case 5: {
              obj.latestPickupAt = reader.uint64Number()
              break
            }
            case 6: {
              obj.maxPrice = reader.string()
              break
            }
            case 7: {
              obj.expiresAt = reader.uint64Number()
              break
            }
            case 8: {
              obj.currency = reader.string()
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
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.pickupCell`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.dropoffCell`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.seats`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.latestPickupAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.maxPrice`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.currency`,
                value: reader.string()
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

  export interface RideRequestRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface RideRequestPickupCellFieldEvent {
    field: '$.pickupCell'
    value: string
  }

  export interface RideRequestDropoffCellFieldEvent {
    field: '$.dropoffCell'
    value: string
  }

  export interface RideRequestSeatsFieldEvent {
    field: '$.seats'
    value: number
  }

  export interface RideRequestLatestPickupAtFieldEvent {
    field: '$.latestPickupAt'
    value: number
  }

  export interface RideRequestMaxPriceFieldEvent {
    field: '$.maxPrice'
    value: string
  }

  export interface RideRequestExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: number
  }

  export interface RideRequestCurrencyFieldEvent {
    field: '$.currency'
    value: string
  }

  export function encode (obj: Partial<RideRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RideRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RideRequest>): RideRequest {
    return decodeMessage(buf, RideRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RideRequest>): Generator<RideRequestRequestIdFieldEvent | RideRequestPickupCellFieldEvent | RideRequestDropoffCellFieldEvent | RideRequestSeatsFieldEvent | RideRequestLatestPickupAtFieldEvent | RideRequestMaxPriceFieldEvent | RideRequestExpiresAtFieldEvent | RideRequestCurrencyFieldEvent> {
    return streamMessage(buf, RideRequest.codec(), opts)
  }
}

export interface Quote {
  requestId: string
  quoteId: string
  price: string
  expiresAt: number
  pooled: boolean
  currency: string
  seats: number
  pickupMinutes: number
  dropoffMinutes: number
  binding?: IdentityBinding
}

export namespace Quote {
  let _codec: Codec<Quote>

  export const codec = (): Codec<Quote> => {
    if (_codec == null) {
      _codec = message<Quote>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(10)
          w.string(obj.requestId)
        }

        if ((obj.quoteId != null && obj.quoteId !== '')) {
          w.uint32(18)
          w.string(obj.quoteId)
        }

        if ((obj.price != null && obj.price !== '')) {
          w.uint32(26)
          w.string(obj.price)
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0)) {
          w.uint32(56)
          w.uint64Number(obj.expiresAt)
        }

        if ((obj.pooled != null && obj.pooled !== false)) {
          w.uint32(64)
          w.bool(obj.pooled)
        }

        if ((obj.currency != null && obj.currency !== '')) {
          w.uint32(74)
          w.string(obj.currency)
        }

        if ((obj.seats != null && obj.seats !== 0)) {
          w.uint32(80)
          w.uint32(obj.seats)
        }

        if ((obj.pickupMinutes != null && obj.pickupMinutes !== 0)) {
          w.uint32(88)
          w.uint32(obj.pickupMinutes)
        }

        if ((obj.dropoffMinutes != null && obj.dropoffMinutes !== 0)) {
          w.uint32(96)
          w.uint32(obj.dropoffMinutes)
        }

        if (obj.binding != null) {
          w.uint32(106)
          IdentityBinding.codec().encode(obj.binding, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: '',
          quoteId: '',
          price: '',
          expiresAt: 0,
          pooled: false,
          currency: '',
          seats: 0,
          pickupMinutes: 0,
          dropoffMinutes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.string()
              break
            }
            case 2: {
              obj.quoteId = reader.string()
              break
            }
            case 3: {
              obj.price = reader.string()
              break
            }
            case 7: {
              obj.expiresAt = reader.uint64Number()
              break
            }
            case 8: {
              obj.pooled = reader.bool()
              break
            }
            case 9: {
              obj.currency = reader.string()
              break
            }
            case 10: {
              obj.seats = reader.uint32()
              break
            }
            case 11: {
              obj.pickupMinutes = reader.uint32()
              break
            }
            case 12: {
              obj.dropoffMinutes = reader.uint32()
              break
            }
            case 13: {
              obj.binding = IdentityBinding.codec().decode(reader, reader.uint32(), {
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
              yield {
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.quoteId`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.price`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.pooled`,
                value: reader.bool()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.currency`,
                value: reader.string()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.seats`,
                value: reader.uint32()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.pickupMinutes`,
                value: reader.uint32()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.dropoffMinutes`,
                value: reader.uint32()
              }
              break
            }
            case 13: {
              yield * IdentityBinding.codec().stream(reader, reader.uint32(), `${prefix}.binding`, {
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

  export interface QuoteRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface QuoteQuoteIdFieldEvent {
    field: '$.quoteId'
    value: string
  }

  export interface QuotePriceFieldEvent {
    field: '$.price'
    value: string
  }

  export interface QuoteExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: number
  }

  export interface QuotePooledFieldEvent {
    field: '$.pooled'
    value: boolean
  }

  export interface QuoteCurrencyFieldEvent {
    field: '$.currency'
    value: string
  }

  export interface QuoteSeatsFieldEvent {
    field: '$.seats'
    value: number
  }

  export interface QuotePickupMinutesFieldEvent {
    field: '$.pickupMinutes'
    value: number
  }

  export interface QuoteDropoffMinutesFieldEvent {
    field: '$.dropoffMinutes'
    value: number
  }

  export interface QuoteBindingPeerIdFieldEvent {
    field: '$.binding.peerId'
    value: string
  }

  export interface QuoteBindingAddressFieldEvent {
    field: '$.binding.address'
    value: string
  }

  export interface QuoteBindingRequestIdFieldEvent {
    field: '$.binding.requestId'
    value: string
  }

  export interface QuoteBindingIssuedAtFieldEvent {
    field: '$.binding.issuedAt'
    value: number
  }

  export interface QuoteBindingSignatureFieldEvent {
    field: '$.binding.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Quote>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Quote.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Quote>): Quote {
    return decodeMessage(buf, Quote.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Quote>): Generator<QuoteRequestIdFieldEvent | QuoteQuoteIdFieldEvent | QuotePriceFieldEvent | QuoteExpiresAtFieldEvent | QuotePooledFieldEvent | QuoteCurrencyFieldEvent | QuoteSeatsFieldEvent | QuotePickupMinutesFieldEvent | QuoteDropoffMinutesFieldEvent | QuoteBindingPeerIdFieldEvent | QuoteBindingAddressFieldEvent | QuoteBindingRequestIdFieldEvent | QuoteBindingIssuedAtFieldEvent | QuoteBindingSignatureFieldEvent> {
    return streamMessage(buf, Quote.codec(), opts)
  }
}

export interface Accept {
  requestId: string
  quoteId: string
  seats: number
}

export namespace Accept {
  let _codec: Codec<Accept>

  export const codec = (): Codec<Accept> => {
    if (_codec == null) {
      _codec = message<Accept>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(10)
          w.string(obj.requestId)
        }

        if ((obj.quoteId != null && obj.quoteId !== '')) {
          w.uint32(18)
          w.string(obj.quoteId)
        }

        if ((obj.seats != null && obj.seats !== 0)) {
          w.uint32(40)
          w.uint32(obj.seats)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: '',
          quoteId: '',
          seats: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.string()
              break
            }
            case 2: {
              obj.quoteId = reader.string()
              break
            }
            case 5: {
              obj.seats = reader.uint32()
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
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.quoteId`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.seats`,
                value: reader.uint32()
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

  export interface AcceptRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface AcceptQuoteIdFieldEvent {
    field: '$.quoteId'
    value: string
  }

  export interface AcceptSeatsFieldEvent {
    field: '$.seats'
    value: number
  }

  export function encode (obj: Partial<Accept>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Accept.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Accept>): Accept {
    return decodeMessage(buf, Accept.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Accept>): Generator<AcceptRequestIdFieldEvent | AcceptQuoteIdFieldEvent | AcceptSeatsFieldEvent> {
    return streamMessage(buf, Accept.codec(), opts)
  }
}

export interface Confirm {
  requestId: string
  quoteId: string
  pickupMinutes: number
}

export namespace Confirm {
  let _codec: Codec<Confirm>

  export const codec = (): Codec<Confirm> => {
    if (_codec == null) {
      _codec = message<Confirm>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(10)
          w.string(obj.requestId)
        }

        if ((obj.quoteId != null && obj.quoteId !== '')) {
          w.uint32(18)
          w.string(obj.quoteId)
        }

        if ((obj.pickupMinutes != null && obj.pickupMinutes !== 0)) {
          w.uint32(32)
          w.uint32(obj.pickupMinutes)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: '',
          quoteId: '',
          pickupMinutes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.string()
              break
            }
            case 2: {
              obj.quoteId = reader.string()
              break
            }
            case 4: {
              obj.pickupMinutes = reader.uint32()
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
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.quoteId`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.pickupMinutes`,
                value: reader.uint32()
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

  export interface ConfirmRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface ConfirmQuoteIdFieldEvent {
    field: '$.quoteId'
    value: string
  }

  export interface ConfirmPickupMinutesFieldEvent {
    field: '$.pickupMinutes'
    value: number
  }

  export function encode (obj: Partial<Confirm>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Confirm.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Confirm>): Confirm {
    return decodeMessage(buf, Confirm.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Confirm>): Generator<ConfirmRequestIdFieldEvent | ConfirmQuoteIdFieldEvent | ConfirmPickupMinutesFieldEvent> {
    return streamMessage(buf, Confirm.codec(), opts)
  }
}

export interface Reveal {
  requestId: string
  quoteId: string
  pickup?: LatLon
  dropoff?: LatLon
  binding?: IdentityBinding
}

export namespace Reveal {
  let _codec: Codec<Reveal>

  export const codec = (): Codec<Reveal> => {
    if (_codec == null) {
      _codec = message<Reveal>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(10)
          w.string(obj.requestId)
        }

        if ((obj.quoteId != null && obj.quoteId !== '')) {
          w.uint32(18)
          w.string(obj.quoteId)
        }

        if (obj.pickup != null) {
          w.uint32(26)
          LatLon.codec().encode(obj.pickup, w)
        }

        if (obj.dropoff != null) {
          w.uint32(34)
          LatLon.codec().encode(obj.dropoff, w)
        }

        if (obj.binding != null) {
          w.uint32(42)
          IdentityBinding.codec().encode(obj.binding, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: '',
          quoteId: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.string()
              break
            }
            case 2: {
              obj.quoteId = reader.string()
              break
            }
            case 3: {
              obj.pickup = LatLon.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.pickup
              })
              break
            }
            case 4: {
              obj.dropoff = LatLon.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.dropoff
              })
              break
            }
            case 5: {
              obj.binding = IdentityBinding.codec().decode(reader, reader.uint32(), {
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
              yield {
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.quoteId`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield * LatLon.codec().stream(reader, reader.uint32(), `${prefix}.pickup`, {
                limits: opts.limits?.pickup
              })

              break
            }
            case 4: {
              yield * LatLon.codec().stream(reader, reader.uint32(), `${prefix}.dropoff`, {
                limits: opts.limits?.dropoff
              })

              break
            }
            case 5: {
              yield * IdentityBinding.codec().stream(reader, reader.uint32(), `${prefix}.binding`, {
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

  export interface RevealRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface RevealQuoteIdFieldEvent {
    field: '$.quoteId'
    value: string
  }

  export interface RevealPickupLatFieldEvent {
    field: '$.pickup.lat'
    value: number
  }

  export interface RevealPickupLonFieldEvent {
    field: '$.pickup.lon'
    value: number
  }

  export interface RevealDropoffLatFieldEvent {
    field: '$.dropoff.lat'
    value: number
  }

  export interface RevealDropoffLonFieldEvent {
    field: '$.dropoff.lon'
    value: number
  }

  export interface RevealBindingPeerIdFieldEvent {
    field: '$.binding.peerId'
    value: string
  }

  export interface RevealBindingAddressFieldEvent {
    field: '$.binding.address'
    value: string
  }

  export interface RevealBindingRequestIdFieldEvent {
    field: '$.binding.requestId'
    value: string
  }

  export interface RevealBindingIssuedAtFieldEvent {
    field: '$.binding.issuedAt'
    value: number
  }

  export interface RevealBindingSignatureFieldEvent {
    field: '$.binding.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Reveal>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Reveal.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reveal>): Reveal {
    return decodeMessage(buf, Reveal.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Reveal>): Generator<RevealRequestIdFieldEvent | RevealQuoteIdFieldEvent | RevealPickupLatFieldEvent | RevealPickupLonFieldEvent | RevealDropoffLatFieldEvent | RevealDropoffLonFieldEvent | RevealBindingPeerIdFieldEvent | RevealBindingAddressFieldEvent | RevealBindingRequestIdFieldEvent | RevealBindingIssuedAtFieldEvent | RevealBindingSignatureFieldEvent> {
    return streamMessage(buf, Reveal.codec(), opts)
  }
}

export interface IdentityBinding {
  peerId: string
  address: string
  requestId: string
  issuedAt: number
  signature: Uint8Array<ArrayBuffer>
}

export namespace IdentityBinding {
  let _codec: Codec<IdentityBinding>

  export const codec = (): Codec<IdentityBinding> => {
    if (_codec == null) {
      _codec = message<IdentityBinding>((obj, w, opts = {}) => {
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

  export interface IdentityBindingPeerIdFieldEvent {
    field: '$.peerId'
    value: string
  }

  export interface IdentityBindingAddressFieldEvent {
    field: '$.address'
    value: string
  }

  export interface IdentityBindingRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface IdentityBindingIssuedAtFieldEvent {
    field: '$.issuedAt'
    value: number
  }

  export interface IdentityBindingSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<IdentityBinding>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, IdentityBinding.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IdentityBinding>): IdentityBinding {
    return decodeMessage(buf, IdentityBinding.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<IdentityBinding>): Generator<IdentityBindingPeerIdFieldEvent | IdentityBindingAddressFieldEvent | IdentityBindingRequestIdFieldEvent | IdentityBindingIssuedAtFieldEvent | IdentityBindingSignatureFieldEvent> {
    return streamMessage(buf, IdentityBinding.codec(), opts)
  }
}

export interface Decline {
  requestId: string
  quoteId: string
  reason: Decline.Reason
}

export namespace Decline {
  export enum Reason {
    REASON_UNSPECIFIED = 'REASON_UNSPECIFIED',
    NO_SEATS = 'NO_SEATS',
    QUOTE_EXPIRED = 'QUOTE_EXPIRED',
    INFEASIBLE = 'INFEASIBLE',
    UNKNOWN_QUOTE = 'UNKNOWN_QUOTE',
    BUSY = 'BUSY',
    OTHER = 'OTHER'
  }

  enum __ReasonValues {
    REASON_UNSPECIFIED = 0,
    NO_SEATS = 1,
    QUOTE_EXPIRED = 2,
    INFEASIBLE = 3,
    UNKNOWN_QUOTE = 4,
    BUSY = 5,
    OTHER = 6
  }

  export namespace Reason {
    export const codec = (): Codec<Reason> => {
      return enumeration<Reason>(__ReasonValues)
    }
  }

  let _codec: Codec<Decline>

  export const codec = (): Codec<Decline> => {
    if (_codec == null) {
      _codec = message<Decline>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(10)
          w.string(obj.requestId)
        }

        if ((obj.quoteId != null && obj.quoteId !== '')) {
          w.uint32(18)
          w.string(obj.quoteId)
        }

        if (obj.reason != null && __ReasonValues[obj.reason] !== 0) {
          w.uint32(24)
          Decline.Reason.codec().encode(obj.reason, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: '',
          quoteId: '',
          reason: Reason.REASON_UNSPECIFIED
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.string()
              break
            }
            case 2: {
              obj.quoteId = reader.string()
              break
            }
            case 3: {
              obj.reason = Decline.Reason.codec().decode(reader)
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
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.quoteId`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.reason`,
                value: Decline.Reason.codec().decode(reader)
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

  export interface DeclineRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface DeclineQuoteIdFieldEvent {
    field: '$.quoteId'
    value: string
  }

  export interface DeclineReasonFieldEvent {
    field: '$.reason'
    value: Decline.Reason
  }

  export function encode (obj: Partial<Decline>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Decline.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Decline>): Decline {
    return decodeMessage(buf, Decline.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Decline>): Generator<DeclineRequestIdFieldEvent | DeclineQuoteIdFieldEvent | DeclineReasonFieldEvent> {
    return streamMessage(buf, Decline.codec(), opts)
  }
}

export interface Cancel {
  requestId: string
  reason: Cancel.Reason
  note: string
}

export namespace Cancel {
  export enum Reason {
    REASON_UNSPECIFIED = 'REASON_UNSPECIFIED',
    RIDER_CANCELLED = 'RIDER_CANCELLED',
    DRIVER_CANCELLED = 'DRIVER_CANCELLED',
    NO_SHOW = 'NO_SHOW',
    TIMEOUT = 'TIMEOUT',
    OTHER = 'OTHER'
  }

  enum __ReasonValues {
    REASON_UNSPECIFIED = 0,
    RIDER_CANCELLED = 1,
    DRIVER_CANCELLED = 2,
    NO_SHOW = 3,
    TIMEOUT = 4,
    OTHER = 5
  }

  export namespace Reason {
    export const codec = (): Codec<Reason> => {
      return enumeration<Reason>(__ReasonValues)
    }
  }

  let _codec: Codec<Cancel>

  export const codec = (): Codec<Cancel> => {
    if (_codec == null) {
      _codec = message<Cancel>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(10)
          w.string(obj.requestId)
        }

        if (obj.reason != null && __ReasonValues[obj.reason] !== 0) {
          w.uint32(16)
          Cancel.Reason.codec().encode(obj.reason, w)
        }

        if ((obj.note != null && obj.note !== '')) {
          w.uint32(26)
          w.string(obj.note)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: '',
          reason: Reason.REASON_UNSPECIFIED,
          note: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.string()
              break
            }
            case 2: {
              obj.reason = Cancel.Reason.codec().decode(reader)
              break
            }
            case 3: {
              obj.note = reader.string()
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
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.reason`,
                value: Cancel.Reason.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.note`,
                value: reader.string()
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

  export interface CancelRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface CancelReasonFieldEvent {
    field: '$.reason'
    value: Cancel.Reason
  }

  export interface CancelNoteFieldEvent {
    field: '$.note'
    value: string
  }

  export function encode (obj: Partial<Cancel>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Cancel.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Cancel>): Cancel {
    return decodeMessage(buf, Cancel.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Cancel>): Generator<CancelRequestIdFieldEvent | CancelReasonFieldEvent | CancelNoteFieldEvent> {
    return streamMessage(buf, Cancel.codec(), opts)
  }
}

export interface TripUpdate {
  requestId: string
  phase: TripUpdate.Phase
  position?: LatLon
  time: number
  distanceM: number
}

export namespace TripUpdate {
  export enum Phase {
    PHASE_UNSPECIFIED = 'PHASE_UNSPECIFIED',
    EN_ROUTE = 'EN_ROUTE',
    ARRIVED = 'ARRIVED',
    PICKED_UP = 'PICKED_UP',
    POSITION = 'POSITION',
    DROPPED_OFF = 'DROPPED_OFF'
  }

  enum __PhaseValues {
    PHASE_UNSPECIFIED = 0,
    EN_ROUTE = 1,
    ARRIVED = 2,
    PICKED_UP = 3,
    POSITION = 4,
    DROPPED_OFF = 5
  }

  export namespace Phase {
    export const codec = (): Codec<Phase> => {
      return enumeration<Phase>(__PhaseValues)
    }
  }

  let _codec: Codec<TripUpdate>

  export const codec = (): Codec<TripUpdate> => {
    if (_codec == null) {
      _codec = message<TripUpdate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId !== '')) {
          w.uint32(10)
          w.string(obj.requestId)
        }

        if (obj.phase != null && __PhaseValues[obj.phase] !== 0) {
          w.uint32(16)
          TripUpdate.Phase.codec().encode(obj.phase, w)
        }

        if (obj.position != null) {
          w.uint32(26)
          LatLon.codec().encode(obj.position, w)
        }

        if ((obj.time != null && obj.time !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.time)
        }

        if ((obj.distanceM != null && obj.distanceM !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.distanceM)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: '',
          phase: Phase.PHASE_UNSPECIFIED,
          time: 0,
          distanceM: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.string()
              break
            }
            case 2: {
              obj.phase = TripUpdate.Phase.codec().decode(reader)
              break
            }
            case 3: {
              obj.position = LatLon.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.position
              })
              break
            }
            case 4: {
              obj.time = reader.uint64Number()
              break
            }
            case 5: {
              obj.distanceM = reader.uint64Number()
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
                field: `${prefix}.requestId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.phase`,
                value: TripUpdate.Phase.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield * LatLon.codec().stream(reader, reader.uint32(), `${prefix}.position`, {
                limits: opts.limits?.position
              })

              break
            }
            case 4: {
              yield {
                field: `${prefix}.time`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.distanceM`,
                value: reader.uint64Number()
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

  export interface TripUpdateRequestIdFieldEvent {
    field: '$.requestId'
    value: string
  }

  export interface TripUpdatePhaseFieldEvent {
    field: '$.phase'
    value: TripUpdate.Phase
  }

  export interface TripUpdatePositionLatFieldEvent {
    field: '$.position.lat'
    value: number
  }

  export interface TripUpdatePositionLonFieldEvent {
    field: '$.position.lon'
    value: number
  }

  export interface TripUpdateTimeFieldEvent {
    field: '$.time'
    value: number
  }

  export interface TripUpdateDistanceMFieldEvent {
    field: '$.distanceM'
    value: number
  }

  export function encode (obj: Partial<TripUpdate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, TripUpdate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TripUpdate>): TripUpdate {
    return decodeMessage(buf, TripUpdate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TripUpdate>): Generator<TripUpdateRequestIdFieldEvent | TripUpdatePhaseFieldEvent | TripUpdatePositionLatFieldEvent | TripUpdatePositionLonFieldEvent | TripUpdateTimeFieldEvent | TripUpdateDistanceMFieldEvent> {
    return streamMessage(buf, TripUpdate.codec(), opts)
  }
}

export interface TripEvent {
  seq: number
  type: TripEvent.Type
  time: number
  prevHash: Uint8Array<ArrayBuffer>
  quoteId: string
  amount: string
  latE7: number
  lonE7: number
  distanceM: number
}

export namespace TripEvent {
  export enum Type {
    TYPE_UNSPECIFIED = 'TYPE_UNSPECIFIED',
    ACCEPTED = 'ACCEPTED',
    PICKED_UP = 'PICKED_UP',
    POSITION = 'POSITION',
    DROPPED_OFF = 'DROPPED_OFF',
    FARE = 'FARE'
  }

  enum __TypeValues {
    TYPE_UNSPECIFIED = 0,
    ACCEPTED = 1,
    PICKED_UP = 2,
    POSITION = 3,
    DROPPED_OFF = 4,
    FARE = 5
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<TripEvent>

  export const codec = (): Codec<TripEvent> => {
    if (_codec == null) {
      _codec = message<TripEvent>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(8)
          w.uint32(obj.seq)
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(16)
          TripEvent.Type.codec().encode(obj.type, w)
        }

        if ((obj.time != null && obj.time !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.time)
        }

        if ((obj.prevHash != null && obj.prevHash.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.prevHash)
        }

        if ((obj.quoteId != null && obj.quoteId !== '')) {
          w.uint32(42)
          w.string(obj.quoteId)
        }

        if ((obj.amount != null && obj.amount !== '')) {
          w.uint32(50)
          w.string(obj.amount)
        }

        if ((obj.latE7 != null && obj.latE7 !== 0)) {
          w.uint32(56)
          w.sint32(obj.latE7)
        }

        if ((obj.lonE7 != null && obj.lonE7 !== 0)) {
          w.uint32(64)
          w.sint32(obj.lonE7)
        }

        if ((obj.distanceM != null && obj.distanceM !== 0)) {
          w.uint32(72)
          w.uint64Number(obj.distanceM)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          seq: 0,
          type: Type.TYPE_UNSPECIFIED,
          time: 0,
          prevHash: uint8ArrayAlloc(0),
          quoteId: '',
          amount: '',
          latE7: 0,
          lonE7: 0,
          distanceM: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.seq = reader.uint32()
              break
            }
            case 2: {
              obj.type = TripEvent.Type.codec().decode(reader)
              break
            }
            case 3: {
              obj.time = reader.uint64Number()
              break
            }
            case 4: {
              obj.prevHash = reader.bytes()
              break
            }
            case 5: {
              obj.quoteId = reader.string()
              break
            }
            case 6: {
              obj.amount = reader.string()
              break
            }
            case 7: {
              obj.latE7 = reader.sint32()
              break
            }
            case 8: {
              obj.lonE7 = reader.sint32()
              break
            }
            case 9: {
              obj.distanceM = reader.uint64Number()
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
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.type`,
                value: TripEvent.Type.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.time`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.prevHash`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.quoteId`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.amount`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.latE7`,
                value: reader.sint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.lonE7`,
                value: reader.sint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.distanceM`,
                value: reader.uint64Number()
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

  export interface TripEventSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface TripEventTypeFieldEvent {
    field: '$.type'
    value: TripEvent.Type
  }

  export interface TripEventTimeFieldEvent {
    field: '$.time'
    value: number
  }

  export interface TripEventPrevHashFieldEvent {
    field: '$.prevHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TripEventQuoteIdFieldEvent {
    field: '$.quoteId'
    value: string
  }

  export interface TripEventAmountFieldEvent {
    field: '$.amount'
    value: string
  }

  export interface TripEventLatE7FieldEvent {
    field: '$.latE7'
    value: number
  }

  export interface TripEventLonE7FieldEvent {
    field: '$.lonE7'
    value: number
  }

  export interface TripEventDistanceMFieldEvent {
    field: '$.distanceM'
    value: number
  }

  export function encode (obj: Partial<TripEvent>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, TripEvent.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TripEvent>): TripEvent {
    return decodeMessage(buf, TripEvent.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TripEvent>): Generator<TripEventSeqFieldEvent | TripEventTypeFieldEvent | TripEventTimeFieldEvent | TripEventPrevHashFieldEvent | TripEventQuoteIdFieldEvent | TripEventAmountFieldEvent | TripEventLatE7FieldEvent | TripEventLonE7FieldEvent | TripEventDistanceMFieldEvent> {
    return streamMessage(buf, TripEvent.codec(), opts)
  }
}

export interface TripHeader {
  version: number
  rideId: string
  driver: string
  rider: string
  driverAddress: string
  riderAddress: string
  fare: string
  currency: string
  channelId: string
  amountPaid: string
  driverBindingIssuedAt: number
  driverBindingSignature: Uint8Array<ArrayBuffer>
  riderBindingIssuedAt: number
  riderBindingSignature: Uint8Array<ArrayBuffer>
}

export namespace TripHeader {
  let _codec: Codec<TripHeader>

  export const codec = (): Codec<TripHeader> => {
    if (_codec == null) {
      _codec = message<TripHeader>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.rideId != null && obj.rideId !== '')) {
          w.uint32(18)
          w.string(obj.rideId)
        }

        if ((obj.driver != null && obj.driver !== '')) {
          w.uint32(26)
          w.string(obj.driver)
        }

        if ((obj.rider != null && obj.rider !== '')) {
          w.uint32(34)
          w.string(obj.rider)
        }

        if ((obj.driverAddress != null && obj.driverAddress !== '')) {
          w.uint32(42)
          w.string(obj.driverAddress)
        }

        if ((obj.riderAddress != null && obj.riderAddress !== '')) {
          w.uint32(50)
          w.string(obj.riderAddress)
        }

        if ((obj.fare != null && obj.fare !== '')) {
          w.uint32(58)
          w.string(obj.fare)
        }

        if ((obj.currency != null && obj.currency !== '')) {
          w.uint32(66)
          w.string(obj.currency)
        }

        if ((obj.channelId != null && obj.channelId !== '')) {
          w.uint32(74)
          w.string(obj.channelId)
        }

        if ((obj.amountPaid != null && obj.amountPaid !== '')) {
          w.uint32(82)
          w.string(obj.amountPaid)
        }

        if ((obj.driverBindingIssuedAt != null && obj.driverBindingIssuedAt !== 0)) {
          w.uint32(88)
          w.uint64Number(obj.driverBindingIssuedAt)
        }

        if ((obj.driverBindingSignature != null && obj.driverBindingSignature.byteLength > 0)) {
          w.uint32(98)
          w.bytes(obj.driverBindingSignature)
        }

        if ((obj.riderBindingIssuedAt != null && obj.riderBindingIssuedAt !== 0)) {
          w.uint32(104)
          w.uint64Number(obj.riderBindingIssuedAt)
        }

        if ((obj.riderBindingSignature != null && obj.riderBindingSignature.byteLength > 0)) {
          w.uint32(114)
          w.bytes(obj.riderBindingSignature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          rideId: '',
          driver: '',
          rider: '',
          driverAddress: '',
          riderAddress: '',
          fare: '',
          currency: '',
          channelId: '',
          amountPaid: '',
          driverBindingIssuedAt: 0,
          driverBindingSignature: uint8ArrayAlloc(0),
          riderBindingIssuedAt: 0,
          riderBindingSignature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.rideId = reader.string()
              break
            }
            case 3: {
              obj.driver = reader.string()
              break
            }
            case 4: {
              obj.rider = reader.string()
              break
            }
            case 5: {
              obj.driverAddress = reader.string()
              break
            }
            case 6: {
              obj.riderAddress = reader.string()
              break
            }
            case 7: {
              obj.fare = reader.string()
              break
            }
            case 8: {
              obj.currency = reader.string()
              break
            }
            case 9: {
              obj.channelId = reader.string()
              break
            }
            case 10: {
              obj.amountPaid = reader.string()
              break
            }
            case 11: {
              obj.driverBindingIssuedAt = reader.uint64Number()
              break
            }
            case 12: {
              obj.driverBindingSignature = reader.bytes()
              break
            }
            case 13: {
              obj.riderBindingIssuedAt = reader.uint64Number()
              break
            }
            case 14: {
              obj.riderBindingSignature = reader.bytes()
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
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.rideId`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.driver`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.rider`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.driverAddress`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.riderAddress`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.fare`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.currency`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.channelId`,
                value: reader.string()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.amountPaid`,
                value: reader.string()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.driverBindingIssuedAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.driverBindingSignature`,
                value: reader.bytes()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.riderBindingIssuedAt`,
                value: reader.uint64Number()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.riderBindingSignature`,
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

  export interface TripHeaderVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface TripHeaderRideIdFieldEvent {
    field: '$.rideId'
    value: string
  }

  export interface TripHeaderDriverFieldEvent {
    field: '$.driver'
    value: string
  }

  export interface TripHeaderRiderFieldEvent {
    field: '$.rider'
    value: string
  }

  export interface TripHeaderDriverAddressFieldEvent {
    field: '$.driverAddress'
    value: string
  }

  export interface TripHeaderRiderAddressFieldEvent {
    field: '$.riderAddress'
    value: string
  }

  export interface TripHeaderFareFieldEvent {
    field: '$.fare'
    value: string
  }

  export interface TripHeaderCurrencyFieldEvent {
    field: '$.currency'
    value: string
  }

  export interface TripHeaderChannelIdFieldEvent {
    field: '$.channelId'
    value: string
  }

  export interface TripHeaderAmountPaidFieldEvent {
    field: '$.amountPaid'
    value: string
  }

  export interface TripHeaderDriverBindingIssuedAtFieldEvent {
    field: '$.driverBindingIssuedAt'
    value: number
  }

  export interface TripHeaderDriverBindingSignatureFieldEvent {
    field: '$.driverBindingSignature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TripHeaderRiderBindingIssuedAtFieldEvent {
    field: '$.riderBindingIssuedAt'
    value: number
  }

  export interface TripHeaderRiderBindingSignatureFieldEvent {
    field: '$.riderBindingSignature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<TripHeader>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, TripHeader.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TripHeader>): TripHeader {
    return decodeMessage(buf, TripHeader.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TripHeader>): Generator<TripHeaderVersionFieldEvent | TripHeaderRideIdFieldEvent | TripHeaderDriverFieldEvent | TripHeaderRiderFieldEvent | TripHeaderDriverAddressFieldEvent | TripHeaderRiderAddressFieldEvent | TripHeaderFareFieldEvent | TripHeaderCurrencyFieldEvent | TripHeaderChannelIdFieldEvent | TripHeaderAmountPaidFieldEvent | TripHeaderDriverBindingIssuedAtFieldEvent | TripHeaderDriverBindingSignatureFieldEvent | TripHeaderRiderBindingIssuedAtFieldEvent | TripHeaderRiderBindingSignatureFieldEvent> {
    return streamMessage(buf, TripHeader.codec(), opts)
  }
}

export interface TripRecord {
  header?: TripHeader
  events: TripEvent[]
  driverSignature: Uint8Array<ArrayBuffer>
  riderSignature: Uint8Array<ArrayBuffer>
  closeTxHash: string
}

export namespace TripRecord {
  let _codec: Codec<TripRecord>

  export const codec = (): Codec<TripRecord> => {
    if (_codec == null) {
      _codec = message<TripRecord>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.header != null) {
          w.uint32(10)
          TripHeader.codec().encode(obj.header, w)
        }

        if (obj.events != null && obj.events.length > 0) {
          for (const value of obj.events) {
            w.uint32(18)
            TripEvent.codec().encode(value, w)
          }
        }

        if ((obj.driverSignature != null && obj.driverSignature.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.driverSignature)
        }

        if ((obj.riderSignature != null && obj.riderSignature.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.riderSignature)
        }

        if ((obj.closeTxHash != null && obj.closeTxHash !== '')) {
          w.uint32(42)
          w.string(obj.closeTxHash)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          events: [],
          driverSignature: uint8ArrayAlloc(0),
          riderSignature: uint8ArrayAlloc(0),
          closeTxHash: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.header = TripHeader.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.header
              })
              break
            }
            case 2: {
              if (opts.limits?.events != null && obj.events.length === opts.limits.events) {
                throw new MaxLengthError('Decode error - repeated field "events" had too many elements')
              }

              if (obj.events.length === 4096) {
                throw new MaxLengthError('Decode error - repeated field "events" had too many elements')
              }

              obj.events.push(TripEvent.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.events$
              }))
              break
            }
            case 3: {
              obj.driverSignature = reader.bytes()
              break
            }
            case 4: {
              obj.riderSignature = reader.bytes()
              break
            }
            case 5: {
              obj.closeTxHash = reader.string()
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
        const obj = {
          events: 4096
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * TripHeader.codec().stream(reader, reader.uint32(), `${prefix}.header`, {
                limits: opts.limits?.header
              })

              break
            }
            case 2: {
              if (opts.limits?.events != null && obj.events === opts.limits.events) {
                throw new MaxLengthError('Streaming decode error - repeated field "events" had too many elements')
              }

              if (obj.events === 4096) {
                throw new MaxLengthError('Streaming decode error - repeated field "events" had too many elements')
              }

              for (const evt of TripEvent.codec().stream(reader, reader.uint32(), `${prefix}.events[]`, {
                limits: opts.limits?.events$
              })) {
                yield {
                  ...evt,
                  index: obj.events
                }
              }

              obj.events++

              break
            }
            case 3: {
              yield {
                field: `${prefix}.driverSignature`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.riderSignature`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.closeTxHash`,
                value: reader.string()
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

  export interface TripRecordHeaderVersionFieldEvent {
    field: '$.header.version'
    value: number
  }

  export interface TripRecordHeaderRideIdFieldEvent {
    field: '$.header.rideId'
    value: string
  }

  export interface TripRecordHeaderDriverFieldEvent {
    field: '$.header.driver'
    value: string
  }

  export interface TripRecordHeaderRiderFieldEvent {
    field: '$.header.rider'
    value: string
  }

  export interface TripRecordHeaderDriverAddressFieldEvent {
    field: '$.header.driverAddress'
    value: string
  }

  export interface TripRecordHeaderRiderAddressFieldEvent {
    field: '$.header.riderAddress'
    value: string
  }

  export interface TripRecordHeaderFareFieldEvent {
    field: '$.header.fare'
    value: string
  }

  export interface TripRecordHeaderCurrencyFieldEvent {
    field: '$.header.currency'
    value: string
  }

  export interface TripRecordHeaderChannelIdFieldEvent {
    field: '$.header.channelId'
    value: string
  }

  export interface TripRecordHeaderAmountPaidFieldEvent {
    field: '$.header.amountPaid'
    value: string
  }

  export interface TripRecordHeaderDriverBindingIssuedAtFieldEvent {
    field: '$.header.driverBindingIssuedAt'
    value: number
  }

  export interface TripRecordHeaderDriverBindingSignatureFieldEvent {
    field: '$.header.driverBindingSignature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TripRecordHeaderRiderBindingIssuedAtFieldEvent {
    field: '$.header.riderBindingIssuedAt'
    value: number
  }

  export interface TripRecordHeaderRiderBindingSignatureFieldEvent {
    field: '$.header.riderBindingSignature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TripRecordEventsSeqFieldEvent {
    field: '$.events[].seq'
    value: number
    index: number
  }

  export interface TripRecordEventsTypeFieldEvent {
    field: '$.events[].type'
    value: TripEvent.Type
    index: number
  }

  export interface TripRecordEventsTimeFieldEvent {
    field: '$.events[].time'
    value: number
    index: number
  }

  export interface TripRecordEventsPrevHashFieldEvent {
    field: '$.events[].prevHash'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface TripRecordEventsQuoteIdFieldEvent {
    field: '$.events[].quoteId'
    value: string
    index: number
  }

  export interface TripRecordEventsAmountFieldEvent {
    field: '$.events[].amount'
    value: string
    index: number
  }

  export interface TripRecordEventsLatE7FieldEvent {
    field: '$.events[].latE7'
    value: number
    index: number
  }

  export interface TripRecordEventsLonE7FieldEvent {
    field: '$.events[].lonE7'
    value: number
    index: number
  }

  export interface TripRecordEventsDistanceMFieldEvent {
    field: '$.events[].distanceM'
    value: number
    index: number
  }

  export interface TripRecordDriverSignatureFieldEvent {
    field: '$.driverSignature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TripRecordRiderSignatureFieldEvent {
    field: '$.riderSignature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TripRecordCloseTxHashFieldEvent {
    field: '$.closeTxHash'
    value: string
  }

  export function encode (obj: Partial<TripRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, TripRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TripRecord>): TripRecord {
    return decodeMessage(buf, TripRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<TripRecord>): Generator<TripRecordHeaderVersionFieldEvent | TripRecordHeaderRideIdFieldEvent | TripRecordHeaderDriverFieldEvent | TripRecordHeaderRiderFieldEvent | TripRecordHeaderDriverAddressFieldEvent | TripRecordHeaderRiderAddressFieldEvent | TripRecordHeaderFareFieldEvent | TripRecordHeaderCurrencyFieldEvent | TripRecordHeaderChannelIdFieldEvent | TripRecordHeaderAmountPaidFieldEvent | TripRecordHeaderDriverBindingIssuedAtFieldEvent | TripRecordHeaderDriverBindingSignatureFieldEvent | TripRecordHeaderRiderBindingIssuedAtFieldEvent | TripRecordHeaderRiderBindingSignatureFieldEvent | TripRecordEventsSeqFieldEvent | TripRecordEventsTypeFieldEvent | TripRecordEventsTimeFieldEvent | TripRecordEventsPrevHashFieldEvent | TripRecordEventsQuoteIdFieldEvent | TripRecordEventsAmountFieldEvent | TripRecordEventsLatE7FieldEvent | TripRecordEventsLonE7FieldEvent | TripRecordEventsDistanceMFieldEvent | TripRecordDriverSignatureFieldEvent | TripRecordRiderSignatureFieldEvent | TripRecordCloseTxHashFieldEvent> {
    return streamMessage(buf, TripRecord.codec(), opts)
  }
}
