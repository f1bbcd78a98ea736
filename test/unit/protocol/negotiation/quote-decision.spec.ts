import { expect } from 'chai'
import { decideQuote, quoteReachS } from '../../../../protocol/negotiation/index.js'
import { NOW, request } from '../fixtures.js'
import type { QuoteDecision, QuoteDecisionInput, QuoteFit } from '../../../../protocol/negotiation/index.js'
import type { RideRequest } from '../../../../protocol/pb/messages.js'

const req = request().body as RideRequest
const FIT: QuoteFit = { ok: true, fromCentreS: 60, pickupMinutes: 2, dropoffMinutes: 20, shared: false, directTimeS: 900 }

function input (over: Partial<QuoteDecisionInput> = {}): QuoteDecisionInput {
  return {
    request: req,
    currency: req.currency,
    freeSeats: 3,
    fit: () => FIT,
    price: () => '1500',
    firstHeard: NOW,
    now: NOW,
    quoteNearS: 120,
    quoteWidenMs: 4_000,
    quoteTtlMs: 60_000,
    ...over
  }
}

describe('decideQuote (the driver\'s quote decision)', () => {
  const cases: Array<[string, Partial<QuoteDecisionInput>, Partial<QuoteDecision>]> = [
    ['another currency', { currency: 'eur-cent' }, { type: 'skip', reason: 'currency' }],
    ['too few free seats: held for a later copy', { freeSeats: 0 }, { type: 'skip', reason: 'seats', held: true }],
    ['no fit: held', { fit: () => ({ ok: false, reason: 'max-wait' }) }, { type: 'skip', reason: 'no-fit', fit: 'max-wait', held: true }],
    ['off the map: not held', { fit: () => ({ ok: false, reason: 'off-map' }) }, { type: 'skip', reason: 'no-fit', fit: 'off-map', held: false }],
    ['beyond the reach: holds back', { fit: () => ({ ...FIT, fromCentreS: 121 }) }, { type: 'skip', reason: 'far', pickupMinutes: 2, reachS: 120, held: true }],
    ['reach doubled after one widening', { fit: () => ({ ...FIT, fromCentreS: 200 }), now: NOW + 4_000 }, { type: 'quote' }],
    ['reach not yet doubled', { fit: () => ({ ...FIT, fromCentreS: 200 }), now: NOW + 3_999 }, { type: 'skip', reason: 'far', reachS: 120 }],
    ['no price', { price: () => undefined }, { type: 'skip', reason: 'price' }],
    ['over the ceiling', { request: { ...req, maxPrice: '1499' } }, { type: 'skip', reason: 'price' }],
    ['at the ceiling', { request: { ...req, maxPrice: '1500' } }, { type: 'quote' }]
  ]
  for (const [name, over, expected] of cases) {
    it(name, () => {
      expect(decideQuote(input(over))).to.deep.include(expected)
    })
  }

  it('quotes the price, the minutes, the rider\'s expiry, and holds it at most the ttl', () => {
    const d = decideQuote(input({ fit: () => ({ ...FIT, shared: true }), price: (shared, direct) => shared && direct === 900 ? '1200' : '9' }))
    expect(d).to.deep.equal({
      type: 'quote',
      quote: { requestId: req.requestId, price: '1200', expiresAt: req.expiresAt, pooled: true, currency: req.currency, seats: req.seats, pickupMinutes: 2, dropoffMinutes: 20 },
      holdUntil: Math.min(req.expiresAt, NOW + 60_000)
    })
    expect(decideQuote(input({ quoteTtlMs: 1 }))).to.have.property('holdUntil', NOW + 1)
  })

  it('asks for the fit only once the currency and seats allow a quote', () => {
    let asked = 0
    decideQuote(input({ freeSeats: 0, fit: () => { asked++; return FIT } }))
    decideQuote(input({ currency: 'x', fit: () => { asked++; return FIT } }))
    expect(asked).to.equal(0)
  })

  it('widens the reach by doubling every widening period', () => {
    expect(quoteReachS(120, 4_000, NOW, NOW)).to.equal(120)
    expect(quoteReachS(120, 4_000, NOW, NOW + 8_000)).to.equal(480)
    expect(quoteReachS(120, 4_000, NOW, NOW + 11_999)).to.equal(480)
  })
})
