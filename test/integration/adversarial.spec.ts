import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork } from '../../node/network/index.js'
import { Envelope, cellOf, cellTopic, verifyTripRecord } from '../../protocol/index.js'
import { signedBy, vehicleOffer } from '../fixtures/forged-gossip.js'
import { waitFor } from '../fixtures/wait-for.js'
import { CITY, Swarm, rideTimings } from './roles-fixtures.js'
import type { Driver, HitchNode, Rider } from '../../node/index.js'
import type { Libp2pNetwork } from '../../node/network/index.js'
import type { HitchMessage } from '../../protocol/index.js'
import type { PrivateKey } from '@libp2p/interface'

describe('integration: adversarial gossip on a cell topic', function () {
  this.timeout(60_000)
  const swarm = new Swarm('tcp')
  const cell = cellOf(CITY.center.lat, CITY.center.lon)
  const topic = cellTopic(cell)
  let driver: Driver
  let third: HitchNode
  let rider: Rider
  let attacker: Libp2pNetwork
  let attackerKey: PrivateKey

  before(async () => {
    await swarm.init()
    driver = await swarm.driver({ position: CITY.center, seats: 2 })
    // an honest bystander in the same cell, connected to the driver only
    third = await swarm.node({ bootstrap: swarm.nodeOf(driver).addresses() })
    third.network.subscribe(topic)
    rider = await swarm.rider()
    // a raw libp2p peer: the Hitch stack without any validator, dialing the driver only
    attackerKey = await generateKeyPair('secp256k1')
    attacker = await createNetwork({ privateKey: attackerKey, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], loopbackFriendly: true, dht: false })
    await attacker.start()
    await attacker.dial(swarm.nodeOf(driver).addresses()[0])
    await waitFor(() => attacker.topicPeers(topic).includes(driver.peerId), { what: 'the attacker sees the driver on the topic' })
    await waitFor(() => (swarm.nodeOf(driver).network as Libp2pNetwork).meshPeers(topic).includes(third.peerId), { what: 'the third node in the driver\'s mesh' })
  })
  after(async () => {
    await attacker?.stop()
    await swarm.stop()
  })

  const offer = (vehicle?: string): HitchMessage => vehicleOffer(cell, swarm.clock.now(), vehicle)
  const sign = async (message: HitchMessage, now = swarm.clock.now()): Promise<Uint8Array> => await signedBy(attackerKey, message, now)

  it('delivers none of malformed, unsigned, badly signed, expired, replayed, oversized or exact-point messages, nor forwards them', async () => {
    const fromAttacker = (node: HitchNode): Uint8Array[] => {
      const got: Uint8Array[] = []
      node.network.onMessage(m => { if (m.from === attacker.peerId) got.push(m.data) })
      return got
    }
    const atDriver = fromAttacker(swarm.nodeOf(driver))
    const atThird = fromAttacker(third)
    const thirdBefore = third.network.stats().gossip
    const requestsHeard: string[] = []
    driver.on('request', r => { requestsHeard.push(r.requestId) })

    // a valid message first: the path attacker -> driver -> third works
    const control = await sign(offer())
    await attacker.publish(topic, control)
    await waitFor(() => atThird.length === 1 && atDriver.length === 1, { what: 'the valid control offer everywhere' })
    const before = swarm.nodeOf(driver).network.stats().gossip

    const valid = await sign(offer())
    const unsigned = Envelope.encode({ ...Envelope.decode(valid), signature: new Uint8Array(0) })
    const badSignature = valid.slice()
    badSignature[badSignature.length - 1] ^= 0xff
    const request: HitchMessage = {
      type: 'ride-request',
      body: {
        requestId: 'evil', pickupCell: cell, dropoffCell: cell, seats: 1, latestPickupAt: Math.floor(swarm.clock.now()) + 60_000,
        maxPrice: '100000', expiresAt: Math.floor(swarm.clock.now()) + 60_000, currency: 'usd-cent'
      }
    }
    const attacks: Array<[string, Uint8Array, 'rejected' | 'ignored']> = [
      ['malformed', randomBytes(200), 'rejected'],
      ['unsigned', unsigned, 'rejected'],
      ['badly signed', badSignature, 'rejected'],
      ['expired', await sign(request, Math.floor(swarm.clock.now()) - 3_600_000), 'ignored'],
      ['replayed', control, 'ignored'],
      ['oversized', await sign(offer('x'.repeat(5000))), 'rejected'],
      ['exact points on gossip', await sign({ type: 'reveal', body: { requestId: 'evil', quoteId: 'q', pickup: CITY.west, dropoff: CITY.east } }), 'rejected']
    ]
    expect(unsigned.byteLength).to.be.lessThan(valid.byteLength - 60)
    for (const [, bytes] of attacks) {
      await attacker.publish(topic, bytes)
    }
    // a second valid message after the attacks: once it is through, the attacks were judged
    await attacker.publish(topic, await sign(offer()))
    await waitFor(() => atThird.length === 2 && atDriver.length === 2, { what: 'the second control offer everywhere' })
    await waitFor(() => {
      const s = swarm.nodeOf(driver).network.stats().gossip
      return s.rejected + s.ignored - before.rejected - before.ignored >= attacks.length
    }, { what: 'every attack judged by the driver' })

    const after = swarm.nodeOf(driver).network.stats().gossip
    expect(after.rejected - before.rejected).to.equal(attacks.filter(a => a[2] === 'rejected').length)
    expect(after.ignored - before.ignored).to.equal(attacks.filter(a => a[2] === 'ignored').length)
    // nothing but the two valid offers reached the driver's application or the third node
    expect(atDriver).to.have.length(2)
    expect(atThird).to.have.length(2)
    expect(requestsHeard).to.deep.equal([])
    const thirdAfter = third.network.stats().gossip
    expect(thirdAfter.rejected + thirdAfter.ignored).to.equal(thirdBefore.rejected + thirdBefore.ignored)
  })

  it('still completes an honest ride', async () => {
    const result = await rider.requestRide({ from: CITY.west, to: CITY.north, ...rideTimings() })
    expect(result.driver).to.equal(driver.peerId)
    expect((await verifyTripRecord(result.record)).ok).to.equal(true)
  })
})
