/**
 * Schemas of the control protocol's messages (`sim/worker-protocol.ts`), both directions: every
 * message read from a control connection is checked here, field by field, before anything acts
 * on it. A schema is a function that returns the value typed or throws a
 * {@link ControlProtocolError} naming the first field at fault (`status.served`,
 * `result.riders[3].status`). Objects are strict (an unknown key is refused), strings and arrays
 * have bounds, numbers are finite.
 */
import { resolveScenario } from './scenario.js'
import { ScenarioError } from './errors.js'
import type { DriverTrip, RiderOutcome, ShareDriver, ShareResult, ShareStatus, SimTimeBase } from './share.js'
import type { SharePayments } from './payments.js'
import type { NodeNetworkRecord, RecordFacts, VehicleRecord } from './records.js'
import type { TripRequest } from './demand.js'
import type { Scenario } from './scenario.js'

/** What a worker sends the coordinator */
export type WorkerMessage =
  | { type: 'hello', version: number, pid: number, hostname: string, nonce: string, mac: string }
  | { type: 'listening', bootstrap: string[] }
  | { type: 'connected' }
  | { type: 'status', status: ShareStatus }
  | { type: 'result', result: ShareResult }
  | { type: 'error', message: string }

/** What the coordinator sends a worker */
export type CoordinatorMessage =
  | { type: 'challenge', version: number, nonce: string }
  | { type: 'welcome', mac: string }
  | {
    type: 'assign'
    worker: number
    workers: number
    scenario: Scenario
    /** the coordinator's map, to check that the worker loaded the same one */
    map: { source: string, vertices: number, edges: number }
    drivers: ShareDriver[]
    requests: TripRequest[]
    time: SimTimeBase
    /**
     * The coordinator's dev chain (JSON-RPC) the peers' channels settle on, when rides are paid;
     * its port on the host the worker connected to the coordinator at
     */
    chain?: { port: number }
  }
  | { type: 'connect', bootstrap: string[] }
  | { type: 'go', goAtMs: number }
  /**
   * From wall instant `atMs` (ms since the epoch) on, simulated time runs at `rate` simulated
   * ms per real ms: the coordinator slows every worker's clock alike while the worst of their
   * event loops lags (time dilation), so that the processes keep reading the same time
   */
  | { type: 'pace', atMs: number, rate: number }
  | { type: 'stop' }
  | { type: 'abort', reason: string }

/** Version of the control protocol; a peer of another version is refused */
export const WORKER_PROTOCOL_VERSION = 4

/** Every code a {@link ControlProtocolError} can carry */
export type ControlErrorCode =
  /** a line longer than the connection's bound (4 KiB before authentication) */
  | 'ERR_CONTROL_LINE_TOO_LONG'
  /** a line that is not JSON */
  | 'ERR_CONTROL_NOT_JSON'
  /** a message that does not fit its schema, or comes out of order */
  | 'ERR_CONTROL_INVALID'
  /** the far end does not know the token */
  | 'ERR_CONTROL_AUTH'
  /** the far end speaks another protocol version */
  | 'ERR_CONTROL_VERSION'
  /** the far end did not authenticate in time */
  | 'ERR_CONTROL_TIMEOUT'
  /** the connection closed or failed */
  | 'ERR_CONTROL_CLOSED'

/** A control connection broke the protocol; `field` names the part of the message at fault */
export class ControlProtocolError extends Error {
  readonly code: ControlErrorCode
  readonly field?: string
  override name = 'ControlProtocolError'

  constructor (code: ControlErrorCode, message: string, options?: { field?: string, cause?: unknown }) {
    super(message, options?.cause != null ? { cause: options.cause } : undefined)
    this.code = code
    if (options?.field != null) this.field = options.field
  }
}

/** Checks `value` (found at `path`) and returns it typed, or throws a `ControlProtocolError` */
export type Schema<T> = (value: unknown, path: string) => T

