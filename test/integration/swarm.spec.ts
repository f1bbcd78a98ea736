import { expect } from 'chai'
import { mulberry32 } from '../../matching/index.js'
import { rideKey, verifyTripRecord } from '../../protocol/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import { Swarm, real, rideTimings } from './roles-fixtures.js'
import type { Driver, LatLonPoint, RideResult, Rider } from '../../node/index.js'

/** A random point inside the synthetic city's bounding box, away from its edges. */
function pointIn (bbox: { minLat: number, minLon: number, maxLat: number, maxLon: number }, rand: () => number): LatLonPoint {
  const margin = 0.15
  const f = (lo: number, hi: number): number => lo + (hi - lo) * (margin + (1 - 2 * margin) * rand())
  return { lat: f(bbox.minLat, bbox.maxLat), lon: f(bbox.minLon, bbox.maxLon) }
}

/*
 * Real libp2p at some scale: gossipsub meshes, DHT lookups and direct streams among a few cars
 * and riders negotiating at once. Matching many riders to many cars (who serves whom, pooling,
 * fallbacks) is the city row of scenarios.spec.ts, on the simulated world with a virtual clock.
 */
describe('integration: a swarm of 11 nodes over the memory transport', function () {
  this.timeout(240_000)
  const DRIVERS = 4
  const RIDERS = 6
  const swarm = new Swarm('memory')
  let drivers: Driver[]
  let riders: Rider[]

  before(async () => {
    await swarm.init()
    const rand = mulberry32(7)
    const bbox = swarm.map.graph.meta.bbox
    drivers = []
    for (let i = 0; i < DRIVERS; i++) {
      drivers.push(await swarm.driver({ position: pointIn(bbox, rand), seats: 3 + (i % 2) }))
    }
    riders = []
    for (let i = 0; i < RIDERS; i++) {
      // fewer re-publications than the swarm's: a dozen nodes verifying secp256k1 signatures (ours
      // and gossipsub's) on every copy load two cores
      riders.push(await swarm.rider({ republishMs: 2 * swarm.timings.rider.republishMs }))
    }
  })
  after(async () => { await swarm.stop() })

  it('completes every ride, each with a doubly signed record stored by both sides', async () => {
    expect(swarm.nodes.length).to.be.at.least(10)
    const rand = mulberry32(11)
    const bbox = swarm.map.graph.meta.bbox
    const trips = riders.map(() => ({ from: pointIn(bbox, rand), to: pointIn(bbox, rand) }))
    // staggered a little, as riders are
    const settled = await Promise.allSettled(riders.map(async (r, i) => swarm.nodeOf(r).clock.sleep(real(500) * i).then(async () => r.requestRide({
      ...trips[i],
      ...rideTimings(),
      // generous: on a loaded 2-core machine a dozen nodes verifying every signature in pure JS can
      // take tens of real seconds to negotiate, and the deadline is clock time
      timeoutMs: real(60_000),
      // at this speed-up every real second of discovery and negotiation is a clock minute of waiting
      maxWaitMs: real(60_000)
    }))))
    const failed = settled.flatMap((r, i) => r.status === 'rejected' ? [`rider ${i}: ${String(r.reason)}`] : [])
    expect(failed).to.deep.equal([])
    const results = settled.map(r => (r as PromiseFulfilledResult<RideResult>).value)
    expect(results).to.have.length(RIDERS)
    const byDriver = new Map<string, number>()
    for (const [i, result] of results.entries()) {
      expect((await verifyTripRecord(result.record)).ok, `ride ${i}`).to.equal(true)
      expect(result.record.header.rider).to.equal(riders[i].peerId)
      byDriver.set(result.driver, (byDriver.get(result.driver) ?? 0) + 1)
      expect(await swarm.nodeOf(riders[i]).store.rides.getTrip(result.requestId)).to.not.equal(undefined)
    }
    // several drivers served the riders (matching spreads them by price and pickup time)
    expect(byDriver.size).to.be.at.least(2)
    // every driver that served a ride stores its records too (the store write follows the answer)
    for (const driver of drivers) {
      const served = results.filter(r => r.driver === driver.peerId)
      for (const r of served) {
        await waitFor(async () => swarm.nodeOf(driver).store.rides.getTrip(rideKey(r.record.header.rider, r.requestId)), { what: 'driver record stored' })
      }
    }
  })
})
