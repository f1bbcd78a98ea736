import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork } from '../../node/network/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import type { Libp2pNetwork } from '../../node/network/index.js'

const N = 20

describe('integration: 20 nodes over the memory transport', function () {
  this.timeout(120_000)
  const nodes: Libp2pNetwork[] = []
  const topic = '/hitch/1/cell/memory-city'
  const received = new Map<string, Set<string>>()

  before(async () => {
    for (let i = 0; i < N; i++) {
      const network = await createNetwork({
        privateKey: await generateKeyPair('secp256k1'),
        transport: 'memory',
        dht: false,
        loopbackFriendly: true,
        logPrefix: `mem-${i}`
      })
      await network.start()
      nodes.push(network)
      const seen = new Set<string>()
      received.set(network.peerId, seen)
      network.onMessage(m => { if (m.topic === topic) seen.add(new TextDecoder().decode(m.data)) })
    }
    // a sparse, connected graph: each node dials its predecessor and the node
    // at half its index, so gossip needs several hops
    for (let i = 1; i < N; i++) {
      await nodes[i].dial(nodes[i - 1].addresses()[0])
      const j = Math.floor(i / 2)
      if (j !== i - 1) {
        await nodes[i].dial(nodes[j].addresses()[0])
      }
    }
    for (const n of nodes) n.subscribe(topic)
    await waitFor(() => nodes.every(n => n.meshPeers(topic).length > 0), { what: 'every node in a mesh', timeoutMs: 30_000 })
  })

  after(async () => {
    await Promise.all(nodes.map(async n => n.stop()))
  })

  it('listens on memory addresses', () => {
    expect(nodes[0].addresses()[0]).to.match(/^\/memory\/.+\/p2p\//)
  })

  it('gossip from one end reaches all other subscribers', async () => {
    await nodes[N - 1].publish(topic, new TextEncoder().encode('ride-request-1'))
    await waitFor(() => nodes.slice(0, N - 1).every(n => received.get(n.peerId)!.has('ride-request-1')), { what: 'delivery to all 19', timeoutMs: 30_000 })
    expect(received.get(nodes[N - 1].peerId)!.has('ride-request-1')).to.equal(false)
  })

  it('gossip from the middle too, with a validator on every node', async () => {
    for (const n of nodes) n.setValidator(async (_t, _from, data) => new TextDecoder().decode(data).startsWith('ride-') ? 'accept' : 'reject')
    await nodes[7].publish(topic, new TextEncoder().encode('junk'))
    await nodes[7].publish(topic, new TextEncoder().encode('ride-request-2'))
    const others = nodes.filter((_, i) => i !== 7)
    await waitFor(() => others.every(n => received.get(n.peerId)!.has('ride-request-2')), { what: 'delivery to all 19', timeoutMs: 30_000 })
    expect(nodes.some(n => received.get(n.peerId)!.has('junk'))).to.equal(false)
    // only 7's direct neighbours ever saw the junk: nobody forwarded it
    const rejecters = nodes.filter(n => n.stats().gossip.rejected > 0).length
    expect(rejecters).to.be.within(1, nodes[7].connectedPeers().length)
  })
})
