import { expect } from 'chai'
import fc from 'fast-check'
import { DEFAULT_RANKING, rankQuotes } from '../../../../matching/ranking/index.js'
import type { Quote } from '../../../../matching/ranking/index.js'

const q = (driverId: string, priceCents: number, pickupEtaS: number, extra: Partial<Quote> = {}): Quote => ({ driverId, priceCents, pickupEtaS, ...extra })
const ids = (qs: Array<{ quote: Quote }>): string[] => qs.map(r => r.quote.driverId + (r.quote.quoteId ?? ''))

describe('matching/ranking: rankQuotes', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_RANKING).to.deep.equal({ maxPriceCents: Infinity, maxPickupEtaS: Infinity, waitMinuteCents: 50, rideMinuteCents: 0 })
  })

  it('puts the cheapest first when everything else is equal', () => {
    const r = rankQuotes([q('a', 1200, 300), q('b', 900, 300), q('c', 1000, 300)])
    expect(ids(r.ranked)).to.deep.equal(['b', 'c', 'a'])
    expect(r.ranked.map(x => x.score)).to.deep.equal([1150, 1250, 1450])
  })

  it('trades price against waiting at 50 cents a minute', () => {
    // a: 1000 + 10 min × 50 = 1500; b: 1300 + 2 min × 50 = 1400
    expect(ids(rankQuotes([q('a', 1000, 600), q('b', 1300, 120)]).ranked)).to.deep.equal(['b', 'a'])
    // valuing time less flips it: a 1000 + 100 = 1100, b 1300 + 20
    expect(ids(rankQuotes([q('a', 1000, 600), q('b', 1300, 120)], { waitMinuteCents: 10 }).ranked)).to.deep.equal(['a', 'b'])
  })

  it('ignores a self-declared rating: five stars buy no place (issue 9, exact points harvested by bidding)', () => {
    // a fake driver claims five stars; an honest one is a cent cheaper: the honest one wins
    const fake = { ...q('fake', 1001, 0), rating: 5 } as unknown as Quote
    const r = rankQuotes([fake, q('honest', 1000, 0)])
    expect(r.ranked.map(x => [x.quote.driverId, x.score])).to.deep.equal([['honest', 1000], ['fake', 1001]])
  })

  it('weighs the time in the car only when asked', () => {
    const pooled = q('pooled', 800, 120, { dropoffEtaS: 1500 })
    const solo = q('solo', 1100, 120, { dropoffEtaS: 720 })
    expect(ids(rankQuotes([solo, pooled]).ranked)).to.deep.equal(['pooled', 'solo'])
    // 23 min vs 10 min in the car at 30 cents: 800 + 690 vs 1100 + 300
    expect(ids(rankQuotes([solo, pooled], { rideMinuteCents: 30 }).ranked)).to.deep.equal(['solo', 'pooled'])
  })

  it('filters by price and wait, and says why', () => {
    const quotes = [q('dear', 5000, 60), q('late', 900, 1200), q('ok', 1000, 60), q('later', 1000, 90)]
    const r = rankQuotes(quotes, { maxPriceCents: 3000, maxPickupEtaS: 900 })
    expect(ids(r.ranked)).to.deep.equal(['ok', 'later'])
    expect(r.rejected.map(x => [x.quote.driverId, x.reason])).to.deep.equal([['dear', 'over-price'], ['late', 'over-wait']])
  })

  it('keeps limits inclusive', () => {
    const r = rankQuotes([q('a', 3000, 900)], { maxPriceCents: 3000, maxPickupEtaS: 900 })
    expect(ids(r.ranked)).to.deep.equal(['a'])
  })

  it('leaves out malformed quotes', () => {
    const bad = [q('frac', 10.5, 0), q('neg', -1, 0), q('nan', 100, NaN), q('inf', 100, Infinity), q('early', 100, 300, { dropoffEtaS: 200 }), q('negeta', 100, -5)]
    const r = rankQuotes(bad)
    expect(r.ranked).to.deep.equal([])
    expect(r.rejected.every(x => x.reason === 'invalid')).to.equal(true)
    expect(r.rejected).to.have.length(bad.length)
  })

  it('breaks ties by price, then pickup, then driverId, then quoteId', () => {
    // all score 1500
    const quotes = [q('z', 1500, 0), q('y', 1000, 600), q('x', 1000, 600, { quoteId: '2' }), q('x', 1000, 600, { quoteId: '1' }), q('w', 1400, 120)]
    expect(ids(rankQuotes(quotes).ranked)).to.deep.equal(['x1', 'x2', 'y', 'w', 'z'])
  })

  it('ranks the same whatever order the quotes arrive in, best score first', () => {
    const quote = fc.record({
      driverId: fc.constantFrom('a', 'b', 'c', 'd'),
      quoteId: fc.option(fc.constantFrom('1', '2'), { nil: undefined }),
      priceCents: fc.integer({ min: 0, max: 3000 }),
      pickupEtaS: fc.integer({ min: 0, max: 1200 })
    }).map(x => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as unknown as Quote)
    fc.assert(fc.property(fc.array(quote, { maxLength: 12 }), fc.integer(), (quotes, seed) => {
      const shuffled = [...quotes]
      let s = seed >>> 0
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0
        const j = s % (i + 1)
        ;[shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
      }
      const a = rankQuotes(quotes, { maxPriceCents: 2500 }).ranked
      const b = rankQuotes(shuffled, { maxPriceCents: 2500 }).ranked
      expect(b.map(r => r.quote)).to.deep.equal(a.map(r => r.quote))
      for (let i = 1; i < a.length; i++) expect(a[i].score).to.be.at.least(a[i - 1].score)
      expect(a.length + rankQuotes(quotes, { maxPriceCents: 2500 }).rejected.length).to.equal(quotes.length)
    }), { numRuns: 200 })
  })
})
