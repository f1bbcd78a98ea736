import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { sha256 } from '@noble/hashes/sha2.js'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { TripRecordError } from './errors.js'
import type { TripRecord as TripRecordPb } from './pb/messages.js';
import { TripEvent as TripEventPb, TripHeader as TripHeaderPb } from './pb/messages.js'
import type { PrivateKey } from '@libp2p/interface'

/** The trip record format version. */
export const TRIP_RECORD_VERSION = 1
/** Most events a record may hold (a position every few seconds of a long trip). */
export const MAX_TRIP_EVENTS = 4096

const HEADER_DOMAIN = uint8ArrayFromString('hitch/trip-header/1\n')
const EVENT_DOMAIN = uint8ArrayFromString('hitch/trip-event/1\n')
const SIGNATURE_DOMAIN = uint8ArrayFromString('hitch/trip-record/1\n')

/** The two parties of a trip. */
export type TripRole = 'driver' | 'rider'

/** Event kinds, in the order a trip produces them. */
export type TripEventType = 'accepted' | 'picked-up' | 'position' | 'dropped-off' | 'fare'

/** A point in integer 1e-7 degrees (one exact form, so hashes and JSON agree). */
export interface PointE7 {
  latE7: number
  lonE7: number
}

/** The kind-specific part of an event. */
export type TripEventBody =
  | { type: 'accepted', data: { quoteId: string, price: string } }
  | { type: 'picked-up', data: PointE7 }
  | { type: 'position', data: PointE7 & { distanceM: number } }
  | { type: 'dropped-off', data: PointE7 & { distanceM: number } }
  | { type: 'fare', data: { amount: string } }

/** One event of the hash chain: `prevHash` is the hash of the previous event (of the header for seq 0). */
export type TripEvent = TripEventBody & {
  seq: number
  /** ms since the epoch */
  time: number
  prevHash: Uint8Array
}

/** What both parties agree on before the first event. */
export interface TripHeader {
  version: number
  rideId: string
  /** the driver's peer id (secp256k1) */
  driver: string
  /** the rider's peer id (secp256k1) */
  rider: string
  /** lower-case 0x Ethereum address */
  driverAddress?: string
  riderAddress?: string
  /** the agreed fare, decimal string of `currency` units */
  fare: string
  currency: string
  /** payment: the channel that paid (0x + 64 hex) */
  channelId?: string
  /** payment: the amount the final channel state paid */
  amountPaid?: string
}

/** A trip record. Immutable in use: the functions below return new records. */
export interface TripRecord {
  header: TripHeader
  events: TripEvent[]
  /** DER secp256k1 signature by the driver over the record hash */
  driverSignature?: Uint8Array
  riderSignature?: Uint8Array
  /**
   * Payment: the transaction that closed the channel (0x + 64 hex). NOT signed: it exists only
   * after the close, whose calldata carries the record hash; check it against the chain.
   */
  closeTxHash?: string
  /** the record hash as claimed by a parsed JSON form; verification checks it */
  hash?: Uint8Array
}

/** An event to append; points in degrees, converted to 1e-7 degrees. */
export type TripEventInput =
  | { type: 'accepted', time: number, quoteId: string, price: string }
  | { type: 'picked-up', time: number, lat: number, lon: number }
  | { type: 'position', time: number, lat: number, lon: number, distanceM: number }
  | { type: 'dropped-off', time: number, lat: number, lon: number, distanceM: number }
  | { type: 'fare', time: number, amount: string }

/** Codes of {@link TripRecordProblem}. */
export type TripRecordProblemCode =
  | 'malformed'
  | 'bad-seq'
  | 'bad-chain-link'
  | 'bad-event-order'
  | 'bad-record-hash'
  | 'missing-driver-signature'
  | 'missing-rider-signature'
  | 'bad-driver-signature'
  | 'bad-rider-signature'

/** One thing wrong with a record. */
export interface TripRecordProblem {
  code: TripRecordProblemCode
  message: string
  /** the event it concerns, by index */
  event?: number
}

/** The result of {@link verifyTripRecord}. */
export type TripRecordVerification = { ok: true, hash: Uint8Array } | { ok: false, problems: TripRecordProblem[] }

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/
const CURRENCY_RE = /^[A-Za-z0-9_.-]{1,16}$/
const AMOUNT_RE = /^(0|[1-9][0-9]{0,77})$/
const ADDRESS_RE = /^0x[0-9a-f]{40}$/
const HASH32_RE = /^0x[0-9a-f]{64}$/
const HEX_RE = /^([0-9a-f]{2})*$/
const UINT256_MAX = (1n << 256n) - 1n
const MAX_E7_LAT = 900_000_000
const MAX_E7_LON = 1_800_000_000

