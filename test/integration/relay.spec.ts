import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork, type Libp2pNetwork, type MessagePipe } from '../../node/network/index.js'
import type { HitchLibp2p, HitchNatInit } from '../../node/libp2p/index.js'
import { waitFor } from '../fixtures/wait-for.js'

const PROTOCOL = '/hitch/test-relayed-pipe/1.0.0'

/** A relay on 127.0.0.1 (OS-picked port) */
async function startRelay (): Promise<Libp2pNetwork> {
  const relay = await createNetwork({
    privateKey: await generateKeyPair('Ed25519'),
    transport: 'tcp',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    dht: false,
    loopbackFriendly: true,
    nat: { relayServer: true, autoNat: false, holePunch: false }
  })
  await relay.start()
  return relay
}

/**
 * A private node: no listening socket at all, so it can only be reached through a relay
 * reservation (what a NAT leaves of a node on one host).
 */
async function startPrivate (bootstrap: string[], nat: HitchNatInit = {}): Promise<Libp2pNetwork> {
  const node = await createNetwork({
    privateKey: await generateKeyPair('Ed25519'),
    transport: 'tcp',
    listen: [],
    bootstrap,
    dht: false,
    loopbackFriendly: true,
    nat: { autoNat: false, holePunch: false, ...nat }
  })
  await node.start()
  return node
}

function libp2pOf (n: Libp2pNetwork): HitchLibp2p {
  return n.libp2p as HitchLibp2p
}

function circuitAddr (n: Libp2pNetwork): string | undefined {
  return n.addresses().find(a => a.includes('/p2p-circuit'))
}

