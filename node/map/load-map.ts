import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { basename, join } from 'node:path'
import { logger } from '@libp2p/logger'
import {
  deserializeGraph, GRAPH_FORMAT_VERSION, MapFormatError, OSM_IMPORT_VERSION, parseOsmPbf,
  resolveSyntheticCityOptions, serializeGraph, syntheticCity
} from '../../matching/graph/index.js'
import { MapFileError } from './errors.js'
import type { GraphExtras, RoadGraph, SyntheticCityOptions } from '../../matching/graph/index.js'
import type { AbortOptions } from '@libp2p/interface'

const log = logger('hitch:map')
const osmLog = logger('hitch:graph:osm')

/** Options shared by {@link loadMap} and {@link loadDefaultCity}. */
export interface MapCacheOptions extends AbortOptions {
  /**
   * Where prepared graphs are cached.
   *
   * @default $HITCH_CACHE_DIR, else ~/.cache/hitch/maps
   */
  cacheDir?: string
  /**
   * Read and write the cache. With false the map is always built afresh.
   *
   * @default true
   */
  cache?: boolean
  /**
   * Computes extra arrays from the graph (routing builds its contraction
   * hierarchy here); they are cached with the graph and returned as `extras`.
   */
  prepare?: (graph: RoadGraph) => GraphExtras | Promise<GraphExtras>
  /**
   * Part of the cache key: change it whenever `prepare` would compute
   * something different, or stale extras are loaded.
   *
   * @default 'none' without prepare, 'unversioned' with it
   */
  prepareVersion?: string
}

/** Options of {@link loadMap}. */
export interface LoadMapOptions extends MapCacheOptions {
  /** Overrides of the default speeds per highway type (part of the cache key). */
  defaultSpeedsKmh?: Partial<Record<string, number>>
}

/** A graph ready for routing, and how it was obtained. */
export interface LoadedMap {
  readonly graph: RoadGraph
  /** What `prepare` returned (from the cache or fresh); `{}` without prepare. */
  readonly extras: GraphExtras
  /** True when graph and extras came from the cache file. */
  readonly fromCache: boolean
  /** Wall time of the whole load, milliseconds. */
  readonly loadMs: number
  /** The cache file read or written; undefined with `cache: false`. */
  readonly cacheFile?: string
  /** Hex sha256 of the cache key (for a map file, it covers the file's bytes). */
  readonly key: string
}

/** The cache folder used when none is given. */
export function defaultCacheDir (): string {
  const env = process.env.HITCH_CACHE_DIR
  return env !== undefined && env !== '' ? env : join(homedir(), '.cache', 'hitch', 'maps')
}

/**
 * Loads an OpenStreetMap `.osm.pbf` as a car road graph, with the extras of
 * `prepare`, through an on-disk cache keyed by the sha256 of the file's bytes,
 * the graph format and import versions, the speeds and `prepareVersion`. A
 * corrupt cache file is ignored and rewritten; a cache that cannot be written
 * only costs time.
 *
 * @throws {MapFileError} when the file cannot be read
 * @throws {MapFormatError} when it is not an `.osm.pbf` with car roads
 */
export async function loadMap (path: string, opts: LoadMapOptions = {}): Promise<LoadedMap> {
  const start = performance.now()
  let bytes: Uint8Array
  try {
    bytes = await readFile(path, { signal: opts.signal })
  } catch (err: any) {
    if (err?.name === 'AbortError') throw err
    throw new MapFileError(path, `cannot read map file ${path}: ${err?.code ?? err?.message ?? String(err)}`, { cause: err })
  }
  const fileHash = createHash('sha256').update(bytes).digest('hex')
  const speeds = opts.defaultSpeedsKmh === undefined ? '' : JSON.stringify(Object.entries(opts.defaultSpeedsKmh).sort())
  const name = basename(path).replace(/\.osm\.pbf$/, '').replace(/[^A-Za-z0-9._-]/g, '_')
  return await cached(`osm ${fileHash} import=${OSM_IMPORT_VERSION} speeds=${speeds}`, name, start, opts, () =>
    parseOsmPbf(bytes, { source: basename(path), defaultSpeedsKmh: opts.defaultSpeedsKmh, log: osmLog }))
}

/**
 * The synthetic grid city (the embedded default map), with the extras of
 * `prepare`, cached like {@link loadMap} under a key of its resolved options.
 */
export async function loadDefaultCity (opts: SyntheticCityOptions & MapCacheOptions = {}): Promise<LoadedMap> {
  const start = performance.now()
  const { cacheDir, cache, prepare, prepareVersion, signal, ...cityOpts } = opts
  const resolved = resolveSyntheticCityOptions(cityOpts)
  const key = Object.entries(resolved).sort(([a], [b]) => a < b ? -1 : 1)
  return await cached(`synthetic ${JSON.stringify(key)}`, 'synthetic-city', start, opts, () => syntheticCity(resolved))
}

async function cached (what: string, name: string, start: number, opts: MapCacheOptions, build: () => RoadGraph): Promise<LoadedMap> {
  opts.signal?.throwIfAborted()
  const prepareVersion = opts.prepareVersion ?? (opts.prepare === undefined ? 'none' : 'unversioned')
  const key = createHash('sha256').update(`${what} format=${GRAPH_FORMAT_VERSION} prepare=${prepareVersion}`).digest('hex')
  const useCache = opts.cache ?? true
  const dir = opts.cacheDir ?? defaultCacheDir()
  const cacheFile = useCache ? join(dir, `${name}-${key.slice(0, 32)}.hgraph`) : undefined

  if (cacheFile !== undefined) {
    const hit = await readCache(cacheFile, opts)
    if (hit !== undefined) {
      const loadMs = performance.now() - start
      log('%s: loaded from cache %s in %d ms', hit.graph.meta.source, cacheFile, Math.round(loadMs))
      return { ...hit, fromCache: true, loadMs, cacheFile, key }
    }
  }

  const graph = build()
  opts.signal?.throwIfAborted()
  const extras = opts.prepare === undefined ? {} : await opts.prepare(graph)
  opts.signal?.throwIfAborted()
  if (cacheFile !== undefined) await writeCache(dir, cacheFile, serializeGraph(graph, extras), opts)
  const loadMs = performance.now() - start
  log('%s: built %d vertices, %d edges in %d ms', graph.meta.source, graph.numNodes, graph.numEdges, Math.round(loadMs))
  return { graph, extras, fromCache: false, loadMs, cacheFile, key }
}

async function readCache (file: string, opts: AbortOptions): Promise<{ graph: RoadGraph, extras: GraphExtras } | undefined> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file, { signal: opts.signal })
  } catch (err: any) {
    if (err?.name === 'AbortError') throw err
    if (err?.code !== 'ENOENT') log.error('cannot read cache file %s: %s', file, err?.code ?? err)
    return undefined
  }
  try {
    return deserializeGraph(bytes)
  } catch (err) {
    if (!(err instanceof MapFormatError)) throw err
    log.error('ignoring corrupt cache file %s: %s', file, err.message)
    return undefined
  }
}

/** Writes to a temporary file beside the target and renames it, so readers never see half a file. */
async function writeCache (dir: string, file: string, bytes: Uint8Array, opts: AbortOptions): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await mkdir(dir, { recursive: true })
    await writeFile(tmp, bytes, { signal: opts.signal })
    await rename(tmp, file)
  } catch (err: any) {
    await rm(tmp, { force: true }).catch(() => {})
    if (err?.name === 'AbortError') throw err
    log.error('cannot write cache file %s: %s', file, err?.code ?? err)
  }
}
