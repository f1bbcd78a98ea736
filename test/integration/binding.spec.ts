import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { BindingError, signBinding, verifyTripRecord } from '../../protocol/index.js'
import { CITY } from './roles-fixtures.js'
import { SimWorld, seededKey } from './sim-world-fixtures.js'
import type { RideResult } from '../../node/index.js'
import type { RoutedMap } from '../../node/map/index.js'

/*
 * Issue 9, linkable riders: a rider rides under a fresh peer id and binds it to its long-lived
 * payment identity only in the Reveal it sends the driver that confirmed. The driver checks the
 * binding before it names the rider's address in the trip record or credits a channel, and
 * refuses a missing (when it takes payments), expired, malformed or mismatched one by name.
 */
describe('identity bindings at the driver (simulated world, real roles)', function () {
  this.timeout(120_000)
  let map: RoutedMap
  before(async () => { map = await openRoutedMap() })

  it('a rider under a fresh peer id is named by its payment address in the record both sign', async () => {
    const w = new SimWorld(map, 21)
    const driver = await w.driver('driver', { position: CITY.north, seats: 2, requireBinding: true })
    const rider = await w.rider('rider', {}, { peerKey: seededKey('21/ride-key') })
    const riderNode = w.nodeOf(rider)
    try {
      expect(riderNode.peerId).to.not.equal(riderNode.identity.peerId)
      await driver.start()
      await rider.start()
      let outcome: RideResult | Error | undefined
      rider.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 60_000 }).then(r => { outcome = r }, err => { outcome = err })
      expect(await w.until(() => outcome != null, 900_000, 1_000)).to.equal(true)
      expect(outcome, String(outcome)).to.not.be.instanceOf(Error)
      const { record } = outcome as RideResult
      expect(record.header.rider).to.equal(riderNode.peerId)
      expect(record.header.riderAddress).to.equal(riderNode.identity.ethAddress.toLowerCase())
      expect((await verifyTripRecord(record)).ok).to.equal(true)
    } finally {
      await rider.stop()
      await driver.stop()
      await w.stop()
    }
  })

  for (const [what, code, setUp] of [
    ['without a binding, at a driver that takes payments', 'ERR_BINDING_MISSING', { bindIdentity: false }],
    ['with a binding of another peer id (one it heard elsewhere)', 'ERR_BINDING_MISMATCH', { foreign: true }]
  ] as const) {
    it(`a ride ${what} is cancelled at the reveal with ${code}, visibly to the rider`, async () => {
      const w = new SimWorld(map, 22)
      const driver = await w.driver('driver', { position: CITY.north, seats: 2, requireBinding: true })
      const rider = await w.rider('rider', { bindIdentity: !('bindIdentity' in setUp) })
      const riderNode = w.nodeOf(rider)
      if ('foreign' in setUp) {
        // the rider sends, as its own, a binding another peer id made: the driver must refuse it
        const stolen = await signBinding({ peerId: (await w.node('victim')).peerId, requestId: 'x', issuedAt: w.clock.now() }, riderNode.identity.ethPrivateKeyHex)
        riderNode.send = wrapSend(riderNode.send.bind(riderNode), stolen)
      }
      const errors: Error[] = []
      driver.on('error', e => { errors.push(e.error) })
      try {
        await driver.start()
        await rider.start()
        const cancelled: string[] = []
        rider.on('cancelled', e => { cancelled.push(e.note) })
        let outcome: RideResult | Error | undefined
        rider.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 20_000 }).then(r => { outcome = r }, err => { outcome = err })
        expect(await w.until(() => outcome != null, 120_000, 500)).to.equal(true)
        expect(cancelled).to.deep.equal([code])
        expect(errors.some(e => e instanceof BindingError && e.code === code)).to.equal(true)
        // the only driver was shunned after it cancelled: no ride
        expect((outcome as any)?.code).to.equal('ERR_NO_DRIVER')
        expect(driver.freeSeats).to.equal(2)
      } finally {
        await rider.stop()
        await driver.stop()
        await w.stop()
      }
    })
  }
})

/** A node's `send` that puts `binding` into every Reveal it sends. */
function wrapSend (send: (...a: any[]) => Promise<any>, binding: any): any {
  return async (peer: string, message: any, options?: any) => {
    if (message.type === 'reveal') message = { ...message, body: { ...message.body, binding: { ...binding, requestId: message.body.requestId } } }
    return await send(peer, message, options)
  }
}
