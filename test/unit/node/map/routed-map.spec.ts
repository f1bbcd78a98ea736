import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { openRoutedMap } from '../../../../node/map/index.js'
import { shortestPath } from '../../../../matching/routing/index.js'
import { requireSharedData, sharedData } from '../../../fixtures/shared-data.js'

describe('openRoutedMap', function () {
  let dir: string
  beforeEach(async function () { dir = await mkdtemp(join(tmpdir(), 'hitch-routed-test-')) })
  afterEach(async function () { await rm(dir, { recursive: true, force: true }) })

  it('routes on the default city, and the cached hierarchy gives the same routes', async function () {
    const a = await openRoutedMap(undefined, { cacheDir: dir })
    const b = await openRoutedMap(undefined, { cacheDir: dir })
    expect(a.loaded.fromCache).to.equal(false)
    expect(b.loaded.fromCache).to.equal(true)
    const { bbox } = a.graph.meta
    const from = a.snap(bbox.minLat + 0.001, bbox.minLon + 0.001)
    const to = a.snap(bbox.maxLat - 0.001, bbox.maxLon - 0.002)
    expect(from).to.not.equal(null)
    expect(to).to.not.equal(null)
    if (from === null || to === null) return
    const ra = a.router.route(from.node, to.node)
    const rb = b.router.route(from.node, to.node)
    expect(ra).to.not.equal(null)
    expect(rb?.durationS).to.equal(ra?.durationS)
    const reference = shortestPath(a.graph, from.node, to.node, 'time')
    expect(reference).to.not.equal(null)
    expect(ra?.durationS).to.be.closeTo((reference?.weight ?? 0) / 1000, 1e-6)
    expect(a.snap(0, 0)).to.equal(null)
    expect(a.maxSnapDistanceM).to.equal(1000)
  })

  describe('on monaco', function () {
    requireSharedData(this, 'maps/monaco.osm.pbf')
    it('loads, caches and routes', async function () {
      const a = await openRoutedMap(sharedData('maps/monaco.osm.pbf'), { cacheDir: dir })
      const b = await openRoutedMap(sharedData('maps/monaco.osm.pbf'), { cacheDir: dir })
       
      console.log(`      monaco with hierarchies: ${a.loaded.loadMs.toFixed(0)} ms built, ${b.loaded.loadMs.toFixed(0)} ms from cache`)
      expect(b.loaded.fromCache).to.equal(true)
      const s = b.snap(43.7384, 7.4246)
      const t = b.snap(43.7311, 7.4197)
      expect(s).to.not.equal(null)
      expect(t).to.not.equal(null)
      if (s === null || t === null) return
      const r = b.router.route(s.node, t.node)
      expect(r?.distanceM).to.be.greaterThan(0)
      expect(r?.durationS).to.equal(a.router.route(s.node, t.node)?.durationS)
    })
  })
})
