import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork } from '../../node/network/index.js'
import { cidForKey, NetworkError } from '../../node/network/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import type { CreateNetworkInit } from '../../node/network/index.js'
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

  describe('validation in a line A–B–C', () => {
    let a: Libp2pNetwork
    let b: Libp2pNetwork
    let c: Libp2pNetwork
    const topic = '/hitch/1/cell/line'

    before(async () => {
      // no DHT: its self-queries would connect A and C directly
      a = await tcpNode({ dht: false })
      b = await tcpNode({ dht: false })
      c = await tcpNode({ dht: false })
      nodes.push(a, b, c)
      await a.dial(b.addresses()[0])
      await c.dial(b.addresses()[0])
    })

    it('a rejected message is neither delivered at B nor forwarded to C; an accepted one reaches C', async () => {
      const seenByValidator: string[] = []
      b.setValidator((t, from, data) => {
        seenByValidator.push(`${from}:${dec(data)}`)
        return dec(data).startsWith('bad') ? 'reject' : 'accept'
      })
      const atB = inbox(b)
      const atC = inbox(c)
      for (const n of [a, b, c]) n.subscribe(topic)
      await waitFor(() => b.meshPeers(topic).includes(c.peerId) && b.meshPeers(topic).includes(a.peerId) && a.topicPeers(topic).includes(b.peerId), { what: 'line mesh' })
      expect(a.connectedPeers()).to.not.include(c.peerId)

      await a.publish(topic, enc('bad-1'))
      // B has decided before the good message exists, so had it forwarded
      // bad-1, C would receive it first on the same stream
      await waitFor(() => b.stats().gossip.rejected === 1, { what: 'B to reject bad-1' })
      await a.publish(topic, enc('good-1'))
      await waitFor(() => atC.some(m => dec(m.data) === 'good-1'), { what: 'good-1 at C' })

      expect(atC.map(m => dec(m.data))).to.deep.equal(['good-1'])
      expect(atB.map(m => dec(m.data))).to.deep.equal(['good-1'])
      expect(seenByValidator).to.deep.equal([`${a.peerId}:bad-1`, `${a.peerId}:good-1`])
      expect(b.stats().gossip.rejected).to.equal(1)
    })

    it('a validator that throws ignores the message; a GossipValidationError picks the verdict', async () => {
      const { GossipValidationError } = await import('../../node/network/index.js')
      b.setValidator((t, from, data) => {
        const text = dec(data)
        if (text === 'oops') throw new RangeError('bug in validator')
        if (text === 'spam') throw new GossipValidationError('reject', 'spam')
        return 'accept'
      })
      const atC = inbox(c)
      const before = b.stats().gossip
      await a.publish(topic, enc('oops'))
      await a.publish(topic, enc('spam'))
      await waitFor(() => b.stats().gossip.ignored === before.ignored + 1 && b.stats().gossip.rejected === before.rejected + 1, { what: 'verdicts at B' })
      await a.publish(topic, enc('good-2'))
      await waitFor(() => atC.some(m => dec(m.data) === 'good-2'), { what: 'good-2 at C' })
      expect(atC.map(m => dec(m.data))).to.deep.equal(['good-2'])
    })
  })

  describe('request/response', () => {
    let client: Libp2pNetwork
    let server: Libp2pNetwork
    const ECHO = '/hitch/test/echo/1.0.0'
    const HANG = '/hitch/test/hang/1.0.0'
    const SILENT = '/hitch/test/silent/1.0.0'
    let hanging = 0

    before(async () => {
      client = await tcpNode({ dht: false })
      server = await tcpNode({ dht: false })
      nodes.push(client, server)
      await server.handle(ECHO, async (req) => enc(`${req.from}:${dec(req.data).toUpperCase()}`))
      await server.handle(HANG, async (_req, { signal }) => {
        hanging++
        await new Promise((resolve) => signal.addEventListener('abort', resolve))
        return enc('too late')
      }, { timeoutMs: 400 })
      await server.handle(SILENT, async () => undefined)
      await client.dial(server.addresses()[0])
    })

    it('round-trips one request and one response, authenticating the requester', async () => {
      const res = await client.request(server.peerId, ECHO, enc('pick me up'))
      expect(dec(res)).to.equal(`${client.peerId}:PICK ME UP`)
      expect(client.stats().direct).to.include({ messagesOut: 1, messagesIn: 1, bytesOut: 10 })
      expect(server.stats().direct).to.include({ messagesIn: 1, messagesOut: 1, bytesIn: 10 })
    })

    it('serves concurrent requests on fresh streams', async () => {
      const replies = await Promise.all([1, 2, 3, 4, 5].map(async i => dec(await client.request(server.peerId, ECHO, enc(`r${i}`)))))
      expect(replies).to.deep.equal([1, 2, 3, 4, 5].map(i => `${client.peerId}:R${i}`))
    })

    it('times out when the handler hangs, and the handler is aborted by its own timeout', async () => {
      const failedBefore = server.stats().direct.failedHandlers
      const err = await errorOf(client.request(server.peerId, HANG, enc('?'), { timeoutMs: 150 }))
      expect(err.code).to.equal('ERR_REQUEST_TIMEOUT')
      await waitFor(() => server.stats().direct.failedHandlers === failedBefore + 1, { what: 'handler timeout' })
    })

    it('a hung handler times out on its side even if the requester waits longer', async () => {
      const err = await errorOf(client.request(server.peerId, HANG, enc('?'), { timeoutMs: 20_000 }))
      expect(err.code).to.equal('ERR_REQUEST_FAILED')
    })

    it('reports a handler that answers nothing, a protocol nobody serves, and an oversize response', async () => {
      expect((await errorOf(client.request(server.peerId, SILENT, enc('?')))).code).to.equal('ERR_NO_RESPONSE')
      expect((await errorOf(client.request(server.peerId, '/hitch/test/nope/1.0.0', enc('?')))).code).to.equal('ERR_NO_HANDLER')
      expect((await errorOf(client.request(server.peerId, ECHO, enc('x'.repeat(100)), { maxResponseBytes: 16 }))).code).to.equal('ERR_MESSAGE_TOO_LARGE')
    })

    it('honours the caller\'s abort signal', async () => {
      const controller = new AbortController()
      const p = errorOf(client.request(server.peerId, HANG, enc('?'), { signal: controller.signal, timeoutMs: 20_000 }))
      controller.abort()
      expect((await p).code).to.equal('ERR_REQUEST_ABORTED')
    })

    it('gives a clean error when the peer vanishes mid-request', async () => {
      const vanishing = await tcpNode({ dht: false })
      nodes.push(vanishing)
      let called = false
      await vanishing.handle(HANG, async (_req, { signal }) => {
        called = true
        await new Promise((resolve) => signal.addEventListener('abort', resolve))
        return undefined
      }, { timeoutMs: 30_000 })
      await client.dial(vanishing.addresses()[0])
      const p = client.request(vanishing.peerId, HANG, enc('?'), { timeoutMs: 30_000 })
      const settled = errorOf(p)
      await waitFor(() => called, { what: 'the request to arrive' })
      await vanishing.stop()
      const err = await settled
      expect(err.code).to.equal('ERR_REQUEST_FAILED')
      expect(hanging).to.be.greaterThan(0)
    })
  })

  describe('kad-dht provider records', () => {
    let a: Libp2pNetwork
    let b: Libp2pNetwork
    let c: Libp2pNetwork

    const routingTableSize = (n: Libp2pNetwork): number =>
      // adapter internals, for the test only: the port has no routing table
      (n.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size

    before(async () => {
      a = await tcpNode()
      b = await tcpNode()
      c = await tcpNode()
      nodes.push(a, b, c)
      await c.dial(b.addresses()[0])
      await a.dial(b.addresses()[0])
      await waitFor(() => routingTableSize(a) > 0 && routingTableSize(c) > 0, { what: 'DHT routing tables' })
    })

    it('A, connected only to B, finds C providing a cell key and dials it', async () => {
      const key = await cidForKey('/hitch/1/cell/8a2a1072b59ffff')
      await c.provide(key, { signal: AbortSignal.timeout(20_000) })

      const found: Array<{ peerId: string, addrs: string[] }> = []
      for await (const p of a.findProviders(key, { signal: AbortSignal.timeout(20_000) })) {
        found.push(p)
        if (p.peerId === c.peerId) break
      }
      const provider = found.find(p => p.peerId === c.peerId)
      expect(provider, 'C among the providers').to.not.equal(undefined)
      expect(provider!.addrs.some(ma => ma.startsWith('/ip4/127.0.0.1/tcp/'))).to.equal(true)

      await a.dial(c.peerId)
      await waitFor(() => a.connectedPeers().includes(c.peerId), { what: 'A–C connection' })
    })

    it('holds an announcement until the DHT has a peer to store it, and gives up on the caller\'s signal', async () => {
      const alone = await tcpNode()
      nodes.push(alone)
      const key = await cidForKey('/hitch/1/cell/first-peer')
      const err = await alone.provide(key, { signal: AbortSignal.timeout(300) }).then(() => null, (e: any) => e)
      expect(err, 'a lone node cannot announce').to.not.equal(null)
      // dial and announce at once: the query waits for kad-dht to add B to the routing table
      const announced = alone.provide(key, { signal: AbortSignal.timeout(20_000) })
      await alone.dial(b.addresses()[0])
      await announced
      const found: string[] = []
      for await (const p of a.findProviders(key, { signal: AbortSignal.timeout(20_000) })) found.push(p.peerId)
      expect(found).to.include(alone.peerId)
    })

    it('does not list a node among its own providers', async () => {
      const key = await cidForKey('/hitch/1/cell/only-b')
      await b.provide(key, { signal: AbortSignal.timeout(20_000) })
      const fromB: string[] = []
      for await (const p of b.findProviders(key, { signal: AbortSignal.timeout(20_000) })) fromB.push(p.peerId)
      expect(fromB).to.not.include(b.peerId)
    })
  })
})
