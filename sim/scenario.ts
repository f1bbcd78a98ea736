import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { DEFAULT_FARE } from '../matching/index.js'
import { DEFAULT_OFFER_INTERVAL_MS, DEFAULT_REPUBLISH_MS, DEFAULT_VEHICLE_SEATS } from '../node/roles/index.js'
import { MAX_SEATS } from '../protocol/index.js'
import { NUMBER_RE, parseDurationMs } from './duration.js'
import { ScenarioError } from './errors.js'
import type { FareModel } from '../matching/index.js'

/** How the peers of the decentralized run talk to each other */
export type NetworkMode = 'simulated' | 'libp2p'

/** The libp2p transport of the `'libp2p'` network mode */
export type SimTransport = 'memory' | 'tcp'

/** The key type of the peer ids of the `'libp2p'` network mode */
export type SimKeyType = 'secp256k1' | 'ed25519'

/** The synthetic grid city used when no map file is given */
export interface CityOptions {
  /** Intersections west to east. @default 20 */
  cols: number
  /** Intersections south to north. @default 20 */
  rows: number
  /** Block length, metres. @default 200 */
  blockM: number
  /** Seed of the city's jitter. @default 1 */
  seed: number
}

/** Where the ride requests come from */
export interface DemandOptions {
  /**
   * A trip CSV in the NYC TLC sample format; `null` draws random
   * origin/destination pairs on the map instead.
   *
   * @default null
   */
  trips: string | null
  /**
   * The hourly pickup counts (`,Pickup_date,Pickup_Count`, optionally
   * gzipped) whose mean per hour of day shapes request times; `null` spreads
   * requests uniformly over the duration.
   *
   * @default null
   */
  profile: string | null
  /** Hour of day (0..23) the simulation starts at, for the profile. @default 8 */
  startHour: number
  /** Synthetic trips are at least this long in a straight line, metres. @default 500 */
  minTripM: number
  /** A trip end farther than this from every road is off the map, metres. @default 150 */
  snapM: number
}

/** The simulated network's link model (mode `'simulated'`) and the libp2p options (mode `'libp2p'`) */
export interface NetworkOptions {
  /** @default 'simulated' */
  mode: NetworkMode
  /** Transport of real libp2p nodes. @default 'memory' */
  transport: SimTransport
  /** One-way base latency of every delivery, ms. @default 20 */
  latencyMs: number
  /** Uniform random extra latency in [0, jitterMs), ms. @default 10 */
  jitterMs: number
  /** Bandwidth of every link, bytes per second (adds size / bandwidth). @default 1_250_000 */
  bandwidthBps: number
  /** Probability that one delivery is lost, 0..1. @default 0 */
  loss: number
  /** Latency of a DHT provide or provider lookup, ms. @default 100 */
  lookupMs: number
  /**
   * Key type of the peer ids: `'ed25519'`, derived from the payment key as a production node's
   * is; `'secp256k1'`, the payment key itself (the peer ids before issue 11, to measure against).
   *
   * @default 'ed25519'
   */
  keyType: SimKeyType
  /**
   * Mode `'libp2p'` in one process: the most simulated seconds one lag of the event loop may
   * cost; the clock slows down (time dilation) to hold it.
   *
   * @default 2
   */
  maxLagS: number
}

/**
 * Everything a simulation run depends on. Together with the seed it fully
 * determines a run in the `'simulated'` network mode.
 */
