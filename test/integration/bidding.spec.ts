import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { Cancel, cellOf, cellTopic } from '../../protocol/index.js'
import { CITY } from './roles-fixtures.js'
import { SimWorld } from './sim-world-fixtures.js'
import type { HitchNode, RideResult } from '../../node/index.js'
import type { HitchMessage, OpenedEnvelope, Quote, RideRequest } from '../../protocol/index.js'

/** The cheapest, nearest quote there can be (and, before the fix, five self-declared stars). */
function fakeQuote (request: RideRequest): Quote {
  return {
    requestId: request.requestId,
    quoteId: `fake-${request.requestId}`,
    price: '1',
    expiresAt: request.expiresAt,
    pooled: false,
    currency: request.currency,
    seats: request.seats,
    pickupMinutes: 0,
    dropoffMinutes: 1
  }
}

/** Whether a message carries an exact point (a LatLon anywhere in its body). */
function hasExactPoint (message: HitchMessage): boolean {
  const seen = new Set<unknown>()
  const walk = (v: unknown): boolean => {
    if (v == null || typeof v !== 'object' || seen.has(v)) return false
    seen.add(v)
    const o = v as Record<string, unknown>
    if (typeof o.lat === 'number' && typeof o.lon === 'number') return true
    return Object.values(o).some(walk)
  }
  return walk(message.body)
}

/**
 * A fake driver: hears requests on the pickup cell's topic and quotes every one at the lowest
 * price, picking up at once. It records every direct message riders send it.
 */
async function fakeDriver (w: SimWorld, behave: (from: string, envelope: OpenedEnvelope, node: HitchNode) => HitchMessage | undefined): Promise<{ node: HitchNode, got: HitchMessage[] }> {
  const node = await w.node('fake-driver')
  const got: HitchMessage[] = []
  node.network.subscribe(cellTopic(cellOf(CITY.north.lat, CITY.north.lon)))
  node.onGossip(({ envelope }) => {
    if (envelope.message.type !== 'ride-request') return
    node.send(envelope.sender.toString(), { type: 'quote', body: fakeQuote(envelope.message.body) }).catch(() => {})
  })
  node.onDirect((from, envelope) => {
    got.push(envelope.message)
    return behave(from, envelope, node)
  })
  return { node, got }
}

/*
 * Attack (issue 9, "exact points harvested by bidding"): a fake driver quoting the lowest price
 * (before the fix, with five self-declared stars) was accepted first, and the accept carried
 * the rider's exact pickup and dropoff.
 */
describe('attack: a fake driver bids lowest to harvest exact points (simulated world, real roles)', function () {
  this.timeout(120_000)

  it('wins the accept but gets no exact point unless it confirms; the rider falls back to an honest driver', async () => {
    const w = new SimWorld(await openRoutedMap(), 5)
    const driver = await w.driver('driver', { position: CITY.north, seats: 2 })
    const rider = await w.rider('rider')
    // it never confirms: it only collects what the accept tells it
    const fake = await fakeDriver(w, () => undefined)
    try {
      await driver.start()
      await rider.start()
      let outcome: RideResult | Error | undefined
      const accepted: string[] = []
      rider.on('accepted', e => { accepted.push(e.driver) })
      rider.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 60_000 }).then(r => { outcome = r }, err => { outcome = err })
      expect(await w.until(() => outcome != null, 900_000, 1_000)).to.equal(true)
      expect(outcome, String(outcome)).to.not.be.instanceOf(Error)
      expect((outcome as RideResult).driver).to.equal(driver.peerId)
      // the fake's bid won first ...
      expect(accepted[0]).to.equal(fake.node.peerId)
      expect(fake.got.map(m => m.type)).to.include('accept')
      // ... and got the cells it already knew, no exact point
      expect(fake.got.filter(hasExactPoint).map(m => m.type)).to.deep.equal([])
    } finally {
      await rider.stop()
      await driver.stop()
      await w.stop()
    }
  })

  it('a fake that confirms gets the points only once committed; its cancel shows as one after the reveal, and it is not taken again', async () => {
    const w = new SimWorld(await openRoutedMap(), 6)
    const rider = await w.rider('rider')
    const fake = await fakeDriver(w, (from, envelope, node) => {
      const m = envelope.message
      if (m.type === 'accept') {
        // confirm (commit) at once ...
        node.send(from, { type: 'confirm', body: { requestId: m.body.requestId, quoteId: m.body.quoteId, pickupMinutes: 0 } }).catch(() => {})
      } else if (m.type === 'reveal') {
        // ... take the points and run
        node.send(from, { type: 'cancel', body: { requestId: m.body.requestId, reason: Cancel.Reason.DRIVER_CANCELLED, note: 'gone' } }).catch(() => {})
      }
      return undefined
    })
    try {
      await rider.start()
      const cancelled: Array<{ requestId: string, driver: string, note: string, afterReveal: boolean }> = []
      rider.on('cancelled', e => { cancelled.push(e) })
      let outcome: RideResult | Error | undefined
      rider.requestRide({ from: CITY.north, to: CITY.south, timeoutMs: 30_000 }).then(r => { outcome = r }, err => { outcome = err })
      expect(await w.until(() => outcome != null, 120_000, 500)).to.equal(true)
      // the points went out only after the confirm, in a Reveal
      const types = fake.got.map(m => m.type)
      expect(types.indexOf('reveal')).to.be.greaterThan(types.indexOf('accept'))
      expect(fake.got.filter(hasExactPoint).map(m => m.type)).to.deep.equal(['reveal'])
      // the rider knows the driver had its points when it cancelled ...
      expect(cancelled).to.deep.equal([{ requestId: cancelled[0]?.requestId, driver: fake.node.peerId, note: 'gone', afterReveal: true }])
      // ... and does not take its quotes again (it keeps quoting every copy): one accept, one reveal
      expect(types.filter(t => t === 'accept')).to.have.length(1)
      expect(types.filter(t => t === 'reveal')).to.have.length(1)
      // with no other driver about, the ride ends when its deadline passes
      expect((outcome as any)?.code).to.equal('ERR_NO_DRIVER')
    } finally {
      await rider.stop()
      await w.stop()
    }
  })
})
