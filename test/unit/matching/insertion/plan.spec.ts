import { expect } from 'chai'
import {
  InvalidPlanError,
  advancePlan,
  completeNextStop,
  insertRequest,
  legTimes,
  moveVehicle,
  planPoints,
  planRoute,
  preparePlan
} from '../../../../matching/insertion/index.js'
import type { Stop, VehiclePlan } from '../../../../matching/insertion/index.js'
import { DijkstraOracle, smallGraph } from '../../../fixtures/insertion-oracle.js'
import { Router } from '../../../../matching/routing/index.js'

// a two-way street 0—1—2—3—4—5—6 of 60 s blocks
const oracle = new DijkstraOracle(smallGraph(7, [[0, 1, 60], [1, 2, 60], [2, 3, 60], [3, 4, 60], [4, 5, 60], [5, 6, 60]], { twoWay: true }))
const stop = (kind: Stop['kind'], requestId: string, location: number, latest: number, seats = 1): Stop => ({ kind, requestId, location, seats, latest })

// a aboard (to 5), b waiting at 2 (to 6)
const plan: VehiclePlan = {
  position: 0,
  time: 100,
  capacity: 3,
  onboard: 1,
  stops: [stop('pickup', 'b', 2, 300, 2), stop('dropoff', 'a', 5, 500), stop('dropoff', 'b', 6, 420, 2)]
}

describe('matching/insertion: plans', () => {
  it('lists the points and the travel time of each leg', () => {
    expect([...planPoints(plan)]).to.deep.equal([0, 2, 5, 6])
    expect([...legTimes(plan, oracle)]).to.deep.equal([120, 180, 60])
  })

  it('prepares the timetable, the load and the slack of each point', () => {
    const p = preparePlan(plan, oracle)
    expect([...p.arrival]).to.deep.equal([100, 220, 400, 460])
    expect([...p.load]).to.deep.equal([1, 3, 2, 0])
    // own slack: b pickup 300-220=80, a 500-400=100, b dropoff already 40 s late → 0
    expect([...p.slack]).to.deep.equal([0, 0, 0, 0, Infinity])
    const relaxed = preparePlan({ ...plan, stops: plan.stops.map(s => ({ ...s, latest: s.latest + 100 })) }, oracle)
    expect([...relaxed.slack]).to.deep.equal([60, 60, 60, 60, Infinity])
  })

  it('refuses a plan whose next stop cannot be reached', () => {
    const islands = new DijkstraOracle(smallGraph(3, [[0, 1, 60]], { twoWay: true }))
    expect(() => preparePlan({ ...plan, stops: [stop('dropoff', 'a', 2, 500)] }, islands)).to.throw(InvalidPlanError)
  })

  it('completes the next stop: position, time and seats follow', () => {
    const r = completeNextStop(plan, 215)
    expect(r.served).to.deep.equal({ stop: plan.stops[0], time: 215 })
    expect(r.plan).to.deep.equal({ ...plan, position: 2, time: 215, onboard: 3, stops: plan.stops.slice(1) })
    expect(() => completeNextStop({ ...plan, stops: [] }, 0)).to.throw(InvalidPlanError)
  })

  it('moves the vehicle without touching its stops', () => {
    expect(moveVehicle(plan, 1, 160)).to.deep.equal({ ...plan, position: 1, time: 160 })
  })

  it('advances along the plan, serving every stop reached by the given time', () => {
    const before = advancePlan(plan, oracle, 219)
    expect(before.served).to.deep.equal([])
    expect(before.plan).to.equal(plan)
    const mid = advancePlan(plan, oracle, 400)
    expect(mid.served.map(s => [s.stop.requestId, s.stop.kind, s.time])).to.deep.equal([['b', 'pickup', 220], ['a', 'dropoff', 400]])
    expect(mid.plan).to.deep.include({ position: 5, time: 400, onboard: 2 })
    expect(mid.plan.stops).to.deep.equal([plan.stops[2]])
    const end = advancePlan(plan, oracle, 1000)
    expect(end.served).to.have.length(3)
    // an idle vehicle waits at its last stop until the given time
    expect(end.plan).to.deep.equal({ ...plan, position: 6, time: 1000, onboard: 0, stops: [] })
  })

  it('a prepared plan gives the same answer as the bare plan', () => {
    const request = { id: 'c', pickup: 3, dropoff: 4, requestTime: 100 }
    const relaxed = { ...plan, stops: plan.stops.map(s => ({ ...s, latest: s.latest + 100 })) }
    const bare = insertRequest(relaxed, request, oracle)
    const prepared = insertRequest(preparePlan(relaxed, oracle), request, oracle)
    expect(prepared).to.deep.equal(bare)
    expect(bare.ok).to.equal(true)
  })

  it('follows the roads through every stop', () => {
    const router = Router.build(oracle.graph)
    const r = planRoute({ ...plan, stops: [...plan.stops.slice(0, 2), stop('dropoff', 'c', 5, 900), plan.stops[2]] }, router)
    expect(r.nodes).to.deep.equal([0, 1, 2, 3, 4, 5, 6])
    expect(r.legs.map(l => [l.startIndex, l.durationS])).to.deep.equal([[0, 120], [2, 180], [5, 0], [5, 60]])
    expect(r.durationS).to.equal(360)
    expect(r.distanceM).to.equal(r.legs.reduce((a, l) => a + l.distanceM, 0))
    expect(() => planRoute({ ...plan, stops: [stop('dropoff', 'a', 2, 9)] }, { route: () => null })).to.throw(InvalidPlanError)
  })
})
