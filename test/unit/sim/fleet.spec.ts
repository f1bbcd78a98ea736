import { expect } from 'chai'
import { identityFromKey } from '../../../node/identity/index.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { NODE_PEER_KEY_TYPES, SimulationError, defaultScenario, driverRole, simPeerIdKey, simPeerKey, simRoleTimings, simulatedRoleTimings } from '../../../sim/index.js'
import { eachLimit } from '../../../sim/fleet.js'

describe('sim/fleet', () => {
  it('derives one key per (seed, role, index), the same in every process and mode', () => {
    const id = (seed: number, role: 'driver' | 'rider', index: number): string => identityFromKey(simPeerKey(seed, role, index)).peerId
    expect(id(1, 'driver', 0)).to.equal(id(1, 'driver', 0))
    const ids = new Set([id(1, 'driver', 0), id(1, 'driver', 1), id(1, 'rider', 0), id(2, 'driver', 0)])
    expect(ids.size).to.equal(4)
  })

  it('derives the peer-id key of a key type the same way, and refuses one the node does not take with a clear error', () => {
    expect(simPeerIdKey(1, 'driver', 0, 'secp256k1')).to.deep.equal(simPeerKey(1, 'driver', 0))
    if (NODE_PEER_KEY_TYPES.has('ed25519')) {
      const key = simPeerIdKey(1, 'driver', 0, 'ed25519')
      expect(key.type).to.equal('Ed25519')
      expect(peerIdFromPrivateKey(key).toString()).to.equal(peerIdFromPrivateKey(simPeerIdKey(1, 'driver', 0, 'ed25519')).toString())
      expect(peerIdFromPrivateKey(key).toString()).to.not.equal(peerIdFromPrivateKey(simPeerIdKey(1, 'rider', 0, 'ed25519')).toString())
    } else {
      expect(() => simPeerIdKey(1, 'driver', 0, 'ed25519')).to.throw(SimulationError, /--key-type ed25519/)
    }
  })

  it('gives a driver the scenario\'s seats, fare and insertion limits, and the mode\'s timings', () => {
    const s = defaultScenario()
    const at = { lat: 40.75, lon: -73.99 }
    const simulated = driverRole(s, at, simulatedRoleTimings(s))
    expect(simulated).to.include({ position: at, seats: s.seats, fare: s.fare, offerIntervalMs: s.offerIntervalS * 1000 })
    expect(simulated.insertion).to.deep.equal({ maxWaitS: s.patienceS, maxDetourFactor: s.maxDetourFactor, detourSlackS: s.detourSlackS })
    const libp2p = driverRole(s, at, simRoleTimings(60, s))
    const scenarioPart = ({ position, seats, fare, insertion }: typeof simulated): unknown => ({ position, seats, fare, insertion })
    expect(scenarioPart(libp2p)).to.deep.equal(scenarioPart(simulated))
    expect(libp2p).to.include(simRoleTimings(60, s).driver)
  })

  it('eachLimit runs at most `limit` at once, starting lanes in order', async () => {
    let running = 0
    let most = 0
    const started: number[] = []
    await eachLimit([0, 1, 2, 3, 4], 2, async i => {
      started.push(i)
      running++
      most = Math.max(most, running)
      await new Promise(resolve => setTimeout(resolve, 5))
      running--
    })
    expect(most).to.equal(2)
    expect(started).to.deep.equal([0, 1, 2, 3, 4])
  })
})
