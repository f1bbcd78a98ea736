import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createNetwork, type Libp2pNetwork } from '../../node/network/index.js'
import { hostOf, type HitchLibp2p, type HitchRelayInit } from '../../node/libp2p/index.js'
import { waitFor } from '../fixtures/wait-for.js'

function libp2pOf (n: Libp2pNetwork): HitchLibp2p {
  return n.libp2p as HitchLibp2p
}

/** A relay on 127.0.0.1 and ::1 (OS-picked ports), so that peers can come from two IPs */
async function startRelay (limits: HitchRelayInit): Promise<Libp2pNetwork> {
  const relay = await createNetwork({
    privateKey: await generateKeyPair('Ed25519'),
    transport: 'tcp',
    listen: ['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0'],
    dht: false,
    loopbackFriendly: true,
    nat: { relayServer: limits, autoNat: false, holePunch: false }
  })
  await relay.start()
  return relay
}

/** A private node (no listening socket) that reserves on `relayAddr` */
async function startClient (relayAddr: string): Promise<Libp2pNetwork> {
  const node = await createNetwork({
    privateKey: await generateKeyPair('Ed25519'),
    transport: 'tcp',
    listen: [],
    bootstrap: [relayAddr],
    dht: false,
    loopbackFriendly: true,
    nat: { autoNat: false, holePunch: false }
  })
  await node.start()
  return node
}

/** Whether a client's reservation attempts have come to something (made, or refused) */
function answered (n: Libp2pNetwork): boolean {
  const stats = libp2pOf(n).services.relayReserver?.stats
  return stats != null && stats.reserved + stats.failed > 0
}

function reserved (n: Libp2pNetwork): boolean {
  return libp2pOf(n).reachability?.reachability.status === 'relayed'
}

describe('integration: a flood of reservation requests to a Hitch relay (tcp on 127.0.0.1 and ::1)', function () {
  this.timeout(60_000)
  const started: Libp2pNetwork[] = []

  after(async () => {
    await Promise.allSettled(started.splice(0).map(async n => { await n.stop() }))
  })

  it('one host\'s sybils get at most the per-IP share, an honest peer from another IP is still served, and the total never passes the maximum', async () => {
    const relay = await startRelay({ maxReservations: 6, maxReservationsPerIp: 4 })
    started.push(relay)
    const relayLibp2p = libp2pOf(relay)
    const v4 = relay.addresses().find(a => a.startsWith('/ip4/127.0.0.1/'))
    const v6 = relay.addresses().find(a => a.startsWith('/ip6/::1/'))
    expect(v4).to.be.a('string')
    expect(v6).to.be.a('string')
    const reservations = (): number => relayLibp2p.services.relay?.reservations.size ?? -1

    // 12 made-up peer ids from one host (127.0.0.1)
    const sybils = await Promise.all(Array.from({ length: 12 }, async () => await startClient(v4 as string)))
    started.push(...sybils)
    await waitFor(() => sybils.every(answered), { what: 'every sybil to be answered', timeoutMs: 30_000 })
    expect(reservations()).to.equal(4)
    // (a client advertises its relayed address a moment after the relay said yes)
    await waitFor(() => sybils.filter(reserved).length >= 4, { what: 'the relayed addresses of the accepted sybils' })
    expect(sybils.filter(reserved)).to.have.length(4)
    expect(relayLibp2p.relayGuard?.stats.refusedPerIp).to.be.at.least(8)
    for (const [, r] of relayLibp2p.services.relay?.reservations.entries() ?? []) expect(hostOf(r.addr)).to.equal('127.0.0.1')

    // an honest peer from another address still gets a slot, and its relayed address
    const honest = await startClient(v6 as string)
    started.push(honest)
    await waitFor(() => reserved(honest), { what: 'the honest reservation' })
    expect(honest.addresses().some(a => a.includes(`/p2p/${relay.peerId}/p2p-circuit`))).to.equal(true)
    expect(reservations()).to.equal(5)

    // three more from that address: the per-IP share allows them, the maximum (6) does not
    const late = await Promise.all(Array.from({ length: 3 }, async () => await startClient(v6 as string)))
    started.push(...late)
    await waitFor(() => late.every(answered), { what: 'every late peer to be answered', timeoutMs: 30_000 })
    expect(reservations()).to.equal(6)
    await waitFor(() => late.some(reserved), { what: 'the relayed address of the one late peer let in' })
    expect(late.filter(reserved)).to.have.length(1)
    // the honest reservation was not displaced
    expect(reserved(honest)).to.equal(true)
    expect(relayLibp2p.services.relay?.reservations.has(libp2pOf(honest).peerId)).to.equal(true)

    // sybils that leave free their slots (a reservation is only good while its holder is
    // connected), so a host's churn does not lock it, or the relay, out for the reservations' TTL
    const leaving = sybils.filter(reserved)
    await Promise.all(leaving.map(async n => { await n.stop() }))
    await waitFor(() => reservations() === 2, { what: 'the leavers\' slots to be freed' })
    const back = await startClient(v4 as string)
    started.push(back)
    await waitFor(() => reserved(back), { what: 'a reservation from the sybils\' host after they left' })
  })
})
