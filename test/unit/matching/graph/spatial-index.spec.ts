import { readFileSync } from 'node:fs'
import { expect } from 'chai'
import { SpatialIndex, syntheticCity, parseOsmPbf, mulberry32, haversineM, EARTH_RADIUS_M, edgeTails } from '../../../../matching/graph/index.js'
import type { RoadGraph } from '../../../../matching/graph/index.js'
import { requireSharedData, sharedData } from '../../../fixtures/shared-data.js'

/** Brute force: the smallest projected distance from the point to any edge segment, and its great-circle distance. */
function bruteNearest (g: RoadGraph, lat: number, lon: number): { distanceM: number } {
  const lat0 = (g.meta.bbox.minLat + g.meta.bbox.maxLat) / 2
  const lon0 = (g.meta.bbox.minLon + g.meta.bbox.maxLon) / 2
  const ky = EARTH_RADIUS_M * Math.PI / 180
  const kx = ky * Math.cos(lat0 * Math.PI / 180)
  const tails = edgeTails(g)
  const px = (lon - lon0) * kx; const py = (lat - lat0) * ky
  let best = Infinity; let bestLat = 0; let bestLon = 0
  for (let e = 0; e < g.numEdges; e++) {
    const a = tails[e]; const b = g.head[e]
    const ax = (g.lon[a] - lon0) * kx; const ay = (g.lat[a] - lat0) * ky
    const dx = (g.lon[b] - lon0) * kx - ax; const dy = (g.lat[b] - lat0) * ky - ay
    const len2 = dx * dx + dy * dy
    const t = Math.min(1, Math.max(0, len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0))
    const d = Math.hypot(ax + t * dx - px, ay + t * dy - py)
    if (d < best) {
      best = d
      bestLat = g.lat[a] + t * (g.lat[b] - g.lat[a])
      bestLon = g.lon[a] + t * (g.lon[b] - g.lon[a])
    }
  }
  return { distanceM: haversineM(lat, lon, bestLat, bestLon) }
}

function tailOf (g: RoadGraph, e: number): number {
  let u = 0
  while (g.firstOut[u + 1] <= e) u++
  return u
}

function checkAgainstBruteForce (g: RoadGraph, index: SpatialIndex, seed: number, samples: number, marginDeg: number): void {
  const rand = mulberry32(seed)
  const { bbox } = g.meta
  for (let i = 0; i < samples; i++) {
    const lat = bbox.minLat - marginDeg + rand() * (bbox.maxLat - bbox.minLat + 2 * marginDeg)
    const lon = bbox.minLon - marginDeg + rand() * (bbox.maxLon - bbox.minLon + 2 * marginDeg)
    const snap = index.snap(lat, lon)
    const brute = bruteNearest(g, lat, lon)
    if (brute.distanceM > index.maxDistanceM + 1) {
      expect(snap, `sample ${i} should be off the map`).to.equal(null)
      continue
    }
    if (snap === null) {
      expect(brute.distanceM, `sample ${i} null but a road is near`).to.be.greaterThan(index.maxDistanceM - 1)
      continue
    }
    expect(snap.distanceM, `sample ${i}`).to.be.closeTo(brute.distanceM, 0.01)
    expect(g.head[snap.edge]).to.equal(snap.node)
    expect(haversineM(lat, lon, snap.lat, snap.lon)).to.be.closeTo(snap.distanceM, 1e-6)
    // the snapped point lies on the edge's segment
    const a = tailOf(g, snap.edge)
    const b = snap.node
    const along = haversineM(g.lat[a], g.lon[a], snap.lat, snap.lon) + haversineM(snap.lat, snap.lon, g.lat[b], g.lon[b])
    expect(along).to.be.closeTo(haversineM(g.lat[a], g.lon[a], g.lat[b], g.lon[b]), 0.05)
    expect(snap.toNodeM).to.be.closeTo(haversineM(snap.lat, snap.lon, g.lat[b], g.lon[b]), 1e-6)
  }
}

