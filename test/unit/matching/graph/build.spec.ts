import { InvalidParametersError } from '@libp2p/interface'
import { expect } from 'chai'
import { buildRoadGraph, reverseGraph, edgeTails, stronglyConnectedComponents, syntheticCity, mulberry32 } from '../../../../matching/graph/index.js'
import { expectValidGraph } from './graph-checks.js'

const coords = (n: number): { lat: number[], lon: number[] } => ({
  lat: Array.from({ length: n }, (_, i) => 40 + i * 0.001),
  lon: Array.from({ length: n }, (_, i) => -74 + i * 0.001)
})

describe('buildRoadGraph', function () {
  it('keeps the fastest of parallel edges, drops self-loops, sorts by head', function () {
    // 0 <-> 1 <-> 2 <-> 0, with a slower duplicate 0->1 and a self-loop at 2
    const g = buildRoadGraph({
      ...coords(3),
      tail: [0, 1, 1, 2, 2, 0, 0, 2, 0],
      head: [1, 0, 2, 1, 0, 2, 1, 2, 1],
      distCm: [100, 100, 200, 200, 300, 300, 90, 5, 80],
      timeMs: [10, 10, 20, 20, 30, 30, 50, 5, 10]
    }, { source: 'test' })
    expect(g.numNodes).to.equal(3)
    expect(g.numEdges).to.equal(6)
    expectValidGraph(g)
    // 0->1: time 10 twice (dist 100 and 80): the tie goes to the shorter
    expect(Array.from(g.head.subarray(g.firstOut[0], g.firstOut[1]))).to.deep.equal([1, 2])
    expect(g.timeMs[g.firstOut[0]]).to.equal(10)
    expect(g.distCm[g.firstOut[0]]).to.equal(80)
    expect(g.meta).to.include({ source: 'test', importedNodes: 3, importedEdges: 6, droppedNodes: 0, droppedEdges: 0 })
  })

  it('keeps the largest strongly connected component and renumbers in order', function () {
    // cycle 1->3->4->1 (3 vertices), cycle 0<->2 (2), 5 reachable only one way
    const g = buildRoadGraph({
      ...coords(6),
      tail: [1, 3, 4, 0, 2, 4, 0],
      head: [3, 4, 1, 2, 0, 5, 1],
      distCm: [1, 2, 3, 4, 5, 6, 7],
      timeMs: [0, 2, 3, 4, 5, 6, 7]
    }, { source: 'scc' })
    expect(g.numNodes).to.equal(3)
    expect(Array.from(g.lat)).to.deep.equal([40.001, 40.003, 40.004])
    expect(Array.from(g.head)).to.deep.equal([1, 2, 0])
    expect(g.timeMs[0]).to.equal(1) // raised to at least 1
    expect(g.meta).to.include({ importedNodes: 6, importedEdges: 7, droppedNodes: 3, droppedEdges: 4 })
    expect(g.meta.bbox).to.deep.equal({ minLat: 40.001, minLon: -73.999, maxLat: 40.004, maxLon: -73.996 })
    expectValidGraph(g)
  })

  it('can keep every component', function () {
    const g = buildRoadGraph({ ...coords(3), tail: [0], head: [1], distCm: [5], timeMs: [5] }, { source: 'x', keepLargestScc: false })
    expect(g.numNodes).to.equal(3)
    expect(g.numEdges).to.equal(1)
  })

  it('rejects out-of-range vertices', function () {
    expect(() => buildRoadGraph({ ...coords(2), tail: [0], head: [2], distCm: [1], timeMs: [1] }, { source: 'x' })).to.throw(InvalidParametersError)
  })
})

describe('stronglyConnectedComponents', function () {
  it('handles a long path without recursion (200k vertices)', function () {
    const n = 200_000
    const firstOut = Uint32Array.from({ length: n + 1 }, (_, v) => Math.min(v, n - 1))
    const head = Uint32Array.from({ length: n - 1 }, (_, e) => e + 1)
    const c = stronglyConnectedComponents(n, firstOut, head)
    expect(c.count).to.equal(n)
    // a ring is one component
    const ringFirst = Uint32Array.from({ length: n + 1 }, (_, v) => v)
    const ringHead = Uint32Array.from({ length: n }, (_, e) => (e + 1) % n)
    expect(stronglyConnectedComponents(n, ringFirst, ringHead).count).to.equal(1)
  })

  it('agrees with reachability on random small graphs', function () {
    const rand = mulberry32(3)
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rand() * 12)
      const adj: number[][] = Array.from({ length: n }, () => [])
      for (let k = 0; k < n * 2; k++) adj[Math.floor(rand() * n)].push(Math.floor(rand() * n))
      const firstOut = new Uint32Array(n + 1)
      for (let v = 0; v < n; v++) firstOut[v + 1] = firstOut[v] + adj[v].length
      const head = Uint32Array.from(adj.flat())
      const reach = adj.map((_, s) => {
        const seen = new Set([s]); const stack = [s]
        while (stack.length > 0) for (const w of adj[stack.pop() as number]) if (!seen.has(w)) { seen.add(w); stack.push(w) }
        return seen
      })
      const { component } = stronglyConnectedComponents(n, firstOut, head)
      for (let u = 0; u < n; u++) {
        for (let v = 0; v < n; v++) {
          expect(component[u] === component[v]).to.equal(reach[u].has(v) && reach[v].has(u))
        }
      }
    }
  })
})

describe('reverseGraph', function () {
  it('lists each edge once as incoming at its head, with its weights', function () {
    const g = syntheticCity({ cols: 7, rows: 6, seed: 9 })
    const r = reverseGraph(g)
    const tails = edgeTails(g)
    expect(r.numEdges).to.equal(g.numEdges)
    expect(r.firstIn[g.numNodes]).to.equal(g.numEdges)
    const seen = new Uint8Array(g.numEdges)
    for (let v = 0; v < g.numNodes; v++) {
      for (let i = r.firstIn[v]; i < r.firstIn[v + 1]; i++) {
        const e = r.edge[i]
        seen[e]++
        expect(g.head[e]).to.equal(v)
        expect(tails[e]).to.equal(r.tail[i])
        expect(r.distCm[i]).to.equal(g.distCm[e])
        expect(r.timeMs[i]).to.equal(g.timeMs[e])
        if (i > r.firstIn[v]) expect(r.tail[i]).to.be.greaterThan(r.tail[i - 1])
      }
    }
    expect(seen.every(x => x === 1)).to.equal(true)
  })
})