function invalid (path: string, what: string, value: unknown): ControlProtocolError {
  let shown: string
  try {
    shown = JSON.stringify(value)?.slice(0, 60) ?? String(value)
  } catch {
    shown = typeof value
  }
  return new ControlProtocolError('ERR_CONTROL_INVALID', `${path}: expected ${what}, got ${shown}`, { field: path })
}

/** Most elements of an array (drivers, requests, riders, nodes of one share) */
const MAX_ITEMS = 1_000_000
/** Longest free text (an error message, an abort reason, a note) */
const MAX_TEXT = 4096

export const int = (min = 0, max = Number.MAX_SAFE_INTEGER): Schema<number> => (v, path) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw invalid(path, `an integer in [${min}, ${max}]`, v)
  return v
}

export const num = (min = -Number.MAX_VALUE, max = Number.MAX_VALUE): Schema<number> => (v, path) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw invalid(path, `a finite number in [${min}, ${max}]`, v)
  return v
}

export const str = (maxLength = 256, pattern?: RegExp): Schema<string> => (v, path) => {
  if (typeof v !== 'string' || v.length > maxLength || (pattern != null && !pattern.test(v))) {
    throw invalid(path, `a string of at most ${maxLength} characters${pattern != null ? ` matching ${String(pattern)}` : ''}`, v)
  }
  return v
}

export const bool: Schema<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw invalid(path, 'true or false', v)
  return v
}

export const oneOf = <T extends string>(...values: T[]): Schema<T> => (v, path) => {
  if (typeof v !== 'string' || !(values as string[]).includes(v)) throw invalid(path, `one of ${values.join(', ')}`, v)
  return v as T
}

export const nullable = <T>(inner: Schema<T>): Schema<T | null> => (v, path) => v === null ? null : inner(v, path)

export const array = <T>(item: Schema<T>, maxItems = MAX_ITEMS): Schema<T[]> => (v, path) => {
  if (!Array.isArray(v)) throw invalid(path, 'an array', v)
  if (v.length > maxItems) throw invalid(path, `at most ${maxItems} items`, `${v.length} items`)
  return v.map((x, i) => item(x, `${path}[${i}]`))
}

type Fields<T> = { [K in keyof T]-?: Schema<T[K]> }

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * A strict object: every key of `fields` required unless listed in `optional`, no other key.
 * The result is a fresh object holding only the checked fields.
 */
export function object<T> (fields: Fields<T>, optional: ReadonlyArray<keyof T> = []): Schema<T> {
  const keys = Object.keys(fields) as Array<keyof T & string>
  return (v, path) => {
    if (!isRecord(v)) throw invalid(path, 'an object', v)
    for (const key of Object.keys(v)) {
      if (!Object.prototype.hasOwnProperty.call(fields, key)) throw invalid(`${path}.${key}`, 'no such field', v[key])
    }
    const out: Partial<T> = {}
    for (const key of keys) {
      if (!Object.prototype.hasOwnProperty.call(v, key) || v[key] === undefined) {
        if (optional.includes(key)) continue
        throw invalid(`${path}.${key}`, 'a value', undefined)
      }
      out[key] = fields[key](v[key], `${path}.${key}`)
    }
    return out as T
  }
}

/** A record with string keys (at most `maxKeys`) and checked values */
export const dictionary = <T>(value: Schema<T>, maxKeys = 1000): Schema<Record<string, T>> => (v, path) => {
  if (!isRecord(v)) throw invalid(path, 'an object', v)
  const entries = Object.entries(v)
  if (entries.length > maxKeys) throw invalid(path, `at most ${maxKeys} keys`, `${entries.length} keys`)
  const out: Record<string, T> = {}
  for (const [k, x] of entries) {
    str(256)(k, `${path} key`)
    Object.defineProperty(out, k, { value: value(x, `${path}.${k}`), enumerable: true, writable: true, configurable: true })
  }
  return out
}

