import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { DriverUnreachableError } from '../../node/roles/index.js'
import { CITY } from './roles-fixtures.js'
import { SimWorld } from './sim-world-fixtures.js'
import type { RideResult } from '../../node/index.js'
import type { RoutedMap } from '../../node/map/index.js'

/*
 * A driver that vanishes in the middle of a ride (its node gone, its relay dropped, its phone
 * off): the rider must not wait for the dropoff forever. It checks its driver's reachability
 * while the ride lasts and ends the ride as ERR_DRIVER_UNREACHABLE, having paid only for the
 * distance the driver reported.
 */
describe('a driver that vanishes in the middle of a ride (simulated world, real roles)', function () {
  this.timeout(120_000)
  let map: RoutedMap
  before(async () => { map = await openRoutedMap() })

  it('the rider ends the ride as ERR_DRIVER_UNREACHABLE instead of waiting for a dropoff that never comes', async () => {
    const w = new SimWorld(map, 31)
    const driver = await w.driver('driver', { position: CITY.north, seats: 2 })
    const rider = await w.rider('rider', { livenessMs: 20_000 })
    const driverNode = w.nodeOf(driver)
    try {
      await driver.start()
      await rider.start()
      let outcome: RideResult | Error | undefined
      let pickedUp = false
      rider.on('update', e => { if (e.phase === 'picked-up') pickedUp = true })
      rider.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 60_000 }).then(r => { outcome = r }, err => { outcome = err })
      expect(await w.until(() => pickedUp || outcome != null, 900_000, 1_000)).to.equal(true)
      expect(outcome).to.equal(undefined)
      // mid-trip: the driver's node is gone for good
      await driver.stop()
      await driverNode.stop()
      expect(await w.until(() => outcome != null, 600_000, 1_000), 'the rider still waits for its driver').to.equal(true)
      expect(outcome).to.be.instanceOf(DriverUnreachableError)
    } finally {
      await rider.stop()
      await driver.stop()
      await w.stop()
    }
  })
})
