import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'
import { parseLatLon, type LatLon } from '../values.js'
import { openRoutedMap, type RoutedMap } from '../../node/map/index.js'
import type { Metric } from '../../matching/index.js'

export const help = `
usage: hitch route [--map FILE.osm.pbf] --from LAT,LON --to LAT,LON [--by time|distance] [--json]
       hitch route [--map FILE.osm.pbf] --pairs PAIRS.csv [--by time|distance] [--json]

Shortest route on the car road graph of an OpenStreetMap extract.

  --map FILE      .osm.pbf road map; the prepared graph is cached (see HITCH_CACHE_DIR).
                  Default: the built-in synthetic city.
  --from LAT,LON  start, decimal degrees (snapped to the nearest road)
  --to LAT,LON    destination
  --by METRIC     time (fastest, default) or distance (shortest)
  --pairs CSV     route many pairs: a header, then from_lat,from_lon,to_lat,to_lon per line;
                  prints one JSON object per pair and line: {"i":0,"distance_m":…,"duration_s":…}
                  or {"i":0,"error":"…"}; a bad pair does not stop the others
  --json          print JSON instead of text
`

interface RouteFlags {
  map?: string
  from?: string
  to?: string
  by?: string
  pairs?: string
  json?: boolean
}

interface PairResult { distance_m: number, duration_s: number, path?: Array<[number, number]> }

class RouteError extends Error {
  constructor (message: string) { super(message); this.name = 'RouteError' }
}

function routeBetween (map: RoutedMap, from: LatLon, to: LatLon, metric: Metric, geometry: boolean): PairResult {
  const a = map.snap(from.lat, from.lon)
  if (a == null) throw new RouteError(`from ${from.lat},${from.lon} is off the map (no road within ${map.maxSnapDistanceM} m)`)
  const b = map.snap(to.lat, to.lon)
  if (b == null) throw new RouteError(`to ${to.lat},${to.lon} is off the map (no road within ${map.maxSnapDistanceM} m)`)
  const route = map.router.route(a.node, b.node, { metric, geometry })
  if (route == null) throw new RouteError('no route: the destination cannot be reached from the start')
  const out: PairResult = { distance_m: round(route.distanceM, 1), duration_s: round(route.durationS, 1) }
  if (geometry) out.path = (route.geometry ?? []).map(([lat, lon]) => [round(lat, 6), round(lon, 6)])
  return out
}

function round (x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function parseMetric (by: string | undefined): Metric {
  if (by == null || by === 'time') return 'time'
  if (by === 'distance') return 'distance'
  throw new UsageError(`--by must be time or distance, not "${by}"`)
}

/** Splits a CSV line; the pairs file has plain numeric fields, but tolerate quotes. */
function csvFields (line: string): string[] {
  return line.split(',').map(s => s.trim().replace(/^"(.*)"$/, '$1'))
}

async function runPairs (map: RoutedMap, file: string, metric: Metric, json: boolean): Promise<number> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    throw new UsageError(`--pairs: cannot read ${file}: ${err.code ?? err.message}`, 1)
  }
  const lines = text.split(/\r?\n/)
  const header = csvFields(lines[0] ?? '')
  const col = (name: string): number => header.indexOf(name)
  const idx = ['from_lat', 'from_lon', 'to_lat', 'to_lon'].map(col)
  if (idx.some(i => i < 0)) {
    throw new UsageError(`--pairs: ${file} needs a header with from_lat,from_lon,to_lat,to_lon`, 1)
  }
  let i = 0
  let failed = 0
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue
    const f = csvFields(line)
    let result: Record<string, unknown>
    try {
      const from = parseLatLon(`${f[idx[0]]},${f[idx[1]]}`, 'from')
      const to = parseLatLon(`${f[idx[2]]},${f[idx[3]]}`, 'to')
      result = { i, ...routeBetween(map, from, to, metric, false) }
    } catch (err: any) {
      failed++
      result = { i, error: err.message }
    }
    process.stdout.write(json ? JSON.stringify(result) + '\n' : formatPairLine(result) + '\n')
    i++
  }
  if (!json) process.stderr.write(`${i} pairs, ${failed} not routable\n`)
  return 0
}

function formatPairLine (r: Record<string, unknown>): string {
  if (r.error != null) return `${String(r.i)}\terror: ${String(r.error)}`
  return `${String(r.i)}\t${String(r.distance_m)} m\t${String(r.duration_s)} s`
}

/** `hitch route`. */
export async function run (argv: string[]): Promise<number> {
  const { values: flags, help: shown } = parseFlags<RouteFlags>(argv, {
    map: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    by: { type: 'string' },
    pairs: { type: 'string' },
    json: { type: 'boolean' }
  }, help)
  if (shown) return 0
  const metric = parseMetric(flags.by)
  const json = flags.json === true
  if (flags.pairs == null) {
    // Validate the coordinates before the (possibly slow) map load.
    const from = parseLatLon(flags.from, '--from')
    const to = parseLatLon(flags.to, '--to')
    const map = await openRoutedMap(flags.map)
    let result: PairResult
    try {
      result = routeBetween(map, from, to, metric, true)
    } catch (err: any) {
      if (err instanceof RouteError) throw new UsageError(err.message, 1)
      throw err
    }
    if (json) {
      process.stdout.write(JSON.stringify({ by: metric, ...result }) + '\n')
    } else {
      process.stdout.write(`distance: ${result.distance_m} m\nduration: ${result.duration_s} s\n`)
      process.stdout.write(`path (${result.path?.length ?? 0} points, lat,lon):\n`)
      for (const [lat, lon] of result.path ?? []) process.stdout.write(`  ${lat},${lon}\n`)
    }
    return 0
  }
  if (flags.from != null || flags.to != null) throw new UsageError('--pairs cannot be combined with --from/--to')
  const map = await openRoutedMap(flags.map)
  return await runPairs(map, flags.pairs, metric, json)
}
