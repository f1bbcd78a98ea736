import { InvalidParametersError } from '@libp2p/interface'
import { expect } from 'chai'
import { syntheticCity, haversineM, mulberry32 } from '../../../../matching/graph/index.js'
import { expectValidGraph } from './graph-checks.js'

describe('syntheticCity', function () {
  it('builds the default 20×20 grid, strongly connected, nothing dropped', function () {
    const g = syntheticCity()
    expect(g.numNodes).to.equal(400)
    expect(g.meta.droppedNodes).to.equal(0)
    expect(g.meta.droppedEdges).to.equal(0)
    expect(g.meta.source).to.match(/^synthetic:/)
    expectValidGraph(g)
    // centred on the default origin, about 19 blocks of 200 m each way
    expect((g.meta.bbox.minLat + g.meta.bbox.maxLat) / 2).to.be.closeTo(40.75, 0.001)
    expect((g.meta.bbox.minLon + g.meta.bbox.maxLon) / 2).to.be.closeTo(-73.98, 0.001)
    const height = haversineM(g.meta.bbox.minLat, -73.98, g.meta.bbox.maxLat, -73.98)
    expect(height).to.be.within(19 * 200 - 40, 19 * 200 + 40)
  })

  it('is deterministic for a seed and differs between seeds', function () {
    const a = syntheticCity({ seed: 7 })
    const b = syntheticCity({ seed: 7 })
    const c = syntheticCity({ seed: 8 })
    expect(a.lat).to.deep.equal(b.lat)
    expect(a.lon).to.deep.equal(b.lon)
    expect(a.head).to.deep.equal(b.head)
    expect(a.timeMs).to.deep.equal(b.timeMs)
    expect(a.meta).to.deep.equal(b.meta)
    expect(a.lat).to.not.deep.equal(c.lat)
    expect(a.head).to.deep.equal(c.head) // the topology does not depend on the seed
  })

  it('makes the alternating pattern one-way and `none` all two-way', function () {
    const alt = syntheticCity({ cols: 12, rows: 9 })
    const none = syntheticCity({ cols: 12, rows: 9, oneWay: 'none' })
    // full two-way grid: 2 × (cols-1)·rows + 2 × cols·(rows-1) directed edges
    expect(none.numEdges).to.equal(2 * (11 * 9) + 2 * (12 * 8))
    expect(alt.numEdges).to.be.below(none.numEdges)
    const hasEdge = (g: typeof alt, u: number, v: number): boolean => {
      for (let e = g.firstOut[u]; e < g.firstOut[u + 1]; e++) if (g.head[e] === v) return true
      return false
    }
    // avenue 1 is one-way southbound, avenue 2 northbound, avenue 5 two-way
    const id = (c: number, r: number): number => r * 12 + c
    expect(hasEdge(alt, id(1, 4), id(1, 3))).to.equal(true)
    expect(hasEdge(alt, id(1, 3), id(1, 4))).to.equal(false)
    expect(hasEdge(alt, id(2, 3), id(2, 4))).to.equal(true)
    expect(hasEdge(alt, id(2, 4), id(2, 3))).to.equal(false)
    expect(hasEdge(alt, id(5, 3), id(5, 4))).to.equal(true)
    expect(hasEdge(alt, id(5, 4), id(5, 3))).to.equal(true)
    // street 1 westbound
    expect(hasEdge(alt, id(4, 1), id(3, 1))).to.equal(true)
    expect(hasEdge(alt, id(3, 1), id(4, 1))).to.equal(false)
  })

  it('times avenues and streets at their speeds', function () {
    const g = syntheticCity({ cols: 4, rows: 4, avenueKmh: 36, streetKmh: 18, oneWay: 'none' })
    const u = 5
    for (let e = g.firstOut[u]; e < g.firstOut[u + 1]; e++) {
      const v = g.head[e]
      const kmh = Math.abs(v - u) === 4 ? 36 : 18
      expect(g.timeMs[e]).to.be.closeTo(g.distCm[e] / 100 / (kmh / 3.6) * 1000, 1)
    }
  })

  it('stays strongly connected for random sizes, patterns and seeds', function () {
    const rand = mulberry32(99)
    for (let i = 0; i < 40; i++) {
      const cols = 2 + Math.floor(rand() * 14)
      const rows = 2 + Math.floor(rand() * 14)
      const twoWayEvery = 1 + Math.floor(rand() * 8)
      const g = syntheticCity({ cols, rows, twoWayEvery, seed: i })
      expect(g.numNodes, `${cols}x${rows}/${twoWayEvery}`).to.equal(cols * rows)
      expectValidGraph(g)
    }
  })

  it('rejects nonsense options', function () {
    expect(() => syntheticCity({ cols: 1 })).to.throw(InvalidParametersError)
    expect(() => syntheticCity({ blockM: -5 })).to.throw(InvalidParametersError)
    expect(() => syntheticCity({ twoWayEvery: 0 })).to.throw(InvalidParametersError)
    expect(() => syntheticCity({ jitterM: 150 })).to.throw(InvalidParametersError)
  })
})
