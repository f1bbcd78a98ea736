import { expect } from 'chai'
import {
  InvalidPlanError,
  InvalidRequestError,
  insertRequest,
  preparePlan
} from '../../../../matching/insertion/index.js'
import type { InsertionOptions, RideRequest, Stop, VehiclePlan } from '../../../../matching/insertion/index.js'
import { DijkstraOracle, smallGraph } from '../../../fixtures/insertion-oracle.js'
import { bruteForceInsert, violations } from '../../../fixtures/insertion-brute-force.js'

/**
 * The test town: a two-way street 0—1—2—3—4—5—6 of 60 s blocks, a two-way
 * side road 3—8 of 100 s, and vertex 7 with no road at all.
 */
const town = smallGraph(9, [[0, 1, 60], [1, 2, 60], [2, 3, 60], [3, 4, 60], [4, 5, 60], [5, 6, 60], [3, 8, 100]], { twoWay: true })
const oracle = new DijkstraOracle(town)

const drop = (requestId: string, location: number, latest: number, seats = 1): Stop => ({ kind: 'dropoff', requestId, location, seats, latest })
const pick = (requestId: string, location: number, latest: number, seats = 1): Stop => ({ kind: 'pickup', requestId, location, seats, latest })
const plan = (stops: Stop[], extra: Partial<VehiclePlan> = {}): VehiclePlan => ({ position: 0, time: 0, capacity: 4, onboard: stops.filter(s => s.kind === 'dropoff' && !stops.some(t => t.kind === 'pickup' && t.requestId === s.requestId)).reduce((a, s) => a + s.seats, 0), stops, ...extra })
const req = (pickup: number, dropoff: number, extra: Partial<RideRequest> = {}): RideRequest => ({ id: 'new', pickup, dropoff, requestTime: 0, ...extra })

interface Row {
  name: string
  plan: VehiclePlan
  request: RideRequest
  opts?: InsertionOptions
  expect: { reason: string } | { pickupIndex: number, dropoffIndex: number, addedTimeS: number, pickupTime: number, dropoffTime: number, shared: boolean }
}

