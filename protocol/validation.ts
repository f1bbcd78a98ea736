import { ignore, reject, ValidationError } from './errors.js'
import { openEnvelope } from './envelope.js'
import { Cancel, Decline, TripUpdate } from './pb/messages.js'
import { GOSSIP_RESOLUTION, isCell, isLatLon } from './topics.js'
import { checkTripRecordShape } from './trip-record.js'
import { BINDING_SIGNATURE_BYTES } from './trip-record-types.js'
import type { ValidationCode } from './errors.js'
import type { OpenEnvelopeOptions, OpenedEnvelope } from './envelope.js'
import type { HitchMessage } from './hitch-message.js'
import type { IdentityBinding, LatLon } from './pb/messages.js'
import type { ReplayCache } from './replay-cache.js'
import type { PeerId } from '@libp2p/interface'

/** Largest gossip message accepted: offers and requests are a few hundred bytes. */
export const DEFAULT_MAX_GOSSIP_BYTES = 4096
/** Largest direct-stream message accepted: a trip record with a few hundred positions. */
export const DEFAULT_MAX_DIRECT_BYTES = 65536
/** Furthest in the future an envelope or body may expire: 10 minutes. */
export const DEFAULT_MAX_TTL_MS = 10 * 60 * 1000
/** Furthest in the future a ride may be requested for (latest pickup): 24 hours. */
export const DEFAULT_MAX_PICKUP_HORIZON_MS = 24 * 60 * 60 * 1000
/** Fewest seats a request, quote or accept may ask for. */
export const MIN_SEATS = 1
/** Most seats a request may ask for and a vehicle may have. */
export const MAX_SEATS = 8
/** Most minutes a quote or confirm may put the pickup or the dropoff ahead: 24 hours. */
export const MAX_ETA_MINUTES = 24 * 60
export { BINDING_SIGNATURE_BYTES } from './trip-record-types.js'

/** Limits shared by gossip and direct validation, and how envelopes are opened (see `OpenEnvelopeOptions`). */
export interface ValidationLimits extends OpenEnvelopeOptions {
  /**
   * Furthest in the future an expiry may lie, in ms.
   *
   * @default DEFAULT_MAX_TTL_MS (10 minutes)
   */
  maxTtlMs?: number
  /**
   * Furthest in the future a latest pickup time may lie, in ms.
   *
   * @default DEFAULT_MAX_PICKUP_HORIZON_MS (24 hours)
   */
  maxPickupHorizonMs?: number
}

/** Context of {@link validateGossip}. */
export interface GossipValidationContext extends ValidationLimits {
  /** the caller's clock, ms since the epoch */
  now: number
  /** message ids seen; an accepted message is added to it */
  replay: ReplayCache
  /**
   * Largest accepted message, in bytes.
   *
   * @default DEFAULT_MAX_GOSSIP_BYTES (4096)
   */
  maxBytes?: number
  /** the cell of the topic the message arrived on; when given, the message's cell must match */
  topicCell?: string
}

/** Context of {@link validateDirect}. */
export interface DirectValidationContext extends ValidationLimits {
  /** the caller's clock, ms since the epoch */
  now: number
  /** message ids seen on streams; when given, replays are ignored and accepted ids added */
  replay?: ReplayCache
  /**
   * Largest accepted message, in bytes.
   *
   * @default DEFAULT_MAX_DIRECT_BYTES (65536)
   */
  maxBytes?: number
  /** the stream's remote peer; when given, the signer must be this peer */
  remotePeer?: PeerId | string
}

/** The outcome of validating one message. */
export type ValidationResult =
  | { verdict: 'accept', envelope: OpenedEnvelope }
  | { verdict: 'ignore' | 'reject', reason: ValidationCode, error: ValidationError }

const ID_RE = /^[A-Za-z0-9_-]{1,64}$/
const CURRENCY_RE = /^[A-Za-z0-9_.-]{1,16}$/
const AMOUNT_RE = /^(0|[1-9][0-9]{0,77})$/
const UINT256_MAX = (1n << 256n) - 1n
const MAX_TEXT = 256
/** A base58btc peer id (a secp256k1 key's is 53 characters). */
const PEER_ID_RE = /^[1-9A-HJ-NP-Za-km-z]{1,128}$/
const ADDRESS_RE = /^0x[0-9a-f]{40}$/

