import { expect } from 'chai'
import fc from 'fast-check'
import { ChQuery, ContractionHierarchy, CH_ARRAY_NAMES, PreparedDataError, InvalidVertexError, dijkstra } from '../../../../matching/routing/index.js'
import { graphOf, pathWeight, randomGraph } from './random-graph.js'
import type { Metric } from '../../../../matching/graph/road-graph.js'

const metricArb = fc.constantFrom<Metric>('time', 'distance')
const graphArb = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  nodes: fc.integer({ min: 2, max: 250 }),
  degree: fc.integer({ min: 1, max: 4 }),
  oneway: fc.double({ min: 0, max: 1, noNaN: true }),
  // Small weights make many equal-length paths.
  maxWeight: fc.constantFrom(1, 3, 1000, 100000)
})

/** Copies arrays into fresh, differently aligned buffers, as a cache read back from disk would. */
function throughBytes (arrays: Record<string, ArrayBufferView>): Record<string, ArrayBufferView> {
  const out: Record<string, ArrayBufferView> = {}
  for (const [k, v] of Object.entries(arrays)) {
    const bytes = new Uint8Array(v.byteLength + 1)
    bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), 1)
    out[k] = bytes.subarray(1)
  }
  return out
}

describe('matching/routing contraction hierarchy', () => {
  it('gives exactly the Dijkstra distance for every pair, with valid unpacked paths', () => {
    fc.assert(fc.property(graphArb, metricArb, fc.integer({ min: 0, max: 1000 }), (opts, metric, s0) => {
      const g = randomGraph(opts.seed, opts)
      const q = new ChQuery(ContractionHierarchy.build(g, metric))
      for (const s of [s0 % g.numNodes, (s0 * 7 + 1) % g.numNodes]) {
        const ref = dijkstra(g, s, metric).dist
        for (let t = 0; t < g.numNodes; t++) {
          expect(q.distance(s, t), `${s} -> ${t}`).to.equal(ref[t])
          const p = q.path(s, t)
          if (ref[t] === Infinity) {
            expect(p).to.equal(null)
            continue
          }
          expect(p?.weight).to.equal(ref[t])
          expect(p?.nodes[0]).to.equal(s)
          expect(p?.nodes[p.nodes.length - 1]).to.equal(t)
          expect(pathWeight(g, p?.nodes ?? [], metric)).to.equal(ref[t])
        }
      }
    }), { numRuns: 60 })
  })

  it('answers one-to-many, many-to-one and many-to-many as repeated point queries', () => {
    fc.assert(fc.property(graphArb, metricArb, fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { minLength: 0, maxLength: 8 }), fc.constantFrom(0, 3, 4096),
      (opts, metric, rawSources, rawTargets, cacheSize) => {
        const g = randomGraph(opts.seed, opts)
        const ch = ContractionHierarchy.build(g, metric)
        const q = new ChQuery(ch, { searchSpaceCacheSize: cacheSize })
        const point = new ChQuery(ch)
        const sources = rawSources.map(x => x % g.numNodes)
        const targets = rawTargets.map(x => x % g.numNodes)
        const table = q.manyToMany(sources, targets)
        expect(table.length).to.equal(sources.length * targets.length)
        for (let i = 0; i < sources.length; i++) {
          const row = Array.from(q.distancesFrom(sources[i], targets))
          expect(row).to.deep.equal(targets.map(t => point.distance(sources[i], t)))
          expect(Array.from(table.subarray(i * targets.length, (i + 1) * targets.length))).to.deep.equal(row)
        }
        for (const t of targets) {
          expect(Array.from(q.distancesTo(sources, t))).to.deep.equal(sources.map(s => point.distance(s, t)))
        }
      }), { numRuns: 60 })
  })

  it('survives toArrays/fromArrays through unaligned bytes with identical answers', () => {
    fc.assert(fc.property(graphArb, metricArb, (opts, metric) => {
      const g = randomGraph(opts.seed, opts)
      const ch = ContractionHierarchy.build(g, metric)
      const copy = ContractionHierarchy.fromArrays(throughBytes({ ...ch.toArrays() }))
      for (const name of CH_ARRAY_NAMES) expect(Array.from(copy[name])).to.deep.equal(Array.from(ch[name]))
      const a = new ChQuery(ch)
      const b = new ChQuery(copy)
      for (let i = 0; i < 50; i++) {
        const s = (i * 31) % g.numNodes
        const t = (i * 17 + 3) % g.numNodes
        expect(b.distance(s, t)).to.equal(a.distance(s, t))
        expect(b.path(s, t)).to.deep.equal(a.path(s, t))
      }
    }), { numRuns: 30 })
  })

  it('rejects missing or inconsistent arrays with a typed error', () => {
    const g = randomGraph(7, { nodes: 50 })
    const arrays: Record<string, ArrayBufferView> = { ...ContractionHierarchy.build(g, 'time').toArrays() }
    const { upMid: _, ...missing } = arrays
    expect(() => ContractionHierarchy.fromArrays(missing)).to.throw(PreparedDataError).with.property('code', 'ERR_PREPARED_DATA')
    const shortHead = { ...arrays, upHead: (arrays.upHead as Uint32Array).subarray(1) }
    expect(() => ContractionHierarchy.fromArrays(shortHead)).to.throw(PreparedDataError)
    const badHead = { ...arrays, downHead: (arrays.downHead as Uint32Array).map(() => 50) }
    expect(() => ContractionHierarchy.fromArrays(badHead)).to.throw(PreparedDataError)
    const oddBytes = { ...arrays, rank: new Uint8Array(7) }
    expect(() => ContractionHierarchy.fromArrays(oddBytes)).to.throw(PreparedDataError)
  })

  it('keeps the lightest of parallel edges and ignores self-loops', () => {
    const g = graphOf(3, [[0, 1, 5, 5], [0, 1, 2, 9], [1, 1, 1, 1], [1, 2, 4, 4], [0, 2, 7, 20]])
    const time = new ChQuery(ContractionHierarchy.build(g, 'time'))
    const dist = new ChQuery(ContractionHierarchy.build(g, 'distance'))
    expect(time.distance(0, 2)).to.equal(9)
    expect(time.path(0, 2)?.nodes).to.deep.equal([0, 1, 2])
    expect(dist.distance(0, 2)).to.equal(6)
    expect(dist.distance(2, 0)).to.equal(Infinity)
    expect(Array.from(dist.distancesFrom(2, [0, 1, 2]))).to.deep.equal([Infinity, Infinity, 0])
  })

  it('rejects vertices outside the graph', () => {
    const q = new ChQuery(ContractionHierarchy.build(randomGraph(1, { nodes: 10 }), 'time'))
    expect(() => q.distance(0, 10)).to.throw(InvalidVertexError)
    expect(() => q.distancesFrom(0, [1, -1])).to.throw(InvalidVertexError)
    expect(() => q.manyToMany([NaN], [1])).to.throw(InvalidVertexError)
  })

  it('handles the empty graph and a single vertex', () => {
    const one = graphOf(1, [])
    const q = new ChQuery(ContractionHierarchy.build(one, 'time'))
    expect(q.distance(0, 0)).to.equal(0)
    expect(q.path(0, 0)).to.deep.equal({ weight: 0, nodes: [0] })
    expect(ContractionHierarchy.build(graphOf(0, []), 'time').numEdges).to.equal(0)
  })
})
