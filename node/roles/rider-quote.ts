import { minutesAfter } from '../../protocol/index.js'
import type { RideInfo } from './types.js'
import type { ReceivedQuote } from '../../protocol/index.js'

/** A quote as the rider's events and `choose` see it. */
export interface RiderQuote {
  /** the driver's peer id */
  driver: string
  requestId: string
  quoteId: string
  price: string
  currency: string
  /** whole minutes from the quote to the pickup, as the driver estimated them on cells */
  pickupMinutes: number
  dropoffMinutes: number
  /** the rider's clock ms when the quote arrived, plus the quoted minutes */
  pickupEta: number
  dropoffEta: number
  pooled: boolean
  seats: number
  expiresAt: number
}

/** A received quote as the rider's events show it. */
export function toRiderQuote (q: ReceivedQuote): RiderQuote {
  return {
    driver: q.from,
    requestId: q.quote.requestId,
    quoteId: q.quote.quoteId,
    price: q.quote.price,
    currency: q.quote.currency,
    pickupMinutes: q.quote.pickupMinutes,
    dropoffMinutes: q.quote.dropoffMinutes,
    pickupEta: minutesAfter(q.at, q.quote.pickupMinutes),
    dropoffEta: minutesAfter(q.at, q.quote.dropoffMinutes),
    pooled: q.quote.pooled,
    seats: q.quote.seats,
    expiresAt: q.quote.expiresAt
  }
}

/** What the payment hooks are told about a ride a driver confirmed. */
export function rideInfo (driver: ReceivedQuote, rider: string, seats: number, routeM: number): RideInfo {
  return {
    routeM,
    requestId: driver.quote.requestId,
    rider,
    driver: driver.from,
    quoteId: driver.quote.quoteId,
    price: driver.quote.price,
    currency: driver.quote.currency,
    seats,
    pooled: driver.quote.pooled
  }
}