/** True for a decimal string of a non-negative integer below 2^256 (no sign, no leading zeros). */
export function isAmount (value: unknown): value is string {
  return typeof value === 'string' && AMOUNT_RE.test(value) && BigInt(value) <= UINT256_MAX
}

function checkAmount (field: string, value: string): void {
  if (typeof value === 'string' && value.startsWith('-')) {
    throw reject('negative-amount', `${field} is negative`)
  }
  if (!isAmount(value)) {
    throw reject('bad-amount', `${field} is not a decimal amount`)
  }
}

function checkId (field: string, value: string): void {
  if (typeof value !== 'string' || !ID_RE.test(value)) {
    throw reject('bad-field', `${field} must be 1..64 of [A-Za-z0-9_-]`)
  }
}

function checkCurrency (value: string): void {
  if (!CURRENCY_RE.test(value)) {
    throw reject('bad-field', 'currency must be 1..16 of [A-Za-z0-9_.-]')
  }
}

function checkText (field: string, value: string, max = MAX_TEXT): void {
  if (value.length > max) {
    throw reject('bad-field', `${field} longer than ${max}`)
  }
}

function checkSeats (field: string, seats: number): void {
  if (!Number.isInteger(seats) || seats < MIN_SEATS || seats > MAX_SEATS) {
    throw reject('bad-seats', `${field} must be ${MIN_SEATS}..${MAX_SEATS}`)
  }
}

function checkCell (field: string, cell: string): void {
  if (!isCell(cell, GOSSIP_RESOLUTION)) {
    throw reject('bad-cell', `${field} is not an H3 cell of resolution ${GOSSIP_RESOLUTION}`)
  }
}

function checkPoint (field: string, point: LatLon | undefined): void {
  if (point == null) {
    throw reject('malformed', `${field} missing`)
  }
  if (!isLatLon(point.lat, point.lon)) {
    throw reject('bad-lat-lon', `${field} out of range`)
  }
}

function checkTime (field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw reject('bad-field', `${field} missing or out of range`)
  }
}

function checkMinutes (field: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_ETA_MINUTES) {
    throw reject('bad-field', `${field} must be 0..${MAX_ETA_MINUTES} whole minutes`)
  }
}

/**
 * The shape of an identity binding; its signature and its fit are the receiver's to check. A
 * rider's names its ride; a driver's (`forRide: false`, on a quote) names none.
 */
function checkBinding (binding: IdentityBinding, forRide = true): void {
  if (typeof binding.peerId !== 'string' || !PEER_ID_RE.test(binding.peerId)) {
    throw reject('bad-field', 'binding.peerId is not a peer id')
  }
  if (typeof binding.address !== 'string' || !ADDRESS_RE.test(binding.address)) {
    throw reject('bad-field', 'binding.address must be a lower-case 0x address')
  }
  if (forRide) {
    checkId('binding.requestId', binding.requestId)
  } else if (binding.requestId !== '') {
    throw reject('bad-field', 'a driver\'s binding names no ride')
  }
  checkTime('binding.issuedAt', binding.issuedAt)
  if (!(binding.signature instanceof Uint8Array) || binding.signature.byteLength !== BINDING_SIGNATURE_BYTES) {
    throw reject('bad-field', `binding.signature must be ${BINDING_SIGNATURE_BYTES} bytes`)
  }
}

function checkEnum (field: string, value: string, unspecified: string): void {
  if (value === unspecified) {
    throw reject('bad-field', `${field} unspecified`)
  }
}

interface Horizon { now: number, maxTtlMs: number, maxPickupHorizonMs: number }

/** Expiries that are too far out are a reject (nobody honest does that); past ones an ignore. */
function checkExpiry (field: string, value: number, h: Horizon, max = h.maxTtlMs): void {
  checkTime(field, value)
  if (value > h.now + max) {
    throw reject('expiry-too-far', `${field} too far in the future`)
  }
}

