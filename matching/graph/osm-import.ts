import tinyosmpbf from 'tiny-osmpbf'
import { buildRoadGraph } from './build.js'
import { MapFormatError } from './errors.js'
import { haversineM, toDistCm, toTimeMs } from './geo.js'
import type { RoadGraph } from './road-graph.js'


/**
 * Version of the import rules (way selection, speeds, weights). Bump it
 * whenever a change would give a different graph from the same file, so
 * that caches keyed on it are rebuilt.
 */
export const OSM_IMPORT_VERSION = 1

/**
 * Speed, km/h, of a car way without a usable `maxspeed`, by `highway` type.
 * The values are those of OSRM's car profile (free-flow speeds that already
 * allow for junctions), so travel times are comparable with OSRM's. A
 * `highway` type missing from this table is not a car road.
 */
export const DEFAULT_SPEEDS_KMH: Readonly<Record<string, number>> = Object.freeze({
  motorway: 90,
  motorway_link: 45,
  trunk: 85,
  trunk_link: 40,
  primary: 65,
  primary_link: 30,
  secondary: 55,
  secondary_link: 25,
  tertiary: 40,
  tertiary_link: 20,
  unclassified: 25,
  residential: 25,
  living_street: 10,
  service: 15
})

/** `highway` types that OSM defines as one-way unless tagged otherwise. */
const IMPLIED_ONEWAY = new Set(['motorway', 'motorway_link'])
/** `junction` values that imply oneway=yes. */
const ONEWAY_JUNCTIONS = new Set(['roundabout', 'circular'])
/** Access values that shut cars out. */
const DENIED = new Set(['no', 'private', 'agricultural', 'forestry'])
/** Access keys from the most to the least specific for a car (OSM access hierarchy). */
const ACCESS_KEYS = ['motorcar', 'motor_vehicle', 'vehicle', 'access'] as const

const MPH_KMH = 1.609344
const KNOT_KMH = 1.852

/**
 * Parses an OSM `maxspeed` value to km/h: `"50"`, `"50 km/h"`, `"50kmh"`,
 * `"30 mph"`, `"30mph"`, `"10 knots"`; of a list (`"50;30"`) the first value.
 * Returns undefined for values that are not a number with a unit, such as
 * `"signals"`, `"none"`, `"walk"`, `"FR:urban"`, and for speeds outside
 * 1..300 km/h.
 */
export function parseMaxspeed (value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const first = value.split(';')[0]
  const match = /^\s*(\d+(?:\.\d+)?)\s*(km\/h|kmh|kph|mph|knots)?\s*$/i.exec(first)
  if (match == null) return undefined
  let kmh = Number(match[1])
  const unit = match[2]?.toLowerCase()
  if (unit === 'mph') kmh *= MPH_KMH
  else if (unit === 'knots') kmh *= KNOT_KMH
  if (!(kmh >= 1 && kmh <= 300)) return undefined
  return kmh
}

/** How a car may use one OSM way. */
export interface CarWay {
  /** The way's `highway` value. */
  readonly highway: string
  /** Cars may drive in the way's node order. */
  readonly forward: boolean
  /** Cars may drive against the way's node order. */
  readonly backward: boolean
  /** Speed used for travel times, km/h (from `maxspeed`, else the default of `highway`). */
  readonly speedKmh: number
}

/**
 * The car rules for one OSM way, or null when cars may not use it.
 *
 * - `highway` must be a key of the speed table (motorway .. service and the
 *   `_link` types); `area=yes` is a plaza, not a road.
 * - Access: the most specific of `motorcar`, `motor_vehicle`, `vehicle`,
 *   `access` that is present decides; `no`, `private`, `agricultural` and
 *   `forestry` shut cars out (so `access=no` + `motor_vehicle=yes` is open).
 * - Direction: `oneway=yes|true|1` forward only, `oneway=-1|reverse` backward
 *   only, `oneway=no|false|0` both ways. Without an explicit value,
 *   `junction=roundabout|circular` and `highway=motorway|motorway_link`
 *   imply forward only (the OSM convention). `oneway=reversible|alternating`
 *   changes with the time of day: such ways are left out.
 *
 * @param defaultSpeedsKmh - speeds of ways without a usable `maxspeed`
 * @default DEFAULT_SPEEDS_KMH
 */
