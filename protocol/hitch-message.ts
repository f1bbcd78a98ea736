import {
  Accept, Cancel, Confirm, Decline, Envelope, Quote, Reveal, RideRequest, TripRecord as TripRecordPb,
  TripUpdate, VehicleOffer
} from './pb/messages.js'
import { decodeMessage, encodeMessage } from 'protons-runtime'
import type { Codec } from 'protons-runtime'

/**
 * A typed Hitch message: the body of an envelope, tagged with its kind. Bodies are the
 * protons-generated interfaces of `pb/messages.proto`.
 */
export type HitchMessage =
  | { type: 'vehicle-offer', body: VehicleOffer }
  | { type: 'ride-request', body: RideRequest }
  | { type: 'quote', body: Quote }
  | { type: 'accept', body: Accept }
  | { type: 'confirm', body: Confirm }
  | { type: 'decline', body: Decline }
  | { type: 'cancel', body: Cancel }
  | { type: 'trip-update', body: TripUpdate }
  | { type: 'trip-record', body: TripRecordPb }
  | { type: 'reveal', body: Reveal }

/** The kinds of {@link HitchMessage}. */
export type HitchMessageType = HitchMessage['type']

/** The body type of one message kind, e.g. `BodyOf<'quote'>` is `Quote`. */
export type BodyOf<T extends HitchMessageType> = Extract<HitchMessage, { type: T }>['body']

interface Kind<T extends HitchMessageType> {
  wire: Envelope.Type
  codec: () => Codec<BodyOf<T>>
}

const KINDS: { [T in HitchMessageType]: Kind<T> } = {
  'vehicle-offer': { wire: Envelope.Type.VEHICLE_OFFER, codec: VehicleOffer.codec },
  'ride-request': { wire: Envelope.Type.RIDE_REQUEST, codec: RideRequest.codec },
  quote: { wire: Envelope.Type.QUOTE, codec: Quote.codec },
  accept: { wire: Envelope.Type.ACCEPT, codec: Accept.codec },
  confirm: { wire: Envelope.Type.CONFIRM, codec: Confirm.codec },
  decline: { wire: Envelope.Type.DECLINE, codec: Decline.codec },
  cancel: { wire: Envelope.Type.CANCEL, codec: Cancel.codec },
  'trip-update': { wire: Envelope.Type.TRIP_UPDATE, codec: TripUpdate.codec },
  'trip-record': { wire: Envelope.Type.TRIP_RECORD, codec: TripRecordPb.codec },
  reveal: { wire: Envelope.Type.REVEAL, codec: Reveal.codec }
}

const BY_WIRE = new Map<Envelope.Type, HitchMessageType>(
  (Object.keys(KINDS) as HitchMessageType[]).map(t => [KINDS[t].wire, t])
)

/** All message kinds, in wire order. */
export const HITCH_MESSAGE_TYPES: readonly HitchMessageType[] = Object.freeze(Object.keys(KINDS) as HitchMessageType[])

/** The envelope `type` enum value of a message kind. */
export function wireTypeOf (type: HitchMessageType): Envelope.Type {
  return KINDS[type].wire
}

/** The message kind of an envelope `type`, or undefined for UNSPECIFIED. */
export function messageTypeOf (wire: Envelope.Type): HitchMessageType | undefined {
  return BY_WIRE.get(wire)
}

/** Encodes a message body to the bytes carried in `Envelope.payload`. */
export function encodeBody (message: HitchMessage): Uint8Array {
  const codec = KINDS[message.type].codec as () => Codec<unknown>
  return encodeMessage(message.body, codec())
}

/**
 * Decodes `Envelope.payload` as the body of the given kind. Throws protons' decode errors on
 * malformed bytes (callers map them to a `malformed` verdict).
 */
export function decodeBody (type: HitchMessageType, payload: Uint8Array): HitchMessage {
  const codec = KINDS[type].codec as () => Codec<unknown>
  return { type, body: decodeMessage(payload, codec()) } as HitchMessage
}
