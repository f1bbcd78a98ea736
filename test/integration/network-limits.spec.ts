/**
 * Issue 9, "Flooding": the limits of the network layer on direct streams. Today a peer could
 * hold pipes open for nothing (an attacker held 320 pay pipes at 5.5 MB each), open as many as
 * its connections allowed, pour messages into one, and fire requests as fast as its streams
 * went. Real nodes over the memory transport.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork } from '../../node/network/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import type { Libp2pNetwork, MessagePipe } from '../../node/network/index.js'

const PIPE = '/hitch/test-limits-pipe/1.0.0'
const REQ = '/hitch/test-limits-req/1.0.0'

async function node (): Promise<Libp2pNetwork> {
  const n = await createNetwork({ privateKey: await generateKeyPair('secp256k1'), transport: 'memory', dht: false })
  await n.start()
  return n
}

describe('integration: network limits on direct streams (issue 9, flooding)', function () {
  this.timeout(30_000)
  let server: Libp2pNetwork
  let client: Libp2pNetwork
  const closedWith: Array<string | undefined> = []
  const accepted: MessagePipe[] = []

  before(async () => {
    server = await node()
    client = await node()
    await client.dial(server.addresses()[0])
  })
  after(async () => {
    await client?.stop()
    await server?.stop()
  })
  afterEach(async () => {
    await server.unhandle(PIPE).catch(() => {})
    accepted.length = 0
    closedWith.length = 0
  })

  const serve = async (options: Parameters<Libp2pNetwork['handlePipe']>[2]): Promise<void> => {
    await server.handlePipe(PIPE, pipe => {
      accepted.push(pipe)
      return { onMessage: () => {}, onClose: err => { closedWith.push((err as any)?.code) } }
    }, options)
  }

  it('closes an inbound pipe that stays idle past its idle timeout, on both ends', async () => {
    await serve({ idleTimeoutMs: 300 })
    let clientClosed = false
    const pipe = await client.openPipe(server.peerId, PIPE, { onMessage: () => {}, onClose: () => { clientClosed = true } })
    pipe.send(new Uint8Array([1]))
    await waitFor(() => closedWith.length === 1, { what: 'the idle pipe closed by the server', timeoutMs: 5_000 })
    expect(closedWith[0]).to.equal('ERR_IDLE_TIMEOUT')
    await waitFor(() => clientClosed, { what: 'the client sees the end' })
  })

  it('keeps a pipe that carries messages more often than its idle timeout', async () => {
    // generous against a loaded machine's event-loop stalls: a message every 100 ms, idle after 2 s
    await serve({ idleTimeoutMs: 2_000 })
    const pipe = await client.openPipe(server.peerId, PIPE, { onMessage: () => {} })
    const started = Date.now()
    while (Date.now() - started < 3_000) {
      pipe.send(new Uint8Array([1]))
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    expect(closedWith).to.deep.equal([])
    expect(pipe.open).to.equal(true)
    pipe.close()
  })

  it('holds at most maxPipesPerPeer inbound pipes of one peer (8 by default); the rest are reset before accept', async () => {
    await serve({})
    const pipes = await Promise.allSettled(Array.from({ length: 12 }, async () => client.openPipe(server.peerId, PIPE, { onMessage: () => {} })))
    // the opener learns of a reset only when the stream closes: wait for the server's count
    await waitFor(() => (server.stats().limited?.pipes ?? 0) >= 4, { what: 'four pipes refused' })
    expect(accepted.length).to.equal(8)
    for (const p of pipes) if (p.status === 'fulfilled') p.value.close()
    await waitFor(() => closedWith.length === 8, { what: 'the accepted pipes closed' })
    // closed pipes free their slots
    const again = await client.openPipe(server.peerId, PIPE, { onMessage: () => {} })
    await waitFor(() => accepted.length === 9, { what: 'a new pipe accepted' })
    again.close()
  })

  it('resets a pipe whose remote sends above its rate limit', async () => {
    await serve({ rateLimit: { perSecond: 10, burst: 20 } })
    let clientClosed = false
    const pipe = await client.openPipe(server.peerId, PIPE, { onMessage: () => {}, onClose: () => { clientClosed = true } })
    for (let i = 0; i < 100; i++) pipe.send(new Uint8Array([i]))
    await waitFor(() => closedWith.length === 1, { what: 'the flooding pipe reset' })
    expect(closedWith[0]).to.equal('ERR_RATE_LIMITED')
    await waitFor(() => clientClosed, { what: 'the client sees the reset' })
  })

  it('serves a peer\'s requests up to its rate limit and resets the rest unread', async () => {
    let served = 0
    // one token every 20 s: the burst of 5 is all this test can get, however slow the machine
    await server.handle(REQ, async () => { served++; return new Uint8Array([1]) }, { rateLimit: { perSecond: 0.05, burst: 5 } })
    const results = await Promise.allSettled(Array.from({ length: 30 }, async () => client.request(server.peerId, REQ, new Uint8Array([0]))))
    expect(results.filter(r => r.status === 'fulfilled')).to.have.length.within(5, 6)
    expect(served).to.be.within(5, 6)
    expect(server.stats().limited?.requests).to.be.at.least(23)
    await server.unhandle(REQ)
  })

  it('serves at most maxConcurrentPerPeer requests of one peer at once', async () => {
    let active = 0
    let most = 0
    await server.handle(REQ, async () => {
      active++
      most = Math.max(most, active)
      await new Promise(resolve => setTimeout(resolve, 200))
      active--
      return new Uint8Array([1])
    }, { rateLimit: false, maxConcurrentPerPeer: 3 })
    const results = await Promise.allSettled(Array.from({ length: 10 }, async () => client.request(server.peerId, REQ, new Uint8Array([0]))))
    expect(most).to.equal(3)
    expect(results.filter(r => r.status === 'fulfilled')).to.have.length(3)
    await server.unhandle(REQ)
  })
})
