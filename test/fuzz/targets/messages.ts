/**
 * Hitch messages for the envelope targets: valid bodies of every kind with random field values,
 * edge values to put into them (the semantic mutations), and the keys that sign them. Keys and
 * choices come from the run's seed, so every input can be rebuilt.
 */
import { createHash } from 'node:crypto'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { gridDisk, latLngToCell } from 'h3-js'
import {
  Cancel, Decline, TripUpdate, appendTripEvent, createTripRecord, tripRecordToProto,
  type HitchMessage, type HitchMessageType
} from '../../../protocol/index.js'
import type { Prng } from '../harness/prng.js'
import type { PrivateKey } from '@libp2p/interface'

/** The fixed clock of generated messages (inputs carry their own `now`). */
export const NOW = 1_750_000_000_000
/** The validators' default limits, restated: expiries within 10 minutes, pickups within 24 hours. */
export const MAX_TTL_MS = 10 * 60 * 1000
export const MAX_PICKUP_HORIZON_MS = 24 * 60 * 60 * 1000

const BERLIN = { lat: 52.52, lon: 13.405 }
/** The topic cell of most inputs, and its ring. */
export const HOME_CELL = latLngToCell(BERLIN.lat, BERLIN.lon, 7)
const NEAR_CELLS = gridDisk(HOME_CELL, 1)
const ODD_CELLS = [
  latLngToCell(BERLIN.lat, BERLIN.lon, 6), latLngToCell(BERLIN.lat, BERLIN.lon, 8), HOME_CELL.toUpperCase(),
  HOME_CELL.slice(0, 14), HOME_CELL + 'f', '0' + HOME_CELL.slice(1), '87283082bffffff', 'ffffffffffffff7', ''
]

/** A signing party of the fuzz run. */
export interface Party {
  key: PrivateKey
  peerId: string
}

/** The run's keys: a few honest-looking senders and a stranger. */
export function parties (seed: string, n = 4): Party[] {
  return Array.from({ length: n }, (_, i) => {
    const raw = createHash('sha256').update(`${seed}/party/${i}`).digest()
    const key = privateKeyFromRaw(raw)
    return { key, peerId: peerIdFromPrivateKey(key).toString() }
  })
}

