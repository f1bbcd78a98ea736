/**
 * Issue 9, "Flooding": twenty thousand validly signed ride requests from one peer, or from 200
 * fresh keys, made honest rides fail while the flood lasted. Here a real driver serves a real
 * rider while an attacker floods it at its maximum rate (fewer messages than the issue's, to
 * keep the test short: the bench, `npm run bench -- abuse`, runs the full floods). What must
 * hold: the roles hear a bounded number of the attacker's messages whatever the flood's size,
 * the attacker that floods its own messages is graylisted, and the honest ride completes.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { createRawPeer, openGossipStream, rpcFrame, signedMessage } from '../../bench/attacks/raw-gossip.js'
import { createNetwork } from '../../node/network/index.js'
import { libsecp256k1Signatures } from '../../node/signatures/index.js'
import { Cancel, RIDE_PROTOCOL, cellOf, cellTopic, signEnvelope, verifyTripRecord } from '../../protocol/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import { CITY, Swarm, rideTimings } from './roles-fixtures.js'
import type { Driver, Rider } from '../../node/index.js'
import type { Libp2pNetwork } from '../../node/network/index.js'
import type { HitchMessage } from '../../protocol/index.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

const cell = cellOf(CITY.center.lat, CITY.center.lon)
const topic = cellTopic(cell)
const signer = libsecp256k1Signatures().sign

describe('integration: a driver serving a rider under a flood (issue 9, flooding)', function () {
  this.timeout(180_000)
  const swarm = new Swarm('tcp')
  let driver: Driver
  let rider: Rider
  /** gossip the driver's node delivered to its roles, by signer */
  const heard = new Map<string, number>()
  /** direct messages the driver's node handed to its roles, by sender */
  const directs = new Map<string, number>()

  before(async () => {
    await swarm.init()
    driver = await swarm.driver({ position: CITY.center, seats: 4 })
    swarm.nodeOf(driver).onGossip(g => { const s = g.envelope.sender.toString(); heard.set(s, (heard.get(s) ?? 0) + 1) })
    swarm.nodeOf(driver).onDirect(from => { directs.set(from, (directs.get(from) ?? 0) + 1); return undefined })
    rider = await swarm.rider()
  })
  after(async () => { await swarm.stop() })

  const request = (i: number): HitchMessage => ({
    type: 'ride-request',
    body: {
      requestId: `flood-${i}`,
      pickupCell: cell,
      dropoffCell: cell,
      seats: 1,
      latestPickupAt: Math.floor(swarm.clock.now()) + 600_000,
      maxPrice: '100000000',
      expiresAt: Math.floor(swarm.clock.now()) + 500_000,
      currency: 'usd-cent'
    }
  })
  const envelope = async (key: PrivateKey, message: HitchMessage): Promise<Uint8Array> =>
    signEnvelope(key, message, { now: Math.floor(swarm.clock.now()), ttlMs: 500_000, nonce: randomBytes(16), signer })
  const heardFrom = (keys: PrivateKey[]): number => keys.reduce((n, k) => n + (heard.get(peerIdFromPrivateKey(k).toString()) ?? 0), 0)

  const honestRide = async (): Promise<void> => {
    const result = await rider.requestRide({ from: CITY.west, to: CITY.north, ...rideTimings() })
    expect(result.driver).to.equal(driver.peerId)
    expect((await verifyTripRecord(result.record)).ok).to.equal(true)
  }

  it('3,000 requests one peer signs and publishes itself: the roles hear at most a burst of them, the peer is graylisted, the honest ride completes', async () => {
    const key = await generateKeyPair('secp256k1')
    const attacker = await createNetwork({ privateKey: key, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], loopbackFriendly: true, dht: false })
    await attacker.start()
    try {
      attacker.subscribe(topic)
      await attacker.dial(swarm.nodeOf(driver).addresses()[0])
      await waitFor(() => attacker.topicPeers(topic).includes(driver.peerId), { what: 'the attacker sees the driver on the topic' })
      const envelopes = await Promise.all(Array.from({ length: 3_000 }, async (_, i) => envelope(key, request(i))))
      const started = performance.now()
      const flood = (async () => {
        for (const e of envelopes) await attacker.publish(topic, e).catch(() => {})
      })()
      await honestRide()
      await flood
      const seconds = (performance.now() - started) / 1000
      // a signer's budget: a burst of 10, then 2 a second
      expect(heardFrom([key])).to.be.at.most(10 + Math.ceil(2 * seconds) + 2)
      const score = (swarm.nodeOf(driver).network as Libp2pNetwork).libp2p.services.pubsub as unknown as { getScore: (p: string) => number }
      expect(score.getScore(attacker.peerId)).to.be.below(-80)
    } finally {
      await attacker.stop()
    }
  })

  it('2,000 requests of 200 fresh keys behind one peer, each message authored by its own key: the roles hear at most the neighbour\'s budget, the honest ride completes', async () => {
    const keys = await Promise.all(Array.from({ length: 200 }, async () => generateKeyPair('secp256k1')))
    const peer: Libp2p = await createRawPeer(await generateKeyPair('Ed25519'))
    await peer.start()
    try {
      const stream = await openGossipStream(peer, swarm.nodeOf(driver).addresses()[0], [topic])
      const messages = await Promise.all(Array.from({ length: 2_000 }, async (_, i) => signedMessage(keys[i % keys.length], topic, await envelope(keys[i % keys.length], request(10_000 + i)))))
      const started = performance.now()
      const flood = (async () => {
        for (let i = 0; i < messages.length; i += 50) await stream.write(rpcFrame(messages.slice(i, i + 50)))
      })()
      await honestRide()
      await flood
      // let the driver judge what it already read
      await new Promise(resolve => setTimeout(resolve, 500))
      const seconds = (performance.now() - started) / 1000
      // a neighbour's budget: a burst of 200, then 50 a second
      expect(heardFrom(keys)).to.be.at.most(200 + Math.ceil(50 * seconds) + 10)
      expect((swarm.nodeOf(driver).network.stats().limited?.gossipSource ?? 0)).to.be.greaterThan(0)
      await stream.close()
    } finally {
      await peer.stop()
    }
  })

  it('3,000 direct requests from one peer at its maximum rate: the roles get at most the peer\'s budget, the honest ride completes', async () => {
    const key = await generateKeyPair('secp256k1')
    const attacker = await createNetwork({ privateKey: key, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], loopbackFriendly: true, dht: false })
    await attacker.start()
    try {
      await attacker.dial(swarm.nodeOf(driver).addresses()[0])
      const cancel = (i: number): HitchMessage => ({ type: 'cancel', body: { requestId: `flood-${i}`, reason: Cancel.Reason.RIDER_CANCELLED, note: '' } })
      const bodies = await Promise.all(Array.from({ length: 3_000 }, async (_, i) => envelope(key, cancel(i))))
      const started = performance.now()
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < bodies.length) {
          const body = bodies[next++]
          await attacker.request(driver.peerId, RIDE_PROTOCOL, body, { timeoutMs: 5_000 }).catch(() => {})
        }
      }
      // eight at once: yamux aborts a whole connection whose peer opens more than ten streams
      // it has not acknowledged yet (its `maxEarlyStreams`), which would end the flood, not test it
      const flood = Promise.all(Array.from({ length: 8 }, worker))
      await honestRide()
      await flood
      const seconds = (performance.now() - started) / 1000
      // a peer's budget on a protocol: a burst of 100, then 50 a second
      expect(directs.get(attacker.peerId) ?? 0).to.be.at.most(100 + Math.ceil(50 * seconds) + 5)
      expect(swarm.nodeOf(driver).network.stats().limited?.requests ?? 0).to.be.greaterThan(0)
    } finally {
      await attacker.stop()
    }
  })
})