export interface Scenario {
  /** An `.osm.pbf` road map; `null` for the synthetic city. @default null */
  map: string | null
  /** The synthetic city (used when `map` is null) */
  city: CityOptions
  demand: DemandOptions
  /** Number of ride requests over the duration. @default 200 */
  riders: number
  /** Fleet size. @default 50 */
  drivers: number
  /** Passenger seats per vehicle (1..MAX_SEATS). @default DEFAULT_VEHICLE_SEATS (4) */
  seats: number
  /** A rider not picked up this long after asking gives up, seconds. @default 600 */
  patienceS: number
  /** In-car time at most this × the direct time (+ detourSlackS). @default 1.5 */
  maxDetourFactor: number
  /** Seconds added to the in-car limit. @default 120 */
  detourSlackS: number
  /** Fares, cents. @default DEFAULT_FARE */
  fare: FareModel
  /** Requests arrive during this many seconds. @default 3600 */
  durationS: number
  /** After the last request, rides may finish during this many seconds. @default 3600 */
  drainS: number
  /** The centralized dispatcher assigns pending requests every batchS seconds. @default 30 */
  batchS: number
  /**
   * Decentralized run: each driver publishes a vehicle offer this often, seconds; 0: never.
   * Every driver of the cells around hears every offer, so with many drivers in few cells
   * offers dominate the traffic (nothing in the ride negotiation reads them yet).
   *
   * @default DEFAULT_OFFER_INTERVAL_MS / 1000 (10, the driver's own default)
   */
  offerIntervalS: number
  /**
   * Decentralized run: a rider re-publishes its request this often while collecting quotes, seconds.
   *
   * @default DEFAULT_REPUBLISH_MS / 1000 (2, the rider's own default)
   */
  republishS: number
  network: NetworkOptions
  /** Worker processes for the libp2p mode (1: all in this process). @default 1 */
  workers: number
  /** In the libp2p mode, simulated time runs this many times faster than real time. @default 60 */
  speedup: number
  /**
   * How the decentralized run's rides are paid: `channels`, through payment channels on an
   * embedded EVM running the adjudicator (both network modes); `none`, not at all.
   *
   * @default 'channels'
   */
  payments: 'channels' | 'none'
  /** Seed of every random choice. @default 1 */
  seed: number
  /** Output folder for results.json and report.html. @default './hitch-sim-out' */
  out: string
}

/** A scenario file: any subset of {@link Scenario}, groups included */
export type ScenarioInput = {
  [K in keyof Scenario]?: Scenario[K] extends object ? Partial<Scenario[K]> | null : Scenario[K]
}

type Kind = 'int' | 'number' | 'string' | 'path' | 'duration-s' | 'duration-ms' | 'enum'

/** One leaf of a scenario: its path, its flag, its type and its range */
export interface ScenarioField {
  /** Dotted path in the scenario, e.g. `network.latencyMs` */
  path: string
  /** The command-line flag, without dashes */
  flag: string
  kind: Kind
  /** Lowest allowed value (numbers) */
  min?: number
  /** Highest allowed value (numbers) */
  max?: number
  /** Allowed values (enums) */
  values?: readonly string[]
  /** May be null (optional paths) */
  nullable?: boolean
  /** One line for `--help` */
  doc: string
}

/**
 * Every field of a scenario, in help order. A field is set by the key of its
 * path in a scenario file and by its flag on the command line. Durations
 * accept a number (in the unit the field's name ends with) or text such as
 * `30s`, `5m`, `2h`, `1h30m`, `250ms`.
 */