function malformed (message: string): TripRecordError {
  return new TripRecordError('malformed', message)
}

function isAmount (v: unknown): v is string {
  return typeof v === 'string' && AMOUNT_RE.test(v) && BigInt(v) <= UINT256_MAX
}

function isUint (v: unknown, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max
}

function checkPeer (field: string, v: unknown): void {
  if (typeof v !== 'string') {
    throw malformed(`${field} is not a peer id`)
  }
  let ok = false
  try {
    const id = peerIdFromString(v)
    ok = id.type === 'secp256k1' && id.toString() === v
  } catch {}
  if (!ok) {
    throw malformed(`${field} is not a secp256k1 peer id`)
  }
}

function checkHeader (h: TripHeader): void {
  if (h.version !== TRIP_RECORD_VERSION) {
    throw malformed(`unsupported version ${String(h.version)}`)
  }
  if (typeof h.rideId !== 'string' || !ID_RE.test(h.rideId)) {
    throw malformed('rideId must be 1..64 of [A-Za-z0-9_-]')
  }
  checkPeer('driver', h.driver)
  checkPeer('rider', h.rider)
  if (h.driver === h.rider) {
    throw malformed('driver and rider are the same peer')
  }
  for (const f of ['driverAddress', 'riderAddress'] as const) {
    if (h[f] !== undefined && (typeof h[f] !== 'string' || !ADDRESS_RE.test(h[f]))) {
      throw malformed(`${f} must be a lower-case 0x address`)
    }
  }
  if (!isAmount(h.fare)) {
    throw malformed('fare is not a decimal amount')
  }
  if (typeof h.currency !== 'string' || !CURRENCY_RE.test(h.currency)) {
    throw malformed('currency must be 1..16 of [A-Za-z0-9_.-]')
  }
  if (h.channelId !== undefined && (typeof h.channelId !== 'string' || !HASH32_RE.test(h.channelId))) {
    throw malformed('channelId must be 0x + 64 lower-case hex')
  }
  if (h.amountPaid !== undefined && !isAmount(h.amountPaid)) {
    throw malformed('amountPaid is not a decimal amount')
  }
}

function checkPoint (p: PointE7): void {
  if (!Number.isSafeInteger(p.latE7) || Math.abs(p.latE7) > MAX_E7_LAT ||
    !Number.isSafeInteger(p.lonE7) || Math.abs(p.lonE7) > MAX_E7_LON) {
    throw malformed('point out of range')
  }
}

function checkEvent (e: TripEvent, index: number): void {
  if (!isUint(e.seq, 0xffffffff)) {
    throw malformed(`event ${index}: seq out of range`)
  }
  if (!isUint(e.time) || e.time === 0) {
    throw malformed(`event ${index}: time out of range`)
  }
  if (!(e.prevHash instanceof Uint8Array) || e.prevHash.byteLength !== 32) {
    throw malformed(`event ${index}: prevHash must be 32 bytes`)
  }
  switch (e.type) {
    case 'accepted':
      if (typeof e.data.quoteId !== 'string' || !ID_RE.test(e.data.quoteId) || !isAmount(e.data.price)) {
        throw malformed(`event ${index}: bad accepted data`)
      }
      return
    case 'picked-up':
      checkPoint(e.data)
      return
    case 'position':
    case 'dropped-off':
      checkPoint(e.data)
      if (!isUint(e.data.distanceM)) {
        throw malformed(`event ${index}: distanceM out of range`)
      }
      return
    case 'fare':
      if (!isAmount(e.data.amount)) {
        throw malformed(`event ${index}: bad fare amount`)
      }
      return
    default:
      throw malformed(`event ${index}: unknown type`)
  }
}

function checkSignature (field: string, v: unknown): void {
  if (v !== undefined && (!(v instanceof Uint8Array) || v.byteLength === 0 || v.byteLength > 80)) {
    throw malformed(`${field} must be a DER signature`)
  }
}

