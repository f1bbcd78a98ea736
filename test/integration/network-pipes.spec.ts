import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork } from '../../node/network/index.js'
import { MessageTooLargeError, NetworkError, RequestFailedError, type Libp2pNetwork, type MessagePipe } from '../../node/network/index.js'
import { waitFor } from '../fixtures/wait-for.js'

const PROTOCOL = '/hitch/test-pipe/1.0.0'

describe('integration: long-lived message pipes between two nodes (memory transport)', function () {
  this.timeout(30_000)
  let a: Libp2pNetwork
  let b: Libp2pNetwork
  /** what b received on each inbound pipe, and the pipes */
  const inbound: Array<{ pipe: MessagePipe, received: string[], closed: boolean }> = []

  before(async () => {
    const make = async (): Promise<Libp2pNetwork> => {
      const n = await createNetwork({ privateKey: await generateKeyPair('secp256k1'), transport: 'memory', dht: false })
      await n.start()
      return n
    }
    a = await make()
    b = await make()
    await b.handlePipe(PROTOCOL, pipe => {
      const entry = { pipe, received: [] as string[], closed: false }
      inbound.push(entry)
      return {
        onMessage: data => {
          const text = new TextDecoder().decode(data)
          entry.received.push(text)
          // an echo, so both directions carry messages
          if (pipe.open) pipe.send(new TextEncoder().encode(`echo ${text}`))
        },
        onClose: () => { entry.closed = true }
      }
    }, { maxMessageBytes: 1024 })
    await a.dial(b.addresses()[0])
  })

  after(async () => {
    await a?.stop()
    await b?.stop()
  })

  it('carries many messages both ways on one stream, in order, also when sent in one turn', async () => {
    const echoes: string[] = []
    const pipe = await a.openPipe(b.peerId, PROTOCOL, { onMessage: data => echoes.push(new TextDecoder().decode(data)) })
    expect(pipe.remotePeer).to.equal(b.peerId)
    const sent = Array.from({ length: 200 }, (_, i) => `m${i}-${'x'.repeat(i % 37)}`)
    for (const m of sent.slice(0, 150)) pipe.send(new TextEncoder().encode(m))
    await new Promise(resolve => setImmediate(resolve)) // the rest in a later turn
    for (const m of sent.slice(150)) pipe.send(new TextEncoder().encode(m))
    await waitFor(() => echoes.length === sent.length, { what: 'every echo' })
    expect(inbound.at(-1)?.received).to.deep.equal(sent)
    expect(echoes).to.deep.equal(sent.map(m => `echo ${m}`))
    expect(inbound.at(-1)?.pipe.remotePeer).to.equal(a.peerId)
    pipe.close()
    await waitFor(() => inbound.at(-1)?.closed === true, { what: 'the other end closes' })
  })

  it('refuses to send above the limit, and the receiver closes a pipe that brings more than its limit', async () => {
    let closed = false
    const pipe = await a.openPipe(b.peerId, PROTOCOL, { onMessage: () => {}, onClose: () => { closed = true } }, { maxMessageBytes: 4096 })
    expect(() => pipe.send(new Uint8Array(4097))).to.throw(MessageTooLargeError)
    pipe.send(new Uint8Array(2000)) // over b's 1024
    await waitFor(() => closed, { what: 'the pipe closed by the receiver' })
    expect(pipe.open).to.equal(false)
    expect(() => pipe.send(new Uint8Array(1))).to.throw(RequestFailedError)
  })

  it('fails to open with ERR_NO_HANDLER when the peer does not serve the protocol', async () => {
    const err = await a.openPipe(b.peerId, '/hitch/test-pipe/9.9.9', { onMessage: () => {} }).catch(e => e)
    expect(err).to.be.instanceOf(NetworkError)
    expect(err.code).to.equal('ERR_NO_HANDLER')
  })

  it('closes its pipes when the network stops', async () => {
    let closed = false
    const pipe = await a.openPipe(b.peerId, PROTOCOL, { onMessage: () => {}, onClose: () => { closed = true } })
    pipe.send(new TextEncoder().encode('hello'))
    await waitFor(() => inbound.at(-1)?.received.includes('hello') === true, { what: 'the message' })
    const remote = inbound.at(-1)!
    await a.stop()
    expect(closed).to.equal(true)
    await waitFor(() => remote.closed, { what: 'the remote end closes' })
  })
})