const rows: Row[] = [
  {
    name: 'an idle vehicle drives to the pickup, then to the dropoff',
    plan: plan([]),
    request: req(2, 4),
    expect: { pickupIndex: 0, dropoffIndex: 1, addedTimeS: 240, pickupTime: 120, dropoffTime: 240, shared: false }
  },
  {
    name: 'a ride on the way costs nothing and is shared',
    plan: plan([drop('a', 6, 1000)]),
    request: req(2, 4),
    expect: { pickupIndex: 0, dropoffIndex: 1, addedTimeS: 0, pickupTime: 120, dropoffTime: 240, shared: true }
  },
  {
    name: 'a ride beyond the last stop is appended',
    plan: plan([drop('a', 2, 1000)]),
    request: req(4, 6),
    expect: { pickupIndex: 1, dropoffIndex: 2, addedTimeS: 240, pickupTime: 240, dropoffTime: 360, shared: false }
  },
  {
    name: 'a ride spanning another rider\'s dropoff',
    plan: plan([drop('a', 3, 1000)]),
    request: req(2, 5),
    expect: { pickupIndex: 0, dropoffIndex: 2, addedTimeS: 120, pickupTime: 120, dropoffTime: 300, shared: true }
  },
  {
    name: 'a full car waits for a seat to free: pickup after the dropoff',
    plan: plan([drop('a', 4, 1000)], { capacity: 1 }),
    request: req(2, 6),
    expect: { pickupIndex: 1, dropoffIndex: 2, addedTimeS: 360, pickupTime: 360, dropoffTime: 600, shared: false }
  },
  {
    // before a: 0→1→0→2 or 0→1→2→0; after a: 0→2→1→0. All add 120 s.
    name: 'equal added time: the earlier pickup wins, then the earlier positions',
    plan: plan([drop('a', 2, Infinity)]),
    request: req(1, 0),
    expect: { pickupIndex: 0, dropoffIndex: 1, addedTimeS: 120, pickupTime: 60, dropoffTime: 120, shared: true }
  },
  {
    name: 'no-seats: more seats than the vehicle has',
    plan: plan([]),
    request: req(2, 4, { seats: 5 }),
    expect: { reason: 'no-seats' }
  },
  {
    name: 'no-seats: riders whose dropoff is not planned fill the car',
    plan: plan([], { onboard: 3, capacity: 4 }),
    request: req(2, 4, { seats: 2 }),
    expect: { reason: 'no-seats' }
  },
  {
    name: 'unreachable: the pickup has no road',
    plan: plan([drop('a', 6, 1000)]),
    request: req(7, 4),
    expect: { reason: 'unreachable' }
  },
  {
    name: 'wait-exceeded: the vehicle is too far',
    plan: plan([]),
    request: req(6, 5, { maxWaitS: 300 }),
    expect: { reason: 'wait-exceeded' }
  },
  {
    name: 'wait-exceeded: the vehicle is too busy (only after its rider, too late)',
    plan: plan([drop('a', 6, 1000)], { capacity: 1 }),
    request: req(2, 1, { maxWaitS: 300 }),
    expect: { reason: 'wait-exceeded' }
  },
  {
    // (0,0) and (0,1) pick up at 280 s but make rider a late; after a the pickup is at 640 s.
    name: 'would-delay-others: every timely pickup breaks rider a\'s promise',
    plan: plan([drop('a', 6, 360)]),
    request: req(8, 3, { maxWaitS: 300 }),
    expect: { reason: 'would-delay-others' }
  },
  {
    // (0,0) delays a; (0,1) keeps a's promise but rides 540 s for a 60 s trip; (1,1) is too late.
    name: 'detour-exceeded: the only position keeping the promises is too long a ride',
    plan: plan([drop('a', 6, 360)]),
    request: req(2, 1, { maxWaitS: 300, maxDetourFactor: 1, detourSlackS: 0 }),
    expect: { reason: 'detour-exceeded' }
  },
  {
    // the same ride, promised a dropoff by 660 s (a committed ride): (0,1) ends just in time
    name: 'a promised dropoff time allows a longer ride than the detour limit',
    plan: plan([drop('a', 6, 360)]),
    request: req(2, 1, { maxWaitS: 300, maxDetourFactor: 1, detourSlackS: 0, latestDropoffTime: 660 }),
    expect: { pickupIndex: 0, dropoffIndex: 2, addedTimeS: 300, pickupTime: 120, dropoffTime: 660, shared: true }
  },
  {
    name: 'detour-exceeded: a promised dropoff time a second too early',
    plan: plan([drop('a', 6, 360)]),
    request: req(2, 1, { maxWaitS: 300, maxDetourFactor: 1, detourSlackS: 0, latestDropoffTime: 659 }),
    expect: { reason: 'detour-exceeded' }
  },
  {
    name: 'a promise with room absorbs the detour of a ride against the direction of travel',
    plan: plan([drop('a', 6, 1000)]),
    request: req(2, 1, { maxWaitS: 300, maxDetourFactor: 1, detourSlackS: 0 }),
    expect: { pickupIndex: 0, dropoffIndex: 1, addedTimeS: 120, pickupTime: 120, dropoffTime: 180, shared: true }
  },
  {
    name: 'a stop already late may stay late but not get later',
    plan: plan([drop('a', 6, 100)]),
    request: req(4, 6),
    expect: { pickupIndex: 0, dropoffIndex: 1, addedTimeS: 0, pickupTime: 240, dropoffTime: 360, shared: true }
  },
  {
    name: 'a stop already late blocks a detour before it',
    plan: plan([drop('a', 6, 100)]),
    request: req(8, 3, { maxWaitS: 300 }),
    expect: { reason: 'would-delay-others' }
  },
  {
    name: 'options give the defaults for requests that set none',
    plan: plan([]),
    request: req(6, 5),
    opts: { maxWaitS: 300 },
    expect: { reason: 'wait-exceeded' }
  },
  {
    // on the way between b's pickup and dropoff would cost nothing, but a and b fill both seats there
    name: 'seats are counted while the rider is aboard: a full stretch is skipped',
    plan: plan([pick('b', 3, 1000), drop('b', 5, 1000), drop('a', 6, 1000)], { capacity: 2, onboard: 1 }),
    request: req(4, 5),
    expect: { pickupIndex: 2, dropoffIndex: 3, addedTimeS: 120, pickupTime: 360, dropoffTime: 420, shared: true }
  },
  {
    name: 'with a third seat the same ride fits on the way',
    plan: plan([pick('b', 3, 1000), drop('b', 5, 1000), drop('a', 6, 1000)], { capacity: 3, onboard: 1 }),
    request: req(4, 5),
    expect: { pickupIndex: 1, dropoffIndex: 2, addedTimeS: 0, pickupTime: 240, dropoffTime: 300, shared: true }
  }
]

