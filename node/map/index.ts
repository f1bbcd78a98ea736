/**
 * Loading road maps from disk, with a cache of prepared graphs.
 */
export { loadMap, loadDefaultCity, defaultCacheDir } from './load-map.js'
export type { LoadMapOptions, MapCacheOptions, LoadedMap } from './load-map.js'
export { MapFileError } from './errors.js'
export { openRoutedMap } from './routed-map.js'
export type { RoutedMap, OpenRoutedMapOptions } from './routed-map.js'
