import { expect } from 'chai'
import { mulberry32 } from '../../matching/index.js'
import { openRoutedMap } from '../../node/map/index.js'
import { CITY } from './roles-fixtures.js'
import { checkServedRides, runScenario } from './scenario-fixtures.js'
import type { RiderOutcome, Scenario, ScenarioDriver, ScenarioOutcome, ScenarioRider } from './scenario-fixtures.js'
import type { LatLonPoint } from '../../node/index.js'
import type { RoutedMap } from '../../node/map/index.js'

/** A row: a scenario and what must come of it (what a row leaves out must not happen). */
interface Row extends Scenario {
  expect: {
    /** rider → the driver that served it, every other rider failed; or every rider served, by whoever */
    served: Record<string, string> | 'every rider'
    /** rider → the error code its request failed with */
    failed?: Record<string, string>
    /** the riders whose accepted quote was pooled (the others' was not); or not checked */
    pooled?: string[] | 'any'
    /** rider → its fallbacks, `[from, to]` (to undefined: back to waiting for quotes); or not checked */
    fallbacks?: Record<string, Array<[string, string | undefined]>> | 'any'
    /** driver → reasons of the accepts it declined; or not checked */
    declined?: Record<string, string[]> | 'any'
    /** driver → reasons of the confirmed rides it cancelled */
    cancelled?: Record<string, string[]>
    /** driver → most riders aboard at once */
    maxOnboard?: Record<string, number>
    /** interactive rider → the drivers of the quotes offered each time it was asked to pick */
    asked?: Record<string, string[][]>
    /** interactive rider → the picks it was told were lost */
    lostPicks?: Record<string, RiderOutcome['lostPicks']>
  }
  /** checks beyond the table's columns */
  check?: (o: ScenarioOutcome) => void
}

/** A pickup a few hundred metres east of `CITY.west`, the same way east: a car can pool it. */
const ON_THE_WAY = { from: { lat: 40.7492, lon: -73.989 }, to: { lat: 40.7508, lon: -73.970 } }
const CHEAP = { baseCents: 100, minimumCents: 100 }
const DEAR = { baseCents: 900, minimumCents: 900 }

/** A point of the synthetic default city (≈ 3.8 km square around 40.75, -73.98), 15 % away from its edges. */
function pointIn (rand: () => number): LatLonPoint {
  return { lat: 40.738 + 0.024 * rand(), lon: -73.996 + 0.032 * rand() }
}

/** A city of `drivers` cars and `riders` riders at random points, riders half a second apart. */
function city (drivers: number, riders: number, seed: number): Pick<Scenario, 'drivers' | 'riders'> {
  const rand = mulberry32(seed)
  return {
    drivers: Array.from({ length: drivers }, (_, i): ScenarioDriver => ({ name: `d${i}`, position: pointIn(rand), seats: 3 + (i % 2) })),
    riders: Array.from({ length: riders }, (_, i): ScenarioRider => ({ name: `r${i}`, from: pointIn(rand), to: pointIn(rand), at: 500 * i }))
  }
}

/** The best driver (cheap, nearest) misbehaves after quoting; the rider falls back to the other. */
function fallback (seed: number, misbehave: 'silent' | 'vanishes'): Row {
  return {
    name: `fallback: the best driver ${misbehave === 'silent' ? 'goes silent' : 'vanishes'} after quoting`,
    seed,
    drivers: [
      { name: 'cheap', position: CITY.center, seats: 2, fare: CHEAP, misbehave },
      { name: 'dear', position: CITY.south, seats: 2, fare: DEAR }
    ],
    riders: [{ name: 'alice', from: CITY.west, to: CITY.north }],
    expect: { served: { alice: 'dear' }, fallbacks: { alice: [['cheap', 'dear']] } }
  }
}

/**
 * One 4-seat car, paid or not: one rider, or two pooled (the second joining on the way, ten
 * seconds later).
 */
