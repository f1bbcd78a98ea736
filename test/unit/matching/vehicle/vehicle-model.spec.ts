import { expect } from 'chai'
import { Router, VehicleModel, lightestEdge } from '../../../../matching/index.js'
import type { RoadGraph, VehiclePlan } from '../../../../matching/index.js'

/**
 * 0 → 1 → 2 → 3 on a line, with parallel edges:
 * 0 → 1: e0 (10 s, 300 m), e1 (10 s, 200 m), e2 (20 s, 100 m): same time, the shorter wins
 * 1 → 2: e3 (8 s, 900 m), e4 (5 s, 1000 m): the faster wins, though longer
 * 2 → 3: e5 (4 s, 50 m), e6 (4 s, 50 m): a full tie, the lower index wins
 * and the way back 3 → 0: e7 (1 s, 10 m), to keep it strongly connected.
 */
function parallelGraph (): RoadGraph {
  const head = [1, 1, 1, 2, 2, 3, 3, 0]
  const distCm = [30_000, 20_000, 10_000, 90_000, 100_000, 5_000, 5_000, 1_000]
  const timeMs = [10_000, 10_000, 20_000, 8_000, 5_000, 4_000, 4_000, 1_000]
  return {
    numNodes: 4,
    numEdges: head.length,
    lat: Float64Array.from([52.5, 52.501, 52.502, 52.503]),
    lon: Float64Array.from([13.4, 13.4, 13.4, 13.4]),
    firstOut: Uint32Array.from([0, 3, 5, 7, 8]),
    head: Uint32Array.from(head),
    distCm: Uint32Array.from(distCm),
    timeMs: Uint32Array.from(timeMs),
    meta: { source: 'test:parallel', importedNodes: 4, importedEdges: 8, droppedNodes: 0, droppedEdges: 0, bbox: { minLat: 52.5, minLon: 13.4, maxLat: 52.503, maxLon: 13.4 } }
  }
}

const pickupAt = (location: number, latest = 1e9): VehiclePlan['stops'][number] => ({ kind: 'pickup', requestId: 'r', location, latest, seats: 1 })
const dropoffAt = (location: number, latest = 1e9): VehiclePlan['stops'][number] => ({ kind: 'dropoff', requestId: 'r', location, latest, seats: 1 })

describe('matching/vehicle: one car model', () => {
  const graph = parallelGraph()
  const router = Router.build(graph)

  it('takes, of parallel edges, the fastest, then the shortest, then the lowest index', () => {
    expect(lightestEdge(graph, 0, 1)).to.equal(1)
    expect(lightestEdge(graph, 1, 2)).to.equal(4)
    expect(lightestEdge(graph, 2, 3)).to.equal(5)
    expect(lightestEdge(graph, 0, 1, 'distance')).to.equal(2)
    expect(lightestEdge(graph, 1, 2, 'distance')).to.equal(3)
    expect(lightestEdge(graph, 0, 2)).to.equal(-1)
  })

  it('drives the edges the router counts: the same times and lengths', () => {
    const route = router.route(0, 3)!
    expect(route.nodes).to.deep.equal([0, 1, 2, 3])
    expect(route.durationS).to.equal(10 + 5 + 4)
    expect(route.distanceM).to.equal(200 + 1000 + 50)
    const car = new VehicleModel({ graph, router, position: 0, capacity: 4, time: 100 })
    car.setPlan({ ...car.planAt(100), stops: [pickupAt(1), dropoffAt(3)] })
    expect(car.finishTime()).to.equal(100 + 19)
    const edges = [car.driveEdge(), car.driveEdge(), car.driveEdge(), car.driveEdge()]
    expect(edges.map(e => e?.edge)).to.deep.equal([1, 4, 5, undefined])
    expect(edges.map(e => e?.metres)).to.deep.equal([200, 1000, 50, undefined])
    expect(edges.map(e => e?.time)).to.deep.equal([110, 115, 119, undefined])
  })

  it('makes its stops in time, counts empty, occupied and passenger metres, and waits idle at the end', () => {
    const car = new VehicleModel({ graph, router, position: 0, capacity: 4, time: 0 })
    car.setPlan({ ...car.planAt(0), stops: [pickupAt(1), dropoffAt(3)] })
    expect(car.advanceTo(9.9)).to.deep.equal([])
    expect(car.planAt(9.9)).to.include({ position: 1, time: 10 })
    const picked = car.advanceTo(10)
    expect(picked.map(s => [s.stop.kind, s.time])).to.deep.equal([['pickup', 10]])
    expect(car.position()).to.equal(1)
    expect(car.nextArrival()).to.equal(15)
    const dropped = car.advanceTo(1000)
    expect(dropped.map(s => [s.stop.kind, s.time])).to.deep.equal([['dropoff', 19]])
    expect(car.isIdle()).to.equal(true)
    expect(car.odometer()).to.deep.equal({ emptyM: 200, occupiedM: 1050, passengerM: 1050 })
    expect(car.planAt(2000)).to.include({ position: 3, time: 2000, onboard: 0 })
  })

  it('drives faster by its speed-up, and goes on from when it is at its vertex', () => {
    const car = new VehicleModel({ graph, router, position: 0, capacity: 4, time: 0, speedUp: 10 })
    car.setPlan({ ...car.planAt(0), stops: [pickupAt(2)] })
    expect(car.nextArrival()).to.equal(1)
    expect(car.nextEdge()).to.deep.include({ from: 0, to: 1, edge: 1, ms: 1000 })
    car.driveEdge()
    car.retime(3)
    expect(car.nextArrival()).to.equal(3.5)
    car.retime(2)
    expect(car.nextArrival()).to.equal(2.5)
  })

  it('keeps the edge it is committed to when the plan changes', () => {
    const car = new VehicleModel({ graph, router, position: 0, capacity: 4, time: 0 })
    car.setPlan({ ...car.planAt(0), stops: [pickupAt(3), dropoffAt(0)] })
    car.advanceTo(5)
    const at = car.planAt(5)
    expect(at).to.include({ position: 1, time: 10 })
    expect(() => { car.setPlan({ ...at, position: 2 }) }).to.throw(/committed to 1/)
    car.setPlan({ ...at, stops: [pickupAt(2), dropoffAt(3)] })
    expect(car.advanceTo(100).map(s => [s.stop.kind, s.stop.location, s.time])).to.deep.equal([['pickup', 2, 15], ['dropoff', 3, 19]])
  })
})
