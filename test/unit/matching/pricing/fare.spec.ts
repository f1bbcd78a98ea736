import { expect } from 'chai'
import fc from 'fast-check'
import {
  DEFAULT_FARE,
  InvalidFareModelError,
  InvalidTripError,
  fareBreakdown,
  fareModel,
  fareSoFar,
  quoteFare
} from '../../../../matching/pricing/index.js'

describe('matching/pricing: quoteFare', () => {
  const noMin = fareModel({ minimumCents: 0 })

  const rows: Array<{ name: string, model?: Partial<typeof DEFAULT_FARE>, d: number, s: number, pooled: boolean, cents: number }> = [
    { name: '5 km, 10 min: 2.50 + 6.00 + 3.00', d: 5000, s: 600, pooled: false, cents: 1150 },
    { name: 'pooled: 25 % off 11.50, half a cent rounds up', d: 5000, s: 600, pooled: true, cents: 863 },
    { name: 'a short ride pays the minimum', d: 500, s: 120, pooled: false, cents: 500 },
    { name: 'the minimum also holds after the pooling discount', d: 2000, s: 240, pooled: true, cents: 500 },
    { name: 'fractions of a cent add up before the one rounding', model: { minimumCents: 0 }, d: 1234, s: 97, pooled: false, cents: 447 },
    { name: 'the pooled fraction rounds once from the exact amount', model: { minimumCents: 0 }, d: 1234, s: 97, pooled: true, cents: 335 },
    { name: 'distance and duration round to whole metres and seconds', model: { minimumCents: 0 }, d: 1234.4, s: 96.6, pooled: false, cents: 447 },
    { name: 'every field is configurable', model: { baseCents: 100, perKmCents: 200, perMinuteCents: 10, minimumCents: 0, poolingDiscountBps: 5000 }, d: 3000, s: 300, pooled: true, cents: 375 },
    { name: 'a free model', model: { baseCents: 0, perKmCents: 0, perMinuteCents: 0, minimumCents: 0 }, d: 3000, s: 300, pooled: false, cents: 0 }
  ]
  for (const r of rows) {
    it(r.name, () => {
      expect(quoteFare(fareModel(r.model), { directDistanceM: r.d, directDurationS: r.s, pooled: r.pooled })).to.equal(r.cents)
    })
  }

  it('DEFAULT_FARE holds the documented defaults and is frozen', () => {
    expect(DEFAULT_FARE).to.deep.equal({ baseCents: 250, perKmCents: 120, perMinuteCents: 30, minimumCents: 500, poolingDiscountBps: 2500 })
    expect(Object.isFrozen(DEFAULT_FARE)).to.equal(true)
    expect(quoteFare(DEFAULT_FARE, { directDistanceM: 5000, directDurationS: 600, pooled: false })).to.equal(1150)
  })

  it('explains the total in a breakdown', () => {
    expect(fareBreakdown(DEFAULT_FARE, { directDistanceM: 5000, directDurationS: 600, pooled: true }))
      .to.deep.equal({ totalCents: 863, grossCents: 1150, discountCents: 287, minimumApplied: false })
    expect(fareBreakdown(DEFAULT_FARE, { directDistanceM: 100, directDurationS: 30, pooled: false }))
      .to.deep.equal({ totalCents: 500, grossCents: 277, discountCents: 0, minimumApplied: true })
  })

  it('rejects a model with fractional, negative or out-of-range values', () => {
    const bad = [{ perKmCents: 1.5 }, { baseCents: -1 }, { poolingDiscountBps: 10001 }, { minimumCents: Number.NaN }, { perMinuteCents: 2 ** 60 }]
    for (const b of bad) {
      expect(() => fareModel(b), JSON.stringify(b)).to.throw(InvalidFareModelError).with.property('code', 'ERR_INVALID_FARE_MODEL')
      expect(() => quoteFare({ ...DEFAULT_FARE, ...b }, { directDistanceM: 1, directDurationS: 1, pooled: false })).to.throw(InvalidFareModelError)
    }
  })

  it('rejects a trip with a negative or non-finite length', () => {
    for (const t of [{ directDistanceM: -1, directDurationS: 1 }, { directDistanceM: 1, directDurationS: Infinity }, { directDistanceM: NaN, directDurationS: 1 }]) {
      expect(() => quoteFare(DEFAULT_FARE, { ...t, pooled: false })).to.throw(InvalidTripError).with.property('code', 'ERR_INVALID_TRIP')
    }
  })

  it('is an integer, at least the minimum, monotone in distance and time, and cheaper pooled', () => {
    const trip = fc.record({ d: fc.integer({ min: 0, max: 500_000 }), s: fc.integer({ min: 0, max: 20_000 }) })
    fc.assert(fc.property(trip, fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (t, dd, ds) => {
      for (const m of [DEFAULT_FARE, noMin]) {
        const solo = quoteFare(m, { directDistanceM: t.d, directDurationS: t.s, pooled: false })
        const pooled = quoteFare(m, { directDistanceM: t.d, directDurationS: t.s, pooled: true })
        const longer = quoteFare(m, { directDistanceM: t.d + dd, directDurationS: t.s + ds, pooled: false })
        expect(Number.isSafeInteger(solo) && Number.isSafeInteger(pooled)).to.equal(true)
        expect(solo).to.be.at.least(m.minimumCents)
        expect(pooled).to.be.at.least(m.minimumCents)
        expect(pooled).to.be.at.most(solo)
        expect(longer).to.be.at.least(solo)
      }
      // without a minimum, the exact amount is within half a cent of the float formula
      const exact = 250 + 120 * t.d / 1000 + 30 * t.s / 60
      expect(Math.abs(quoteFare(noMin, { directDistanceM: t.d, directDurationS: t.s, pooled: false }) - exact)).to.be.at.most(0.5 + 1e-9)
    }), { numRuns: 300 })
  })
})

describe('matching/pricing: fareSoFar', () => {
  it('goes from nothing to the whole fare, never down, never over', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 100_000 }), fc.array(fc.integer({ min: -10, max: 110_000 }), { maxLength: 20 }), (total, route, covered) => {
      expect(fareSoFar(total, 0, route)).to.equal(0)
      expect(fareSoFar(total, route, route)).to.equal(total)
      let last = -1
      for (const c of [...covered].sort((a, b) => a - b)) {
        const due = fareSoFar(total, c, route)
        expect(Number.isSafeInteger(due)).to.equal(true)
        expect(due).to.be.within(0, total)
        expect(due).to.be.at.least(last)
        last = due
      }
    }), { numRuns: 200 })
  })

  it('pays a zero-length route in full and rejects bad input', () => {
    expect(fareSoFar(700, 0, 0)).to.equal(700)
    expect(fareSoFar(1000, 250, 1000)).to.equal(250)
    expect(fareSoFar(999, 1, 3)).to.equal(333)
    expect(() => fareSoFar(1.5, 0, 10)).to.throw(InvalidTripError)
    expect(() => fareSoFar(10, NaN, 10)).to.throw(InvalidTripError)
  })
})