/** The range checks of every body, independent of where it arrived. */
function checkBody (message: HitchMessage, h: Horizon): void {
  switch (message.type) {
    case 'vehicle-offer': {
      const b = message.body
      checkCell('cell', b.cell)
      checkSeats('capacity', b.capacity)
      if (!Number.isInteger(b.freeSeats) || b.freeSeats > b.capacity) {
        throw reject('bad-seats', 'freeSeats above capacity')
      }
      if (b.fare == null) {
        throw reject('malformed', 'fare missing')
      }
      checkCurrency(b.fare.currency)
      checkAmount('fare.base', b.fare.base)
      checkAmount('fare.perKm', b.fare.perKm)
      checkAmount('fare.perMinute', b.fare.perMinute)
      checkText('vehicle', b.vehicle, 64)
      checkExpiry('expiresAt', b.expiresAt, h)
      return
    }
    case 'ride-request': {
      const b = message.body
      checkId('requestId', b.requestId)
      checkCell('pickupCell', b.pickupCell)
      checkCell('dropoffCell', b.dropoffCell)
      checkSeats('seats', b.seats)
      checkAmount('maxPrice', b.maxPrice)
      checkCurrency(b.currency)
      checkExpiry('latestPickupAt', b.latestPickupAt, h, h.maxPickupHorizonMs)
      checkExpiry('expiresAt', b.expiresAt, h)
      return
    }
    case 'quote': {
      const b = message.body
      checkId('requestId', b.requestId)
      checkId('quoteId', b.quoteId)
      checkAmount('price', b.price)
      checkCurrency(b.currency)
      checkSeats('seats', b.seats)
      checkMinutes('pickupMinutes', b.pickupMinutes)
      checkMinutes('dropoffMinutes', b.dropoffMinutes)
      if (b.dropoffMinutes < b.pickupMinutes) {
        throw reject('bad-field', 'dropoffMinutes before pickupMinutes')
      }
      checkExpiry('expiresAt', b.expiresAt, h)
      if (b.binding != null) {
        checkBinding(b.binding, false)
      }
      return
    }
    case 'accept': {
      const b = message.body
      checkId('requestId', b.requestId)
      checkId('quoteId', b.quoteId)
      checkSeats('seats', b.seats)
      return
    }
    case 'confirm': {
      const b = message.body
      checkId('requestId', b.requestId)
      checkId('quoteId', b.quoteId)
      checkMinutes('pickupMinutes', b.pickupMinutes)
      return
    }
    case 'reveal': {
      const b = message.body
      checkId('requestId', b.requestId)
      checkId('quoteId', b.quoteId)
      checkPoint('pickup', b.pickup)
      checkPoint('dropoff', b.dropoff)
      if (b.binding != null) {
        checkBinding(b.binding)
      }
      return
    }
    case 'decline': {
      const b = message.body
      checkId('requestId', b.requestId)
      checkId('quoteId', b.quoteId)
      checkEnum('reason', b.reason, Decline.Reason.REASON_UNSPECIFIED)
      return
    }
    case 'cancel': {
      const b = message.body
      checkId('requestId', b.requestId)
      checkEnum('reason', b.reason, Cancel.Reason.REASON_UNSPECIFIED)
      checkText('note', b.note)
      return
    }
    case 'trip-update': {
      const b = message.body
      checkId('requestId', b.requestId)
      checkEnum('phase', b.phase, TripUpdate.Phase.PHASE_UNSPECIFIED)
      checkPoint('position', b.position)
      checkTime('time', b.time)
      if (!Number.isSafeInteger(b.distanceM)) {
        throw reject('bad-field', 'distanceM out of range')
      }
      return
    }
    case 'trip-record': {
      try {
        checkTripRecordShape(message.body)
      } catch (err: any) {
        throw reject('malformed', `trip record: ${String(err?.message ?? err)}`)
      }
    }
  }
}

/** The cell a gossip message belongs to, or undefined for messages not tied to one. */
function cellOfMessage (message: HitchMessage): string | undefined {
  switch (message.type) {
    case 'vehicle-offer': return message.body.cell
    case 'ride-request': return message.body.pickupCell
    default: return undefined
  }
}

/** Body expiries (the envelope's is checked separately); past ones make the message stale. */
function checkNotExpired (message: HitchMessage, now: number): void {
  const b = message.body as Partial<{ expiresAt: number, latestPickupAt: number }>
  if (b.expiresAt != null && message.type !== 'trip-record' && b.expiresAt < now) {
    throw ignore('expired', `${message.type} expired`)
  }
  if (b.latestPickupAt != null && b.latestPickupAt < now) {
    throw ignore('expired', 'latest pickup time passed')
  }
}

const GOSSIP_TYPES = new Set(['vehicle-offer', 'ride-request', 'cancel'])
const EXACT_POINT_TYPES = new Set(['reveal', 'trip-update', 'trip-record'])

