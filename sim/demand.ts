import { readFile } from 'node:fs/promises'
import { gunzipSync } from 'node:zlib'
import { haversineM, mulberry32, randomInt } from '../matching/index.js'
import { DemandError } from './errors.js'
import type { Random, RoadGraph, SpatialIndex } from '../matching/index.js'

/** A trip of the source file, before snapping */
export interface RawTrip {
  /** Row number in the file (1 = first data row) */
  row: number
  pickupLat: number
  pickupLon: number
  dropoffLat: number
  dropoffLon: number
  /** Riders travelling together (at least 1) */
  passengers: number
  /** The fare the taxi charged, cents, when the file has it */
  fareCents?: number
}

/** One ride request of a simulation */
export interface TripRequest {
  /** `r<index>` */
  id: string
  /** Position in time order */
  index: number
  /** When the rider asks, simulated seconds from the start */
  timeS: number
  /** Road vertex of the pickup and of the dropoff */
  pickup: number
  dropoff: number
  /** The requested positions (before snapping), degrees */
  pickupLat: number
  pickupLon: number
  dropoffLat: number
  dropoffLon: number
  /** Seats the ride takes */
  seats: number
  /** The fare the source trip cost, cents, if known */
  sourceFareCents?: number
}

/** What loading demand kept and why it skipped the rest */
export interface DemandStats {
  /** `trips:<file>` or `synthetic` */
  source: string
  /** Data rows in the file */
  rows: number
  /** Rows with a wrong number of fields or a field that is not a number */
  unparsable: number
  /** Rows with zero or absurd coordinates (outside the globe, or 0,0) */
  badCoordinates: number
  /** Trips with an end farther than `snapM` from every road of the map */
  offMap: number
  /** Trips whose two ends snap to the same road vertex */
  samePoint: number
  /** Trips usable on this map */
  usable: number
  /** Requests generated */
  requests: number
  /** Requests that reuse a trip already drawn (more riders than usable trips) */
  reused: number
}

/** Requests in time order, with how they were made */
export interface Demand {
  requests: TripRequest[]
  stats: DemandStats
  /** Mean pickups per hour of day (24 values) when a profile shaped the times */
  profile: number[] | null
}

/** What a file of trips yields before the map is consulted */
export interface ParsedTrips {
  trips: RawTrip[]
  rows: number
  unparsable: number
  badCoordinates: number
}

const REQUIRED = ['pickup_longitude', 'pickup_latitude', 'dropoff_longitude', 'dropoff_latitude'] as const

function isBadCoordinate (lat: number, lon: number): boolean {
  return lat === 0 || lon === 0 || Math.abs(lat) > 90 || Math.abs(lon) > 180
}

/**
 * Parses a trip CSV in the NYC TLC sample format (`fare_amount,
 * pickup_datetime, pickup_longitude, pickup_latitude, dropoff_longitude,
 * dropoff_latitude, passenger_count, ...`; columns found by header name).
 * Bad rows are counted and skipped, never thrown.
 *
 * @throws {DemandError} when the header lacks a coordinate column
 */
export function parseTripsCsv (text: string): ParsedTrips {
  const lines = text.split(/\r?\n/)
  const header = (lines[0] ?? '').split(',').map(s => s.trim().replace(/^"(.*)"$/, '$1'))
  const col = (name: string): number => header.indexOf(name)
  for (const name of REQUIRED) {
    if (col(name) < 0) throw new DemandError(`trip file header lacks ${name}`)
  }
  const [iPLon, iPLat, iDLon, iDLat] = REQUIRED.map(col)
  const iPass = col('passenger_count')
  const iFare = col('fare_amount')
  const out: ParsedTrips = { trips: [], rows: 0, unparsable: 0, badCoordinates: 0 }
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]
    if (line.trim() === '') continue
    out.rows++
    const f = line.split(',')
    if (f.length !== header.length) {
      out.unparsable++
      continue
    }
    const num = (k: number): number => (k < 0 || f[k].trim() === '') ? NaN : Number(f[k])
    const pickupLon = num(iPLon)
    const pickupLat = num(iPLat)
    const dropoffLon = num(iDLon)
    const dropoffLat = num(iDLat)
    if (![pickupLon, pickupLat, dropoffLon, dropoffLat].every(Number.isFinite)) {
      out.unparsable++
      continue
    }
    if (isBadCoordinate(pickupLat, pickupLon) || isBadCoordinate(dropoffLat, dropoffLon)) {
      out.badCoordinates++
      continue
    }
    const pass = num(iPass)
    const fare = num(iFare)
    const trip: RawTrip = {
      row: out.rows,
      pickupLat,
      pickupLon,
      dropoffLat,
      dropoffLon,
      passengers: Number.isInteger(pass) && pass >= 1 ? pass : 1
    }
    if (Number.isFinite(fare) && fare >= 0) trip.fareCents = Math.round(fare * 100)
    out.trips.push(trip)
  }
  return out
}

