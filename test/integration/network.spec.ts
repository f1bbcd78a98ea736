import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork } from '../../node/libp2p/index.js'
import { cidForKey, NetworkError } from '../../node/network/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import type { CreateNetworkInit } from '../../node/libp2p/index.js'
import type { GossipMessage, Libp2pNetwork } from '../../node/network/index.js'

const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

async function tcpNode (extra: Partial<CreateNetworkInit> = {}): Promise<Libp2pNetwork> {
  const network = await createNetwork({
    privateKey: await generateKeyPair('secp256k1'),
    transport: 'tcp',
    listen: LOOPBACK,
    loopbackFriendly: true,
    ...extra
  })
  await network.start()
  return network
}

function inbox (network: Libp2pNetwork): GossipMessage[] {
  const got: GossipMessage[] = []
  network.onMessage(m => got.push(m))
  return got
}

async function errorOf (p: Promise<unknown>): Promise<NetworkError> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  expect(err, 'expected a rejection').to.be.instanceOf(NetworkError)
  return err as NetworkError
}

describe('integration: network over TCP on 127.0.0.1', function () {
  this.timeout(60_000)
  const nodes: Libp2pNetwork[] = []

  after(async () => {
    await Promise.all(nodes.map(async n => n.stop()))
  })

  describe('three nodes through a bootstrap node', () => {
    let boot: Libp2pNetwork
    let a: Libp2pNetwork
    let c: Libp2pNetwork
    const topic = '/hitch/1/cell/8a2a1072b59ffff'

    before(async () => {
      boot = await tcpNode({ dht: false })
      nodes.push(boot)
      a = await tcpNode({ dht: false, bootstrap: boot.addresses() })
      c = await tcpNode({ dht: false, bootstrap: boot.addresses() })
      nodes.push(a, c)
    })

    it('connects both peers to the bootstrap node', async () => {
      await waitFor(() => a.connectedPeers().includes(boot.peerId) && c.connectedPeers().includes(boot.peerId), { what: 'bootstrap connections' })
      await waitFor(() => [a.peerId, c.peerId].every(p => boot.connectedPeers().includes(p)), { what: 'inbound connections at boot' })
    })

    it('delivers gossip on a /hitch/1/cell topic to every subscriber', async () => {
      const atBoot = inbox(boot)
      const atC = inbox(c)
      const atA = inbox(a)
      for (const n of [boot, a, c]) n.subscribe(topic)
      await waitFor(() => boot.meshPeers(topic).includes(c.peerId) && a.topicPeers(topic).includes(boot.peerId), { what: 'mesh' })

      await a.publish(topic, enc('offer-1'))
      await waitFor(() => atC.some(m => dec(m.data) === 'offer-1'), { what: 'offer at C' })
      await waitFor(() => atBoot.some(m => dec(m.data) === 'offer-1'), { what: 'offer at boot' })
      const m = atC.find(m => dec(m.data) === 'offer-1')!
      expect(m.topic).to.equal(topic)
      expect(m.from).to.equal(a.peerId)
      // no echo to the publisher
      expect(atA).to.have.length(0)
      expect(a.stats().gossip.messagesOut).to.equal(1)
      expect(c.stats().gossip.messagesIn).to.be.at.least(1)
    })
  })
})