/** The named values of a protons enum (its namespace also holds `codec`), UNSPECIFIED left out. */
function named<T> (e: Record<string, unknown>): T[] {
  return Object.values(e).filter((v): v is T => typeof v === 'string' && !v.endsWith('_UNSPECIFIED'))
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'

function id (rng: Prng): string {
  let s = ''
  const n = rng.chance(0.8) ? rng.range(4, 16) : rng.range(1, 64)
  for (let i = 0; i < n; i++) s += ID_CHARS[rng.int(ID_CHARS.length)]
  return s
}

function amount (rng: Prng): string {
  return rng.weighted<string>([[5, String(rng.int(1_000_000))], [1, '0'], [1, String(rng.u64())], [1, ((1n << 256n) - 1n).toString()]])
}

function cell (rng: Prng): string {
  return rng.chance(0.7) ? HOME_CELL : rng.pick(NEAR_CELLS)
}

function point (rng: Prng): { lat: number, lon: number } {
  return { lat: BERLIN.lat + (rng.float() - 0.5) * 0.1, lon: BERLIN.lon + (rng.float() - 0.5) * 0.1 }
}

/** A valid body of `type`, for a validator whose clock reads `now`. */
export function validMessage (rng: Prng, type: HitchMessageType, now: number, ps: Party[]): HitchMessage {
  const soon = (max: number): number => now + rng.range(1, max)
  switch (type) {
    case 'vehicle-offer': {
      const capacity = rng.range(1, 8)
      return { type, body: { cell: cell(rng), freeSeats: rng.range(0, capacity), capacity, fare: { currency: 'wei', base: amount(rng), perKm: amount(rng), perMinute: amount(rng) }, vehicle: rng.pick(['', 'blue hatchback', 'van']), expiresAt: soon(MAX_TTL_MS) } }
    }
    case 'ride-request':
      return { type, body: { requestId: id(rng), pickupCell: cell(rng), dropoffCell: cell(rng), seats: rng.range(1, 8), latestPickupAt: soon(MAX_PICKUP_HORIZON_MS), maxPrice: amount(rng), expiresAt: soon(MAX_TTL_MS), currency: 'wei' } }
    case 'quote': {
      const pickupMinutes = rng.int(60)
      return { type, body: { requestId: id(rng), quoteId: id(rng), price: amount(rng), pickupMinutes, dropoffMinutes: pickupMinutes + rng.int(60), expiresAt: soon(MAX_TTL_MS), pooled: rng.chance(0.5), currency: 'wei', seats: rng.range(1, 8) } }
    }
    case 'accept':
      return { type, body: { requestId: id(rng), quoteId: id(rng), seats: rng.range(1, 8) } }
    case 'confirm':
      return { type, body: { requestId: id(rng), quoteId: id(rng), pickupMinutes: rng.int(60) } }
    case 'reveal': {
      const requestId = id(rng)
      const binding = rng.chance(0.7)
        ? { binding: { peerId: ps[1].peerId, address: `0x${'ab'.repeat(20)}`, requestId, issuedAt: now - rng.int(60_000), signature: new Uint8Array(65).fill(rng.int(256)) } }
        : {}
      return { type, body: { requestId, quoteId: id(rng), pickup: point(rng), dropoff: point(rng), ...binding } }
    }
    case 'decline':
      return { type, body: { requestId: id(rng), quoteId: id(rng), reason: rng.pick(named<Decline.Reason>(Decline.Reason)) } }
    case 'cancel':
      return { type, body: { requestId: id(rng), reason: rng.pick(named<Cancel.Reason>(Cancel.Reason)), note: rng.pick(['', 'non-payment', 'x'.repeat(rng.int(256))]) } }
    case 'trip-update':
      return { type, body: { requestId: id(rng), phase: rng.pick(named<TripUpdate.Phase>(TripUpdate.Phase)), position: point(rng), time: now - rng.int(60_000), distanceM: rng.int(50_000) } }
    case 'trip-record': {
      let record = createTripRecord({ rideId: id(rng), driver: ps[0].peerId, rider: ps[1].peerId, fare: amount(rng), currency: 'wei' })
      let t = now - 3_600_000
      const n = rng.small(6)
      for (let i = 0; i < n; i++) {
        t += rng.int(60_000)
        const p = point(rng)
        record = appendTripEvent(record, i === 0 ? { type: 'accepted', time: t, quoteId: id(rng), price: amount(rng) } : { type: 'position', time: t, lat: p.lat, lon: p.lon, distanceM: i * 100 })
      }
      return { type, body: tripRecordToProto(record) }
    }
  }
}

const STRINGS = ['', '0', '-1', '01', ' 1', '1e3', '0x10', 'A'.repeat(64), 'A'.repeat(65), 'a b', 'é', '\u0000', 'x'.repeat(257),
  ((1n << 256n) - 1n).toString(), (1n << 256n).toString(), '9'.repeat(78), 'WEI', 'wei.', 'w'.repeat(16), 'w'.repeat(17)]
const NUMBERS = [0, 1, 7, 8, 9, 2 ** 31 - 1, 2 ** 32 - 1]
const DOUBLES = [0, -0, NaN, Infinity, -Infinity, 90, -90, 90.0000001, 180, -180.0000001, 5e-324, 1e308, 4.9999, 5, 5.0000001]

/**
 * Puts an edge value into one field of a (deep-copied) body: an odd string, a boundary number,
 * an expiry just inside or outside the validators' horizons, a cell of another resolution.
 */
export function mutateBody (rng: Prng, message: HitchMessage, now: number): HitchMessage {
  const body = structuredClone(message.body) as unknown as Record<string, unknown>
  const holders: Array<Record<string, unknown>> = [body]
  for (const v of Object.values(body)) if (v != null && typeof v === 'object' && !(v instanceof Uint8Array) && !Array.isArray(v)) holders.push(v as Record<string, unknown>)
  const holder = rng.pick(holders)
  const keys = Object.keys(holder).filter(k => typeof holder[k] !== 'object' || holder[k] == null)
  if (keys.length === 0) return message
  const k = rng.pick(keys)
  const v = holder[k]
  if (typeof v === 'string') {
    if (/cell/i.test(k)) holder[k] = rng.pick([...ODD_CELLS, ...NEAR_CELLS])
    else if (/Reason|reason|phase/.test(k)) holder[k] = v
    else holder[k] = rng.pick(STRINGS)
  } else if (typeof v === 'number') {
    if (/At$|Eta$|^time$/.test(k)) {
      holder[k] = rng.pick([0, 1, now - 1, now, now + 1, now + MAX_TTL_MS, now + MAX_TTL_MS + 1, now + MAX_PICKUP_HORIZON_MS, now + MAX_PICKUP_HORIZON_MS + 1, Number.MAX_SAFE_INTEGER, 2 ** 53])
    } else if (Number.isInteger(v) && !/lat|lon|rating/i.test(k)) {
      holder[k] = rng.pick(NUMBERS)
    } else {
      holder[k] = rng.pick(DOUBLES)
    }
  } else if (typeof v === 'boolean') {
    holder[k] = !v
  }
  return { type: message.type, body } as unknown as HitchMessage
}
