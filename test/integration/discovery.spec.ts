import { expect } from 'chai'
import { cellOf, neighbourCells, providerKey } from '../../protocol/index.js'
import { CITY, Swarm, rideTimings } from './roles-fixtures.js'
import type { HitchNode, LatLonPoint } from '../../node/index.js'
import type { RoutedMap } from '../../node/map/index.js'

/** Who a node finds in the DHT as providers of a cell */
async function providersOf (node: HitchNode, cell: string): Promise<string[]> {
  const found: string[] = []
  for await (const p of node.network.findProviders(providerKey(cell), { signal: AbortSignal.timeout(10_000) })) {
    found.push(p.peerId)
  }
  return found
}

/** The point of the map in a cell next to `point`'s, as close to it as there is */
function pointInNeighbourCell (map: RoutedMap, point: LatLonPoint): LatLonPoint {
  const g = map.graph
  const around = new Set(neighbourCells(cellOf(point.lat, point.lon)))
  let best = -1
  let bestD = Infinity
  for (let u = 0; u < g.lat.length; u++) {
    if (!around.has(cellOf(g.lat[u], g.lon[u]))) continue
    const d = (g.lat[u] - point.lat) ** 2 + (g.lon[u] - point.lon) ** 2
    if (d < bestD) { bestD = d; best = u }
  }
  expect(best, 'the map reaches into a neighbouring cell').to.be.at.least(0)
  return { lat: g.lat[best], lon: g.lon[best] }
}

/**
 * How riders find drivers (real libp2p nodes, memory transport, kad-dht): a driver announces
 * only the cell its car is in; a rider looks its pickup cell up and, when that cell has too
 * few drivers, the cells around it, whose drivers listen to the pickup cell's topic. Without
 * that second step the rider below would have no gossip path to the only driver.
 */
describe('integration: discovery of drivers through the DHT', function () {
  this.timeout(60_000)
  const swarm = new Swarm('memory')
  after(async () => { await swarm.stop() })

  it('announces the car\'s cell only, and a rider in the next cell still gets a ride', async () => {
    await swarm.init()
    const driver = await swarm.driver({ position: CITY.center, seats: 4, offerIntervalMs: 0 })
    const home = cellOf(CITY.center.lat, CITY.center.lon)
    const observer = await swarm.node()
    let found: string[] = []
    for (let i = 0; i < 50 && !found.includes(driver.peerId); i++) {
      found = await providersOf(observer, home)
      if (!found.includes(driver.peerId)) await new Promise(resolve => setTimeout(resolve, 100))
    }
    expect(found, 'the driver announced its cell').to.include(driver.peerId)
    for (const cell of neighbourCells(home)) {
      expect(await providersOf(observer, cell), `no record for neighbour ${cell}`).to.deep.equal([])
    }

    const from = pointInNeighbourCell(swarm.map, CITY.center)
    expect(cellOf(from.lat, from.lon)).to.not.equal(home)
    const rider = await swarm.rider()
    expect(swarm.nodeOf(rider).network.connectedPeers()).to.not.include(driver.peerId)
    const requested: Array<{ discovered: number }> = []
    rider.on('requested', e => { requested.push(e) })
    const result = await rider.requestRide({ from, to: CITY.north, ...rideTimings() })
    expect(result.driver).to.equal(driver.peerId)
    // the first lookup may run before the rider's DHT routing table has a peer; it looks again
    expect(requested.map(e => e.discovered), 'found in the ring around the pickup cell').to.include(1)
  })
})
