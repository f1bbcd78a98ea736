/**
 * The options of the rider role and of each ride it asks for, and the request (cells only)
 * that a ride's options make.
 */
import { DEFAULT_MAX_TTL_MS, DEFAULT_RIDE_DEADLINE_MS, cellOf } from '../../protocol/index.js'
import { DEFAULT_CURRENCY } from './driver.js'
import type { RiderQuote } from './rider-quote.js'
import type { LatLonPoint } from './types.js'
import type { RideRequest } from '../../protocol/index.js'
import type { RankingPrefs } from '../../matching/index.js'

/** @default 600_000 (10 minutes, clock ms) */
export const DEFAULT_MAX_WAIT_MS = 600_000
/** No price ceiling: the largest amount validation accepts is far above any fare. */
const NO_CEILING = '1000000000000000000000000'

/** One ride to ask for. */
export interface RideRequestOptions {
  from: LatLonPoint
  to: LatLonPoint
  /** @default 1 */
  seats?: number
  /** longest wait for pickup, clock ms. @default DEFAULT_MAX_WAIT_MS (10 min) */
  maxWaitMs?: number
  /** price ceiling, integer units of `currency`. @default no ceiling */
  maxPrice?: string | number | bigint
  /** @default DEFAULT_CURRENCY ('usd-cent') */
  currency?: string
  /** collect quotes this long before choosing, clock ms. @default DEFAULT_QUOTE_WINDOW_MS (3 s) */
  quoteWindowMs?: number
  /** how long a driver has to confirm an accept, clock ms. @default DEFAULT_ACCEPT_TIMEOUT_MS (5 s) */
  acceptTimeoutMs?: number
  /** give up with {@link NoDriverError} when no driver confirmed by then, clock ms. @default DEFAULT_RIDE_DEADLINE_MS (30 s) */
  timeoutMs?: number
  /** how quotes are weighed (price, wait). @default matching's DEFAULT_RANKING */
  ranking?: RankingPrefs
  /**
   * Interactive pick among the usable quotes (best first). Return the one to accept, or
   * `undefined` to give up the ride. Called for the first pick and for each fallback, and
   * again when the quote picked could no longer be accepted (it expired while the user chose:
   * a `pick-lost` event says so first); only the quote returned is ever accepted.
   *
   * @default the best by `rankQuotes`
   */
  choose?: (quotes: RiderQuote[]) => Promise<RiderQuote | undefined>
}

/** Options of {@link Rider}. */
export interface RiderInit {
  /** @default DEFAULT_REPUBLISH_MS (2 s, clock) */
  republishMs?: number
  /** longest re-publish interval after the quote window, clock ms. @default DEFAULT_MAX_REPUBLISH_MS (30 s) */
  maxRepublishMs?: number
  /** @default DEFAULT_DISCOVERY_TIMEOUT_MS (5 s, clock) */
  discoveryTimeoutMs?: number
  /** most drivers of the pickup cell to connect to. @default DEFAULT_DISCOVERY_DIALS (16) */
  discoveryDials?: number
  /** @default DEFAULT_RECORD_TIMEOUT_MS (2 min, clock) */
  recordTimeoutMs?: number
  /** timeout of each direct message to a driver, real ms. @default the network's (10 s) */
  sendTimeoutMs?: number
  /**
   * Send the driver that confirmed an identity binding with the exact points: the node's
   * payment key (`node.identity`) signs that it stands behind this ride's peer id, so the trip
   * record names the rider's address and the driver can match the rider's channel to the ride.
   * Paying riders need it; a rider that does not pay may leave it out, and its record names no
   * address.
   *
   * @default true
   */
  bindIdentity?: boolean

  /**
   * Take only quotes whose driver binds its peer id to a payment address (the quote's identity
   * binding, checked): the rider pays that address. A quote with a binding that is malformed,
   * expired, for another peer or badly signed is refused always.
   *
   * @default true when the components carry payments
   */
  requireDriverBinding?: boolean
}

/** The request a ride's options make, published on the pickup cell: cells only, never the exact points. */
export function rideRequest (options: RideRequestOptions, requestId: string, now: number): RideRequest {
  const timeoutMs = options.timeoutMs ?? DEFAULT_RIDE_DEADLINE_MS
  return {
    requestId,
    pickupCell: cellOf(options.from.lat, options.from.lon),
    dropoffCell: cellOf(options.to.lat, options.to.lon),
    seats: options.seats ?? 1,
    latestPickupAt: now + (options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS),
    maxPrice: options.maxPrice != null ? String(options.maxPrice) : NO_CEILING,
    expiresAt: now + Math.min(timeoutMs, DEFAULT_MAX_TTL_MS),
    currency: options.currency ?? DEFAULT_CURRENCY
  }
}
