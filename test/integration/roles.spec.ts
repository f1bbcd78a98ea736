import { expect } from 'chai'
import { rideKey, tripRecordFromJSON, tripRecordFromProto, tripRecordToJSON, tripRecordToProto, verifyTripRecord } from '../../protocol/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import { CITY, Swarm, real, rideTimings } from './roles-fixtures.js'
import type { Driver, RideResult, Rider, RiderQuote } from '../../node/index.js'

/** Collects a role's events of one kind. */
function collect<T> (role: { on: (type: any, l: (d: T) => void) => () => void }, type: string): T[] {
  const got: T[] = []
  role.on(type, d => { got.push(d) })
  return got
}

describe('integration: driver and rider roles over TCP on 127.0.0.1', function () {
  this.timeout(60_000)

  describe('one driver, one rider', () => {
    const swarm = new Swarm('tcp')
    let driver: Driver
    let rider: Rider

    before(async () => {
      await swarm.init()
      driver = await swarm.driver({ position: CITY.center, seats: 4 })
      rider = await swarm.rider()
    })
    after(async () => { await swarm.stop() })

    it('completes a ride with a doubly signed trip record held by both', async () => {
      const updates = collect<{ phase: string, distanceM: number }>(rider, 'update')
      const driverRecords = collect<{ requestId: string }>(driver, 'trip-record')
      const result = await rider.requestRide({ from: CITY.west, to: CITY.north, ...rideTimings() })

      expect(result.driver).to.equal(driver.peerId)
      const check = await verifyTripRecord(result.record)
      expect(check.ok, JSON.stringify(check)).to.equal(true)
      const types = result.record.events.map(e => e.type)
      expect(types[0]).to.equal('accepted')
      expect(types).to.include('picked-up')
      expect(types.slice(-2)).to.deep.equal(['dropped-off', 'fare'])
      expect(result.record.header.fare).to.equal(result.quote.price)
      expect(result.record.header.riderAddress).to.equal(swarm.nodeOf(rider).ethAddress.toLowerCase())
      expect(result.record.header.driverAddress).to.equal(swarm.nodeOf(driver).ethAddress.toLowerCase())

      // the rider followed the trip
      const phases = updates.map(u => u.phase)
      expect(phases).to.include.members(['en-route', 'picked-up', 'dropped-off'])
      const dropped = updates.find(u => u.phase === 'dropped-off')!
      expect(dropped.distanceM).to.be.greaterThan(500)

      // both stores hold the same record, and it still verifies from its stored JSON
      await waitFor(() => driverRecords.some(r => r.requestId === result.requestId), { what: 'driver stored the record' })
      const atRider = await swarm.nodeOf(rider).store.rides.getTrip(result.requestId)
      // the driver keeps rides by rider and request id (another peer may name the same id)
      const atDriver = await swarm.nodeOf(driver).store.rides.getTrip(rideKey(rider.peerId, result.requestId))
      expect(atRider).to.not.equal(undefined)
      expect({ ...atDriver, id: atRider?.id }).to.deep.equal(atRider)
      const { id: _id, ...json } = atDriver!
      expect((await verifyTripRecord(tripRecordFromJSON(json))).ok).to.equal(true)
      expect((await swarm.nodeOf(driver).store.rides.getRide(rideKey(rider.peerId, result.requestId)))?.status).to.equal('completed')
      expect(driver.freeSeats).to.equal(4)

      // the rider's answer lost on the way back: a repeat of the same record gets the stored
      // countersigned copy again; a different record does not
      const driverSigned = { ...result.record, riderSignature: undefined }
      const again = await swarm.nodeOf(driver).send(rider.peerId, { type: 'trip-record', body: tripRecordToProto(driverSigned) })
      expect(again?.message.type).to.equal('trip-record')
      const copy = tripRecordFromProto((again!.message as { body: any }).body)
      expect((await verifyTripRecord(copy)).ok).to.equal(true)
      expect(tripRecordToJSON(copy)).to.deep.equal(tripRecordToJSON(result.record))
      const other = { ...driverSigned, header: { ...driverSigned.header, fare: String(Number(driverSigned.header.fare) + 1) } }
      const refused = await swarm.nodeOf(driver).send(rider.peerId, { type: 'trip-record', body: tripRecordToProto(other) })
      expect(refused).to.equal(undefined)
    })
  })

  describe('pooling: two riders share one 4-seat car', () => {
    const swarm = new Swarm('tcp')
    let driver: Driver
    let riders: Rider[]

    before(async () => {
      await swarm.init()
      driver = await swarm.driver({ position: CITY.center, seats: 4 })
      riders = [await swarm.rider(), await swarm.rider()]
    })
    after(async () => { await swarm.stop() })

    it('confirms both with the same driver, the second pooled and cheaper, and completes both', async () => {
      const positions = collect<{ onboard: number }>(driver, 'position')
      const first = riders[0].requestRide({ from: CITY.west, to: CITY.east, ...rideTimings() })
      await waitFor(() => driver.currentPlan.stops.length === 2, { what: 'first ride confirmed' })
      const quotes = collect<{ quote: RiderQuote }>(riders[1], 'quote')
      // a few hundred metres on, the same way: insertion can pick the second rider up on the way
      const second = riders[1].requestRide({ from: { lat: 40.7492, lon: -73.989 }, to: { lat: 40.7508, lon: -73.970 }, ...rideTimings() })
      const results: RideResult[] = await Promise.all([first, second])

      expect(results.map(r => r.driver)).to.deep.equal([driver.peerId, driver.peerId])
      expect(quotes.map(q => q.quote.pooled)).to.include(true)
      expect(results[1].quote.pooled).to.equal(true)
      expect(Math.max(...positions.map(p => p.onboard))).to.equal(2)
      for (const r of results) {
        expect((await verifyTripRecord(r.record)).ok).to.equal(true)
      }
    })
  })

  describe('the last seat: two riders race for a 1-seat car', () => {
    const swarm = new Swarm('tcp')
    let cheap: Driver
    let dear: Driver
    let riders: Rider[]

    before(async () => {
      await swarm.init()
      cheap = await swarm.driver({ position: CITY.center, seats: 1, fare: { baseCents: 100, minimumCents: 100 } })
      dear = await swarm.driver({ position: CITY.south, seats: 1, fare: { baseCents: 900, minimumCents: 900 } })
      riders = [await swarm.rider(), await swarm.rider()]
    })
    after(async () => { await swarm.stop() })

    it('confirms exactly one; the other is declined, falls back to the second driver and completes', async () => {
      // both riders accept the cheap car only once it has quoted both, so the race is real
      const cheapQuotes = collect<{ requestId: string }>(cheap, 'quote')
      const choose = async (quotes: RiderQuote[]): Promise<RiderQuote | undefined> => {
        await waitFor(() => cheapQuotes.length >= 2, { what: 'the cheap car quoting both riders' })
        return quotes.find(q => q.driver === cheap.peerId) ?? quotes[0]
      }
      const declines = collect<{ reason: string }>(cheap, 'declined')
      const fallbacks = riders.map(r => collect<{ from: string, to?: string }>(r, 'fallback'))
      const results = await Promise.all(riders.map(async (r, i) => r.requestRide({
        from: i === 0 ? CITY.west : CITY.center, to: CITY.north, ...rideTimings(), quoteWindowMs: real(4_000), choose
      })))

      const winners = results.filter(r => r.driver === cheap.peerId)
      const losers = results.filter(r => r.driver === dear.peerId)
      expect(winners).to.have.length(1)
      expect(losers).to.have.length(1)
      expect(declines).to.have.length(1)
      expect(declines[0].reason).to.equal('NO_SEATS')
      const loser = results.indexOf(losers[0])
      expect(fallbacks[loser].some(f => f.from === cheap.peerId && f.to === dear.peerId)).to.equal(true)
      expect(fallbacks[1 - loser]).to.have.length(0)
    })
  })

  describe('a driver vanishes mid-negotiation', () => {
    const swarm = new Swarm('tcp')
    let leaving: Driver
    let staying: Driver
    let rider: Rider

    before(async () => {
      await swarm.init()
      leaving = await swarm.driver({ position: CITY.center, seats: 2, fare: { baseCents: 100, minimumCents: 100 } })
      staying = await swarm.driver({ position: CITY.south, seats: 2, fare: { baseCents: 900, minimumCents: 900 } })
      rider = await swarm.rider()
    })
    after(async () => { await swarm.stop() })

    it('falls back to the other driver', async () => {
      const fallbacks = collect<{ from: string, to?: string }>(rider, 'fallback')
      let stopped = false
      const result = await rider.requestRide({
        from: CITY.west,
        to: CITY.north,
        ...rideTimings(),
        choose: async quotes => {
          const gone = quotes.find(q => q.driver === leaving.peerId)
          if (gone == null || stopped) return quotes[0]
          // the best driver's node dies after quoting, before the accept reaches it
          stopped = true
          await leaving.stop()
          await swarm.nodeOf(leaving).stop()
          return gone
        }
      })
      expect(stopped).to.equal(true)
      expect(result.driver).to.equal(staying.peerId)
      // to the next quote at once, or back to waiting when the other quote was still on its way
      expect(fallbacks.map(f => f.from)).to.deep.equal([leaving.peerId])
      expect(fallbacks[0].to).to.be.oneOf([staying.peerId, undefined])
      expect((await verifyTripRecord(result.record)).ok).to.equal(true)
    })
  })
})
