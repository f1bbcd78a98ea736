import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import fc from 'fast-check'
import { parseOsmPbf } from '../../../../matching/graph/index.js'
import { Router, dijkstra } from '../../../../matching/routing/index.js'
import { MAPS, requireSharedData, sharedData } from '../../../fixtures/shared-data.js'
import { pathSums, pathWeight } from './random-graph.js'
import type { Metric, RoadGraph } from '../../../../matching/graph/road-graph.js'

const METRICS: Metric[] = ['time', 'distance']

for (const map of MAPS) {
  describe(`matching/routing on the real map ${map}`, function () {
    if (!requireSharedData(this, `maps/${map}`)) return
    let g: RoadGraph
    let router: Router

    before(function () {
      this.timeout(120_000)
      g = parseOsmPbf(readFileSync(sharedData(`maps/${map}`)))
      router = Router.build(g)
    })

    const vertex = (): fc.Arbitrary<number> => fc.nat().map(x => x % g.numNodes)

    for (const metric of METRICS) {
      it(`gives Dijkstra's ${metric} exactly for random pairs, along valid paths`, () => {
        // 10 sources x 30 targets = 300 pairs; one full Dijkstra per source.
        fc.assert(fc.property(vertex(), fc.array(vertex(), { minLength: 30, maxLength: 30 }), (s, targets) => {
          const ref = dijkstra(g, s, metric).dist
          const q = router.queries(metric)
          for (const t of targets) {
            expect(q.distance(s, t), `${s} -> ${t}`).to.equal(ref[t])
          }
          // Unpack a few of them fully.
          for (const t of targets.slice(0, 5)) {
            const route = router.route(s, t, { metric })
            expect(route).to.not.equal(null)
            if (route == null) return
            expect(route.nodes[0]).to.equal(s)
            expect(route.nodes[route.nodes.length - 1]).to.equal(t)
            expect(pathWeight(g, route.nodes, metric)).to.equal(ref[t])
            const sums = pathSums(g, route.nodes, metric)
            expect(route.durationS).to.equal(sums.timeMs / 1000)
            expect(route.distanceM).to.equal(sums.distCm / 100)
          }
        }), { numRuns: 10 })
      })
    }

    it('answers one-to-many and many-to-one as repeated point queries', () => {
      fc.assert(fc.property(vertex(), fc.array(vertex(), { minLength: 1, maxLength: 7 }), (p, stops) => {
        expect(Array.from(router.timesFrom(p, stops))).to.deep.equal(stops.map(t => router.time(p, t)))
        expect(Array.from(router.timesTo(stops, p))).to.deep.equal(stops.map(s => router.time(s, p)))
        expect(Array.from(router.distancesFrom(p, stops))).to.deep.equal(stops.map(t => router.distance(p, t)))
      }), { numRuns: 100 })
    })

    it('round-trips through its extras with identical answers', () => {
      const again = Router.fromPrepared(g, router.toExtras())
      fc.assert(fc.property(vertex(), vertex(), (s, t) => {
        for (const metric of METRICS) {
          expect(again.route(s, t, { metric })).to.deep.equal(router.route(s, t, { metric }))
        }
      }), { numRuns: 100 })
    })
  })
}
