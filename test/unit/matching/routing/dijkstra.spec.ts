import { expect } from 'chai'
import { dijkstra, shortestPath, InvalidVertexError } from '../../../../matching/routing/index.js'
import { graphOf } from './random-graph.js'

describe('matching/routing dijkstra', () => {
  // 0 -> 1 -> 3 is short, 0 -> 2 -> 3 is fast; 4 is unreachable; 1 -> 3 has a slower parallel edge.
  const g = graphOf(5, [
    [0, 1, 100, 50], [1, 3, 100, 50], [1, 3, 90, 500],
    [0, 2, 300, 10], [2, 3, 300, 10],
    [4, 0, 1, 1]
  ])

  it('minimises time or distance as asked', () => {
    expect(Array.from(dijkstra(g, 0, 'time').dist)).to.deep.equal([0, 50, 10, 20, Infinity])
    expect(Array.from(dijkstra(g, 0, 'distance').dist)).to.deep.equal([0, 100, 300, 190, Infinity])
  })

  it('returns the path with its edges', () => {
    const fast = shortestPath(g, 0, 3, 'time')
    expect(fast?.weight).to.equal(20)
    expect(fast?.nodes).to.deep.equal([0, 2, 3])
    const short = shortestPath(g, 0, 3, 'distance')
    expect(short?.weight).to.equal(190)
    expect(short?.nodes).to.deep.equal([0, 1, 3])
    // The parallel edge 1 -> 3 of 90 cm is the one taken.
    expect(short?.edges.map(e => g.distCm[e])).to.deep.equal([100, 90])
  })

  it('gives null for an unreachable target and a one-vertex path to itself', () => {
    expect(shortestPath(g, 0, 4, 'time')).to.equal(null)
    expect(shortestPath(g, 3, 3, 'time')).to.deep.equal({ weight: 0, nodes: [3], edges: [] })
  })

  it('rejects vertices outside the graph with a typed error', () => {
    expect(() => dijkstra(g, 5, 'time')).to.throw(InvalidVertexError).with.property('code', 'ERR_INVALID_VERTEX')
    expect(() => shortestPath(g, 0, -1, 'time')).to.throw(InvalidVertexError)
    expect(() => shortestPath(g, 0.5, 1, 'time')).to.throw(InvalidVertexError)
  })

  it('stops early at the target with that target settled', () => {
    const t = dijkstra(g, 0, 'time', 2)
    expect(t.dist[2]).to.equal(10)
    expect(t.parent[2]).to.equal(0)
  })
})
