import { expect } from 'chai'
import fc from 'fast-check'
import { Router, ROUTER_PREPARE_VERSION, PreparedDataError, dijkstra, type TravelTimeOracle } from '../../../../matching/routing/index.js'
import { graphOf, pathSums, pathWeight, randomGraph } from './random-graph.js'

describe('matching/routing Router', () => {
  // 0 -> 1 -> 3 is short (200 m, 100 s); 0 -> 2 -> 3 is fast (600 m, 20 s); 4 is cut off.
  const g = graphOf(5, [
    [0, 1, 10000, 50000], [1, 3, 10000, 50000],
    [0, 2, 30000, 10000], [2, 3, 30000, 10000],
    [4, 0, 100, 100]
  ])
  const router = Router.build(g)

  it('routes by time by default, reporting both length and duration', () => {
    const r = router.route(0, 3)
    expect(r).to.deep.equal({ distanceM: 600, durationS: 20, nodes: [0, 2, 3] })
  })

  it('routes by distance when asked, with geometry', () => {
    const r = router.route(0, 3, { metric: 'distance', geometry: true })
    expect(r?.distanceM).to.equal(200)
    expect(r?.durationS).to.equal(100)
    expect(r?.nodes).to.deep.equal([0, 1, 3])
    expect(r?.geometry).to.deep.equal([0, 1, 3].map(v => [g.lat[v], g.lon[v]]))
  })

  it('returns null and Infinity where there is no path', () => {
    expect(router.route(0, 4)).to.equal(null)
    expect(router.time(3, 0)).to.equal(Infinity)
    expect(Array.from(router.timesFrom(0, [4, 3, 0]))).to.deep.equal([Infinity, 20, 0])
    expect(Array.from(router.timesTo([4, 1, 3], 3))).to.deep.equal([20.1, 50, 0])
  })

  it('is a TravelTimeOracle in seconds, and gives distances in metres', () => {
    const oracle: TravelTimeOracle = router
    expect(oracle.time(0, 3)).to.equal(20)
    expect(Array.from(router.timeTable([0, 4], [3, 1]))).to.deep.equal([20, 50, 20.1, 50.1])
    expect(Array.from(router.distancesFrom(0, [3, 2]))).to.deep.equal([200, 300])
    expect(router.distance(4, 3)).to.equal(201)
  })

  it('round-trips through its extras, and refuses extras of another graph', () => {
    expect(ROUTER_PREPARE_VERSION).to.be.a('string')
    const extras = router.toExtras()
    expect(Object.keys(extras)).to.include.members(['ch.graph', 'ch.time.upHead', 'ch.distance.downMid'])
    const again = Router.fromPrepared(g, extras)
    expect(again.route(0, 3, { metric: 'distance' })).to.deep.equal(router.route(0, 3, { metric: 'distance' }))
    const other = graphOf(5, [[0, 1, 1, 1]])
    expect(() => Router.fromPrepared(other, extras)).to.throw(PreparedDataError).with.property('code', 'ERR_PREPARED_DATA')
    const { 'ch.time.rank': _, ...partial } = extras
    expect(() => Router.fromPrepared(g, partial)).to.throw(PreparedDataError)
    expect(() => Router.fromPrepared(g, {})).to.throw(PreparedDataError)
  })

  it('reports the length and duration of an optimal path on random graphs', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 2, max: 200 }), fc.nat(), fc.nat(), (seed, nodes, a, b) => {
      const rg = randomGraph(seed, { nodes })
      const r = Router.build(rg)
      const s = a % nodes
      const t = b % nodes
      for (const metric of ['time', 'distance'] as const) {
        const ref = dijkstra(rg, s, metric, t).dist[t]
        const route = r.route(s, t, { metric })
        if (ref === Infinity) {
          expect(route).to.equal(null)
          continue
        }
        expect(route).to.not.equal(null)
        if (route == null) return
        expect(metric === 'time' ? route.durationS * 1000 : route.distanceM * 100).to.be.closeTo(ref, 1e-6)
        expect(pathWeight(rg, route.nodes, metric)).to.equal(ref)
        const sums = pathSums(rg, route.nodes, metric)
        expect(route.durationS).to.equal(sums.timeMs / 1000)
        expect(route.distanceM).to.equal(sums.distCm / 100)
      }
    }), { numRuns: 40 })
  })
})
