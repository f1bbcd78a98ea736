import { expect } from 'chai'
import { DEFAULT_QUOTE_NEAR_S } from '../../node/index.js'
import { openRoutedMap } from '../../node/map/index.js'
import { SimWorld } from './sim-world-fixtures.js'
import type { RideResult } from '../../node/index.js'

/*
 * Issue 10: a lone driver some minutes from the pickup must still quote a rider who keeps
 * asking. Seen with `hitch drive --speedup 60` on Monaco: 351 s from the pickup, the driver
 * logged "holding back: pickup in …, reach 120s" on every copy it heard and never quoted before
 * the rider gave up. A sparse area is where a peer-to-peer service starts.
 */
describe('a lone distant driver (simulated world, virtual clock)', function () {
  this.timeout(120_000)

  it('quotes a rider who keeps asking, however far beyond the near reach its pickup is', async () => {
    const w = new SimWorld(await openRoutedMap(), 3)
    const driver = await w.driver('driver', { position: { lat: 40.736, lon: -73.994 }, seats: 2 })
    const rider = await w.rider('rider')
    const quotes: number[] = []
    const confirmed: string[] = []
    driver.on('quote', e => { quotes.push(e.pickupMinutes) })
    driver.on('confirmed', e => { confirmed.push(e.requestId) })
    try {
      await driver.start()
      await rider.start()
      await w.run(5_000)
      let outcome: RideResult | Error | undefined
      rider.requestRide({ from: { lat: 40.755, lon: -73.972 }, to: { lat: 40.745, lon: -73.985 }, maxWaitMs: 20 * 60_000, timeoutMs: 60_000 })
        .then(r => { outcome = r }, err => { outcome = err })
      expect(await w.until(() => outcome != null, 3_600_000, 1_000)).to.equal(true)
      expect(outcome, String(outcome)).to.not.be.instanceOf(Error)
      // quoted, and from beyond the reach within which a driver quotes at once
      expect(quotes.length).to.be.greaterThan(0)
      expect(quotes[0] * 60).to.be.greaterThan(DEFAULT_QUOTE_NEAR_S)
      // one ride, confirmed once (the recheck's nested step announced it a second time)
      expect(confirmed).to.have.length(1)
    } finally {
      await driver.stop()
      await rider.stop()
      await w.stop()
    }
  })
})
