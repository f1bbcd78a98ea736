/**
 * The quotes as the rider sees them: their view in events and `choose`, their ranking, and
 * asking `choose` among the usable ones when the rider machine calls for a pick.
 */
import { minutesAfter } from '../../protocol/index.js'
import { rankQuotes } from '../../matching/index.js'
import type { RideInfo } from './types.js'
import type { QuoteRanking, ReceivedQuote } from '../../protocol/index.js'
import type { RankingPrefs } from '../../matching/index.js'

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
    pooled: driver.quote.pooled,
    // checked when the quote arrived
    ...(driver.quote.binding != null ? { driverAddress: driver.quote.binding.address } : {})
  }
}

/** matching's ranking of quotes (`rankQuotes`), as the rider machine ranks them. */
export function quoteRanking (prefs: RankingPrefs | undefined): QuoteRanking {
  return (quotes, ctx) => rankQuotes(quotes.map(q => ({
    driverId: q.from,
    quoteId: q.quote.quoteId,
    priceCents: Number(q.quote.price),
    pickupEtaS: Math.max(0, (minutesAfter(q.at, q.quote.pickupMinutes) - ctx.now) / 1000),
    dropoffEtaS: Math.max(0, (minutesAfter(q.at, q.quote.pickupMinutes) - ctx.now) / 1000, (minutesAfter(q.at, q.quote.dropoffMinutes) - ctx.now) / 1000),
    received: q
  })), prefs).ranked.map(r => r.quote.received)
}

/**
 * Asks `choose` among the usable quotes (best first). A failing chooser is reported to
 * `onError` and the best is taken: it must not stall the ride.
 */
export async function pickQuote (
  choose: (quotes: RiderQuote[]) => Promise<RiderQuote | undefined>, candidates: ReceivedQuote[], onError: (err: any) => void
): Promise<RiderQuote | undefined | null> {
  try {
    return await choose(candidates.map(q => toRiderQuote(q)))
  } catch (err: any) {
    // a failing chooser must not stall the ride: fall back to the ranking
    onError(err)
    return toRiderQuote(candidates[0])
  }
}