export const SCENARIO_FIELDS: readonly ScenarioField[] = Object.freeze([
  { path: 'map', flag: 'map', kind: 'path', nullable: true, doc: '.osm.pbf road map (default: the synthetic city)' },
  { path: 'city.cols', flag: 'city-cols', kind: 'int', min: 2, max: 1000, doc: 'synthetic city: intersections west to east' },
  { path: 'city.rows', flag: 'city-rows', kind: 'int', min: 2, max: 1000, doc: 'synthetic city: intersections south to north' },
  { path: 'city.blockM', flag: 'city-block-m', kind: 'number', min: 10, max: 10_000, doc: 'synthetic city: block length, metres' },
  { path: 'city.seed', flag: 'city-seed', kind: 'int', min: 0, doc: 'synthetic city: seed of its jitter' },
  { path: 'demand.trips', flag: 'trips', kind: 'path', nullable: true, doc: 'trip CSV (NYC TLC sample format); default: random trips' },
  { path: 'demand.profile', flag: 'profile', kind: 'path', nullable: true, doc: 'hourly pickups CSV(.gz) shaping request times; default: uniform' },
  { path: 'demand.startHour', flag: 'start-hour', kind: 'int', min: 0, max: 23, doc: 'hour of day the simulation starts at' },
  { path: 'demand.minTripM', flag: 'min-trip-m', kind: 'number', min: 0, doc: 'random trips: least straight-line length, metres' },
  { path: 'demand.snapM', flag: 'snap-m', kind: 'number', min: 1, max: 10_000, doc: 'trip ends farther from a road are off the map, metres' },
  { path: 'riders', flag: 'riders', kind: 'int', min: 0, max: 10_000_000, doc: 'number of ride requests' },
  { path: 'drivers', flag: 'drivers', kind: 'int', min: 1, max: 1_000_000, doc: 'fleet size' },
  { path: 'seats', flag: 'seats', kind: 'int', min: 1, max: MAX_SEATS, doc: 'passenger seats per vehicle (at most the protocol\'s MAX_SEATS, so both fleets seat the same)' },
  { path: 'patienceS', flag: 'patience', kind: 'duration-s', min: 0, doc: 'a rider not picked up by then gives up' },
  { path: 'maxDetourFactor', flag: 'max-detour', kind: 'number', min: 1, max: 100, doc: 'in-car time at most this x direct time' },
  { path: 'detourSlackS', flag: 'detour-slack', kind: 'duration-s', min: 0, doc: 'added to the in-car limit' },
  { path: 'fare.baseCents', flag: 'fare-base-cents', kind: 'int', min: 0, doc: 'fare: per ride, cents' },
  { path: 'fare.perKmCents', flag: 'fare-per-km-cents', kind: 'int', min: 0, doc: 'fare: per km of the direct route, cents' },
  { path: 'fare.perMinuteCents', flag: 'fare-per-minute-cents', kind: 'int', min: 0, doc: 'fare: per minute of the direct route, cents' },
  { path: 'fare.minimumCents', flag: 'fare-minimum-cents', kind: 'int', min: 0, doc: 'fare: least fare, cents' },
  { path: 'fare.poolingDiscountBps', flag: 'fare-pooling-discount-bps', kind: 'int', min: 0, max: 10_000, doc: 'fare: discount when pooled, basis points' },
  { path: 'durationS', flag: 'duration', kind: 'duration-s', min: 1, doc: 'requests arrive during this time' },
  { path: 'drainS', flag: 'drain', kind: 'duration-s', min: 0, doc: 'time after the last request for rides to finish' },
  { path: 'batchS', flag: 'batch', kind: 'duration-s', min: 1, doc: 'centralized dispatcher: batch interval' },
  { path: 'offerIntervalS', flag: 'offer-interval', kind: 'duration-s', min: 0, doc: 'decentralized: a driver publishes a vehicle offer this often (0: never)' },
  { path: 'republishS', flag: 'republish', kind: 'duration-s', min: 0.1, doc: 'decentralized: a rider re-publishes its request this often while collecting quotes' },
  { path: 'network.mode', flag: 'network', kind: 'enum', values: ['simulated', 'libp2p'], doc: 'decentralized run: simulated network or real libp2p nodes' },
  { path: 'network.transport', flag: 'transport', kind: 'enum', values: ['memory', 'tcp'], doc: 'libp2p transport' },
  { path: 'network.latencyMs', flag: 'latency', kind: 'duration-ms', min: 0, doc: 'simulated network: one-way latency' },
  { path: 'network.jitterMs', flag: 'jitter', kind: 'duration-ms', min: 0, doc: 'simulated network: random extra latency' },
  { path: 'network.bandwidthBps', flag: 'bandwidth', kind: 'number', min: 1, doc: 'simulated network: bytes/s per link' },
  { path: 'network.loss', flag: 'loss', kind: 'number', min: 0, max: 1, doc: 'simulated network: probability a delivery is lost' },
  { path: 'network.lookupMs', flag: 'lookup', kind: 'duration-ms', min: 0, doc: 'simulated network: DHT lookup latency' },
  { path: 'network.keyType', flag: 'key-type', kind: 'enum', values: ['secp256k1', 'ed25519'], doc: 'key type of the peer ids (ed25519: derived from the payment key, as in production)' },
  { path: 'network.maxLagS', flag: 'max-lag', kind: 'duration-s', min: 0.01, doc: 'libp2p mode, one process: most simulated time one event-loop lag may cost (the clock slows down to hold it)' },
  { path: 'workers', flag: 'workers', kind: 'int', min: 1, max: 1024, doc: 'worker processes (libp2p mode)' },
  { path: 'speedup', flag: 'speedup', kind: 'number', min: 0.001, max: 1_000_000, doc: 'libp2p mode: simulated seconds per real second' },
  { path: 'payments', flag: 'payments', kind: 'enum', values: ['channels', 'none'], doc: 'pay rides through channels on the run\'s embedded chain, or not' },
  { path: 'seed', flag: 'seed', kind: 'int', min: 0, max: 0xFFFFFFFF, doc: 'seed of every random choice' },
  { path: 'out', flag: 'out', kind: 'path', doc: 'output folder for results.json and report.html' }
] satisfies ScenarioField[])

