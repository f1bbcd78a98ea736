import { expect } from 'chai'
import { multiaddr } from '@multiformats/multiaddr'
import { HITCH_RELAY_DEFAULTS, hostOf, isCircuit, natParts, relayLimits, relayOf } from '../../../node/libp2p/index.js'

describe('unit: NAT traversal composition', () => {
  it('by default: a relay client, AutoNAT v2 and DCUtR; no UPnP, WebRTC or relay service', async () => {
    const parts = await natParts({})
    expect(Object.keys(parts.services).sort()).to.deep.equal(['autoNAT', 'dcutr', 'relayReserver'])
    expect(parts.transports).to.have.length(1)
    expect(parts.listen).to.deep.equal([])
    expect(parts.connectionGater).to.equal(undefined)
  })

  it('opt-ins add what they name; a relay takes no reservation itself and guards its slots per IP', async () => {
    const parts = await natParts({ upnp: true, webrtc: true, relayServer: true, announce: ['/ip4/203.0.113.7/tcp/4001'] })
    expect(Object.keys(parts.services).sort()).to.deep.equal(['autoNAT', 'dcutr', 'relay', 'upnp'])
    expect(parts.transports).to.have.length(2)
    expect(parts.listen).to.deep.equal(['/webrtc'])
    expect(parts.appendAnnounce).to.deep.equal(['/ip4/203.0.113.7/tcp/4001'])
    expect(parts.connectionGater?.denyInboundRelayReservation).to.be.a('function')
    expect(parts.guard?.maxPerIp).to.equal(HITCH_RELAY_DEFAULTS.maxReservationsPerIp)
  })

  it('relay limits: defaults longer than a ride, and bad values refused', () => {
    expect(relayLimits(false)).to.equal(undefined)
    const limits = relayLimits(true)
    expect(limits?.durationLimitMs).to.be.greaterThan(2 * 60_000)
    expect(limits?.dataLimitBytes).to.be.greaterThan(128 * 1024)
    expect(relayLimits({ maxReservationsPerIp: 2 })?.maxReservationsPerIp).to.equal(2)
    expect(() => relayLimits({ maxReservations: 0 })).to.throw(RangeError)
    expect(() => relayLimits({ dataLimitBytes: 1.5 })).to.throw(RangeError)
  })

  it('reads relays and hosts out of addresses', () => {
    const relay = '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf'
    const self = '12D3KooWRBy97UB99e3J6hiPesre1MZeuNQvfan4gBziswrRJsNK'
    expect(relayOf(`/ip4/203.0.113.7/tcp/4001/p2p/${relay}/p2p-circuit/p2p/${self}`)).to.equal(relay)
    expect(relayOf(`/ip4/203.0.113.7/tcp/4001/p2p/${relay}`)).to.equal(undefined)
    expect(isCircuit(multiaddr(`/ip4/203.0.113.7/tcp/4001/p2p/${relay}/p2p-circuit`))).to.equal(true)
    expect(hostOf(multiaddr('/ip4/10.1.2.3/tcp/1'))).to.equal('10.1.2.3')
    expect(hostOf(multiaddr('/ip6/::1/tcp/1'))).to.equal('::1')
  })
})
