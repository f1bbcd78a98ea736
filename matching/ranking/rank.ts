/**
 * The rider's side of matching: of the quotes drivers sent, which to accept
 * first. A quote's score is its price plus what the rider's time is worth, in
 * cents; lower is better.
 *
 * Ratings are not ranked: a quote's rating was the driver's own claim, and a
 * fake driver claiming five stars won the exact points of riders. Until a
 * rating can be proven (e.g. from trip records other riders signed), ranking
 * weighs only what the quote commits the driver to: price and times.
 */

/** What a driver offers for a ride, as the rider sees it. */
export interface Quote {
  /** Who offers (the driver's peer id). */
  readonly driverId: string
  /** Distinguishes several quotes of one driver; the last tie-break. */
  readonly quoteId?: string
  /** Fare, integer cents. */
  readonly priceCents: number
  /** Seconds from now until pickup. */
  readonly pickupEtaS: number
  /** Seconds from now until arrival at the dropoff, when the driver says. */
  readonly dropoffEtaS?: number
}

/** How a rider weighs quotes. Every field is optional. */
export interface RankingPrefs {
  /**
   * Quotes dearer than this are left out, cents.
   *
   * @default Infinity
   */
  maxPriceCents?: number
  /**
   * Quotes picking up later than this are left out, seconds.
   *
   * @default Infinity
   */
  maxPickupEtaS?: number
  /**
   * What a minute of waiting for pickup is worth to the rider, cents.
   *
   * @default 50
   */
  waitMinuteCents?: number
  /**
   * What a minute in the car (dropoff ETA minus pickup ETA) is worth, cents.
   * Counts only for quotes that give `dropoffEtaS`. A pooled ride is
   * cheaper but longer; raise this to weigh that.
   *
   * @default 0
   */
  rideMinuteCents?: number
}

export const DEFAULT_RANKING: Readonly<Required<RankingPrefs>> = Object.freeze({
  maxPriceCents: Infinity,
  maxPickupEtaS: Infinity,
  waitMinuteCents: 50,
  rideMinuteCents: 0
})

/** Why a quote was left out. */
export type QuoteRejection = 'invalid' | 'over-price' | 'over-wait'

export interface RankedQuote<Q extends Quote = Quote> {
  readonly quote: Q
  /** Price plus the worth of the rider's time, cents; lower is better. */
  readonly score: number
}

export interface Ranking<Q extends Quote = Quote> {
  /** Acceptable quotes, best first. */
  readonly ranked: Array<RankedQuote<Q>>
  /** Quotes left out, in input order, with why. */
  readonly rejected: Array<{ readonly quote: Q, readonly reason: QuoteRejection }>
}

/** Fills prefs from {@link DEFAULT_RANKING}. */
export function rankingPrefs (prefs: RankingPrefs = {}): Required<RankingPrefs> {
  return {
    maxPriceCents: prefs.maxPriceCents ?? DEFAULT_RANKING.maxPriceCents,
    maxPickupEtaS: prefs.maxPickupEtaS ?? DEFAULT_RANKING.maxPickupEtaS,
    waitMinuteCents: prefs.waitMinuteCents ?? DEFAULT_RANKING.waitMinuteCents,
    rideMinuteCents: prefs.rideMinuteCents ?? DEFAULT_RANKING.rideMinuteCents
  }
}

function isValid (q: Quote): boolean {
  return typeof q.driverId === 'string' &&
    Number.isSafeInteger(q.priceCents) && q.priceCents >= 0 &&
    Number.isFinite(q.pickupEtaS) && q.pickupEtaS >= 0 &&
    (q.dropoffEtaS == null || (Number.isFinite(q.dropoffEtaS) && q.dropoffEtaS >= q.pickupEtaS))
}

/** A quote's score under filled prefs (lower is better). */
export function scoreQuote (q: Quote, p: Required<RankingPrefs>): number {
  const ride = q.dropoffEtaS == null ? 0 : q.dropoffEtaS - q.pickupEtaS
  return q.priceCents +
    p.waitMinuteCents * q.pickupEtaS / 60 +
    p.rideMinuteCents * ride / 60
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Ranks a rider's quotes: leaves out malformed ones (negative or
 * fractional price, negative or non-finite ETA, dropoff before pickup) and
 * those over the rider's limits, then orders the
 * rest by score. Ties go to the lower price, then the earlier pickup, then
 * the smaller driverId and quoteId (by UTF-16 code units), so the order is
 * the same whatever order the quotes arrived in.
 */
export function rankQuotes<Q extends Quote> (quotes: readonly Q[], prefs: RankingPrefs = {}): Ranking<Q> {
  const p = rankingPrefs(prefs)
  const ranked: Array<RankedQuote<Q>> = []
  const rejected: Array<{ quote: Q, reason: QuoteRejection }> = []
  for (const quote of quotes) {
    let reason: QuoteRejection | undefined
    if (!isValid(quote)) reason = 'invalid'
    else if (quote.priceCents > p.maxPriceCents) reason = 'over-price'
    else if (quote.pickupEtaS > p.maxPickupEtaS) reason = 'over-wait'
    if (reason != null) rejected.push({ quote, reason })
    else ranked.push({ quote, score: scoreQuote(quote, p) })
  }
  ranked.sort((a, b) =>
    (a.score - b.score) ||
    (a.quote.priceCents - b.quote.priceCents) ||
    (a.quote.pickupEtaS - b.quote.pickupEtaS) ||
    compareStrings(a.quote.driverId, b.quote.driverId) ||
    compareStrings(a.quote.quoteId ?? '', b.quote.quoteId ?? ''))
  return { ranked, rejected }
}