/** The defaults of every scenario field, in one place */
export const DEFAULT_SCENARIO: Readonly<Scenario> = Object.freeze<Scenario>({
  map: null,
  city: { cols: 20, rows: 20, blockM: 200, seed: 1 },
  demand: { trips: null, profile: null, startHour: 8, minTripM: 500, snapM: 150 },
  riders: 200,
  drivers: 50,
  seats: DEFAULT_VEHICLE_SEATS,
  patienceS: 600,
  maxDetourFactor: 1.5,
  detourSlackS: 120,
  fare: { ...DEFAULT_FARE },
  durationS: 3600,
  drainS: 3600,
  batchS: 30,
  offerIntervalS: DEFAULT_OFFER_INTERVAL_MS / 1000,
  republishS: DEFAULT_REPUBLISH_MS / 1000,
  network: { mode: 'simulated', transport: 'memory', latencyMs: 20, jitterMs: 10, bandwidthBps: 1_250_000, loss: 0, lookupMs: 100, keyType: 'ed25519', maxLagS: 2 },
  workers: 1,
  speedup: 60,
  payments: 'channels',
  seed: 1,
  out: './hitch-sim-out'
})

const GROUPS = new Set(['city', 'demand', 'fare', 'network'])
const BY_PATH = new Map(SCENARIO_FIELDS.map(f => [f.path, f]))
const BY_FLAG = new Map(SCENARIO_FIELDS.map(f => [f.flag, f]))

/** A deep copy of the defaults */
export function defaultScenario (): Scenario {
  return structuredClone(DEFAULT_SCENARIO) as Scenario
}

export { parseDurationMs } from './duration.js'

function describe (f: ScenarioField): string {
  const range = (): string => {
    if (f.min != null && f.max != null) return ` in [${f.min}, ${f.max}]`
    if (f.min != null) return ` >= ${f.min}`
    if (f.max != null) return ` <= ${f.max}`
    return ''
  }
  switch (f.kind) {
    case 'int': return `an integer${range()}`
    case 'number': return `a number${range()}`
    case 'duration-s': return `a duration (seconds, or text like 30s, 5m, 2h)${range()}`
    case 'duration-ms': return `a duration (milliseconds, or text like 20ms, 1s)${range()}`
    case 'enum': return `one of ${(f.values ?? []).join(', ')}`
    default: return f.nullable === true ? 'a string or null' : 'a string'
  }
}

/**
 * Checks one value (from JSON, or the text of a flag when `fromText`) and
 * returns it in the field's canonical unit.
 *
 * @throws {ScenarioError}
 */
function coerce (f: ScenarioField, value: unknown, where: string, fromText: boolean): unknown {
  const bad = (): never => {
    throw new ScenarioError(where, `expected ${describe(f)}, got ${JSON.stringify(value)}`)
  }
  if (value === null) {
    if (f.nullable === true) return null
    bad()
  }
  let out: number
  switch (f.kind) {
    case 'path':
    case 'string':
      if (typeof value !== 'string' || value === '') bad()
      return value
    case 'enum':
      if (typeof value !== 'string' || !(f.values ?? []).includes(value)) bad()
      return value
    case 'int':
    case 'number':
      if (typeof value === 'number') out = value
      else if (fromText && typeof value === 'string' && NUMBER_RE.test(value.trim())) out = Number(value)
      else return bad()
      if (!Number.isFinite(out) || (f.kind === 'int' && !Number.isInteger(out))) bad()
      break
    case 'duration-s':
    case 'duration-ms': {
      const unit = f.kind === 'duration-s' ? 1000 : 1
      if (typeof value === 'number') out = value
      else if (typeof value === 'string') out = parseDurationMs(value, unit) / unit
      else return bad()
      if (!Number.isFinite(out)) bad()
      break
    }
  }
  if ((f.min != null && out < f.min) || (f.max != null && out > f.max)) bad()
  return out
}

function setPath (target: Scenario, path: string, value: unknown): void {
  const parts = path.split('.')
  let obj: any = target
  for (let i = 0; i < parts.length - 1; i++) obj = obj[parts[i]]
  obj[parts[parts.length - 1]] = value
}

/** Reads a field's value from a scenario by its dotted path */
export function getScenarioField (scenario: Scenario, path: string): unknown {
  let obj: any = scenario
  for (const p of path.split('.')) obj = obj?.[p]
  return obj
}

