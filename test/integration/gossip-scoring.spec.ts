/**
 * Issue 9, "Gossipsub scoring": a REJECT verdict never lowered the sender's score (no topic
 * score parameters were set), 16 sybil peer ids on one IP poisoned that IP for the honest
 * peers on it, and an envelope's signer was not tied to the gossipsub author that sent it.
 * Real libp2p nodes over TCP on 127.0.0.1.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork } from '../../node/network/index.js'
import { cellOf, cellTopic } from '../../protocol/index.js'
import { signedBy, vehicleOffer } from '../fixtures/forged-gossip.js'
import { waitFor } from '../fixtures/wait-for.js'
import { CITY, Swarm } from './roles-fixtures.js'
import type { HitchNode } from '../../node/index.js'
import type { Libp2pNetwork } from '../../node/network/index.js'
import type { HitchMessage } from '../../protocol/index.js'
import type { PrivateKey } from '@libp2p/interface'

/** gossipsub's own view of a peer's score (read from the router, not from our code) */
function scoreOf (at: Libp2pNetwork, peer: string): number {
  return (at.libp2p.services.pubsub as unknown as { getScore: (p: string) => number }).getScore(peer)
}

/** gossipsub's default graylist threshold: below it, a peer's RPCs are dropped unread */
const GRAYLIST = -80

const cell = cellOf(CITY.center.lat, CITY.center.lon)
const topic = cellTopic(cell)

