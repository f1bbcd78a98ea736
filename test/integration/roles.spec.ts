import { expect } from 'chai'
import { rideKey, tripRecordFromJSON, tripRecordFromProto, tripRecordToJSON, tripRecordToProto, verifyTripRecord } from '../../protocol/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import { CITY, Swarm, rideTimings } from './roles-fixtures.js'
import type { Driver, Rider } from '../../node/index.js'

/** Collects a role's events of one kind. */
function collect<T> (role: { on: (type: any, l: (d: T) => void) => () => void }, type: string): T[] {
  const got: T[] = []
  role.on(type, d => { got.push(d) })
  return got
}

/*
 * The real-libp2p smoke test of the roles: one ride over TCP, the record in both stores. Pooling,
 * fallback (a driver silent or gone), the last seat and the role scenarios at large run as rows
 * of scenarios.spec.ts on the simulated world with a virtual clock.
 */
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
})