function isPlainObject (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * The defaults overlaid with `input` (a parsed scenario file), strictly
 * checked: an unknown key, a value of the wrong type or out of range throws
 * a {@link ScenarioError} naming the field. Relative paths are resolved
 * against `baseDir` when given.
 *
 * @throws {ScenarioError}
 */
export function resolveScenario (input: unknown, baseDir?: string): Scenario {
  if (!isPlainObject(input)) throw new ScenarioError('(scenario)', 'a scenario must be a JSON object')
  const scenario = defaultScenario()
  for (const [key, value] of Object.entries(input)) {
    if (GROUPS.has(key)) {
      if (value === null) continue
      if (!isPlainObject(value)) throw new ScenarioError(key, `expected an object, got ${JSON.stringify(value)}`)
      for (const [sub, subValue] of Object.entries(value)) {
        const field = BY_PATH.get(`${key}.${sub}`)
        if (field == null) throw new ScenarioError(`${key}.${sub}`, 'unknown key')
        setPath(scenario, field.path, resolvePath(field, coerce(field, subValue, field.path, false), baseDir))
      }
      continue
    }
    const field = BY_PATH.get(key)
    if (field == null) throw new ScenarioError(key, 'unknown key')
    setPath(scenario, field.path, resolvePath(field, coerce(field, value, field.path, false), baseDir))
  }
  return checkScenario(scenario)
}

function resolvePath (f: ScenarioField, value: unknown, baseDir: string | undefined): unknown {
  if (f.kind === 'path' && typeof value === 'string' && baseDir != null) return resolve(baseDir, value)
  return value
}

/** Cross-field rules that no single field can check */
function checkScenario (s: Scenario): Scenario {
  if (s.network.mode === 'simulated' && s.workers > 1) {
    throw new ScenarioError('workers', 'the simulated network runs in one process; use workers 1')
  }
  return s
}

/**
 * Loads and checks a scenario JSON file; relative paths in it are taken
 * relative to the file's folder.
 *
 * @throws {ScenarioError} when the file cannot be read, is not JSON or is invalid
 */
export async function loadScenario (file: string): Promise<Scenario> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    throw new ScenarioError('(file)', `cannot read ${file}: ${String(err.code ?? err.message)}`, { cause: err })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err: any) {
    throw new ScenarioError('(file)', `${file} is not JSON: ${String(err.message)}`, { cause: err })
  }
  return resolveScenario(json, dirname(resolve(file)))
}

/** Flag values as `node:util` parseArgs returns them (every scenario flag is a string) */
export type ScenarioFlags = Record<string, string | boolean | string[] | undefined>

/**
 * A copy of `scenario` with every scenario flag present in `flags` applied
 * (keys are flag names without dashes, as in {@link SCENARIO_FIELDS}); other
 * keys are left for the caller. Relative paths stay as given (relative to
 * the working directory). A flag value of `none` clears a nullable path.
 *
 * @throws {ScenarioError} naming the flag, e.g. `--drivers`
 */
export function applyFlags (scenario: Scenario, flags: ScenarioFlags): Scenario {
  const out = structuredClone(scenario)
  for (const [flag, raw] of Object.entries(flags)) {
    const field = BY_FLAG.get(flag)
    if (field == null || raw === undefined) continue
    if (typeof raw !== 'string') throw new ScenarioError(`--${flag}`, 'needs a value')
    const value = field.nullable === true && raw === 'none' ? null : raw
    setPath(out, field.path, coerce(field, value, `--${flag}`, true))
  }
  return checkScenario(out)
}

/**
 * The `node:util` parseArgs options of every scenario flag (all strings),
 * for a command line that accepts them.
 */
export function scenarioFlagOptions (): Record<string, { type: 'string' }> {
  return Object.fromEntries(SCENARIO_FIELDS.map(f => [f.flag, { type: 'string' as const }]))
}

/** `--flag VALUE   doc (default: x)` lines for a help text */
export function scenarioFlagHelp (): string {
  const width = Math.max(...SCENARIO_FIELDS.map(f => f.flag.length)) + 2
  return SCENARIO_FIELDS.map(f => {
    const def = getScenarioField(DEFAULT_SCENARIO as Scenario, f.path)
    return `  --${f.flag.padEnd(width)} ${f.doc} (default: ${def === null ? 'none' : String(def)})`
  }).join('\n')
}