async function readMaybeGzip (file: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err: any) {
    throw new DemandError(`cannot read ${file}: ${String(err.code ?? err.message)}`)
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes)
    } catch (err: any) {
      throw new DemandError(`${file} is not a valid gzip file: ${String(err.message)}`)
    }
  }
  return bytes.toString('utf8')
}

/** Reads and parses a trip CSV. @throws {DemandError} */
export async function loadTrips (file: string): Promise<ParsedTrips> {
  return parseTripsCsv(await readMaybeGzip(file))
}

/**
 * The mean count per hour of day (24 values, 0h..23h) of an hourly pickup
 * file (`,Pickup_date,Pickup_Count` with `YYYY-MM-DD HH:MM:SS` dates).
 * Unparsable rows are skipped.
 *
 * @throws {DemandError} when no row is usable or an hour has no data
 */
export function parseHourlyProfile (text: string): number[] {
  const lines = text.split(/\r?\n/)
  const header = (lines[0] ?? '').split(',').map(s => s.trim())
  const iDate = header.indexOf('Pickup_date')
  const iCount = header.indexOf('Pickup_Count')
  if (iDate < 0 || iCount < 0) throw new DemandError('hourly profile header needs Pickup_date and Pickup_Count')
  const sum = new Array<number>(24).fill(0)
  const n = new Array<number>(24).fill(0)
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].split(',')
    if (f.length !== header.length) continue
    const m = /^\d{4}-\d{2}-\d{2}[ T](\d{2}):/.exec(f[iDate].trim())
    const count = Number(f[iCount])
    if (m == null || !Number.isFinite(count) || count < 0) continue
    const hour = Number(m[1])
    if (hour > 23) continue
    sum[hour] += count
    n[hour]++
  }
  if (n.some(c => c === 0)) throw new DemandError('hourly profile lacks data for some hour of day')
  return sum.map((s, h) => s / n[h])
}

/** Reads an hourly pickup file (plain or gzipped). @throws {DemandError} */
export async function loadHourlyProfile (file: string): Promise<number[]> {
  return parseHourlyProfile(await readMaybeGzip(file))
}

/**
 * `n` request times (seconds from the start, sorted) of an inhomogeneous
 * Poisson process with a piecewise-constant rate per hour of day, given its
 * count: each time is drawn independently from the rate's density over
 * `[0, durationS)` by inverting its cumulative distribution. With no
 * profile the rate is constant.
 */
export function requestTimes (n: number, durationS: number, rand: Random, profile: readonly number[] | null = null, startHour = 0): number[] {
  // pieces: [t0, t1) with weight rate × length, cut at hour boundaries
  const pieces: Array<{ t0: number, t1: number, cum: number }> = []
  let t = 0
  let cum = 0
  while (t < durationS) {
    const clock = startHour * 3600 + t
    const hour = Math.floor(clock / 3600) % 24
    const t1 = Math.min(durationS, t + (3600 - (clock % 3600)))
    const rate = profile == null ? 1 : Math.max(0, profile[hour])
    cum += rate * (t1 - t)
    pieces.push({ t0: t, t1, cum })
    t = t1
  }
  if (!(cum > 0)) throw new DemandError('the hourly profile is zero over the whole duration')
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const u = rand() * cum
    let lo = 0
    let hi = pieces.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (pieces[mid].cum > u) hi = mid
      else lo = mid + 1
    }
    const p = pieces[lo]
    const before = lo === 0 ? 0 : pieces[lo - 1].cum
    const frac = (u - before) / (p.cum - before)
    times.push(p.t0 + frac * (p.t1 - p.t0))
  }
  return times.sort((a, b) => a - b)
}

/** What demand needs of a map: its graph and its snapping */
export interface DemandMap {
  graph: RoadGraph
  index: SpatialIndex
}

/** Options of {@link buildDemand} */
export interface BuildDemandOptions {
  /** Number of requests */
  riders: number
  /** Requests arrive during this many seconds */
  durationS: number
  /** Seed of the draws */
  seed: number
  /** Seats per vehicle: a larger party is capped to it. @default 4 */
  maxSeats?: number
  /** A trip CSV; absent for random trips on the map */
  trips?: string | null
  /** An hourly profile file; absent for uniform times */
  profile?: string | null
  /** Hour of day at time 0. @default 8 */
  startHour?: number
  /** Random trips: least straight-line length, metres. @default 500 */
  minTripM?: number
  /** Trip ends farther than this from a road are off the map, metres. @default 150 */
  snapM?: number
}

