import { expect } from 'chai'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import { ReachabilityMonitor, type DirectUpgrade, type Reachability } from '../../../node/libp2p/index.js'

const SELF = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
const RELAY = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
const PEER = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'

/** The parts of libp2p the monitor reads: addresses, and the two events */
class FakeLibp2p extends EventTarget {
  peerId = peerIdFromString(SELF)
  addrs: Multiaddr[] = []
  getMultiaddrs (): Multiaddr[] { return this.addrs }
  setAddrs (addrs: string[]): void {
    this.addrs = addrs.map(a => multiaddr(a))
    this.dispatchEvent(new CustomEvent('self:peer:update'))
  }

  open (remoteAddr: string, limited: boolean): void {
    this.dispatchEvent(new CustomEvent('connection:open', {
      detail: { remotePeer: peerIdFromString(PEER), remoteAddr: multiaddr(remoteAddr), limits: limited ? { seconds: 60 } : undefined }
    }))
  }
}

describe('unit: ReachabilityMonitor', () => {
  it('private, then relayed through a reservation, then public once an address is confirmed; one event per change', () => {
    const libp2p = new FakeLibp2p()
    const monitor = new ReachabilityMonitor(libp2p as any)
    const seen: Reachability[] = []
    monitor.on('reachability', r => seen.push(r))
    monitor.start()
    expect(monitor.reachability.status).to.equal('private')
    // loopback and LAN addresses are not public
    libp2p.setAddrs([`/ip4/127.0.0.1/tcp/1/p2p/${SELF}`, `/ip4/192.168.1.5/tcp/1/p2p/${SELF}`])
    expect(seen).to.have.length(0)
    libp2p.setAddrs([`/ip4/192.168.1.5/tcp/1/p2p/${SELF}`, `/ip4/11.1.1.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`])
    expect(seen.at(-1)).to.deep.include({ status: 'relayed', relays: [RELAY] })
    libp2p.setAddrs([`/ip4/192.168.1.5/tcp/1/p2p/${SELF}`, `/ip4/11.1.1.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`])
    expect(seen).to.have.length(1)
    libp2p.setAddrs([`/ip4/11.2.2.2/tcp/4001/p2p/${SELF}`, `/ip4/11.1.1.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`])
    expect(seen.at(-1)).to.deep.include({ status: 'public', publicAddrs: [`/ip4/11.2.2.2/tcp/4001/p2p/${SELF}`] })
    monitor.stop()
    libp2p.setAddrs([])
    expect(seen).to.have.length(2)
  })

  it('a direct connection to a peer first reached through a relay is a hole punch; a direct one alone is not', () => {
    const libp2p = new FakeLibp2p()
    const monitor = new ReachabilityMonitor(libp2p as any)
    const direct: DirectUpgrade[] = []
    monitor.on('direct', d => direct.push(d))
    monitor.start()
    libp2p.open('/ip4/11.3.3.3/tcp/5000', false)
    expect(direct).to.have.length(0)
    libp2p.open(`/ip4/11.1.1.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`, true)
    libp2p.open('/ip4/11.3.3.3/tcp/5000', false)
    expect(direct).to.deep.equal([{ peer: PEER, transport: 'tcp', remoteAddr: '/ip4/11.3.3.3/tcp/5000' }])
    libp2p.open(`/ip4/11.1.1.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${PEER}`, true)
    libp2p.open(`/ip4/11.1.1.1/tcp/4001/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`, false)
    expect(direct.at(-1)?.transport).to.equal('webrtc')
    expect(monitor.reachability.directAfterRelay).to.equal(2)
    monitor.stop()
  })
})
