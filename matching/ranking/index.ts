/**
 * Ranking: the rider orders the quotes it received by price, the worth of
 * its time and the driver's rating, after its own filters. Pure.
 */
export { rankQuotes, scoreQuote, rankingPrefs, DEFAULT_RANKING } from './rank.js'
export type { Quote, RankingPrefs, QuoteRejection, RankedQuote, Ranking } from './rank.js'