async function validate (bytes: Uint8Array, ctx: {
  now: number
  maxBytes: number
  replay?: ReplayCache
  limits: ValidationLimits
  /** where-it-arrived rules that reject; run before the body checks */
  check: (opened: OpenedEnvelope) => void
  /** where-it-arrived rules that ignore; run after the body checks */
  post?: (opened: OpenedEnvelope) => void
}): Promise<ValidationResult> {
  try {
    if (!(bytes instanceof Uint8Array)) {
      throw reject('malformed', 'not bytes')
    }
    if (bytes.byteLength > ctx.maxBytes) {
      throw reject('oversized', `message of ${bytes.byteLength} bytes exceeds ${ctx.maxBytes}`)
    }
    const opened = await openEnvelope(bytes, { verifyCache: ctx.limits.verifyCache, keyCache: ctx.limits.keyCache, verifier: ctx.limits.verifier })
    const h: Horizon = {
      now: ctx.now,
      maxTtlMs: ctx.limits.maxTtlMs ?? DEFAULT_MAX_TTL_MS,
      maxPickupHorizonMs: ctx.limits.maxPickupHorizonMs ?? DEFAULT_MAX_PICKUP_HORIZON_MS
    }
    if (opened.expiresAt > h.now + h.maxTtlMs) {
      throw reject('expiry-too-far', 'envelope expires too far in the future')
    }
    ctx.check(opened)
    checkBody(opened.message, h)
    ctx.post?.(opened)
    if (opened.expiresAt < ctx.now) {
      throw ignore('expired', 'envelope expired')
    }
    checkNotExpired(opened.message, ctx.now)
    if (ctx.replay != null && !ctx.replay.checkAndAdd(opened.msgId, opened.expiresAt, ctx.now)) {
      throw ignore('replayed', 'message id already seen')
    }
    return { verdict: 'accept', envelope: opened }
  } catch (err) {
    if (err instanceof ValidationError) {
      return { verdict: err.verdict, reason: err.code, error: err }
    }
    const error = reject('malformed', `unexpected: ${String((err as any)?.message ?? err)}`)
    return { verdict: 'reject', reason: error.code, error }
  }
}

/**
 * Validates a message that arrived on a gossip topic: decodes it, verifies its signature and
 * field ranges, refuses exact points and direct-only messages, and drops stale, replayed or
 * off-topic ones. An accepted message's id is added to `ctx.replay`.
 *
 * Verdicts: malformed, unsigned, badly signed, oversized, out of range, exact points or
 * direct-only kinds -> `reject`; expired, replayed, other topic's cell, newer version -> `ignore`.
 */
export async function validateGossip (bytes: Uint8Array, ctx: GossipValidationContext): Promise<ValidationResult> {
  return validate(bytes, {
    now: ctx.now,
    maxBytes: ctx.maxBytes ?? DEFAULT_MAX_GOSSIP_BYTES,
    replay: ctx.replay,
    limits: ctx,
    check: (opened) => {
      const type = opened.message.type
      if (EXACT_POINT_TYPES.has(type)) {
        throw reject('exact-point-on-gossip', `${type} carries exact points and must never be gossiped`)
      }
      if (!GOSSIP_TYPES.has(type)) {
        throw reject('direct-only', `${type} belongs on a direct stream`)
      }
    },
    post: (opened) => {
      const type = opened.message.type
      const cell = cellOfMessage(opened.message)
      if (ctx.topicCell != null && cell != null && cell !== ctx.topicCell) {
        throw ignore('wrong-topic', `${type} for another cell`)
      }
    }
  })
}

/**
 * Validates a message read from a direct stream: the same checks as gossip, but exact points
 * and every message kind are allowed, and the signer must be the stream's remote peer.
 */
export async function validateDirect (bytes: Uint8Array, ctx: DirectValidationContext): Promise<ValidationResult> {
  return validate(bytes, {
    now: ctx.now,
    maxBytes: ctx.maxBytes ?? DEFAULT_MAX_DIRECT_BYTES,
    replay: ctx.replay,
    limits: ctx,
    check: (opened) => {
      if (ctx.remotePeer != null && opened.sender.toString() !== ctx.remotePeer.toString()) {
        throw reject('wrong-sender', 'signer is not the remote peer')
      }
    }
  })
}
