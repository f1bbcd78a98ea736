/**
 * The JSON form of a trip record (`hitch ride --json`, `hitch receipt verify FILE`): bytes as
 * lower-case hex, with the record hash; strict on parse.
 */
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { checkTripRecord, malformed } from './trip-record-checks.js'
import { recordHash } from './trip-record-encoding.js'
import type { TripEvent, TripEventType, TripHeader, TripRecord } from './trip-record-types.js'

const HEX_RE = /^([0-9a-f]{2})*$/

/** A record header's binding in JSON: its signature as hex. */
export interface HeaderBindingJSON {
  issuedAt: number
  signature: string
}

/** The JSON form of a record header. */
export type TripHeaderJSON = Omit<TripHeader, 'driverBinding' | 'riderBinding'> & {
  driverBinding?: HeaderBindingJSON
  riderBinding?: HeaderBindingJSON
}

/** The JSON form of a record: bytes as lower-case hex, strict on parse. */
export interface TripRecordJSON {
  header: TripHeaderJSON
  events: Array<{ seq: number, type: TripEventType, time: number, data: Record<string, string | number>, prevHash: string }>
  hash: string
  signatures: { driver?: string, rider?: string }
  closeTxHash?: string
}

function hex (bytes: Uint8Array): string {
  return uint8ArrayToString(bytes, 'base16')
}

/** The JSON form of a record (pass it to `JSON.stringify`). Includes the record hash. */
export function tripRecordToJSON (record: TripRecord): TripRecordJSON {
  const signatures: TripRecordJSON['signatures'] = {}
  if (record.driverSignature != null) signatures.driver = hex(record.driverSignature)
  if (record.riderSignature != null) signatures.rider = hex(record.riderSignature)
  const { driverBinding, riderBinding, ...plain } = record.header
  const header: TripHeaderJSON = { ...plain }
  if (driverBinding != null) header.driverBinding = { issuedAt: driverBinding.issuedAt, signature: hex(driverBinding.signature) }
  if (riderBinding != null) header.riderBinding = { issuedAt: riderBinding.issuedAt, signature: hex(riderBinding.signature) }
  const json: TripRecordJSON = {
    header,
    events: record.events.map(e => ({ seq: e.seq, type: e.type, time: e.time, data: { ...e.data }, prevHash: hex(e.prevHash) })),
    hash: hex(recordHash(record)),
    signatures
  }
  if (record.closeTxHash != null) json.closeTxHash = record.closeTxHash
  return json
}

function isObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** Exactly these keys (optional ones may be absent), else malformed. */
function keys (where: string, v: unknown, required: string[], optional: string[] = []): Record<string, unknown> {
  if (!isObject(v)) {
    throw malformed(`${where} must be an object`)
  }
  for (const k of required) {
    if (!Object.hasOwn(v, k)) {
      throw malformed(`${where}.${k} missing`)
    }
  }
  for (const k of Object.keys(v)) {
    if (!required.includes(k) && !optional.includes(k)) {
      throw malformed(`${where}.${k} is not a known field`)
    }
  }
  return v
}

function str (where: string, v: unknown): string {
  if (typeof v !== 'string') {
    throw malformed(`${where} must be a string`)
  }
  return v
}

function int (where: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || Object.is(v, -0)) {
    throw malformed(`${where} must be an integer`)
  }
  return v
}

function bytesFromHex (where: string, v: unknown, length?: number): Uint8Array {
  const s = str(where, v)
  if (!HEX_RE.test(s) || (length != null && s.length !== length * 2)) {
    throw malformed(`${where} must be lower-case hex${length != null ? ` of ${length} bytes` : ''}`)
  }
  return uint8ArrayFromString(s, 'base16')
}

const EVENT_DATA_KEYS: Record<TripEventType, string[]> = {
  accepted: ['quoteId', 'price'],
  'picked-up': ['latE7', 'lonE7'],
  position: ['latE7', 'lonE7', 'distanceM'],
  'dropped-off': ['latE7', 'lonE7', 'distanceM'],
  fare: ['amount']
}

function eventFromJSON (v: unknown, i: number): TripEvent {
  const where = `events[${i}]`
  const o = keys(where, v, ['seq', 'type', 'time', 'data', 'prevHash'])
  const type = str(`${where}.type`, o.type) as TripEventType
  if (!Object.hasOwn(EVENT_DATA_KEYS, type)) {
    throw malformed(`${where}.type is not an event type`)
  }
  const d = keys(`${where}.data`, o.data, EVENT_DATA_KEYS[type])
  const data: Record<string, string | number> = {}
  for (const k of EVENT_DATA_KEYS[type]) {
    data[k] = (k === 'quoteId' || k === 'price' || k === 'amount') ? str(`${where}.data.${k}`, d[k]) : int(`${where}.data.${k}`, d[k])
  }
  return {
    seq: int(`${where}.seq`, o.seq),
    type,
    time: int(`${where}.time`, o.time),
    data,
    prevHash: bytesFromHex(`${where}.prevHash`, o.prevHash, 32)
  } as TripEvent
}

/**
 * Parses the JSON form (a string or an already-parsed value). Strict: unknown fields, missing
 * fields, wrong types, upper-case hex and malformed values are all rejected, so that a single
 * altered byte is either a parse error here or a problem for {@link verifyTripRecord}.
 *
 * @throws {TripRecordError} `malformed`
 */
export function tripRecordFromJSON (json: unknown): TripRecord {
  let value = json
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json)
    } catch (err: any) {
      throw malformed(`not JSON: ${String(err?.message ?? err)}`)
    }
  }
  const o = keys('record', value, ['header', 'events', 'hash', 'signatures'], ['closeTxHash'])
  const optionalHeader = ['driverAddress', 'riderAddress', 'channelId', 'amountPaid']
  const h = keys('header', o.header, ['version', 'rideId', 'driver', 'rider', 'fare', 'currency'], [...optionalHeader, 'driverBinding', 'riderBinding'])
  const header: TripHeader = {
    version: int('header.version', h.version),
    rideId: str('header.rideId', h.rideId),
    driver: str('header.driver', h.driver),
    rider: str('header.rider', h.rider),
    fare: str('header.fare', h.fare),
    currency: str('header.currency', h.currency)
  }
  for (const k of optionalHeader as Array<'driverAddress' | 'riderAddress' | 'channelId' | 'amountPaid'>) {
    if (Object.hasOwn(h, k)) {
      header[k] = str(`header.${k}`, h[k])
    }
  }
  for (const k of ['driverBinding', 'riderBinding'] as const) {
    if (Object.hasOwn(h, k)) {
      const b = keys(`header.${k}`, h[k], ['issuedAt', 'signature'])
      header[k] = { issuedAt: int(`header.${k}.issuedAt`, b.issuedAt), signature: bytesFromHex(`header.${k}.signature`, b.signature) }
    }
  }
  if (!Array.isArray(o.events)) {
    throw malformed('events must be an array')
  }
  const sigs = keys('signatures', o.signatures, [], ['driver', 'rider'])
  const record: TripRecord = {
    header,
    events: o.events.map(eventFromJSON),
    hash: bytesFromHex('hash', o.hash, 32)
  }
  if (Object.hasOwn(sigs, 'driver')) record.driverSignature = bytesFromHex('signatures.driver', sigs.driver)
  if (Object.hasOwn(sigs, 'rider')) record.riderSignature = bytesFromHex('signatures.rider', sigs.rider)
  if (Object.hasOwn(o, 'closeTxHash')) record.closeTxHash = str('closeTxHash', o.closeTxHash)
  checkTripRecord(record)
  return record
}