export function carWayRules (tags: Readonly<Record<string, string | undefined>>, defaultSpeedsKmh: Readonly<Record<string, number | undefined>> = DEFAULT_SPEEDS_KMH): CarWay | null {
  const highway = tags.highway
  if (highway === undefined) return null
  const defaultSpeed = defaultSpeedsKmh[highway]
  if (defaultSpeed === undefined || !(defaultSpeed > 0)) return null
  if (tags.area === 'yes') return null
  for (const key of ACCESS_KEYS) {
    const value = tags[key]
    if (value !== undefined) {
      if (DENIED.has(value)) return null
      break
    }
  }
  let forward = true
  let backward = true
  const oneway = tags.oneway
  if (oneway === 'yes' || oneway === 'true' || oneway === '1') {
    backward = false
  } else if (oneway === '-1' || oneway === 'reverse') {
    forward = false
  } else if (oneway === 'reversible' || oneway === 'alternating') {
    return null
  } else if (oneway !== 'no' && oneway !== 'false' && oneway !== '0') {
    if (IMPLIED_ONEWAY.has(highway) || (tags.junction !== undefined && ONEWAY_JUNCTIONS.has(tags.junction))) backward = false
  }
  const speedKmh = parseMaxspeed(tags.maxspeed) ?? defaultSpeed
  return { highway, forward, backward, speedKmh }
}

/** Options of {@link parseOsmPbf}. */
export interface ParseOsmOptions {
  /**
   * Name of the input, recorded as `meta.source = 'osm:' + source`.
   *
   * @default 'unnamed'
   */
  source?: string
  /** Overrides of {@link DEFAULT_SPEEDS_KMH}; a type mapped to 0 is left out of the graph. */
  defaultSpeedsKmh?: Partial<Record<string, number>>
  /**
   * Where to log what the import kept and dropped (e.g. `logger('hitch:graph:osm')`).
   *
   * @default none
   */
  log?: (formatter: string, ...args: unknown[]) => void
}

/**
 * Builds the car road graph of an OpenStreetMap `.osm.pbf` extract.
 *
 * Every node of a kept way becomes a vertex; each pair of consecutive way
 * nodes gives one edge per allowed direction, as long as the great-circle
 * segment, timed at the way's speed. Segments that touch a node missing
 * from the extract (ways cut at its border) are dropped. Of parallel edges
 * the fastest is kept, and only the largest strongly connected component
 * (see `meta` for what was dropped).
 *
 * @throws {MapFormatError} when the bytes are not an `.osm.pbf` or hold no car roads
 */
export function parseOsmPbf (bytes: Uint8Array, opts: ParseOsmOptions = {}): RoadGraph {
  checkFraming(bytes)
  const speeds: Record<string, number | undefined> = { ...DEFAULT_SPEEDS_KMH, ...opts.defaultSpeedsKmh }

  const nodeIndex = new Map<number, number>()
  const nodeLat: number[] = []
  const nodeLon: number[] = []
  const ways: Array<{ nodes: number[], rules: CarWay }> = []
  let osmWays = 0
  try {
    tinyosmpbf(bytes, (el) => {
      if (el.type === 'node') {
        nodeIndex.set(el.id, nodeLat.length)
        nodeLat.push(el.lat)
        nodeLon.push(el.lon)
      } else if (el.type === 'way') {
        osmWays++
        const rules = carWayRules(el.tags, speeds)
        if (rules !== null) ways.push({ nodes: el.nodes, rules })
      }
    })
  } catch (err) {
    throw new MapFormatError(`not a readable .osm.pbf: ${(err as Error).message}`, { cause: err })
  }

  // Vertices: the nodes of kept ways, numbered in order of first use.
  const vertexOf = new Int32Array(nodeLat.length).fill(-1)
  const lat: number[] = []
  const lon: number[] = []
  const tail: number[] = []
  const head: number[] = []
  const distCm: number[] = []
  const timeMs: number[] = []
  const vertex = (nodeId: number): number => {
    const i = nodeIndex.get(nodeId)
    if (i === undefined) return -1
    let v = vertexOf[i]
    if (v < 0) {
      v = vertexOf[i] = lat.length
      lat.push(nodeLat[i])
      lon.push(nodeLon[i])
    }
    return v
  }
  let missingSegments = 0
  for (const { nodes, rules } of ways) {
    let prev = nodes.length > 0 ? vertex(nodes[0]) : -1
    for (let k = 1; k < nodes.length; k++) {
      const cur = vertex(nodes[k])
      if (prev >= 0 && cur >= 0 && prev !== cur) {
        const m = haversineM(lat[prev], lon[prev], lat[cur], lon[cur])
        const d = toDistCm(m)
        const t = toTimeMs(m, rules.speedKmh)
        if (rules.forward) { tail.push(prev); head.push(cur); distCm.push(d); timeMs.push(t) }
        if (rules.backward) { tail.push(cur); head.push(prev); distCm.push(d); timeMs.push(t) }
      } else if (prev < 0 || cur < 0) {
        missingSegments++
      }
      prev = cur
    }
  }
  if (tail.length === 0) {
    throw new MapFormatError(`no car roads in the map (${nodeLat.length} nodes, ${osmWays} ways)`)
  }
  const graph = buildRoadGraph({ lat, lon, tail, head, distCm, timeMs }, { source: `osm:${opts.source ?? 'unnamed'}` })
  if (graph.numEdges === 0) throw new MapFormatError('no two car road points reach each other')
  opts.log?.('%s: %d OSM nodes, %d ways (%d car), %d segments cut at the border; kept %d of %d vertices, %d of %d edges',
    graph.meta.source, nodeLat.length, osmWays, ways.length, missingSegments,
    graph.numNodes, graph.meta.importedNodes, graph.numEdges, graph.meta.importedEdges)
  return graph
}

