import { logger } from '@libp2p/logger'
import { SpatialIndex } from '../../matching/graph/index.js'
import { PreparedDataError, Router, ROUTER_PREPARE_VERSION } from '../../matching/routing/index.js'
import { loadDefaultCity, loadMap } from './load-map.js'
import type { LoadedMap, MapCacheOptions } from './load-map.js'
import type { RoadGraph, Snap } from '../../matching/graph/index.js'

const log = logger('hitch:map')
const chLog = logger('hitch:routing:ch')
const buildRouter = (graph: RoadGraph): Router => Router.build(graph, { log: chLog })

/** A loaded map ready to answer routes: graph, router and snapping. */
export interface RoutedMap {
  readonly graph: RoadGraph
  readonly router: Router
  readonly index: SpatialIndex
  /** Positions farther than this from every road are off the map, metres. */
  readonly maxSnapDistanceM: number
  /** How the graph was loaded (cache hit, time). */
  readonly loaded: LoadedMap
  /** The nearest point of the road network, or null when off the map. */
  snap: (lat: number, lon: number) => Snap | null
}

/** Options of {@link openRoutedMap}. */
export interface OpenRoutedMapOptions extends Omit<MapCacheOptions, 'prepare' | 'prepareVersion'> {
  /**
   * Snapping limit, metres.
   *
   * @default 1000
   */
  maxSnapDistanceM?: number
}

/**
 * Loads a map (an `.osm.pbf` path, or the synthetic default city when no
 * path is given) with its contraction hierarchies, from the cache when it
 * can, and wraps it with a spatial index.
 *
 * @throws {MapFileError} when the file cannot be read
 * @throws {MapFormatError} when it is not a map
 */
export async function openRoutedMap (path?: string, opts: OpenRoutedMapOptions = {}): Promise<RoutedMap> {
  const loadOpts = { ...opts, prepare: (graph: RoadGraph) => buildRouter(graph).toExtras(), prepareVersion: ROUTER_PREPARE_VERSION }
  const loaded = path === undefined ? await loadDefaultCity(loadOpts) : await loadMap(path, loadOpts)
  let router: Router
  try {
    router = Router.fromPrepared(loaded.graph, loaded.extras)
  } catch (err) {
    if (!(err instanceof PreparedDataError)) throw err
    log.error('prepared routing data unusable (%s), building it again', err.message)
    router = buildRouter(loaded.graph)
  }
  const index = new SpatialIndex(loaded.graph, { maxDistanceM: opts.maxSnapDistanceM })
  return {
    graph: loaded.graph,
    router,
    index,
    maxSnapDistanceM: index.maxDistanceM,
    loaded,
    snap: (lat, lon) => index.snap(lat, lon)
  }
}
