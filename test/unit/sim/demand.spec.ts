import { expect } from 'chai'
import { mulberry32 } from '../../../matching/index.js'
import { openRoutedMap } from '../../../node/map/index.js'
import { buildDemand, loadHourlyProfile, loadTrips, parseTripsCsv, requestTimes } from '../../../sim/index.js'
import { requireSharedData, sharedData } from '../../fixtures/shared-data.js'
import type { RoutedMap } from '../../../node/map/index.js'

describe('sim/demand: parsing', () => {
  it('counts and skips unparsable rows and bad coordinates', () => {
    const csv = [
      'fare_amount,pickup_datetime,pickup_longitude,pickup_latitude,dropoff_longitude,dropoff_latitude,passenger_count,trips_last_5min,key',
      '11.3,2011-01-28 20:42:59 UTC,-73.99,40.74,-73.98,40.72,2,1,0',
      '5,2011-01-28 20:42:59 UTC,0,0,-73.98,40.72,1,1,1',
      '5,2011-01-28 20:42:59 UTC,-73.99,40.74,-73.98,140.72,1,1,2',
      '5,2011-01-28 20:42:59 UTC,abc,40.74,-73.98,40.72,1,1,3',
      '5,only,three',
      '',
      '6,2011-01-28 20:42:59 UTC,-73.99,40.74,-73.98,40.72,0,1,4'
    ].join('\n')
    const p = parseTripsCsv(csv)
    expect(p).to.include({ rows: 6, unparsable: 2, badCoordinates: 2 })
    expect(p.trips.map(t => t.passengers)).to.deep.equal([2, 1])
    expect(p.trips[0]).to.include({ pickupLat: 40.74, pickupLon: -73.99, fareCents: 1130 })
  })

  it('draws request times from a profile: more in busy hours, sorted, in range', () => {
    const profile = Array.from({ length: 24 }, (_, h) => h === 9 ? 3 : 1)
    const times = requestTimes(20_000, 7200, mulberry32(5), profile, 8)
    expect(times).to.have.length(20_000)
    expect(times.every((t, i) => t >= 0 && t < 7200 && (i === 0 || times[i - 1] <= t))).to.equal(true)
    const second = times.filter(t => t >= 3600).length / times.length
    expect(second).to.be.closeTo(0.75, 0.02)
    expect(requestTimes(100, 3600, mulberry32(1))).to.deep.equal(requestTimes(100, 3600, mulberry32(1)))
  })
})

describe('sim/demand: NYC data', function () {
  requireSharedData(this, 'trips/nyc-taxi-sample-a.csv')
  requireSharedData(this, 'trips/nyc-hourly-pickups-2016.csv.gz')
  requireSharedData(this, 'maps/manhattan-midtown.osm.pbf')
  let map: RoutedMap

  before(async function () {
    this.timeout(120_000)
    map = await openRoutedMap(sharedData('maps/manhattan-midtown.osm.pbf'))
  })

  it('loads the trip sample, reporting the bad rows it skipped', async () => {
    const p = await loadTrips(sharedData('trips/nyc-taxi-sample-a.csv'))
    expect(p.rows).to.equal(7333)
    // this sample happens to be clean; the skipping itself is tested on hand-made rows above
    expect(p.trips.length).to.be.greaterThan(7000)
    expect(p.trips.length + p.unparsable + p.badCoordinates).to.equal(p.rows)
  })

  it('the hourly profile has the 2016 shape (thousands of pickups per hour of day)', async () => {
    const profile = await loadHourlyProfile(sharedData('trips/nyc-hourly-pickups-2016.csv.gz'))
    const want = [13.7, 9.9, 7.1, 5.5, 5.7, 6.4, 9.7, 15.4, 18.6, 17.8, 15.9, 15.4, 15.7, 15.7, 16.4, 16.8, 17.5, 19.8, 21.5, 21.5, 20.6, 20.2, 19.8, 17.8]
    expect(profile).to.have.length(24)
    profile.forEach((v, h) => expect(v / 1000, `hour ${h}`).to.be.closeTo(want[h], 0.06))
  })

  it('keeps the trips with both ends on the Midtown map, deterministic per seed', async () => {
    const opts = { riders: 300, durationS: 3600, seed: 4, trips: sharedData('trips/nyc-taxi-sample-a.csv'), profile: sharedData('trips/nyc-hourly-pickups-2016.csv.gz'), startHour: 18 }
    const d = await buildDemand(map, opts)
    const s = d.stats
    expect(s.rows).to.equal(7333)
    expect(s.usable + s.offMap + s.samePoint + s.unparsable + s.badCoordinates).to.equal(s.rows)
    // the README: about 15 % of the trips have both ends inside the Midtown box
    expect(s.usable / s.rows).to.be.within(0.08, 0.2)
    expect(d.requests).to.have.length(300)
    expect(s.reused).to.equal(0)
    for (const r of d.requests) {
      expect(r.pickup).to.not.equal(r.dropoff)
      expect(r.pickup).to.be.below(map.graph.numNodes)
    }
    const again = await buildDemand(map, opts)
    expect(again.requests).to.deep.equal(d.requests)
    const other = await buildDemand(map, { ...opts, seed: 5 })
    expect(other.requests).to.not.deep.equal(d.requests)
  })
})

describe('sim/demand: synthetic', () => {
  it('draws random trips of a least length on the synthetic city', async () => {
    const map = await openRoutedMap()
    const d = await buildDemand(map, { riders: 200, durationS: 1800, seed: 2, minTripM: 1000 })
    expect(d.stats.source).to.equal('synthetic')
    expect(d.requests).to.have.length(200)
    for (const r of d.requests) {
      const g = map.graph
      const dx = (g.lon[r.pickup] - g.lon[r.dropoff]) * 111_320 * Math.cos(g.lat[r.pickup] * Math.PI / 180)
      const dy = (g.lat[r.pickup] - g.lat[r.dropoff]) * 110_540
      expect(Math.hypot(dx, dy)).to.be.greaterThan(950)
      expect(r.timeS).to.be.within(0, 1800)
    }
  })
})
