/**
 * Well-formedness of a trip record: every field in range and in its one exact form. The
 * chain, the hashes and the signatures are checked by `verifyTripRecord`.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { TripRecordError } from './errors.js'
import { BINDING_SIGNATURE_BYTES, MAX_TRIP_EVENTS, TRIP_RECORD_VERSION } from './trip-record-types.js'
import type { PointE7, TripEvent, TripHeader, TripRecord } from './trip-record-types.js'

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/
const CURRENCY_RE = /^[A-Za-z0-9_.-]{1,16}$/
const AMOUNT_RE = /^(0|[1-9][0-9]{0,77})$/
const ADDRESS_RE = /^0x[0-9a-f]{40}$/
const HASH32_RE = /^0x[0-9a-f]{64}$/
const UINT256_MAX = (1n << 256n) - 1n
const MAX_E7_LAT = 900_000_000
const MAX_E7_LON = 1_800_000_000

/** The `malformed` error, for the record's other modules. */
export function malformed (message: string): TripRecordError {
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
    ok = (id.type === 'Ed25519' || id.type === 'secp256k1') && id.toString() === v
  } catch {}
  if (!ok) {
    throw malformed(`${field} is not an Ed25519 or secp256k1 peer id`)
  }
}

/** Throws {@link TripRecordError} `malformed` unless the header is well formed. */
export function checkHeader (h: TripHeader): void {
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
  for (const role of ['driver', 'rider'] as const) {
    const b = h[`${role}Binding`]
    if (b === undefined) continue
    if (h[`${role}Address`] === undefined) {
      throw malformed(`${role}Binding without ${role}Address`)
    }
    if (typeof b !== 'object' || b === null || !isUint(b.issuedAt) || b.issuedAt === 0 ||
      !(b.signature instanceof Uint8Array) || b.signature.byteLength !== BINDING_SIGNATURE_BYTES) {
      throw malformed(`${role}Binding must be an issuedAt and a ${BINDING_SIGNATURE_BYTES}-byte signature`)
    }
  }
}

function checkPoint (p: PointE7): void {
  if (!Number.isSafeInteger(p.latE7) || Math.abs(p.latE7) > MAX_E7_LAT ||
    !Number.isSafeInteger(p.lonE7) || Math.abs(p.lonE7) > MAX_E7_LON) {
    throw malformed('point out of range')
  }
}

/** Throws {@link TripRecordError} `malformed` unless event `index` is well formed (not its link). */
export function checkEvent (e: TripEvent, index: number): void {
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
    throw malformed(`${field} must be an Ed25519 or a DER secp256k1 signature`)
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
