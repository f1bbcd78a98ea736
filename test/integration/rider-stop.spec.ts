import { expect } from 'chai'
import { createHitchNode, Rider, roleComponents, type HitchNode } from '../../node/index.js'

describe('integration: a rider stopped while it is still looking for drivers', function () {
  let node: HitchNode
  let other: HitchNode
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }

  before(async () => {
    process.on('unhandledRejection', onUnhandled)
    // a second node to ask, so the DHT lookup of drivers really waits on the network
    other = await createHitchNode({ transport: 'memory', loopbackFriendly: true })
    await other.start()
    node = await createHitchNode({ transport: 'memory', loopbackFriendly: true, map: other.map })
    await node.start()
    await node.network.dial(other.addresses()[0])
  })
  after(async () => {
    process.off('unhandledRejection', onUnhandled)
    await node.stop()
    await other.stop()
  })

  it('ends the ride with ERR_RIDE_ABORTED and leaves no unhandled rejection behind', async () => {
    const rider = new Rider(roleComponents(node), {})
    await rider.start()
    const { bbox } = node.map.graph.meta
    const mid = { lat: (bbox.minLat + bbox.maxLat) / 2, lon: (bbox.minLon + bbox.maxLon) / 2 }
    const ride = rider.requestRide({ from: mid, to: { lat: mid.lat + 0.005, lon: mid.lon + 0.005 }, timeoutMs: 60_000 })
    // requestRide is now awaiting driver discovery
    await rider.stop()
    const err = await ride.then(() => undefined, (e: any) => e)
    expect(err?.code).to.equal('ERR_RIDE_ABORTED')
    // give the event loop a turn for any stray rejection to surface
    await new Promise(resolve => setImmediate(resolve))
    expect(unhandled).to.deep.equal([])
  })
})
