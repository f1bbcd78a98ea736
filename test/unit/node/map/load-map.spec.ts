import { mkdtemp, readdir, rm, writeFile, readFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { loadMap, loadDefaultCity, defaultCacheDir, MapFileError } from '../../../../node/map/index.js'
import { MapFormatError, syntheticCity } from '../../../../matching/graph/index.js'
import type { RoadGraph } from '../../../../matching/graph/index.js'
import { requireSharedData, sharedData } from '../../../fixtures/shared-data.js'

function sameGraph (a: RoadGraph, b: RoadGraph): void {
  expect(b.numNodes).to.equal(a.numNodes)
  expect(b.head).to.deep.equal(a.head)
  expect(b.timeMs).to.deep.equal(a.timeMs)
  expect(b.lat).to.deep.equal(a.lat)
  expect(b.meta).to.deep.equal(a.meta)
}

describe('loadMap', function () {
  let dir: string
  beforeEach(async function () { dir = await mkdtemp(join(tmpdir(), 'hitch-map-test-')) })
  afterEach(async function () { await rm(dir, { recursive: true, force: true }) })

  describe('with a real map', function () {
    requireSharedData(this, 'maps/andorra.osm.pbf')
    const map = sharedData('maps/andorra.osm.pbf')

    it('builds once, then loads from the cache with the extras', async function () {
      let calls = 0
      const prepare = (g: RoadGraph): Record<string, Uint32Array> => { calls++; return { degree: Uint32Array.from({ length: g.numNodes }, (_, v) => g.firstOut[v + 1] - g.firstOut[v]) } }
      const first = await loadMap(map, { cacheDir: dir, prepare, prepareVersion: 'degree-1' })
      const second = await loadMap(map, { cacheDir: dir, prepare, prepareVersion: 'degree-1' })
       
      console.log(`      andorra: built in ${first.loadMs.toFixed(0)} ms, from cache in ${second.loadMs.toFixed(0)} ms`)
      expect(first.fromCache).to.equal(false)
      expect(second.fromCache).to.equal(true)
      expect(calls).to.equal(1)
      expect(second.cacheFile).to.equal(first.cacheFile)
      expect(second.key).to.equal(first.key)
      sameGraph(first.graph, second.graph)
      expect(second.graph.meta.source).to.equal('osm:andorra.osm.pbf')
      expect(second.extras.degree).to.deep.equal(first.extras.degree)
      expect((await readdir(dir)).filter(f => f.endsWith('.tmp'))).to.deep.equal([])

      // another prepareVersion is another cache entry
      const third = await loadMap(map, { cacheDir: dir, prepare, prepareVersion: 'degree-2' })
      expect(third.fromCache).to.equal(false)
      expect(calls).to.equal(2)
      expect(third.cacheFile).to.not.equal(first.cacheFile)
      // without prepare: yet another entry, no extras
      const plain = await loadMap(map, { cacheDir: dir })
      expect(plain.fromCache).to.equal(false)
      expect(plain.extras).to.deep.equal({})
      expect((await loadMap(map, { cacheDir: dir })).fromCache).to.equal(true)
    })

    it('ignores and rebuilds a corrupt cache file', async function () {
      const first = await loadMap(map, { cacheDir: dir })
      const file = first.cacheFile as string
      const bytes = await readFile(file)
      bytes[bytes.length - 100] ^= 0xff
      await writeFile(file, bytes)
      const second = await loadMap(map, { cacheDir: dir })
      expect(second.fromCache).to.equal(false)
      sameGraph(first.graph, second.graph)
      const third = await loadMap(map, { cacheDir: dir })
      expect(third.fromCache).to.equal(true)
      // a cache file cut short, or replaced by garbage
      await writeFile(file, bytes.subarray(0, 1000))
      expect((await loadMap(map, { cacheDir: dir })).fromCache).to.equal(false)
      await writeFile(file, 'not a graph')
      expect((await loadMap(map, { cacheDir: dir })).fromCache).to.equal(false)
      expect((await loadMap(map, { cacheDir: dir })).fromCache).to.equal(true)
    })

    it('keys the cache on the file bytes, not its name', async function () {
      const copy = join(dir, 'andorra.osm.pbf')
      await writeFile(copy, await readFile(map))
      const a = await loadMap(map, { cacheDir: join(dir, 'cache') })
      const b = await loadMap(copy, { cacheDir: join(dir, 'cache') })
      expect(b.fromCache).to.equal(true)
      expect(b.key).to.equal(a.key)
    })

    it('still loads when the cache cannot be written, and can skip the cache', async function () {
      const blocker = join(dir, 'not-a-dir')
      await writeFile(blocker, 'x')
      const r = await loadMap(map, { cacheDir: join(blocker, 'cache') })
      expect(r.fromCache).to.equal(false)
      expect(r.graph.numNodes).to.be.greaterThan(1000)
      const off = await loadMap(map, { cacheDir: dir, cache: false })
      expect(off.fromCache).to.equal(false)
      expect(off.cacheFile).to.equal(undefined)
      expect(await readdir(dir)).to.deep.equal(['not-a-dir'])
    })

    it('uses $HITCH_CACHE_DIR by default', async function () {
      const saved = process.env.HITCH_CACHE_DIR
      process.env.HITCH_CACHE_DIR = join(dir, 'env-cache')
      try {
        expect(defaultCacheDir()).to.equal(join(dir, 'env-cache'))
        const r = await loadMap(map)
        expect(r.cacheFile?.startsWith(join(dir, 'env-cache'))).to.equal(true)
        expect((await loadMap(map)).fromCache).to.equal(true)
      } finally {
        if (saved === undefined) delete process.env.HITCH_CACHE_DIR
        else process.env.HITCH_CACHE_DIR = saved
      }
    })

    it('stops when aborted', async function () {
      const controller = new AbortController()
      controller.abort()
      let caught: unknown
      try { await loadMap(map, { cacheDir: dir, signal: controller.signal }) } catch (err) { caught = err }
      expect((caught as Error)?.name).to.equal('AbortError')
    })
  })

  it('throws MapFileError for a missing file or a directory', async function () {
    for (const path of [join(dir, 'nope.osm.pbf'), dir]) {
      let caught: unknown
      try { await loadMap(path, { cacheDir: dir }) } catch (err) { caught = err }
      expect(caught).to.be.instanceOf(MapFileError)
      expect((caught as MapFileError).code).to.equal('ERR_MAP_FILE')
      expect((caught as MapFileError).path).to.equal(path)
    }
  })

  it('throws MapFileError for an unreadable file', async function () {
    if (process.getuid?.() === 0) this.skip() // root reads anything
    const path = join(dir, 'locked.osm.pbf')
    await writeFile(path, 'x')
    await chmod(path, 0o000)
    let caught: unknown
    try { await loadMap(path, { cacheDir: dir }) } catch (err) { caught = err }
    expect(caught).to.be.instanceOf(MapFileError)
  })

  it('throws MapFormatError for garbage bytes and caches nothing', async function () {
    const path = join(dir, 'garbage.osm.pbf')
    await writeFile(path, Buffer.from('this is not a protocol buffer, just some text '.repeat(40)))
    let caught: unknown
    try { await loadMap(path, { cacheDir: join(dir, 'cache') }) } catch (err) { caught = err }
    expect(caught).to.be.instanceOf(MapFormatError)
    expect((caught as MapFormatError).code).to.equal('ERR_MAP_FORMAT')
    expect(await readdir(dir)).to.deep.equal(['garbage.osm.pbf'])
  })
})

describe('loadDefaultCity', function () {
  let dir: string
  beforeEach(async function () { dir = await mkdtemp(join(tmpdir(), 'hitch-city-test-')) })
  afterEach(async function () { await rm(dir, { recursive: true, force: true }) })

  it('gives the synthetic city, cached per options', async function () {
    const a = await loadDefaultCity({ cacheDir: dir })
    const b = await loadDefaultCity({ cacheDir: dir })
    expect(a.fromCache).to.equal(false)
    expect(b.fromCache).to.equal(true)
    sameGraph(syntheticCity(), b.graph)
    // explicit defaults are the same key; another seed is not
    expect((await loadDefaultCity({ cacheDir: dir, cols: 20, seed: 1 })).fromCache).to.equal(true)
    const c = await loadDefaultCity({ cacheDir: dir, seed: 2 })
    expect(c.fromCache).to.equal(false)
    sameGraph(syntheticCity({ seed: 2 }), c.graph)
  })

  it('runs prepare and caches its extras', async function () {
    const prepare = (g: RoadGraph): Record<string, Float64Array> => ({ lat2: g.lat.map(x => x * 2) })
    const a = await loadDefaultCity({ cacheDir: dir, cols: 6, rows: 5, prepare, prepareVersion: 'x' })
    const b = await loadDefaultCity({ cacheDir: dir, cols: 6, rows: 5, prepare, prepareVersion: 'x' })
    expect(b.fromCache).to.equal(true)
    expect(b.extras.lat2).to.deep.equal(a.extras.lat2)
    expect(b.extras.lat2[0]).to.equal(b.graph.lat[0] * 2)
  })
})