function oneCar (seed: number, payments: boolean, riders: 1 | 2): Row {
  const names = {
    '1': payments ? 'a paid ride settles the whole fare, the record hash in the final state' : 'a single ride',
    '2': payments ? 'paid pooling: both riders of one car settle their own fares' : 'pooling: a second rider on the way joins the car, cheaper'
  }
  const pooled = riders === 2
  return {
    name: names[riders],
    seed,
    payments,
    drivers: [{ name: 'd1', position: CITY.center, seats: 4 }],
    riders: pooled
      ? [{ name: 'alice', from: CITY.west, to: CITY.east }, { name: 'bob', ...ON_THE_WAY, at: 10_000 }]
      : [{ name: 'alice', from: CITY.west, to: CITY.north }],
    expect: pooled
      ? { served: { alice: 'd1', bob: 'd1' }, pooled: ['bob'], maxOnboard: { d1: 2 } }
      : { served: { alice: 'd1' }, maxOnboard: { d1: 1 } }
  }
}

/**
 * An interactive rider that takes about ten minutes to pick the near car, its ride's deadline and
 * longest wait longer. A request, and so a quote, holds at most ten minutes (DEFAULT_MAX_TTL_MS):
 * the near car quoted the first copy of the request, the far one held back until its reach
 * widened and quoted a later, renewed copy, which expires some seconds later. Picked `afterMs`
 * into the choice, the near car's quote has expired: 592 s, the far one's has not; 610 s, both
 * have, and the rider collects quotes again (the near car quotes the renewed request anew).
 * Either way the near car is never accepted on the expired pick, nor the far one in its place
 * unasked: the rider is told (`pick-lost`) and asked again. The drivers hold their quotes as
 * long as the rider may pick.
 */
function lapsedPick (seed: number, afterMs: number, picks: [string, string], expect: Row['expect']): Row {
  return {
    name: afterMs < 600_000
      ? 'an interactive rider whose pick expired while it chose is asked again among the quotes still usable, never sent to another unasked'
      : 'an interactive rider whose pick expired with every other quote is told, collects quotes again and is asked again',
    seed,
    drivers: [
      { name: 'near', position: CITY.west, seats: 2, fare: CHEAP, quoteTtlMs: 600_000 },
      { name: 'far', position: CITY.east, seats: 2, fare: DEAR, quoteTtlMs: 600_000 }
    ],
    riders: [{
      name: 'alice',
      from: CITY.west,
      to: CITY.north,
      options: { timeoutMs: 900_000, maxWaitMs: 1_200_000, quoteWindowMs: 12_000 },
      picks: [{ driver: picks[0], afterMs }, { driver: picks[1] }]
    }],
    expect
  }
}

