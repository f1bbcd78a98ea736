/**
 * Ranking: the rider orders the quotes it received by price, the worth of
 * its time, after its own filters (never a self-declared rating). Pure.
 */
export { rankQuotes, scoreQuote, rankingPrefs, DEFAULT_RANKING } from './rank.js'
export type { Quote, RankingPrefs, QuoteRejection, RankedQuote, Ranking } from './rank.js'
