import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { Cancel, cellOf, cellTopic } from '../../protocol/index.js'
import { CITY } from './roles-fixtures.js'
import { SimWorld } from './sim-world-fixtures.js'
import type { HitchMessage, RideRequest } from '../../protocol/index.js'
import type { RideResult } from '../../node/index.js'

/*
 * Attack (issue 9, "request ids are not scoped by sender"): a peer on the pickup cell's topic
 * hears a rider's request and sends its own request, accept and cancel under the victim's
 * request id. Before the fix the driver kept rides by request id alone: while the victim's
 * request was held back (the car a few minutes away), the attacker's copies under the same id
 * took the ride over, and the victim never got a quote from that driver.
 */
describe('attack: another peer uses a victim\'s request id (simulated world, real roles)', function () {
  this.timeout(120_000)

  it('a second peer\'s request, accept and cancel under the victim\'s id do not touch the victim\'s ride', async () => {
    const map = await openRoutedMap()
    const w = new SimWorld(map, 3)
    // the car at the centre: every pickup cell around it is a few minutes away, so the
    // victim's first copies are held back until the driver's reach widens
    const driver = await w.driver('driver', { position: CITY.center, seats: 2 })
    const rider = await w.rider('victim')
    const attacker = await w.node('attacker')
    try {
      await driver.start()
      await rider.start()
      const topic = cellTopic(cellOf(CITY.north.lat, CITY.north.lon))
      attacker.network.subscribe(topic)

      let victimRequest: RideRequest | undefined
      attacker.onGossip(({ envelope }) => {
        if (envelope.message.type === 'ride-request' && envelope.sender.toString() === rider.peerId) victimRequest = envelope.message.body
      })
      let outcome: RideResult | Error | undefined
      rider.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 90_000 }).then(r => { outcome = r }, err => { outcome = err })
      expect(await w.until(() => victimRequest != null, 10_000)).to.equal(true)
      const id = victimRequest!.requestId

      // the attacker's copies of the victim's request, as fast as it likes, under its own key
      // not awaited: answers take simulated time, which passes only in w.run()
      const send = (message: HitchMessage): void => {
        attacker.send(driver.peerId, message).catch(() => {})
      }
      let confirmedAt: number | undefined
      rider.on('confirmed', () => { confirmedAt ??= w.clock.now() })
      for (let i = 0; i < 300 && outcome == null; i++) {
        const now = Math.floor(w.clock.now())
        await attacker.publish(topic, { type: 'ride-request', body: { ...victimRequest!, expiresAt: now + 60_000 } })
        if (i % 10 === 0) {
          await attacker.publish(topic, { type: 'cancel', body: { requestId: id, reason: Cancel.Reason.RIDER_CANCELLED, note: '' } })
          send({ type: 'cancel', body: { requestId: id, reason: Cancel.Reason.RIDER_CANCELLED, note: '' } })
          send({ type: 'accept', body: { requestId: id, quoteId: 'guess', seats: 1 } } as HitchMessage)
        }
        await w.run(100)
      }
      expect(await w.until(() => outcome != null, 600_000, 1_000)).to.equal(true)
      expect(outcome, String(outcome)).to.not.be.instanceOf(Error)
      const result = outcome as RideResult
      expect(result.driver).to.equal(driver.peerId)
      expect(result.requestId).to.equal(id)
      expect(confirmedAt).to.not.equal(undefined)
    } finally {
      await rider.stop()
      await driver.stop()
      await w.stop()
    }
  })
})