const ROWS: Row[] = [
  oneCar(101, false, 1),
  oneCar(102, false, 2),
  fallback(103, 'silent'),
  fallback(104, 'vanishes'),
  {
    name: 'the last seat: two riders accept a 1-seat car at once',
    seed: 105,
    drivers: [
      { name: 'cheap', position: CITY.center, seats: 1, fare: CHEAP },
      { name: 'dear', position: CITY.south, seats: 1, fare: DEAR }
    ],
    riders: [
      { name: 'alice', from: CITY.west, to: CITY.north },
      { name: 'bob', from: CITY.center, to: CITY.north }
    ],
    expect: {
      served: { alice: 'dear', bob: 'cheap' },
      fallbacks: { alice: [['cheap', 'dear']] },
      declined: { cheap: ['NO_SEATS'] }
    },
    check: o => {
      // both chose the cheap car: it quoted both before either accept arrived
      expect(o.drivers.cheap.quotes.size, 'cheap quoted both').to.be.greaterThanOrEqual(2)
      expect(Object.values(o.riders).filter(r => r.driver === 'cheap')).to.have.length(1)
    }
  },
  oneCar(106, true, 1),
  oneCar(107, true, 2),
  {
    name: 'a second ride of the same pair reuses the channel, topped up; closing it pays the driver both fares',
    seed: 111,
    payments: true,
    close: true,
    drivers: [{ name: 'd1', position: CITY.center, seats: 4 }],
    riders: [{ name: 'alice', from: CITY.west, to: CITY.north, again: { from: CITY.south, to: CITY.east } }],
    expect: { served: { alice: 'd1', 'alice again': 'd1' }, maxOnboard: { d1: 1 } },
    check: o => {
      const [first, second] = [o.riders.alice.paid!, o.riders['alice again'].paid!]
      expect(second.channelId).to.equal(first.channelId)
      expect(second.baseWei).to.equal(first.balanceDriver)
      expect(o.chainEvents).to.deep.equal(['Opened', 'ToppedUp', 'ClosedCooperatively'])
      expect(o.paidOnClose.d1).to.equal(second.balanceDriver)
    }
  },
  {
    name: 'non-payment: a rider that stops paying is dropped and its channel closed',
    seed: 108,
    payments: true,
    drivers: [{ name: 'd1', position: CITY.center, seats: 4 }],
    riders: [{ name: 'stingy', from: CITY.west, to: CITY.east, misbehave: 'stops-paying' }],
    expect: { served: {}, failed: { stingy: 'ERR_DRIVER_CANCELLED' }, cancelled: { d1: ['non-payment'] } },
    check: o => {
      expect(o.drivers.d1.nonPayment).to.equal(1)
      expect(o.drivers.d1.closed).to.equal(1)
      expect(o.riders.stingy.cancelled).to.deep.equal(['non-payment'])
      // the driver closed the stingy rider's channel with what it paid: co-operatively, it still answers
      expect(o.chainEvents).to.deep.equal(['Opened', 'ClosedCooperatively'])
    }
  },
  {
    name: 'non-payment in a shared car: the payer rides on and settles, the stingy rider is dropped',
    seed: 109,
    payments: true,
    drivers: [{ name: 'd1', position: CITY.center, seats: 4 }],
    riders: [
      { name: 'alice', from: CITY.west, to: CITY.east },
      { name: 'stingy', ...ON_THE_WAY, at: 10_000, misbehave: 'stops-paying' }
    ],
    expect: { served: { alice: 'd1' }, failed: { stingy: 'ERR_DRIVER_CANCELLED' }, pooled: [], cancelled: { d1: ['non-payment'] } },
    check: o => {
      // alice's channel stays open (settled off chain), the stingy rider's is closed
      expect(o.chainEvents).to.deep.equal(['Opened', 'Opened', 'ClosedCooperatively'])
      expect(o.riders.stingy.cancelled).to.deep.equal(['non-payment'])
    }
  },
  lapsedPick(112, 592_000, ['near', 'far'], {
    served: { alice: 'far' },
    asked: { alice: [['near', 'far'], ['far']] },
    lostPicks: { alice: [{ driver: 'near', reason: 'expired', askAgain: true }] }
  }),
  lapsedPick(113, 610_000, ['near', 'near'], {
    served: { alice: 'near' },
    asked: { alice: [['near', 'far'], ['near']] },
    lostPicks: { alice: [{ driver: 'near', reason: 'expired', askAgain: false }] }
  }),
  {
    name: 'an interactive rider declined by a full car picks the other one after longer than the accept timeout, and rides with it',
    seed: 114,
    drivers: [
      { name: 'cheap', position: CITY.center, seats: 1, fare: CHEAP },
      { name: 'dear', position: CITY.south, seats: 1, fare: DEAR }
    ],
    // both pick the cheap car at once; the one it declines takes 7 s to pick again, while the
    // timeout of the declined accept (5 s) passes: that timer is not the new accept's
    riders: [
      { name: 'alice', from: CITY.west, to: CITY.north, picks: [{ driver: 'cheap' }, { driver: 'dear', afterMs: 7_000 }] },
      { name: 'bob', from: CITY.center, to: CITY.north, picks: [{ driver: 'cheap' }, { driver: 'dear', afterMs: 7_000 }] }
    ],
    expect: {
      served: { alice: 'dear', bob: 'cheap' },
      fallbacks: { alice: [['cheap', 'dear']] },
      declined: { cheap: ['NO_SEATS'] },
      asked: { alice: [['cheap', 'dear'], ['dear']], bob: [['cheap', 'dear']] }
    }
  },
  {
    name: 'a city: 8 cars serve 12 riders, several of them',
    seed: 110,
    ...city(8, 12, 7),
    expect: { served: 'every rider', pooled: 'any', fallbacks: 'any', declined: 'any' },
    check: o => {
      expect(new Set(Object.values(o.riders).map(r => r.driver)).size, 'drivers that served').to.be.at.least(3)
    }
  }
]