/** Largest BlobHeader and Blob sizes the PBF specification allows. */
const MAX_HEADER = 64 * 1024
const MAX_BLOB = 32 * 1024 * 1024

/**
 * Walks the file's blob framing before handing it to the parser, which
 * trusts sizes and would try to allocate gigabytes for random bytes.
 */
function checkFraming (bytes: Uint8Array): void {
  if (bytes.byteLength < 8) throw new MapFormatError('not an .osm.pbf: too short')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let pos = 0
  let first = true
  while (pos < bytes.byteLength) {
    if (pos + 4 > bytes.byteLength) throw new MapFormatError('not an .osm.pbf: truncated blob header length')
    const headerLen = view.getInt32(pos, false)
    pos += 4
    if (headerLen <= 0 || headerLen > MAX_HEADER || pos + headerLen > bytes.byteLength) {
      throw new MapFormatError('not an .osm.pbf: bad blob header length')
    }
    const header = readFields(bytes, pos, pos + headerLen)
    pos += headerLen
    const type = header.strings.get(1)
    const dataSize = header.ints.get(3)
    if (type === undefined || dataSize === undefined) throw new MapFormatError('not an .osm.pbf: bad blob header')
    if (first && type !== 'OSMHeader') throw new MapFormatError('not an .osm.pbf: first blob is not an OSMHeader')
    first = false
    if (dataSize <= 0 || dataSize > MAX_BLOB || pos + dataSize > bytes.byteLength) {
      throw new MapFormatError('not an .osm.pbf: bad blob size')
    }
    const blob = readFields(bytes, pos, pos + dataSize)
    const rawSize = blob.ints.get(2)
    if (rawSize !== undefined && (rawSize < 0 || rawSize > MAX_BLOB)) throw new MapFormatError('not an .osm.pbf: bad blob raw size')
    if (blob.lengths.get(3) !== undefined && rawSize === undefined) throw new MapFormatError('not an .osm.pbf: compressed blob without raw size')
    pos += dataSize
  }
}

interface Fields {
  ints: Map<number, number>
  strings: Map<number, string>
  lengths: Map<number, number>
}

/** Reads the top-level fields of one protobuf message (varints and length-delimited only). */
function readFields (buf: Uint8Array, start: number, end: number): Fields {
  const out: Fields = { ints: new Map(), strings: new Map(), lengths: new Map() }
  let pos = start
  const varint = (): number => {
    let result = 0
    let mul = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw new MapFormatError('not an .osm.pbf: truncated varint')
      const b = buf[pos++]
      result += (b & 0x7f) * mul
      if ((b & 0x80) === 0) return result
      mul *= 128
    }
    throw new MapFormatError('not an .osm.pbf: bad varint')
  }
  while (pos < end) {
    const key = varint()
    const field = Math.floor(key / 8)
    const wire = key & 7
    if (wire === 0) {
      out.ints.set(field, varint())
    } else if (wire === 2) {
      const len = varint()
      if (pos + len > end) throw new MapFormatError('not an .osm.pbf: field overruns its message')
      out.lengths.set(field, len)
      if (len <= 64) out.strings.set(field, new TextDecoder().decode(buf.subarray(pos, pos + len)))
      pos += len
    } else if (wire === 1) {
      pos += 8
    } else if (wire === 5) {
      pos += 4
    } else {
      throw new MapFormatError('not an .osm.pbf: bad wire type')
    }
  }
  if (pos !== end) throw new MapFormatError('not an .osm.pbf: message overruns its size')
  return out
}
