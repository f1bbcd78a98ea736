import { expect } from 'chai'
import fc from 'fast-check'
import { mulberry32, randomInt } from '../../../../matching/graph/index.js'
import { Router } from '../../../../matching/routing/index.js'
import type { RoadGraph } from '../../../../matching/graph/index.js'
import { loadMap } from '../../../../node/map/index.js'
import { MAPS, requireSharedData, sharedData } from '../../../fixtures/shared-data.js'
import { DijkstraOracle } from '../../../fixtures/insertion-oracle.js'
import { neighbourhood } from '../../../fixtures/insertion-scenarios.js'
import { agreesWithBruteForce } from '../../../fixtures/insertion-agreement.js'

/**
 * The same properties as on the random graph, on the real maps: the engine
 * asks the contraction-hierarchy Router, the brute force a plain Dijkstra,
 * so the two also cross-check the router's batched and single queries.
 */
for (const map of MAPS) {
  describe(`matching/insertion: properties on ${map}`, function () {
    if (!requireSharedData(this, `maps/${map}`)) return
    let graph: RoadGraph
    let router: Router
    let reference: DijkstraOracle
    let local: number[]

    before(async function () {
      graph = (await loadMap(sharedData(`maps/${map}`), { cache: false })).graph
      router = Router.build(graph)
      reference = new DijkstraOracle(graph)
      // a 10-minute neighbourhood, so that promises and waits are met often enough to test both ways
      const center = randomInt(mulberry32(map.length), graph.numNodes)
      local = neighbourhood(reference, graph.numNodes, center, 600)
    })

    it('agrees with the brute force on random plans and requests', () => {
      expect(local.length).to.be.above(50)
      const tally = { accepted: 0, rejected: 0, skipped: 0 }
      fc.assert(fc.property(fc.integer(), seed => {
        tally[agreesWithBruteForce(router, reference, { vertices: local, maxAssigned: 1 }, { vertices: local, maxWaitS: 900 }, seed)]++
      }), { numRuns: 100 })
      expect(tally.accepted).to.be.above(3)
      expect(tally.rejected).to.be.above(0)
    })
  })
}
