import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { MapFormatError, parseOsmPbf, haversineM } from '../../../../matching/graph/index.js'
import { requireSharedData, sharedData } from '../../../fixtures/shared-data.js'
import { expectValidGraph } from './graph-checks.js'

/** Largest-SCC sizes from ../shared/data/README.md ("about"). */
const EXPECTED = [
  { file: 'monaco.osm.pbf', nodes: 14_400, importedNodes: 15_700, importedEdges: 27_600 },
  { file: 'andorra.osm.pbf', nodes: 16_400, importedNodes: 16_500, importedEdges: 31_600 },
  { file: 'manhattan-midtown.osm.pbf', nodes: 6_200, importedNodes: 7_400, importedEdges: undefined }
]

describe('parseOsmPbf', function () {
  for (const { file, nodes, importedNodes, importedEdges } of EXPECTED) {
    describe(file, function () {
      requireSharedData(this, `maps/${file}`)

      it('builds a strongly connected car graph of the expected size', function () {
        const g = parseOsmPbf(readFileSync(sharedData(`maps/${file}`)), { source: file })
        expect(g.meta.source).to.equal(`osm:${file}`)
        expect(g.numNodes).to.be.within(nodes * 0.95, nodes * 1.05)
        expect(g.meta.importedNodes).to.be.within(importedNodes * 0.95, importedNodes * 1.05)
        if (importedEdges !== undefined) expect(g.meta.importedEdges).to.be.within(importedEdges * 0.95, importedEdges * 1.05)
        expect(g.meta.importedNodes - g.meta.droppedNodes).to.equal(g.numNodes)
        expect(g.meta.importedEdges - g.meta.droppedEdges).to.equal(g.numEdges)
        expectValidGraph(g)
        // weights agree with the coordinates and sane city speeds
        for (let u = 0; u < g.numNodes; u += 7) {
          for (let e = g.firstOut[u]; e < g.firstOut[u + 1]; e++) {
            const v = g.head[e]
            const m = haversineM(g.lat[u], g.lon[u], g.lat[v], g.lon[v])
            expect(Math.abs(g.distCm[e] - Math.max(1, Math.round(m * 100)))).to.be.at.most(1)
            const kmh = (g.distCm[e] / 100) / (g.timeMs[e] / 1000) * 3.6
            if (g.distCm[e] > 1000) expect(kmh).to.be.within(4, 140)
          }
        }
        const { bbox } = g.meta
        for (let v = 0; v < g.numNodes; v++) {
          if (g.lat[v] < bbox.minLat || g.lat[v] > bbox.maxLat || g.lon[v] < bbox.minLon || g.lon[v] > bbox.maxLon) expect.fail('vertex outside bbox')
        }
      })
    })
  }

  describe('bad input', function () {
    const bad: Array<[string, Uint8Array]> = [
      ['empty', new Uint8Array(0)],
      ['short', new Uint8Array([1, 2, 3])],
      ['text', new TextEncoder().encode('<?xml version="1.0"?><osm version="0.6"></osm>')],
      ['zeros', new Uint8Array(4096)],
      ['huge header length', new Uint8Array([0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6])]
    ]
    for (const [name, bytes] of bad) {
      it(`rejects ${name} bytes with MapFormatError`, function () {
        expect(() => parseOsmPbf(bytes)).to.throw(MapFormatError).with.property('code', 'ERR_MAP_FORMAT')
      })
    }

    it('rejects random bytes with MapFormatError', function () {
      let x = 12345
      const bytes = new Uint8Array(10_000).map(() => { x = (x * 1103515245 + 12345) >>> 0; return x >>> 24 })
      expect(() => parseOsmPbf(bytes)).to.throw(MapFormatError)
    })

    describe('truncated real file', function () {
      requireSharedData(this, 'maps/andorra.osm.pbf')
      it('rejects a file cut in the middle', function () {
        const bytes = readFileSync(sharedData('maps/andorra.osm.pbf'))
        expect(() => parseOsmPbf(bytes.subarray(0, Math.floor(bytes.length / 2)))).to.throw(MapFormatError)
      })
      it('rejects a file whose data blobs are damaged', function () {
        const bytes = new Uint8Array(readFileSync(sharedData('maps/andorra.osm.pbf')))
        for (let i = 2000; i < bytes.length; i += 997) bytes[i] ^= 0x5a
        expect(() => parseOsmPbf(bytes)).to.throw(MapFormatError)
      })
    })
  })
})
