import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { libsecp256k1Signatures } from '../../node/index.js'
import { createNetwork } from '../../node/network/index.js'
import { cellOf, cellTopic, signEnvelope } from '../../protocol/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import { CITY, Swarm, real, rideTimings } from './roles-fixtures.js'
import type { Driver, Rider } from '../../node/index.js'
import type { Libp2pNetwork } from '../../node/network/index.js'
import type { PrivateKey } from '@libp2p/interface'

/** Clock speed-up of this test: the flood takes a few real seconds, a minute or so of clock. */
const SPEED = 10
/** The driver's budget of insertion checks per clock second, low so that the flood exceeds it. */
const CHECKS_PER_S = 20
const FLOOD = 20_000

/*
 * Attack (issue 9, "flooding", the roles' own bound): 20,000 validly signed ride requests, from
 * one peer or from 200 fresh keys, made honest rides fail while the flood lasted: the driver
 * ran an insertion check and sent a quote for every one. The network layer rate-limits gossip
 * (another part of the issue); whatever gets through, the driver bounds its own work (checks per
 * clock second, a quota of new requests per requester, one place per requester in a fair line)
 * and every per-peer map, and keeps serving an honest rider who re-publishes its request.
 */
describe('attack: a flood of validly signed requests at a driver (libp2p nodes, memory transport)', function () {
  this.timeout(300_000)
  const swarm = new Swarm('memory', SPEED)
  const cell = cellOf(CITY.center.lat, CITY.center.lon)
  const topic = cellTopic(cell)
  const signatures = libsecp256k1Signatures()
  let driver: Driver
  let rider: Rider
  let attacker: Libp2pNetwork

  before(async () => {
    await swarm.init()
    driver = await swarm.driver({ position: CITY.center, seats: 4, checksPerS: CHECKS_PER_S })
    rider = await swarm.rider()
    // a raw libp2p peer: publishes envelopes signed by keys of its choosing (its own libp2p key
    // is Ed25519, whose gossipsub signatures Node's native crypto makes fast: the flood is
    // limited by what the driver does with it, not by the attacker's signing)
    attacker = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), transport: 'memory', loopbackFriendly: true, dht: false })
    await attacker.start()
    await attacker.dial(swarm.nodeOf(driver).addresses()[0])
    attacker.subscribe(topic)
    await waitFor(() => attacker.topicPeers(topic).includes(driver.peerId), { what: 'the attacker sees the driver on the topic' })
  })
  after(async () => {
    await attacker?.stop()
    await swarm.stop()
  })

  /** Publishes `count` distinct requests, signed in turn by `keys`, as fast as the attacker can. */
  async function flood (keys: PrivateKey[], count: number): Promise<void> {
    const now = Math.floor(swarm.clock.now())
    for (let i = 0; i < count; i += 200) {
      const batch: Array<Promise<unknown>> = []
      for (let j = i; j < Math.min(count, i + 200); j++) {
        const data = await signEnvelope(keys[j % keys.length], {
          type: 'ride-request',
          body: {
            requestId: `flood-${j}`, pickupCell: cell, dropoffCell: cell, seats: 1, latestPickupAt: now + 600_000,
            maxPrice: '100000000', expiresAt: now + 300_000, currency: 'usd-cent'
          }
        }, { now, ttlMs: 300_000, nonce: randomBytes(16), signer: signatures.sign })
        batch.push(attacker.publish(topic, data).catch(() => {}))
      }
      await Promise.all(batch)
      // let the streams drain (gossipsub drops what overflows its outbound buffer): as fast as
      // one process can sign and send and still have it arrive
      await new Promise(resolve => setTimeout(resolve, 20))
    }
  }

  for (const [name, keyCount] of [['one peer', 1], ['200 fresh keys', 200]] as const) {
    it(`${FLOOD.toLocaleString('en')} requests from ${name}: an honest rider is served, the driver's work and maps stay bounded`, async () => {
      const keys = await Promise.all(Array.from({ length: keyCount }, async () => generateKeyPair('secp256k1')))
      const flooders = new Set(keys.map(k => peerIdFromPrivateKey(k).toString()))
      let quotesToFlood = 0
      // a driver announces each request it checks (an insertion check) once
      let checkedFlood = 0
      const off = driver.on('quote', q => { if (flooders.has(q.rider)) quotesToFlood++ })
      const offRequest = driver.on('request', r => { if (flooders.has(r.rider)) checkedFlood++ })
      const before = driver.stats()
      const start = swarm.clock.now()
      const diag: string[] = []
      const at = (): string => ((swarm.clock.now() - start) / 1000).toFixed(0)
      const offs = [
        rider.on('requested', e => { diag.push(`requested@${at()} (${e.recipients} recipients)`) }),
        rider.on('quote', () => { diag.push(`quote@${at()}`) }),
        rider.on('declined', e => { diag.push(`declined@${at()} ${e.reason}`) }),
        rider.on('confirmed', () => { diag.push(`confirmed@${at()}`) }),
        driver.on('request', e => { if (!flooders.has(e.rider)) diag.push(`driver-checked@${at()}`) }),
        rider.on('update', e => { if (e.phase !== 'position') diag.push(`${e.phase}@${at()}`) })
      ]
      try {
        // a short ride in the driver's own cell: the flood is what is tested, not the trip
        const ride = rider.requestRide({ from: CITY.center, to: { lat: CITY.center.lat + 0.003, lon: CITY.center.lon }, ...rideTimings(SPEED), timeoutMs: real(120_000, SPEED) })
        await flood(keys, FLOOD)
        diag.push(`flood-done@${((swarm.clock.now() - start) / 1000).toFixed(0)}`)
        const result = await ride
        expect(result.driver).to.equal(driver.peerId)

        const after = driver.stats()
        const elapsedS = (swarm.clock.now() - start) / 1000
        // a quota of new requests per requester: 4 each, whatever it sends
        expect(checkedFlood).to.be.at.most(4 * keyCount)
        expect(quotesToFlood).to.be.at.most(4 * keyCount)
        expect(checkedFlood).to.be.at.most(CHECKS_PER_S * elapsedS + CHECKS_PER_S)
        // at most the budget of checks per clock second (plus one burst)
        expect(after.checked - before.checked).to.be.at.most(CHECKS_PER_S * elapsedS + CHECKS_PER_S)
        // and bounded maps
        expect(after.seen).to.be.at.most(8_192)
        expect(after.waiting).to.be.at.most(1_024)
        expect(after.quoted).to.be.at.most(512)
        expect(after.requesters).to.be.at.most(8_192)
        process.stdout.write(`      ${name}: heard ${after.heard - before.heard}, checked ${after.checked - before.checked} in ${elapsedS.toFixed(0)} clock s, ` +
          `over quota ${after.overQuota - before.overQuota}, dropped ${after.dropped - before.dropped}, flood requests checked ${checkedFlood}, ` +
          `quotes to the flood ${quotesToFlood}; the honest rider: ${diag.filter(d => !d.startsWith('requested')).join(' ')}\n`)
      } catch (err) {
        // what happened when, in clock s from the start, for whoever reads a failure
        process.stdout.write(`      ${name}: ${JSON.stringify(driver.stats())}; ${diag.join(' ')}\n`)
        throw err
      } finally {
        off()
        offRequest()
        offs.forEach(f => f())
      }
    })
  }
})