/** Checks a row's outcome against its expectations and the invariants of every served ride. */
async function checkRow (row: Row, o: ScenarioOutcome): Promise<void> {
  const e = row.expect
  const riders = Object.entries(o.riders)
  const served = Object.fromEntries(riders.filter(([, r]) => r.result != null).map(([n, r]) => [n, r.driver]))
  if (e.served === 'every rider') {
    expect(Object.keys(served), 'served').to.deep.equal(riders.map(([n]) => n))
  } else {
    expect(served, 'served').to.deep.equal(e.served)
  }
  expect(Object.fromEntries(riders.filter(([, r]) => r.result == null).map(([n, r]) => [n, r.error])), 'failed').to.deep.equal(e.failed ?? {})
  if (e.pooled !== 'any') {
    expect(riders.filter(([, r]) => r.result?.quote.pooled === true).map(([n]) => n), 'pooled').to.deep.equal(e.pooled ?? [])
  }
  if (e.fallbacks !== 'any') {
    for (const [n, r] of riders) expect(r.fallbacks, `${n}'s fallbacks`).to.deep.equal(e.fallbacks?.[n] ?? [])
  }
  for (const [n, r] of riders) {
    expect(r.asked, `${n} asked to pick`).to.deep.equal(e.asked?.[n] ?? [])
    expect(r.lostPicks, `${n}'s lost picks`).to.deep.equal(e.lostPicks?.[n] ?? [])
  }
  for (const [n, d] of Object.entries(o.drivers)) {
    if (e.declined !== 'any') expect(d.declined, `${n} declined`).to.deep.equal(e.declined?.[n] ?? [])
    expect(d.cancelled, `${n} cancelled`).to.deep.equal(e.cancelled?.[n] ?? [])
    if (e.maxOnboard?.[n] != null) expect(d.maxOnboard, `${n} most aboard`).to.equal(e.maxOnboard[n])
    expect(d.freeSeats, `${n}'s seats free at the end`).to.equal(row.drivers.find(x => x.name === n)!.seats)
  }
  expect(await checkServedRides(o, row.payments === true)).to.deep.equal([])
  row.check?.(o)
}

/*
 * Issue 10: role, payment, pooling, fallback, non-payment and last-seat scenarios as rows run on
 * the simulated world with a virtual clock: the real roles, signatures, channel engine and
 * adjudicator rules (a memory ledger), no real-time margin and no sleep. The real-libp2p smoke
 * tests (roles.spec.ts, payments.spec.ts, discovery, gossip) keep what only real libp2p shows.
 */
describe('scenarios (simulated world, virtual clock, real roles and payments)', function () {
  this.timeout(120_000)
  let map: RoutedMap
  before(async () => { map = await openRoutedMap() })

  for (const row of ROWS) {
    it(row.name, async () => {
      const o = await runScenario(map, row)
      await checkRow(row, o)
    })
  }

  it('is deterministic: the same seed gives the same outcome, to the record hashes', async () => {
    const row = ROWS.find(r => r.name.startsWith('the last seat'))!
    const [a, b] = [await runScenario(map, row), await runScenario(map, row)]
    expect(a.summary).to.equal(b.summary)
  })
})
