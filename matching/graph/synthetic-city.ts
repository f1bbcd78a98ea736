import { InvalidParametersError } from '@libp2p/interface'
import { buildRoadGraph } from './build.js'
import { EARTH_RADIUS_M, haversineM, toDistCm, toTimeMs } from './geo.js'
import { mulberry32 } from './random.js'
import type { RoadGraph } from './road-graph.js'

/** One-way pattern of a synthetic city. */
export type OneWayPattern = 'none' | 'alternating'

/** Options of {@link syntheticCity}; every field has a default. */
export interface SyntheticCityOptions {
  /** Intersections west to east (number of avenues). @default 20 */
  cols?: number
  /** Intersections south to north (number of streets). @default 20 */
  rows?: number
  /** Length of a block between two intersections, metres. @default 200 */
  blockM?: number
  /** Latitude of the grid's centre, degrees. @default 40.75 */
  originLat?: number
  /** Longitude of the grid's centre, degrees. @default -73.98 */
  originLon?: number
  /** Speed on avenues (north–south lines), km/h. @default 40 */
  avenueKmh?: number
  /** Speed on streets (east–west lines), km/h. @default 25 */
  streetKmh?: number
  /**
   * `'none'`: every line two-way. `'alternating'`: like Manhattan, line i is
   * one-way, in the opposite direction of line i+1 (even avenues northbound,
   * even streets eastbound), except the two-way lines below.
   *
   * @default 'alternating'
   */
  oneWay?: OneWayPattern
  /**
   * With `'alternating'`, lines 0, k, 2k, ... and the last line of each
   * direction stay two-way. The outer ring is then two-way, every one-way
   * line runs into it and out of it, so the city is strongly connected.
   *
   * @default 5
   */
  twoWayEvery?: number
  /** Seed of the position jitter. @default 1 */
  seed?: number
  /** Largest shift of an intersection from its grid point, metres (each axis). @default 5% of blockM */
  jitterM?: number
}

/** Defaults of {@link SyntheticCityOptions}, in one place. */
export const SYNTHETIC_CITY_DEFAULTS: Readonly<Required<SyntheticCityOptions>> = Object.freeze({
  cols: 20,
  rows: 20,
  blockM: 200,
  originLat: 40.75,
  originLon: -73.98,
  avenueKmh: 40,
  streetKmh: 25,
  oneWay: 'alternating',
  twoWayEvery: 5,
  seed: 1,
  jitterM: 10
})

/** Resolves every option of a synthetic city, for cache keys and `meta.source`. */
export function resolveSyntheticCityOptions (opts: SyntheticCityOptions = {}): Required<SyntheticCityOptions> {
  const blockM = opts.blockM ?? SYNTHETIC_CITY_DEFAULTS.blockM
  const o: Required<SyntheticCityOptions> = {
    ...SYNTHETIC_CITY_DEFAULTS,
    ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)),
    jitterM: opts.jitterM ?? blockM * 0.05
  }
  if (!Number.isInteger(o.cols) || !Number.isInteger(o.rows) || o.cols < 2 || o.rows < 2) throw new InvalidParametersError('cols and rows must be integers of at least 2')
  if (!(o.blockM > 0) || !(o.avenueKmh > 0) || !(o.streetKmh > 0)) throw new InvalidParametersError('blockM and speeds must be positive')
  if (!(o.jitterM >= 0 && o.jitterM < o.blockM / 2)) throw new InvalidParametersError('jitterM must be in [0, blockM/2)')
  if (!Number.isInteger(o.twoWayEvery) || o.twoWayEvery < 1) throw new InvalidParametersError('twoWayEvery must be a positive integer')
  if (o.oneWay !== 'none' && o.oneWay !== 'alternating') throw new InvalidParametersError(`unknown one-way pattern ${String(o.oneWay)}`)
  return o
}

/**
 * A seeded, deterministic grid city: `cols × rows` intersections `blockM`
 * apart around the origin, avenues north–south and streets east–west, with
 * an optional Manhattan-like one-way pattern. Always strongly connected.
 * Vertex `r * cols + c` is the intersection of avenue c (west to east) and
 * street r (south to north).
 */
export function syntheticCity (opts: SyntheticCityOptions = {}): RoadGraph {
  const o = resolveSyntheticCityOptions(opts)
  const { cols, rows } = o
  const rand = mulberry32(o.seed)
  const mPerDegLat = EARTH_RADIUS_M * Math.PI / 180
  const mPerDegLon = mPerDegLat * Math.cos(o.originLat * Math.PI / 180)
  const n = cols * rows
  const lat = new Float64Array(n)
  const lon = new Float64Array(n)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const y = (r - (rows - 1) / 2) * o.blockM + (rand() * 2 - 1) * o.jitterM
      const x = (c - (cols - 1) / 2) * o.blockM + (rand() * 2 - 1) * o.jitterM
      lat[r * cols + c] = o.originLat + y / mPerDegLat
      lon[r * cols + c] = o.originLon + x / mPerDegLon
    }
  }

  const tail: number[] = []
  const head: number[] = []
  const distCm: number[] = []
  const timeMs: number[] = []
  const twoWay = (i: number, count: number): boolean =>
    o.oneWay === 'none' || i % o.twoWayEvery === 0 || i === count - 1
  const add = (a: number, b: number, kmh: number, forward: boolean, backward: boolean): void => {
    const m = haversineM(lat[a], lon[a], lat[b], lon[b])
    const d = toDistCm(m)
    const t = toTimeMs(m, kmh)
    if (forward) { tail.push(a); head.push(b); distCm.push(d); timeMs.push(t) }
    if (backward) { tail.push(b); head.push(a); distCm.push(d); timeMs.push(t) }
  }
  // avenues: column c, from street r to r+1 (northward)
  for (let c = 0; c < cols; c++) {
    const both = twoWay(c, cols)
    const north = c % 2 === 0
    for (let r = 0; r + 1 < rows; r++) {
      add(r * cols + c, (r + 1) * cols + c, o.avenueKmh, both || north, both || !north)
    }
  }
  // streets: row r, from avenue c to c+1 (eastward)
  for (let r = 0; r < rows; r++) {
    const both = twoWay(r, rows)
    const east = r % 2 === 0
    for (let c = 0; c + 1 < cols; c++) {
      add(r * cols + c, r * cols + c + 1, o.streetKmh, both || east, both || !east)
    }
  }
  const source = `synthetic:grid ${cols}x${rows} block=${o.blockM}m seed=${o.seed} oneway=${o.oneWay}` +
    (o.oneWay === 'alternating' ? `/${o.twoWayEvery}` : '') +
    ` origin=${o.originLat},${o.originLon} kmh=${o.avenueKmh}/${o.streetKmh} jitter=${o.jitterM}m`
  return buildRoadGraph({ lat, lon, tail, head, distCm, timeMs }, { source })
}