/** Throws {@link TripRecordError} `malformed` unless every field of the record is well formed. */
export function checkTripRecord (record: TripRecord): void {
  checkHeader(record.header)
  if (!Array.isArray(record.events) || record.events.length > MAX_TRIP_EVENTS) {
    throw malformed('events must be a list of at most ' + MAX_TRIP_EVENTS)
  }
  record.events.forEach(checkEvent)
  checkSignature('driverSignature', record.driverSignature)
  checkSignature('riderSignature', record.riderSignature)
  if (record.closeTxHash !== undefined && (typeof record.closeTxHash !== 'string' || !HASH32_RE.test(record.closeTxHash))) {
    throw malformed('closeTxHash must be 0x + 64 lower-case hex')
  }
}

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
    amountPaid: h.amountPaid ?? ''
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

// ---- signing and verifying ---------------------------------------------------------------

/**
 * Signs the record hash for `role`. The key must be the one whose peer id the header names
 * for that role.
 *
 * @throws {TripRecordError} `wrong-key`
 */
export async function signRecord (record: TripRecord, key: PrivateKey, role: TripRole): Promise<TripRecord> {
  checkTripRecord(record)
  if (peerIdFromPrivateKey(key).toString() !== record.header[role]) {
    throw new TripRecordError('wrong-key', `the key is not the ${role}'s`)
  }
  const signature = await key.sign(uint8ArrayConcat([SIGNATURE_DOMAIN, recordHash(record)]))
  const signed: TripRecord = { ...record }
  delete signed.hash
  if (role === 'driver') {
    signed.driverSignature = signature
  } else {
    signed.riderSignature = signature
  }
  return signed
}

async function checkRoleSignature (record: TripRecord, role: TripRole, hash: Uint8Array, problems: TripRecordProblem[]): Promise<void> {
  const signature = role === 'driver' ? record.driverSignature : record.riderSignature
  if (signature == null) {
    problems.push({ code: `missing-${role}-signature`, message: `no ${role} signature` })
    return
  }
  let ok = false
  try {
    const publicKey = peerIdFromString(record.header[role]).publicKey
    ok = publicKey != null && await publicKey.verify(uint8ArrayConcat([SIGNATURE_DOMAIN, hash]), signature)
  } catch {}
  if (!ok) {
    problems.push({ code: `bad-${role}-signature`, message: `the ${role} signature does not verify` })
  }
}

/**
 * Checks a record: every field well formed, each event's `seq` and link to the one before,
 * time order, the fare last, the claimed hash (if parsed from JSON), and both signatures over
 * the final hash. Names every problem found. `closeTxHash` is not signed and not checked here.
 */
export async function verifyTripRecord (record: TripRecord): Promise<TripRecordVerification> {
  try {
    checkTripRecord(record)
  } catch (err: any) {
    return { ok: false, problems: [{ code: 'malformed', message: String(err?.message ?? err) }] }
  }
  const problems: TripRecordProblem[] = []
  let prev = headerHash(record.header)
  record.events.forEach((event, i) => {
    if (event.seq !== i) {
      problems.push({ code: 'bad-seq', message: `event ${i} has seq ${event.seq}`, event: i })
    }
    if (!uint8ArrayEquals(event.prevHash, prev)) {
      problems.push({ code: 'bad-chain-link', message: `event ${i} does not link to ${i === 0 ? 'the header' : `event ${i - 1}`}`, event: i })
    }
    const before = record.events[i - 1]
    if (before != null && event.time < before.time) {
      problems.push({ code: 'bad-event-order', message: `event ${i} is earlier than event ${i - 1}`, event: i })
    }
    if (event.type === 'fare' && i !== record.events.length - 1) {
      problems.push({ code: 'bad-event-order', message: `event ${i} is a fare but not the last event`, event: i })
    }
    prev = eventHash(event)
  })
  const hash = prev
  if (record.hash != null && !uint8ArrayEquals(record.hash, hash)) {
    problems.push({ code: 'bad-record-hash', message: 'the stated hash is not the hash of the events' })
  }
  await checkRoleSignature(record, 'driver', hash, problems)
  await checkRoleSignature(record, 'rider', hash, problems)
  return problems.length === 0 ? { ok: true, hash } : { ok: false, problems }
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

// ---- JSON form (`hitch ride --json`, `hitch receipt verify FILE`) --------------------------

/** The JSON form of a record: bytes as lower-case hex, strict on parse. */
export interface TripRecordJSON {
  header: TripHeader
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
  const json: TripRecordJSON = {
    header: { ...record.header },
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
  const h = keys('header', o.header, ['version', 'rideId', 'driver', 'rider', 'fare', 'currency'], optionalHeader)
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