/**
 * A message: an object whose `type` picks its schema. `path` names messages by their type, so
 * errors read `status.served: …`.
 */
export function message<M extends { type: string }> (kinds: { [K in M['type']]: Schema<Omit<Extract<M, { type: K }>, 'type'>> }): (value: unknown) => M {
  return value => {
    if (!isRecord(value)) throw invalid('message', 'an object', value)
    const type = value.type
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(kinds, type)) {
      throw invalid('message.type', `one of ${Object.keys(kinds).join(', ')}`, type)
    }
    const { type: _type, ...rest } = value
    const body = (kinds as Record<string, Schema<object>>)[type](rest, type)
    return { type, ...body } as unknown as M
  }
}

// ---- the parts of the messages

/** A 32-byte nonce or an HMAC-SHA256, as lowercase hex */
export const hex32 = str(64, /^[0-9a-f]{64}$/)

const multiaddr = str(1024, /^\//)
const count = int()
const text = str(MAX_TEXT)
const id = str(256)
const simSeconds = nullable(num(0))

const scenario: Schema<Scenario> = (v, path) => {
  try {
    return resolveScenario(v)
  } catch (err) {
    if (err instanceof ScenarioError) throw new ControlProtocolError('ERR_CONTROL_INVALID', `${path}.${err.message}`, { field: `${path}.${err.field}`, cause: err })
    throw err
  }
}

const shareDriver: Schema<ShareDriver> = object<ShareDriver>({ index: count, vertex: count })

const tripRequest: Schema<TripRequest> = object<TripRequest>({
  id,
  index: count,
  timeS: num(0),
  pickup: count,
  dropoff: count,
  pickupLat: num(-90, 90),
  pickupLon: num(-180, 180),
  dropoffLat: num(-90, 90),
  dropoffLon: num(-180, 180),
  seats: int(1, 64),
  sourceFareCents: num(0)
}, ['sourceFareCents'])

const timeBase: Schema<SimTimeBase> = object<SimTimeBase>({ speedup: num(Number.MIN_VALUE, 1e6), anchorMs: num(0) })

const shareStatus: Schema<ShareStatus> = object<ShareStatus>({
  simS: num(),
  riders: count,
  finished: count,
  served: count,
  cancelled: count,
  idle: bool,
  nodes: count,
  connections: object<ShareStatus['connections']>({ driver: count, rider: count }),
  loopDelayP99Ms: num(0)
})

const riderOutcome: Schema<RiderOutcome> = object<RiderOutcome>({
  index: count,
  requestId: nullable(id),
  status: oneOf('served', 'cancelled', 'unfinished'),
  assignTimeS: simSeconds,
  matchWallMs: nullable(num(0)),
  pickupTimeS: simSeconds,
  dropoffTimeS: simSeconds,
  fareCents: nullable(num(0)),
  vehicle: nullable(id),
  record: nullable(object<RecordFacts>({ hash: str(66, /^0x[0-9a-f]{64}$/), signedByDriver: bool, signedByRider: bool, verified: bool })),
  quotedWei: nullable(str(80, /^\d+$/)),
  paidWei: nullable(str(80, /^\d+$/))
}, ['record', 'quotedWei', 'paidWei'])

const driverTrip: Schema<DriverTrip> = object<DriverTrip>({
  requestId: id, driver: id, pickupTimeS: simSeconds, dropoffTimeS: simSeconds, pooled: bool
})

const vehicleRecord: Schema<VehicleRecord> = object<VehicleRecord>({
  id, kmEmpty: num(0), kmOccupied: num(0), passengerKm: num(0), ridesServed: count
})

const nodeRecord: Schema<NodeNetworkRecord> = object<NodeNetworkRecord>({
  peerId: id,
  role: oneOf('driver', 'rider'),
  gossipMessagesIn: count,
  gossipMessagesOut: count,
  gossipBytesIn: count,
  gossipBytesOut: count,
  directMessagesIn: count,
  directMessagesOut: count,
  directBytesIn: count,
  directBytesOut: count
})

const sharePayments: Schema<SharePayments> = object<SharePayments>({
  channelUpdates: count, ridesSettled: count, ridesUnsettled: count, channelsClosed: count, paidWei: str(80, /^\d+$/)
})

const shareResult: Schema<ShareResult> = object<ShareResult>({
  riders: array(riderOutcome),
  trips: array(driverTrip),
  vehicles: array(vehicleRecord),
  nodes: array(nodeRecord),
  simulatedS: num(0),
  wallMs: num(0),
  cpuUs: num(0),
  peakRssBytes: num(0),
  peakNodes: count,
  worstLoopDelayMs: num(0),
  heldSpeedUp: nullable(num(0)),
  payments: nullable(sharePayments),
  notes: array(text, 1000)
}, ['worstLoopDelayMs', 'heldSpeedUp'])

type Body<M extends { type: string }, K extends M['type']> = Omit<Extract<M, { type: K }>, 'type'>

/** The version first: a peer of another version is told so, whatever else its first message holds */
function versioned<T extends { version: number }> (inner: Schema<T>): Schema<T> {
  return (v, path) => {
    if (isRecord(v) && v.version !== WORKER_PROTOCOL_VERSION) {
      let shown: string
      try { shown = JSON.stringify(v.version)?.slice(0, 20) ?? 'none' } catch { shown = typeof v.version }
      throw new ControlProtocolError('ERR_CONTROL_VERSION', `protocol version ${shown}, expected ${WORKER_PROTOCOL_VERSION}`, { field: `${path}.version` })
    }
    return inner(v, path)
  }
}

/** Checks a message a worker sent to the coordinator */
export const parseWorkerMessage = message<WorkerMessage>({
  hello: versioned(object<Body<WorkerMessage, 'hello'>>({ version: int(0, 2 ** 31), pid: count, hostname: str(255), nonce: hex32, mac: hex32 })),
  listening: object<Body<WorkerMessage, 'listening'>>({ bootstrap: array(multiaddr, 10_000) }),
  connected: object<Body<WorkerMessage, 'connected'>>({}),
  status: object<Body<WorkerMessage, 'status'>>({ status: shareStatus }),
  result: object<Body<WorkerMessage, 'result'>>({ result: shareResult }),
  error: object<Body<WorkerMessage, 'error'>>({ message: text })
})

/** Checks a message the coordinator sent to a worker */
export const parseCoordinatorMessage = message<CoordinatorMessage>({
  challenge: versioned(object<Body<CoordinatorMessage, 'challenge'>>({ version: int(0, 2 ** 31), nonce: hex32 })),
  welcome: object<Body<CoordinatorMessage, 'welcome'>>({ mac: hex32 }),
  assign: object<Body<CoordinatorMessage, 'assign'>>({
    worker: count,
    workers: int(1, 10_000),
    scenario,
    map: object<Body<CoordinatorMessage, 'assign'>['map']>({ source: str(4096), vertices: count, edges: count }),
    drivers: array(shareDriver),
    requests: array(tripRequest),
    time: timeBase,
    chain: object<{ port: number }>({ port: int(1, 65535) })
  }, ['chain']),
  connect: object<Body<CoordinatorMessage, 'connect'>>({ bootstrap: array(multiaddr, 100_000) }),
  go: object<Body<CoordinatorMessage, 'go'>>({ goAtMs: num(0) }),
  pace: object<Body<CoordinatorMessage, 'pace'>>({ atMs: num(0), rate: num(Number.MIN_VALUE, 1e6) }),
  stop: object<Body<CoordinatorMessage, 'stop'>>({}),
  abort: object<Body<CoordinatorMessage, 'abort'>>({ reason: text })
})
