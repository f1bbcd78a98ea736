/**
 * The canonical encoding of a trip record: its protobuf form, which the hashes are taken over
 * and which travels inside an envelope, and the header, event and record hashes.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { TripEvent as TripEventPb, TripHeader as TripHeaderPb } from './pb/messages.js'
import { checkTripRecord, malformed } from './trip-record-checks.js'
import type { TripRecord as TripRecordPb } from './pb/messages.js'
import type { TripEvent, TripEventType, TripHeader, TripRecord } from './trip-record-types.js'

const HEADER_DOMAIN = uint8ArrayFromString('hitch/trip-header/1\n')
const EVENT_DOMAIN = uint8ArrayFromString('hitch/trip-event/1\n')

// ---- canonical encodings and hashes ----------------------------------------------------

function headerToPb (h: TripHeader): TripHeaderPb {
  return {
    version: h.version,
    rideId: h.rideId,
    driver: h.driver,
    rider: h.rider,
    driverAddress: h.driverAddress ?? '',
    riderAddress: h.riderAddress ?? '',
    fare: h.fare,
    currency: h.currency,
    channelId: h.channelId ?? '',
    amountPaid: h.amountPaid ?? '',
    driverBindingIssuedAt: h.driverBinding?.issuedAt ?? 0,
    driverBindingSignature: (h.driverBinding?.signature ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    riderBindingIssuedAt: h.riderBinding?.issuedAt ?? 0,
    riderBindingSignature: (h.riderBinding?.signature ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
  }
}

const EVENT_TYPE_TO_PB: Record<TripEventType, TripEventPb.Type> = {
  accepted: TripEventPb.Type.ACCEPTED,
  'picked-up': TripEventPb.Type.PICKED_UP,
  position: TripEventPb.Type.POSITION,
  'dropped-off': TripEventPb.Type.DROPPED_OFF,
  fare: TripEventPb.Type.FARE
}

function eventToPb (e: TripEvent): TripEventPb {
  const pb: TripEventPb = {
    seq: e.seq,
    type: EVENT_TYPE_TO_PB[e.type],
    time: e.time,
    prevHash: e.prevHash as Uint8Array<ArrayBuffer>,
    quoteId: '',
    amount: '',
    latE7: 0,
    lonE7: 0,
    distanceM: 0
  }
  switch (e.type) {
    case 'accepted': pb.quoteId = e.data.quoteId; pb.amount = e.data.price; break
    case 'fare': pb.amount = e.data.amount; break
    case 'picked-up': pb.latE7 = e.data.latE7; pb.lonE7 = e.data.lonE7; break
    case 'position':
    case 'dropped-off': pb.latE7 = e.data.latE7; pb.lonE7 = e.data.lonE7; pb.distanceM = e.data.distanceM; break
  }
  return pb
}

/** The hash a record's first event links to: sha256 over the header's canonical encoding. */
export function headerHash (header: TripHeader): Uint8Array {
  return sha256(uint8ArrayConcat([HEADER_DOMAIN, TripHeaderPb.encode(headerToPb(header))]))
}

/** The hash of one event (its canonical encoding includes its `prevHash`). */
export function eventHash (event: TripEvent): Uint8Array {
  return sha256(uint8ArrayConcat([EVENT_DOMAIN, TripEventPb.encode(eventToPb(event))]))
}

/** The hash of the whole record: of its last event, or of the header if there is none. Both parties sign it. */
export function recordHash (record: TripRecord): Uint8Array {
  const last = record.events[record.events.length - 1]
  return last == null ? headerHash(record.header) : eventHash(last)
}

// ---- protobuf form (the wire) ------------------------------------------------------------

/** The record as a `TripRecord` protobuf, to send inside an envelope. */
export function tripRecordToProto (record: TripRecord): TripRecordPb {
  return {
    header: headerToPb(record.header),
    events: record.events.map(eventToPb),
    driverSignature: (record.driverSignature ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    riderSignature: (record.riderSignature ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
    closeTxHash: record.closeTxHash ?? ''
  }
}

const PB_TO_EVENT_TYPE = new Map<TripEventPb.Type, TripEventType>(
  Object.entries(EVENT_TYPE_TO_PB).map(([k, v]) => [v, k as TripEventType])
)

function eventFromPb (pb: TripEventPb, index: number): TripEvent {
  const type = PB_TO_EVENT_TYPE.get(pb.type)
  if (type == null) {
    throw malformed(`event ${index}: type unspecified`)
  }
  const base = { seq: pb.seq, time: pb.time, prevHash: pb.prevHash }
  const extra = (fields: Array<keyof TripEventPb>): void => {
    for (const f of fields) {
      const v = pb[f]
      if (typeof v === 'string' ? v !== '' : v !== 0) {
        throw malformed(`event ${index}: ${type} does not carry ${f}`)
      }
    }
  }
  switch (type) {
    case 'accepted':
      extra(['latE7', 'lonE7', 'distanceM'])
      return { ...base, type, data: { quoteId: pb.quoteId, price: pb.amount } }
    case 'fare':
      extra(['quoteId', 'latE7', 'lonE7', 'distanceM'])
      return { ...base, type, data: { amount: pb.amount } }
    case 'picked-up':
      extra(['quoteId', 'amount', 'distanceM'])
      return { ...base, type, data: { latE7: pb.latE7, lonE7: pb.lonE7 } }
    case 'position':
    case 'dropped-off':
      extra(['quoteId', 'amount'])
      return { ...base, type, data: { latE7: pb.latE7, lonE7: pb.lonE7, distanceM: pb.distanceM } }
  }
}

/** Reads a `TripRecord` protobuf. @throws {TripRecordError} `malformed` */
export function tripRecordFromProto (pb: TripRecordPb): TripRecord {
  if (pb.header == null) {
    throw malformed('header missing')
  }
  const h = pb.header
  const header: TripHeader = {
    version: h.version,
    rideId: h.rideId,
    driver: h.driver,
    rider: h.rider,
    fare: h.fare,
    currency: h.currency
  }
  if (h.driverAddress !== '') header.driverAddress = h.driverAddress
  if (h.riderAddress !== '') header.riderAddress = h.riderAddress
  if (h.channelId !== '') header.channelId = h.channelId
  if (h.amountPaid !== '') header.amountPaid = h.amountPaid
  if (h.driverBindingIssuedAt !== 0 || h.driverBindingSignature.byteLength > 0) {
    header.driverBinding = { issuedAt: h.driverBindingIssuedAt, signature: h.driverBindingSignature }
  }
  if (h.riderBindingIssuedAt !== 0 || h.riderBindingSignature.byteLength > 0) {
    header.riderBinding = { issuedAt: h.riderBindingIssuedAt, signature: h.riderBindingSignature }
  }
  const record: TripRecord = { header, events: pb.events.map(eventFromPb) }
  if (pb.driverSignature.byteLength > 0) record.driverSignature = pb.driverSignature
  if (pb.riderSignature.byteLength > 0) record.riderSignature = pb.riderSignature
  if (pb.closeTxHash !== '') record.closeTxHash = pb.closeTxHash
  checkTripRecord(record)
  return record
}

/** Throws unless a received `TripRecord` protobuf is well formed (signatures are not checked). */
export function checkTripRecordShape (pb: TripRecordPb): void {
  tripRecordFromProto(pb)
}
