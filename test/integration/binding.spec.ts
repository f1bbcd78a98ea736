import { openRoutedMap } from '../../node/map/index.js'
import { peerIdFromString } from '@libp2p/peer-id'
import { expect } from 'chai'
import { BindingError, signBinding, tripRecordFromJSON, tripRecordToJSON, verifyTripRecord } from '../../protocol/index.js'
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

/*
 * Issue 11, two keys: a driver's peer id is an Ed25519 key that embeds no address, so every quote
 * carries the driver's binding of its peer id to its payment address, which the rider checks
 * before it takes the quote: the rider pays that address. A binding signed by the wrong key,
 * expired, of another peer id, or missing where the rider pays refuses that quote by name, and the
 * ride goes to the next one.
 */
describe('identity bindings on quotes, at the rider (simulated world, real roles)', function () {
  this.timeout(120_000)
  let map: RoutedMap
  before(async () => { map = await openRoutedMap() })

  it('an honest driver\'s quote binds its Ed25519 peer id; the record carries both bindings and verifies from itself', async () => {
    const w = new SimWorld(map, 23)
    const driver = await w.driver('driver', { position: CITY.north, seats: 2, requireBinding: true })
    const rider = await w.rider('rider', { requireDriverBinding: true })
    const driverNode = w.nodeOf(driver)
    try {
      await driver.start()
      await rider.start()
      const refused: string[] = []
      rider.on('quote-refused', e => { refused.push(e.reason) })
      let outcome: RideResult | Error | undefined
      rider.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 60_000 }).then(r => { outcome = r }, err => { outcome = err })
      expect(await w.until(() => outcome != null, 900_000, 1_000)).to.equal(true)
      expect(outcome, String(outcome)).to.not.be.instanceOf(Error)
      const { record } = outcome as RideResult
      expect(refused).to.deep.equal([])
      expect(peerIdFromString(record.header.driver).type).to.equal('Ed25519')
      expect(record.header.driverAddress).to.equal(driverNode.ethAddress.toLowerCase())
      expect(record.header.driverBinding).to.not.equal(undefined)
      expect(record.header.riderBinding).to.not.equal(undefined)
      expect((await verifyTripRecord(record)).ok).to.equal(true)
      // a third party reads it from the JSON alone, and an altered binding is named
      const json = tripRecordToJSON(record)
      expect((await verifyTripRecord(tripRecordFromJSON(JSON.stringify(json)))).ok).to.equal(true)
      const sig = json.header.driverBinding!.signature
      const forged = { ...json, header: { ...json.header, driverBinding: { ...json.header.driverBinding!, signature: sig.slice(0, 10) + (sig[10] === '0' ? '1' : '0') + sig.slice(11) } } }
      const check = await verifyTripRecord(tripRecordFromJSON(JSON.stringify(forged)))
      expect(check.ok).to.equal(false)
      expect(check.ok ? [] : check.problems.map(p => p.code)).to.include('bad-driver-binding')
    } finally {
      await rider.stop()
      await driver.stop()
      await w.stop()
    }
  })

  for (const [what, code] of [
    ['signed by another key than the address it names', 'ERR_BINDING_BAD_SIGNATURE'],
    ['issued two hours ago', 'ERR_BINDING_EXPIRED'],
    ['of another peer id', 'ERR_BINDING_MISMATCH'],
    ['missing, where the rider pays', 'ERR_BINDING_MISSING']
  ] as const) {
    it(`a quote whose binding is ${what} is refused with ${code}, and the ride goes to the honest driver`, async () => {
      const w = new SimWorld(map, 24)
      // the cheat waits at the pickup, the honest driver a few blocks away: the cheat's quote comes first and ranks first
      const cheat = await w.driver('cheat', { position: CITY.north, seats: 2 })
      const honest = await w.driver('honest', { position: CITY.center, seats: 2 })
      const rider = await w.rider('rider', { requireDriverBinding: true })
      const cheatNode = w.nodeOf(cheat)
      const other = await w.node('other')
      const bad = async (binding: any): Promise<any> => {
        const now = Math.floor(w.clock.now())
        switch (code) {
          case 'ERR_BINDING_BAD_SIGNATURE': {
            // the cheat's own peer id and address, signed by someone else's payment key
            const forged = await signBinding({ peerId: cheatNode.peerId, requestId: '', issuedAt: now }, other.identity.ethPrivateKeyHex)
            return { ...forged, address: binding.address }
          }
          case 'ERR_BINDING_EXPIRED':
            return await signBinding({ peerId: cheatNode.peerId, requestId: '', issuedAt: now - 2 * 3_600_000 }, cheatNode.identity.ethPrivateKeyHex)
          case 'ERR_BINDING_MISMATCH':
            // a binding that another node made, for its own peer id
            return await signBinding({ peerId: other.peerId, requestId: '', issuedAt: now }, other.identity.ethPrivateKeyHex)
          default:
            return undefined
        }
      }
      const send = cheatNode.send.bind(cheatNode)
      cheatNode.send = async (peer: string, message: any, options?: any) => {
        if (message.type === 'quote') {
          const { binding, ...body } = message.body
          const replaced = await bad(binding)
          message = { ...message, body: replaced != null ? { ...body, binding: replaced } : body }
        }
        return await send(peer, message, options)
      }
      try {
        await cheat.start()
        await honest.start()
        await rider.start()
        const refused: Array<{ driver: string, reason: string }> = []
        rider.on('quote-refused', e => { refused.push({ driver: e.driver, reason: e.reason }) })
        let outcome: RideResult | Error | undefined
        rider.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 60_000 }).then(r => { outcome = r }, err => { outcome = err })
        expect(await w.until(() => outcome != null, 900_000, 1_000)).to.equal(true)
        expect(outcome, String(outcome)).to.not.be.instanceOf(Error)
        expect(refused.length).to.be.greaterThan(0)
        expect(refused.every(r => r.driver === cheatNode.peerId && r.reason === code), JSON.stringify(refused)).to.equal(true)
        const { record } = outcome as RideResult
        expect(record.header.driver).to.equal(w.nodeOf(honest).peerId)
        expect(record.header.driverAddress).to.equal(w.nodeOf(honest).ethAddress.toLowerCase())
        expect((await verifyTripRecord(record)).ok).to.equal(true)
      } finally {
        await rider.stop()
        await honest.stop()
        await cheat.stop()
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
