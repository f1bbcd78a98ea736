import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { Cancel, cellOf, cellTopic } from '../../protocol/index.js'
import { CITY } from './roles-fixtures.js'
import { SimWorld } from './sim-world-fixtures.js'
import type { RideResult } from '../../node/index.js'
import type { Cancel as CancelBody, RideRequest } from '../../protocol/index.js'

/*
 * Attack (issue 9): a committed driver honours the pickup it confirmed even where the exact
 * points miss the rider's own limits a little. A rider could abuse that by asking from one pair
 * of cells and revealing points elsewhere, to get a commitment for a ride the driver never
 * estimated. The driver refuses such points (`points-outside-cells`) and frees the seat.
 */
describe('attack: a rider reveals exact points outside the cells it asked from (simulated world, real roles)', function () {
  this.timeout(120_000)

  it('the driver cancels after the reveal, saying why, and serves the next rider with the seat', async () => {
    const w = new SimWorld(await openRoutedMap(), 7)
    const driver = await w.driver('driver', { position: CITY.north, seats: 1 })
    const liar = await w.node('liar')
    const honest = await w.rider('honest')
    try {
      await driver.start()
      await honest.start()
      const northCell = cellOf(CITY.north.lat, CITY.north.lon)
      const southCell = cellOf(CITY.south.lat, CITY.south.lon)
      expect(northCell).to.not.equal(southCell)
      const cancels: CancelBody[] = []
      const confirmed: string[] = []
      liar.onDirect((from, envelope) => {
        const m = envelope.message
        if (m.type === 'quote') {
          liar.send(from, { type: 'accept', body: { requestId: m.body.requestId, quoteId: m.body.quoteId, seats: 1 } }).catch(() => {})
        } else if (m.type === 'confirm') {
          confirmed.push(m.body.requestId)
          // asked from north to south; reveals a pickup in the south cell instead
          liar.send(from, { type: 'reveal', body: { requestId: m.body.requestId, quoteId: m.body.quoteId, pickup: CITY.south, dropoff: CITY.south } }).catch(() => {})
        } else if (m.type === 'cancel') {
          cancels.push(m.body)
        }
        return undefined
      })
      const driverCancels: string[] = []
      driver.on('cancelled', e => { driverCancels.push(e.reason) })
      liar.network.subscribe(cellTopic(northCell))
      await w.run(2_000)
      const now = Math.floor(w.clock.now())
      const request: RideRequest = {
        requestId: 'liar-1', pickupCell: northCell, dropoffCell: southCell, seats: 1, latestPickupAt: now + 600_000,
        maxPrice: '1000000000000', expiresAt: now + 60_000, currency: 'usd-cent'
      }
      for (let i = 0; i < 20 && cancels.length === 0; i++) {
        if (confirmed.length === 0) await liar.publish(cellTopic(northCell), { type: 'ride-request', body: request })
        await w.run(2_000)
      }
      expect(confirmed).to.deep.equal(['liar-1'])
      expect(cancels).to.have.length(1)
      expect(cancels[0]).to.deep.include({ requestId: 'liar-1', reason: Cancel.Reason.DRIVER_CANCELLED, note: 'points-outside-cells' })
      expect(driverCancels).to.deep.equal(['points-outside-cells'])

      // the one seat is free again: an honest rider gets it
      let outcome: RideResult | Error | undefined
      honest.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 60_000 }).then(r => { outcome = r }, err => { outcome = err })
      expect(await w.until(() => outcome != null, 900_000, 1_000)).to.equal(true)
      expect(outcome, String(outcome)).to.not.be.instanceOf(Error)
      expect((outcome as RideResult).driver).to.equal(driver.peerId)
    } finally {
      await honest.stop()
      await driver.stop()
      await w.stop()
    }
  })
})