describe('integration: gossipsub scoring of Hitch topics (issue 9)', function () {
  this.timeout(90_000)

  describe('a peer that sends what Hitch rejects', () => {
    const swarm = new Swarm('tcp')
    let victim: HitchNode
    let honest: HitchNode
    let attacker: Libp2pNetwork
    let attackerKey: PrivateKey
    /** a key that is not the attacker's gossipsub identity */
    let stranger: PrivateKey
    const heardAtVictim: string[] = []

    const offer = (vehicle: string): HitchMessage => vehicleOffer(cell, swarm.clock.now(), vehicle)
    const sign = async (key: PrivateKey, message: HitchMessage): Promise<Uint8Array> => await signedBy(key, message, swarm.clock.now())

    before(async () => {
      await swarm.init()
      victim = await swarm.node({ bootstrap: [] })
      honest = await swarm.node({ bootstrap: [] })
      attackerKey = await generateKeyPair('secp256k1')
      stranger = await generateKeyPair('secp256k1')
      attacker = await createNetwork({ privateKey: attackerKey, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], loopbackFriendly: true, dht: false })
      await attacker.start()
      for (const n of [victim.network, honest.network, attacker]) n.subscribe(topic)
      victim.onGossip(g => { heardAtVictim.push(String((g.envelope.message.body as { vehicle?: string }).vehicle)) })
      await honest.network.dial(victim.addresses()[0])
      await attacker.dial(victim.addresses()[0])
      const v = victim.network as Libp2pNetwork
      await waitFor(() => v.meshPeers(topic).includes(honest.peerId) && v.meshPeers(topic).includes(attacker.peerId), { what: 'both peers in the victim\'s mesh' })
    })
    after(async () => {
      await attacker?.stop()
      await swarm.stop()
    })

    it('rejects an envelope whose signer is not the gossipsub author that sent it', async () => {
      const v = victim.network as Libp2pNetwork
      const before = v.stats().gossip.rejected
      await attacker.publish(topic, await sign(stranger, offer('forged-0')))
      await waitFor(() => v.stats().gossip.rejected + v.stats().gossip.messagesIn > before, { what: 'a verdict at the victim' })
      expect(v.stats().gossip.rejected).to.equal(before + 1)
      expect(heardAtVictim).to.not.include('forged-0')
    })

    it('lowers the score of the sender at each reject until it is graylisted and pruned; the honest peer stays meshed', async () => {
      const v = victim.network as Libp2pNetwork
      // the honest peer delivers a first message (P2 rewards it)
      await honest.publish(topic, offer('honest-1'))
      await waitFor(() => heardAtVictim.includes('honest-1'), { what: 'the honest offer' })
      const before = v.stats().gossip.rejected
      const valid = await sign(attackerKey, offer('bad'))
      const badlySigned = Array.from({ length: 4 }, (_, i) => {
        const b = valid.slice()
        b[b.length - 1 - i] ^= 0xff
        return b
      })
      for (const bytes of badlySigned) await attacker.publish(topic, bytes)
      await waitFor(() => v.stats().gossip.rejected - before >= 4, { what: 'rejects at the victim' })
      await waitFor(() => scoreOf(v, attacker.peerId) < GRAYLIST, { what: 'the attacker\'s score below the graylist threshold', timeoutMs: 15_000 })
      await waitFor(() => !v.meshPeers(topic).includes(attacker.peerId), { what: 'the attacker pruned from the mesh', timeoutMs: 15_000 })
      expect(v.meshPeers(topic)).to.include(honest.peerId)
      expect(scoreOf(v, honest.peerId)).to.be.at.least(0)
    })

    it('drops everything a graylisted peer sends, unread; an honest peer\'s messages still arrive', async () => {
      const v = victim.network as Libp2pNetwork
      const rejected = v.stats().gossip.rejected
      await attacker.publish(topic, await sign(attackerKey, offer('attacker-valid')))
      await attacker.publish(topic, await sign(stranger, offer('forged-again')))
      await honest.publish(topic, offer('honest-2'))
      await waitFor(() => heardAtVictim.includes('honest-2'), { what: 'the honest offer at the victim' })
      // the attacker's RPCs were dropped before validation: no verdict, no delivery
      expect(heardAtVictim.includes('attacker-valid')).to.equal(false)
      expect(v.stats().gossip.rejected).to.equal(rejected)
    })
    it('keeps a graylisted peer graylisted when it disconnects and comes back', async () => {
      const v = victim.network as Libp2pNetwork
      expect(scoreOf(v, attacker.peerId)).to.be.below(GRAYLIST)
      await attacker.hangUp(victim.peerId)
      await waitFor(() => !v.connectedPeers().includes(attacker.peerId), { what: 'the attacker gone' })
      await attacker.dial(victim.addresses()[0])
      await waitFor(() => v.topicPeers(topic).includes(attacker.peerId) || v.connectedPeers().includes(attacker.peerId), { what: 'the attacker back' })
      // gossipsub's own PeerScore.addPeer replaced the retained (negative) stats with fresh ones
      await new Promise(resolve => setTimeout(resolve, 1_500))
      expect(scoreOf(v, attacker.peerId)).to.be.below(GRAYLIST)
      await attacker.publish(topic, await sign(attackerKey, offer('after-reconnect')))
      await honest.publish(topic, offer('honest-3'))
      await waitFor(() => heardAtVictim.includes('honest-3'), { what: 'the honest offer at the victim' })
      expect(heardAtVictim).to.not.include('after-reconnect')
    })
  })

  describe('16 sybil peer ids on one IP address, with an honest peer on it', () => {
    let victim: Libp2pNetwork
    const peers: Libp2pNetwork[] = []

    before(async () => {
      // production scoring: IP colocation on (not loopback-friendly), but enough connection
      // room for 17 peers from 127.0.0.1
      victim = await createNetwork({
        privateKey: await generateKeyPair('secp256k1'),
        transport: 'tcp',
        listen: ['/ip4/127.0.0.1/tcp/0'],
        dht: false,
        connectionManager: { maxConnections: 100, inboundConnectionThreshold: 1_000, maxIncomingPendingConnections: 100 }
      })
      await victim.start()
      victim.subscribe(topic)
      for (let i = 0; i < 17; i++) {
        const p = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], loopbackFriendly: true, dht: false })
        await p.start()
        p.subscribe(topic)
        await p.dial(victim.addresses()[0])
        peers.push(p)
      }
      await waitFor(() => peers.every(p => victim.topicPeers(topic).includes(p.peerId)), { what: 'all 17 peers on the topic at the victim' })
    })
    after(async () => {
      await Promise.all(peers.map(async p => p.stop()))
      await victim?.stop()
    })

    it('does not poison the honest peer: its score stays above every threshold and it still gets the victim\'s messages', async () => {
      const honest = peers[16]
      const got: string[] = []
      honest.onMessage(m => { got.push(new TextDecoder().decode(m.data)) })
      // scores are recomputed on gossipsub's heartbeat
      await new Promise(resolve => setTimeout(resolve, 2_500))
      for (const p of peers) {
        expect(scoreOf(victim, p.peerId), p.peerId).to.be.at.least(0)
      }
      await victim.publish(topic, new TextEncoder().encode('to everyone'))
      await waitFor(() => got.includes('to everyone'), { what: 'the victim\'s message at the honest peer' })
    })
  })
})
