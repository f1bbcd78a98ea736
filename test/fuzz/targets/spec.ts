/**
 * The rules an accepted message must obey, restated from the architecture and the `.proto`
 * comments independently of `protocol/validation.ts`: the oracle's second opinion. Each returns
 * the first rule broken, or undefined.
 */
import { getResolution, isValidCell } from 'h3-js'
import type { OpenedEnvelope } from '../../../protocol/index.js'
import { MAX_PICKUP_HORIZON_MS, MAX_TTL_MS } from './messages.js'

const ID = /^[A-Za-z0-9_-]{1,64}$/
const CURRENCY = /^[A-Za-z0-9_.-]{1,16}$/
const AMOUNT = /^(0|[1-9][0-9]*)$/
const UINT256_MAX = (1n << 256n) - 1n

const isAmount = (v: unknown): boolean => typeof v === 'string' && AMOUNT.test(v) && BigInt(v) <= UINT256_MAX
const isCell7 = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f]{15}$/.test(v) && isValidCell(v) && getResolution(v) === 7
const isSeats = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 8
const isTime = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0
/** Quoted times: whole minutes, at most a day. */
const isMinutes = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 24 * 60
const isPoint = (p: any): boolean => p != null && Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180

/** Kinds allowed on gossip: offers, requests and cancels; never exact points or direct replies. */
export const GOSSIP_KINDS = new Set(['vehicle-offer', 'ride-request', 'cancel'])

/** Rules of any accepted envelope, wherever it came from. */
export function envelopeRules (opened: OpenedEnvelope, now: number): string | undefined {
  if (!(opened.expiresAt >= now)) return 'envelope expired'
  if (opened.expiresAt > now + MAX_TTL_MS) return 'envelope expires beyond 10 minutes'
  if (opened.nonce.length < 8 || opened.nonce.length > 32) return 'nonce length out of 8..32'
  const m = opened.message
  const b = m.body as any
  const expiry = (v: unknown): string | undefined => !isTime(v) ? 'expiry missing' : (v as number) < now ? 'body expired' : (v as number) > now + MAX_TTL_MS ? 'body expires beyond 10 minutes' : undefined
  const ids = (...keys: string[]): string | undefined => keys.map(k => ID.test(String(b[k])) ? undefined : `${k} not an id`).find(x => x != null)
  switch (m.type) {
    case 'vehicle-offer':
      if (!isCell7(b.cell)) return 'cell not a resolution-7 cell'
      if (!isSeats(b.capacity)) return 'capacity out of 1..8'
      if (!Number.isInteger(b.freeSeats) || b.freeSeats < 0 || b.freeSeats > b.capacity) return 'free seats out of 0..capacity'
      if (!CURRENCY.test(b.fare?.currency ?? '') || !isAmount(b.fare?.base) || !isAmount(b.fare?.perKm) || !isAmount(b.fare?.perMinute)) return 'fare malformed'
      if (String(b.vehicle).length > 64) return 'vehicle longer than 64'
      return expiry(b.expiresAt)
    case 'ride-request':
      if (!isCell7(b.pickupCell) || !isCell7(b.dropoffCell)) return 'pickup or dropoff not a resolution-7 cell'
      if (!isSeats(b.seats)) return 'seats out of 1..8'
      if (!isAmount(b.maxPrice) || !CURRENCY.test(b.currency)) return 'price malformed'
      if (!isTime(b.latestPickupAt) || b.latestPickupAt < now || b.latestPickupAt > now + MAX_PICKUP_HORIZON_MS) return 'latest pickup outside now..24 h'
      return ids('requestId') ?? expiry(b.expiresAt)
    case 'quote':
      if (!isAmount(b.price) || !CURRENCY.test(b.currency)) return 'price malformed'
      if (!isSeats(b.seats)) return 'seats out of 1..8'
      if (!isMinutes(b.pickupMinutes) || !isMinutes(b.dropoffMinutes) || b.dropoffMinutes < b.pickupMinutes) return 'minutes out of order or range'
      return ids('requestId', 'quoteId') ?? expiry(b.expiresAt)
    case 'accept':
      if (!isSeats(b.seats)) return 'seats out of 1..8'
      return ids('requestId', 'quoteId')
    case 'confirm':
      return isMinutes(b.pickupMinutes) ? ids('requestId', 'quoteId') : 'pickup minutes out of range'
    case 'reveal':
      if (!isPoint(b.pickup) || !isPoint(b.dropoff)) return 'points out of range'
      if (b.binding != null && (!/^0x[0-9a-f]{40}$/.test(String(b.binding.address)) || !ID.test(String(b.binding.requestId)) ||
        !isTime(b.binding.issuedAt) || b.binding.signature?.byteLength !== 65)) return 'binding malformed'
      return ids('requestId', 'quoteId')
    case 'decline':
      return typeof b.reason !== 'string' || b.reason === 'REASON_UNSPECIFIED' ? 'reason unspecified or unknown' : ids('requestId', 'quoteId')
    case 'cancel':
      if (typeof b.reason !== 'string' || b.reason === 'REASON_UNSPECIFIED') return 'reason unspecified or unknown'
      return String(b.note).length > 256 ? 'note longer than 256' : ids('requestId')
    case 'trip-update':
      if (typeof b.phase !== 'string' || b.phase === 'PHASE_UNSPECIFIED') return 'phase unspecified or unknown'
      if (!isPoint(b.position) || !isTime(b.time) || !Number.isSafeInteger(b.distanceM)) return 'position, time or distance malformed'
      return ids('requestId')
    case 'trip-record':
      return b.header == null ? 'trip record without header' : undefined
  }
}

/** Rules of gossip: its kinds only, and the cell of the topic it arrived on. */
export function gossipRules (opened: OpenedEnvelope, now: number, topicCell?: string): string | undefined {
  const type = opened.message.type
  if (!GOSSIP_KINDS.has(type)) return `${type} accepted on gossip`
  const b = opened.message.body as any
  const cell = type === 'vehicle-offer' ? b.cell : type === 'ride-request' ? b.pickupCell : undefined
  if (topicCell != null && cell != null && cell !== topicCell) return 'message of another cell accepted on this topic'
  return envelopeRules(opened, now)
}

/** Rules of a direct stream: the signer is the peer at the other end. */
export function directRules (opened: OpenedEnvelope, now: number, remotePeer?: string): string | undefined {
  if (remotePeer != null && opened.sender.toString() !== remotePeer) return 'signer is not the remote peer'
  return envelopeRules(opened, now)
}