describe('SpatialIndex', function () {
  describe('on a synthetic city', function () {
    const g = syntheticCity({ cols: 15, rows: 12, seed: 3 })
    const index = new SpatialIndex(g)

    it('snaps a point on a vertex to that vertex', function () {
      for (let v = 0; v < g.numNodes; v++) {
        const s = index.snap(g.lat[v], g.lon[v])
        expect(s, `vertex ${v}`).to.not.equal(null)
        expect(s?.node).to.equal(v)
        expect(s?.distanceM).to.be.below(1e-6)
        expect(s?.toNodeM).to.be.below(1e-6)
      }
    })

    it('returns null far away and honours maxDistanceM', function () {
      expect(index.snap(0, 0)).to.equal(null)
      expect(index.snap(-40.75, 106)).to.equal(null)
      expect(index.snap(Number.NaN, 0)).to.equal(null)
      // 1.5 km north of the top edge: off the map by default, on it with a larger limit
      const lat = g.meta.bbox.maxLat + 1500 / (EARTH_RADIUS_M * Math.PI / 180)
      const lon = (g.meta.bbox.minLon + g.meta.bbox.maxLon) / 2
      expect(index.snap(lat, lon)).to.equal(null)
      const far = index.snap(lat, lon, 2000)
      expect(far).to.not.equal(null)
      expect(far?.distanceM).to.be.within(1400, 1600)
      expect(new SpatialIndex(g, { maxDistanceM: 2000 }).snap(lat, lon)?.edge).to.equal(far?.edge)
    })

    it('uses the head of a one-way segment and the nearer end of a two-way one', function () {
      // avenue 1 is one-way southbound: a point just north of mid-block between (1,4) and (1,5)
      const id = (c: number, r: number): number => r * 15 + c
      const a = id(1, 4); const b = id(1, 5)
      const lat = g.lat[a] + 0.6 * (g.lat[b] - g.lat[a])
      const lon = g.lon[a] + 0.6 * (g.lon[b] - g.lon[a])
      expect(index.snap(lat, lon)?.node).to.equal(a)
      // avenue 5 is two-way: the same offset snaps to the nearer end
      const c = id(5, 4); const d = id(5, 5)
      expect(index.snap(g.lat[c] + 0.6 * (g.lat[d] - g.lat[c]), g.lon[c] + 0.6 * (g.lon[d] - g.lon[c]))?.node).to.equal(d)
      expect(index.snap(g.lat[c] + 0.3 * (g.lat[d] - g.lat[c]), g.lon[c] + 0.3 * (g.lon[d] - g.lon[c]))?.node).to.equal(c)
    })

    it('matches a brute-force nearest segment on random points', function () {
      checkAgainstBruteForce(g, index, 11, 400, 0.01)
    })

    it('matches brute force with a coarse grid too', function () {
      checkAgainstBruteForce(g, new SpatialIndex(g, { cellM: 1000 }), 12, 200, 0.01)
      checkAgainstBruteForce(g, new SpatialIndex(g, { cellM: 7 }), 13, 200, 0.01)
    })
  })

  describe('on monaco', function () {
    requireSharedData(this, 'maps/monaco.osm.pbf')
    let g: RoadGraph
    let index: SpatialIndex
    before(function () {
      g = parseOsmPbf(readFileSync(sharedData('maps/monaco.osm.pbf')), { source: 'monaco.osm.pbf' })
      index = new SpatialIndex(g)
    })

    it('matches a brute-force nearest segment on random points', function () {
      checkAgainstBruteForce(g, index, 21, 150, 0.005)
    })

    it('snaps every vertex to itself', function () {
      for (let v = 0; v < g.numNodes; v += 3) {
        const s = index.snap(g.lat[v], g.lon[v])
        // distinct OSM nodes may share coordinates; then either is right
        expect(s?.distanceM).to.be.below(1e-6)
        expect(g.lat[s?.node ?? 0] === g.lat[v] && g.lon[s?.node ?? 0] === g.lon[v], `vertex ${v}`).to.equal(true)
      }
    })

    it('snaps quickly', function () {
      const rand = mulberry32(5)
      const { bbox } = g.meta
      const n = 100_000
      const t0 = performance.now()
      let hits = 0
      for (let i = 0; i < n; i++) {
        if (index.snap(bbox.minLat + rand() * (bbox.maxLat - bbox.minLat), bbox.minLon + rand() * (bbox.maxLon - bbox.minLon)) !== null) hits++
      }
      const us = (performance.now() - t0) * 1000 / n
       
      console.log(`      ${index.numSegments} segments, cell ${index.cellM} m: ${us.toFixed(2)} µs per snap, ${hits} of ${n} on the map`)
      expect(hits).to.be.greaterThan(n / 2)
    })
  })
})