describe('matching/insertion: insertRequest rules', () => {
  for (const row of rows) {
    it(row.name, () => {
      const r = insertRequest(row.plan, row.request, oracle, row.opts)
      const brute = bruteForceInsert(row.plan, row.request, oracle, row.opts)
      if ('reason' in row.expect) {
        expect(r.ok).to.equal(false)
        if (!r.ok) expect(r.reason).to.equal(row.expect.reason)
        expect(brute).to.deep.equal({ ok: false, reason: row.expect.reason })
      } else {
        expect(r.ok, r.ok ? '' : r.reason).to.equal(true)
        if (!r.ok) return
        const { plan: _p, directTimeS: _d, ...figures } = r.insertion
        expect(figures).to.deep.equal(row.expect)
        expect(violations(row.plan, row.request, r.insertion, oracle, row.opts)).to.deep.equal([])
        expect(brute.ok && brute.added).to.equal(r.insertion.addedTimeS)
      }
    })
  }

  it('writes the promises of the new stops', () => {
    const r = insertRequest(plan([]), req(2, 4, { requestTime: 10, maxWaitS: 200, maxDetourFactor: 2, detourSlackS: 30 }), oracle)
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    const [p, d] = r.insertion.plan.stops
    expect(p).to.deep.equal({ kind: 'pickup', requestId: 'new', location: 2, seats: 1, latest: 210 })
    // picked up at 120, direct 120 s: 120 + 2 × 120 + 30
    expect(d).to.deep.equal({ kind: 'dropoff', requestId: 'new', location: 4, seats: 1, latest: 390 })
    expect(r.insertion.directTimeS).to.equal(120)
  })

  it('asks the oracle in four batched calls with a prepared plan', () => {
    const o = new DijkstraOracle(town)
    const prepared = preparePlan(plan([pick('b', 3, 1000), drop('b', 5, 1000), drop('a', 6, 1000)], { onboard: 1 }), o)
    o.calls.time = 0
    const r = insertRequest(prepared, req(1, 2), o)
    expect(r.ok).to.equal(true)
    expect(o.calls).to.deep.equal({ time: 0, timesFrom: 2, timesTo: 2 })
  })

  it('answers no-seats without asking the oracle', () => {
    const o = new DijkstraOracle(town)
    const r = insertRequest(plan([], { onboard: 4 }), req(1, 2), o)
    expect(r).to.deep.include({ ok: false, reason: 'no-seats' })
    expect(o.calls).to.deep.equal({ time: 0, timesFrom: 0, timesTo: 0 })
  })

  it('rejects malformed requests with InvalidRequestError', () => {
    const bad: Array<Partial<RideRequest>> = [{ seats: 0 }, { seats: 1.5 }, { maxWaitS: -1 }, { maxDetourFactor: 0.9 }, { detourSlackS: -1 }, { pickup: -1 }, { dropoff: 1.5 }, { requestTime: NaN }]
    for (const b of bad) {
      expect(() => insertRequest(plan([]), req(1, 2, b), oracle), JSON.stringify(b)).to.throw(InvalidRequestError)
    }
    expect(() => insertRequest(plan([drop('new', 3, 100)]), req(1, 2), oracle)).to.throw(InvalidRequestError)
      .with.property('code', 'ERR_INVALID_REQUEST')
  })

  it('rejects inconsistent plans with InvalidPlanError', () => {
    const bad: VehiclePlan[] = [
      plan([], { onboard: 5 }),
      plan([drop('a', 3, 100)], { onboard: 0 }),
      plan([pick('a', 3, 100)]),
      plan([pick('a', 3, 100, 5), drop('a', 4, 100, 5)]),
      plan([drop('a', 7, 100)])
    ]
    for (const p of bad) {
      expect(() => insertRequest(p, req(1, 2), oracle), JSON.stringify(p)).to.throw(InvalidPlanError)
        .with.property('code', 'ERR_INVALID_PLAN')
    }
  })
})
