import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { serializeGraph, deserializeGraph, syntheticCity, parseOsmPbf, MapFormatError, mulberry32 } from '../../../../matching/graph/index.js'
import type { RoadGraph } from '../../../../matching/graph/index.js'
import { requireSharedData, sharedData } from '../../../fixtures/shared-data.js'

function expectSameGraph (a: RoadGraph, b: RoadGraph): void {
  expect(b.numNodes).to.equal(a.numNodes)
  expect(b.numEdges).to.equal(a.numEdges)
  expect(b.lat).to.deep.equal(a.lat)
  expect(b.lon).to.deep.equal(a.lon)
  expect(b.firstOut).to.deep.equal(a.firstOut)
  expect(b.head).to.deep.equal(a.head)
  expect(b.distCm).to.deep.equal(a.distCm)
  expect(b.timeMs).to.deep.equal(a.timeMs)
  expect(b.meta).to.deep.equal(a.meta)
}

describe('serializeGraph / deserializeGraph', function () {
  const g = syntheticCity({ cols: 9, rows: 7, seed: 4 })

  it('round-trips a graph without extras', function () {
    const bytes = serializeGraph(g)
    expect(bytes.byteLength % 8).to.equal(0)
    const { graph, extras } = deserializeGraph(bytes)
    expectSameGraph(g, graph)
    expect(extras).to.deep.equal({})
  })

  it('round-trips extras of every type, including empty and odd-length ones', function () {
    const extras = {
      'ch.rank': Uint32Array.from([5, 4, 3, 2, 1]),
      'ch.signed': Int32Array.from([-1, 0, 2 ** 31 - 1, -(2 ** 31)]),
      weights: Float64Array.from([Math.PI, -0, Infinity, Number.MIN_VALUE]),
      halves: Float32Array.from([0.5, 1.25, -3]),
      flags: Uint8Array.from([1, 2, 3]),
      empty: new Uint32Array(0),
      'ünïcode name': Uint8Array.from([255])
    }
    const { graph, extras: back } = deserializeGraph(serializeGraph(g, extras))
    expectSameGraph(g, graph)
    expect(Object.keys(back)).to.deep.equal(Object.keys(extras))
    for (const [name, a] of Object.entries(extras)) {
      expect(back[name].constructor).to.equal(a.constructor)
      expect(Array.from(back[name])).to.deep.equal(Array.from(a))
    }
  })

  it('serializes subarray views by their contents only', function () {
    const big = Uint32Array.from([9, 9, 1, 2, 3, 9])
    const { extras } = deserializeGraph(serializeGraph(g, { part: big.subarray(2, 5) }))
    expect(Array.from(extras.part)).to.deep.equal([1, 2, 3])
  })

  it('reads from an unaligned copy and returns arrays independent of the input', function () {
    const bytes = serializeGraph(g, { x: Uint32Array.from([7]) })
    const shifted = new Uint8Array(bytes.byteLength + 3)
    shifted.set(bytes, 3)
    const input = shifted.subarray(3)
    const { graph, extras } = deserializeGraph(input)
    expectSameGraph(g, graph)
    input.fill(0)
    expect(extras.x[0]).to.equal(7)
    expect(graph.head).to.deep.equal(g.head)
  })

  it('is deterministic', function () {
    expect(serializeGraph(g, { a: Uint8Array.of(1) })).to.deep.equal(serializeGraph(g, { a: Uint8Array.of(1) }))
  })

  describe('corrupt bytes give MapFormatError', function () {
    const good = serializeGraph(g, { a: Float64Array.from([1, 2, 3]) })
    const cases: Array<[string, (b: Uint8Array) => Uint8Array]> = [
      ['empty', () => new Uint8Array(0)],
      ['wrong magic', (b) => { b[0] = 0x58; return b }],
      ['future version', (b) => { b[8] = 99; return b }],
      ['truncated', (b) => b.slice(0, b.length - 8)],
      ['truncated to the header', (b) => b.slice(0, 64)],
      ['huge header length', (b) => { b[15] = 0x7f; return b }],
      ['a flipped bit in the data', (b) => { b[b.length - 20] ^= 0x10; return b }],
      ['a flipped bit in the header', (b) => { b[30] ^= 0x01; return b }],
      ['random bytes', (b) => { const r = mulberry32(1); return b.map(() => Math.floor(r() * 256)) }],
      ['an osm.pbf-like prefix', () => Uint8Array.from([0, 0, 0, 13, 10, 9, 79, 83, 77, 72, 101, 97, 100, 101, 114, 0])]
    ]
    for (const [name, corrupt] of cases) {
      it(name, function () {
        expect(() => deserializeGraph(corrupt(good.slice()))).to.throw(MapFormatError).with.property('code', 'ERR_MAP_FORMAT')
      })
    }
  })

  describe('a real map', function () {
    requireSharedData(this, 'maps/andorra.osm.pbf')
    it('round-trips andorra', function () {
      const osm = parseOsmPbf(readFileSync(sharedData('maps/andorra.osm.pbf')), { source: 'andorra.osm.pbf' })
      const bytes = serializeGraph(osm)
      expectSameGraph(osm, deserializeGraph(bytes).graph)
    })
  })
})
