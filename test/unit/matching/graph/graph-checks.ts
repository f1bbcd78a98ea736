import { expect } from 'chai'
import { isStronglyConnected } from '../../../../matching/graph/index.js'
import type { RoadGraph } from '../../../../matching/graph/index.js'

/** Structural invariants every RoadGraph must satisfy. */
export function expectValidGraph (g: RoadGraph): void {
  expect(g.lat.length).to.equal(g.numNodes)
  expect(g.lon.length).to.equal(g.numNodes)
  expect(g.firstOut.length).to.equal(g.numNodes + 1)
  expect(g.firstOut[0]).to.equal(0)
  expect(g.firstOut[g.numNodes]).to.equal(g.numEdges)
  expect(g.head.length).to.equal(g.numEdges)
  expect(g.distCm.length).to.equal(g.numEdges)
  expect(g.timeMs.length).to.equal(g.numEdges)
  for (let v = 0; v < g.numNodes; v++) {
    expect(g.firstOut[v + 1] >= g.firstOut[v], `firstOut monotone at ${v}`).to.equal(true)
    for (let e = g.firstOut[v]; e < g.firstOut[v + 1]; e++) {
      if (g.head[e] === v) expect.fail(`self-loop at ${v}`)
      if (e > g.firstOut[v] && g.head[e] <= g.head[e - 1]) expect.fail(`parallel or unsorted edges at ${v}`)
    }
  }
  let minD = Infinity; let minT = Infinity; let maxHead = 0
  for (let e = 0; e < g.numEdges; e++) {
    minD = Math.min(minD, g.distCm[e]); minT = Math.min(minT, g.timeMs[e]); maxHead = Math.max(maxHead, g.head[e])
  }
  expect(minD).to.be.at.least(1)
  expect(minT).to.be.at.least(1)
  expect(maxHead).to.be.below(g.numNodes)
  expect(isStronglyConnected(g.numNodes, g.firstOut, g.head), 'strongly connected').to.equal(true)
}
