/**
 * A trip record: the hash-chained log of one ride that both parties sign. This module builds
 * records (a header, then events appended one by one, each linked to the hash of the one
 * before) and is the record's entry: it re-exports the types, the well-formedness check, the
 * canonical encoding and hashes, signing and verification, and the JSON form, which live in
 * the `trip-record-*` modules beside it.
 */
import { TripRecordError } from './errors.js'
import { checkEvent, checkHeader } from './trip-record-checks.js'
import { recordHash } from './trip-record-encoding.js'
import { TRIP_RECORD_VERSION } from './trip-record-types.js'
import type { TripEvent, TripEventBody, TripEventInput, TripHeader, TripRecord } from './trip-record-types.js'

export * from './trip-record-types.js'
export { checkTripRecord } from './trip-record-checks.js'
export * from './trip-record-encoding.js'
export * from './trip-record-signing.js'
export * from './trip-record-json.js'

// ---- building ----------------------------------------------------------------------------

/** What {@link createTripRecord} needs; `version` is filled in. */
export type TripHeaderInit = Omit<TripHeader, 'version'>

/** A new record with no events. Throws {@link TripRecordError} `malformed` on a bad header. */
export function createTripRecord (header: TripHeaderInit): TripRecord {
  const full: TripHeader = { version: TRIP_RECORD_VERSION, ...header }
  for (const k of Object.keys(full) as Array<keyof TripHeader>) {
    if (full[k] === undefined) {
      delete full[k]
    }
  }
  checkHeader(full)
  return { header: full, events: [] }
}

/** Degrees to integer 1e-7 degrees. */
export function toE7 (degrees: number): number {
  return Math.round(degrees * 1e7)
}

/** Integer 1e-7 degrees to degrees. */
export function fromE7 (e7: number): number {
  return e7 / 1e7
}

function bodyOf (input: TripEventInput): TripEventBody {
  switch (input.type) {
    case 'accepted': return { type: 'accepted', data: { quoteId: input.quoteId, price: input.price } }
    case 'fare': return { type: 'fare', data: { amount: input.amount } }
    case 'picked-up': return { type: 'picked-up', data: { latE7: toE7(input.lat), lonE7: toE7(input.lon) } }
    case 'position': return { type: 'position', data: { latE7: toE7(input.lat), lonE7: toE7(input.lon), distanceM: input.distanceM } }
    case 'dropped-off': return { type: 'dropped-off', data: { latE7: toE7(input.lat), lonE7: toE7(input.lon), distanceM: input.distanceM } }
  }
}

/**
 * A new record with `input` appended and linked to the chain. Appending to a signed record
 * drops its signatures (they signed an older hash).
 *
 * @throws {TripRecordError} `bad-event` if time goes backwards or the fare was already recorded; `malformed` on bad fields
 */
export function appendTripEvent (record: TripRecord, input: TripEventInput): TripRecord {
  const last = record.events[record.events.length - 1]
  if (last != null && input.time < last.time) {
    throw new TripRecordError('bad-event', 'event time before the previous event')
  }
  if (last?.type === 'fare') {
    throw new TripRecordError('bad-event', 'the fare is the last event')
  }
  const event = {
    ...bodyOf(input),
    seq: record.events.length,
    time: input.time,
    prevHash: recordHash(record)
  } as TripEvent
  checkEvent(event, record.events.length)
  return { header: record.header, events: [...record.events, event] }
}
