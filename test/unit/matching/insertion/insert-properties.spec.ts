import { expect } from 'chai'
import fc from 'fast-check'
import { mulberry32 } from '../../../../matching/graph/index.js'
import { PROMISE_TOLERANCE_S, insertRequest, preparePlan } from '../../../../matching/insertion/index.js'
import type { RoadGraph } from '../../../../matching/graph/index.js'
import { DijkstraOracle, randomGraph, smallGraph } from '../../../fixtures/insertion-oracle.js'
import { simulate } from '../../../fixtures/insertion-brute-force.js'
import { randomRequest } from '../../../fixtures/insertion-scenarios.js'
import type { PlanShape } from '../../../fixtures/insertion-scenarios.js'
import { agreesWithBruteForce } from '../../../fixtures/insertion-agreement.js'

const planShape = (vertices: number[]): PlanShape => ({ vertices })

describe('matching/insertion: properties against the brute force', function () {
  const graph = randomGraph(60, 90, mulberry32(7))
  const oracle = new DijkstraOracle(graph)
  const vertices = Array.from({ length: graph.numNodes }, (_, v) => v)

  it('agrees on a random strongly connected graph', () => {
    const tally = { accepted: 0, rejected: 0, skipped: 0 }
    fc.assert(fc.property(fc.integer(), seed => {
      tally[agreesWithBruteForce(oracle, oracle, planShape(vertices), { vertices, maxWaitS: 900 }, seed)]++
    }), { numRuns: 400 })
    // both outcomes must be exercised, or the property says little
    expect(tally.accepted).to.be.above(40)
    expect(tally.rejected).to.be.above(40)
  })

  it('agrees with tight limits (mostly rejections: reasons must match)', () => {
    const reasons = new Set<string>()
    fc.assert(fc.property(fc.integer(), seed => {
      agreesWithBruteForce(oracle, oracle, { vertices, slackScale: 60, maxCapacity: 3, maxAssigned: 3 }, { vertices, maxWaitS: 200 }, seed, reasons)
    }), { numRuns: 400 })
    expect([...reasons].sort()).to.include.members(['detour-exceeded', 'no-seats', 'wait-exceeded', 'would-delay-others'])
  })

  it('agrees on a graph with vertices no road reaches', () => {
    // the ring graph plus five vertices without edges
    const g: RoadGraph = randomGraph(40, 60, mulberry32(11))
    const edges: Array<[number, number, number]> = []
    for (let u = 0; u < g.numNodes; u++) {
      for (let e = g.firstOut[u]; e < g.firstOut[u + 1]; e++) edges.push([u, g.head[e], g.timeMs[e] / 1000])
    }
    const withIslands = smallGraph(g.numNodes + 5, edges)
    const o = new DijkstraOracle(withIslands)
    const all = Array.from({ length: withIslands.numNodes }, (_, v) => v)
    fc.assert(fc.property(fc.integer(), seed => {
      agreesWithBruteForce(o, o, { vertices: all.slice(0, g.numNodes) }, { vertices: all }, seed)
    }), { numRuns: 200 })
  })

  it('keeps every promise through a chain of accepted insertions', () => {
    fc.assert(fc.property(fc.integer(), seed => {
      const rand = mulberry32(seed)
      let plan = { position: vertices[Math.floor(rand() * vertices.length)], time: 0, capacity: 1 + Math.floor(rand() * 4), onboard: 0, stops: [] as any[] }
      let prepared = preparePlan(plan, oracle)
      for (let k = 0; k < 6; k++) {
        const request = { ...randomRequest(rand, { vertices, maxWaitS: 900 }, plan.time), id: `q${k}` }
        const r = insertRequest(prepared, request, oracle)
        if (!r.ok) continue
        plan = r.insertion.plan as typeof plan
        prepared = preparePlan(plan, oracle)
        const sim = simulate(plan, oracle)
        plan.stops.forEach((s, i) => {
          expect(sim.arrival[i], `stop ${i} of ${s.requestId as string}`).to.be.at.most(s.latest + PROMISE_TOLERANCE_S)
        })
      }
    }), { numRuns: 100 })
  })
})
