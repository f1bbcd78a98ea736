import { expect } from 'chai'
import { DEFAULT_FARE, PROMISE_TOLERANCE_S, quoteFare } from '../../../matching/index.js'
import { openRoutedMap } from '../../../node/map/index.js'
import { buildDemand, runCentralized } from '../../../sim/index.js'
import type { RoutedMap } from '../../../node/map/index.js'
import type { RunRecords, TripRequest } from '../../../sim/index.js'

describe('sim/centralized', () => {
  let map: RoutedMap
  let requests: TripRequest[]
  let run: RunRecords
  const opts = { drivers: 25, seats: 4, batchS: 30, patienceS: 600, maxDetourFactor: 1.5, detourSlackS: 120, fare: DEFAULT_FARE, durationS: 3600, drainS: 3600, seed: 8 }

  before(async function () {
    this.timeout(60_000)
    map = await openRoutedMap()
    requests = (await buildDemand(map, { riders: 150, durationS: 3600, seed: 8 })).requests
    run = await runCentralized(map, requests, opts)
  })

  it('serves most of a light demand and ends every ride it confirmed', () => {
    const served = run.requests.filter(r => r.status === 'served').length
    expect(served / requests.length).to.be.greaterThan(0.9)
    expect(run.requests.filter(r => r.status === 'unfinished')).to.have.length(0)
  })

  it('keeps the promises: pickup within patience, in-car time within the detour bound', () => {
    const eps = 1e-3 + PROMISE_TOLERANCE_S
    for (const r of run.requests.filter(r => r.status === 'served')) {
      const pickup = r.pickupTimeS as number
      expect(pickup).to.be.at.least(r.requestTimeS)
      expect(pickup - r.requestTimeS, r.id).to.be.at.most(opts.patienceS + eps)
      expect(r.assignTimeS as number).to.be.at.most(pickup + eps)
      expect(r.inCarS as number, r.id).to.be.at.most(opts.maxDetourFactor * r.directTimeS + opts.detourSlackS + eps)
      expect(r.inCarS as number).to.be.at.least(r.directTimeS - eps)
      const fare = quoteFare(DEFAULT_FARE, { directDistanceM: r.directDistanceM, directDurationS: r.directTimeS, pooled: false })
      expect(r.fareCents as number).to.be.at.most(fare)
    }
    for (const r of run.requests.filter(r => r.status === 'cancelled')) {
      expect(r.pickupTimeS).to.equal(null)
      expect(r.fareCents).to.equal(null)
    }
  })

  it('counts the fleet\'s kilometres: occupied at least the direct distance of its rides', () => {
    const occupied = run.vehicles.reduce((s, v) => s + v.kmOccupied, 0)
    const passengerKm = run.vehicles.reduce((s, v) => s + v.passengerKm, 0)
    const directKm = run.requests.filter(r => r.status === 'served').reduce((s, r) => s + r.directDistanceM * r.seats, 0) / 1000
    expect(passengerKm).to.be.at.least(directKm * 0.99)
    expect(passengerKm).to.be.at.least(occupied)
    expect(run.vehicles.reduce((s, v) => s + v.ridesServed, 0)).to.equal(run.requests.filter(r => r.status === 'served').length)
  })

  it('cancels riders when the fleet is far too small, and is deterministic', async () => {
    const small = await runCentralized(map, requests, { ...opts, drivers: 1, patienceS: 120 })
    const again = await runCentralized(map, requests, { ...opts, drivers: 1, patienceS: 120 })
    const cancelled = small.requests.filter(r => r.status === 'cancelled')
    expect(cancelled.length).to.be.greaterThan(requests.length / 2)
    const strip = (x: RunRecords): unknown => x.requests.map(r => ({ ...r, matchWallMs: null }))
    expect(strip(again)).to.deep.equal(strip(small))
  })
})