describe('integration: private nodes reach each other through a Hitch relay (tcp on 127.0.0.1)', function () {
  this.timeout(30_000)
  const started: Libp2pNetwork[] = []

  afterEach(async () => {
    await Promise.allSettled(started.splice(0).map(async n => { await n.stop() }))
  })

  it('a private node reserves on its bootstrap relay, and another runs a Hitch pipe to it over the limited connection', async () => {
    const relay = await startRelay()
    started.push(relay)
    const driver = await startPrivate(relay.addresses())
    started.push(driver)
    const rider = await startPrivate(relay.addresses())
    started.push(rider)

    const reachability = libp2pOf(driver).reachability
    expect(reachability).to.not.equal(undefined)
    await waitFor(() => reachability?.reachability.status === 'relayed', { what: 'a reservation on the relay' })
    expect(reachability?.reachability.relays).to.deep.equal([relay.peerId])
    const address = circuitAddr(driver)
    expect(address).to.be.a('string')
    expect(address).to.include(`/p2p/${relay.peerId}/p2p-circuit/p2p/${driver.peerId}`)

    const received: string[] = []
    await driver.handlePipe(PROTOCOL, pipe => ({
      onMessage: data => {
        const text = new TextDecoder().decode(data)
        received.push(text)
        if (pipe.open) pipe.send(new TextEncoder().encode(`echo ${text}`))
      }
    }))
    await rider.dial(address as string)
    const echoes: string[] = []
    const pipe = await rider.openPipe(driver.peerId, PROTOCOL, { onMessage: data => echoes.push(new TextDecoder().decode(data)) })
    for (let i = 0; i < 20; i++) pipe.send(new TextEncoder().encode(`state ${i}`))
    await waitFor(() => echoes.length === 20, { what: 'the echoes over the relay' })
    expect(echoes.at(-1)).to.equal('echo state 19')

    // the connection is the relayed one, with the Hitch relay's raised limits
    const connections = libp2pOf(rider).getConnections(libp2pOf(driver).peerId)
    expect(connections).to.have.length(1)
    expect(connections[0].remoteAddr.toString()).to.include('/p2p-circuit')
    expect(connections[0].limits?.seconds).to.be.greaterThan(2 * 60)
    expect(Number(connections[0].limits?.bytes)).to.be.greaterThan(128 * 1024)
    pipe.close()

    // one-shot requests reuse the relayed connection (libp2p alone would dial the relay again
    // for each stream, then drop the new connection as a duplicate)
    await driver.handle(`${PROTOCOL}/request`, async req => req.data)
    let opened = 0
    const onOpen = (): void => { opened++ }
    libp2pOf(rider).addEventListener('connection:open', onOpen)
    for (let i = 0; i < 5; i++) {
      const answer = await rider.request(driver.peerId, `${PROTOCOL}/request`, Uint8Array.of(i))
      expect([...answer]).to.deep.equal([i])
    }
    libp2pOf(rider).removeEventListener('connection:open', onOpen)
    expect(opened).to.equal(0)
  })

  it('with WebRTC on both ends, a relayed dial becomes a direct WebRTC connection, and the dialer reports it', async () => {
    const relay = await startRelay()
    started.push(relay)
    const driver = await startPrivate(relay.addresses(), { webrtc: true })
    started.push(driver)
    const rider = await startPrivate(relay.addresses(), { webrtc: true })
    started.push(rider)
    const direct: string[] = []
    libp2pOf(rider).reachability?.on('direct', d => direct.push(`${d.peer} ${d.transport}`))
    const address = await waitFor(() => driver.addresses().find(a => a.includes('/p2p-circuit/webrtc/')), { what: 'a WebRTC address through the relay' })
    await driver.handle(PROTOCOL, async req => req.data)
    await rider.dial(address)
    const answer = await rider.request(driver.peerId, PROTOCOL, Uint8Array.of(7))
    expect([...answer]).to.deep.equal([7])
    const connections = libp2pOf(rider).getConnections(libp2pOf(driver).peerId)
    expect(connections.some(c => c.limits == null && c.remoteAddr.toString().includes('/webrtc'))).to.equal(true)
    expect(direct).to.deep.equal([`${driver.peerId} webrtc`])
  })

  it('a relay that drops out in the middle of an exchange: both ends see the pipe fail, and the driver re-reserves on the other bootstrap relay', async () => {
    const relays = [await startRelay(), await startRelay()]
    started.push(...relays)
    const bootstrap = relays.flatMap(r => r.addresses())
    const driver = await startPrivate(bootstrap)
    started.push(driver)
    const rider = await startPrivate(bootstrap)
    started.push(rider)
    const monitor = libp2pOf(driver).reachability
    const changes: string[] = []
    monitor?.on('reachability', r => changes.push(`${r.status}:${r.relays.join(',')}`))
    await waitFor(() => monitor?.reachability.status === 'relayed', { what: 'a first reservation' })
    const first = monitor?.reachability.relays[0]
    const holder = relays.find(r => r.peerId === first)
    const other = relays.find(r => r.peerId !== first)
    expect(holder).to.not.equal(undefined)

    let driverSide: { closed: boolean, err?: Error } = { closed: false }
    await driver.handlePipe(PROTOCOL, pipe => ({
      onMessage: data => { if (pipe.open) pipe.send(data) },
      onClose: err => { driverSide = { closed: true, err } }
    }))
    await rider.dial(circuitAddr(driver) as string)
    const echoes: number[] = []
    let riderSide: { closed: boolean, err?: Error } = { closed: false }
    let pipe: MessagePipe | undefined = await rider.openPipe(driver.peerId, PROTOCOL, {
      onMessage: data => echoes.push(data[0]),
      onClose: err => { riderSide = { closed: true, err } }
    })
    pipe.send(Uint8Array.of(1))
    await waitFor(() => echoes.length === 1, { what: 'a first echo' })

    // the relay goes away mid-ride
    await holder?.stop()
    await waitFor(() => riderSide.closed && driverSide.closed, { what: 'both ends of the pipe to end' })
    expect(pipe.open).to.equal(false)
    expect(() => pipe?.send(Uint8Array.of(2))).to.throw().with.property('code')
    pipe = undefined

    // the driver loses the relayed address, then reserves on the other relay it knows
    await waitFor(() => monitor?.reachability.relays[0] === other?.peerId, { what: 'a reservation on the other relay' })
    expect(changes).to.include(`relayed:${String(other?.peerId)}`)
    expect(circuitAddr(driver)).to.include(`/p2p/${String(other?.peerId)}/p2p-circuit`)

    // and a new relayed exchange works
    await rider.dial(circuitAddr(driver) as string)
    const again: number[] = []
    const second = await rider.openPipe(driver.peerId, PROTOCOL, { onMessage: data => again.push(data[0]) })
    second.send(Uint8Array.of(3))
    await waitFor(() => again.length === 1, { what: 'an echo over the other relay' })
    second.close()
  })
})