function shuffle<T> (items: T[], rand: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(rand, i + 1)
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

/**
 * Random origin/destination pairs on the map's vertices, each at least
 * `minTripM` apart in a straight line.
 *
 * @throws {DemandError} when the map has no pair that far apart (after many tries)
 */
export function syntheticTrips (graph: RoadGraph, n: number, minTripM: number, rand: Random): RawTrip[] {
  const out: RawTrip[] = []
  let tries = 0
  while (out.length < n) {
    if (++tries > 1000 + n * 100) throw new DemandError(`cannot find trips of at least ${minTripM} m on this map`)
    const a = randomInt(rand, graph.numNodes)
    const b = randomInt(rand, graph.numNodes)
    if (a === b || haversineM(graph.lat[a], graph.lon[a], graph.lat[b], graph.lon[b]) < minTripM) continue
    out.push({ row: out.length + 1, pickupLat: graph.lat[a], pickupLon: graph.lon[a], dropoffLat: graph.lat[b], dropoffLon: graph.lon[b], passengers: 1 })
  }
  return out
}

/**
 * The requests of a simulation: trips from a file (kept when both ends snap
 * onto the map, drawn in a seeded random order, reused when there are more
 * riders than trips) or random trips on the map, at times drawn from the
 * hourly profile (or uniformly). Deterministic for a seed.
 *
 * @throws {DemandError} when a file cannot be read or no trip is usable
 */
export async function buildDemand (map: DemandMap, opts: BuildDemandOptions): Promise<Demand> {
  const rand = mulberry32(opts.seed ^ 0x5eed)
  const snapM = opts.snapM ?? 150
  const maxSeats = opts.maxSeats ?? 4
  const stats: DemandStats = { source: 'synthetic', rows: 0, unparsable: 0, badCoordinates: 0, offMap: 0, samePoint: 0, usable: 0, requests: 0, reused: 0 }
  let raw: RawTrip[]
  if (opts.trips != null) {
    const parsed = await loadTrips(opts.trips)
    stats.source = `trips:${opts.trips}`
    stats.rows = parsed.rows
    stats.unparsable = parsed.unparsable
    stats.badCoordinates = parsed.badCoordinates
    raw = parsed.trips
  } else {
    raw = syntheticTrips(map.graph, Math.max(opts.riders, 1), opts.minTripM ?? 500, rand)
    stats.rows = raw.length
  }

  const usable: Array<{ trip: RawTrip, pickup: number, dropoff: number }> = []
  for (const trip of raw) {
    const a = map.index.snap(trip.pickupLat, trip.pickupLon, snapM)
    const b = map.index.snap(trip.dropoffLat, trip.dropoffLon, snapM)
    if (a == null || b == null) {
      stats.offMap++
      continue
    }
    if (a.node === b.node) {
      stats.samePoint++
      continue
    }
    usable.push({ trip, pickup: a.node, dropoff: b.node })
  }
  stats.usable = usable.length
  if (usable.length === 0 && opts.riders > 0) {
    throw new DemandError(`no usable trip: ${stats.rows} rows, ${stats.offMap} off the map, ${stats.samePoint} too short, ${stats.unparsable + stats.badCoordinates} bad`)
  }

  const profile = opts.profile != null ? await loadHourlyProfile(opts.profile) : null
  const times = requestTimes(opts.riders, opts.durationS, rand, profile, opts.startHour ?? 8)
  const order = shuffle(usable.slice(), rand)
  const requests: TripRequest[] = times.map((timeS, index) => {
    const u = order[index % order.length]
    const req: TripRequest = {
      id: `r${index}`,
      index,
      timeS,
      pickup: u.pickup,
      dropoff: u.dropoff,
      pickupLat: u.trip.pickupLat,
      pickupLon: u.trip.pickupLon,
      dropoffLat: u.trip.dropoffLat,
      dropoffLon: u.trip.dropoffLon,
      seats: Math.min(u.trip.passengers, maxSeats)
    }
    if (u.trip.fareCents != null) req.sourceFareCents = u.trip.fareCents
    return req
  })
  stats.requests = requests.length
  stats.reused = Math.max(0, requests.length - order.length)
  return { requests, stats, profile }
}
