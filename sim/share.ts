/**
 * What the processes of a simulation share: the epoch of simulated time, the time base that
 * anchors every process's clock to it, and the plain-data results and counters a share of the
 * peers reports (sent between processes as JSON, checked by `control-schema.ts`).
 */
import { WallClock } from '../node/clock/index.js'
import type { RecordFacts, RequestStatus, NodeNetworkRecord, VehicleRecord } from './records.js'
import type { SharePayments } from './payments.js'

/** `clock.now()` at simulated time 0: a fixed instant, so runs repeat exactly */
export const SIM_EPOCH_MS = Date.UTC(2024, 0, 1)

/** One driver of a share: its index in the fleet and its starting road vertex */
export interface ShareDriver {
  index: number
  vertex: number
}

/**
 * Simulated time of the processes of one run. Every process makes its own
 * `WallClock`, but all of them read the same time: the clock is anchored to
 * a wall-clock instant (`anchorMs`, `Date.now()` of the coordinator) and
 * simulated time 0 is the wall instant `goAtMs`, both sent by the
 * coordinator. Processes on one host share `Date.now()`; on several hosts
 * they agree as well as their clocks do (NTP), times the speed-up.
 */
export interface SimTimeBase {
  speedup: number
  /** wall ms (Date.now()) at which every clock reads SIM_EPOCH_MS */
  anchorMs: number
}

/** A `WallClock` that reads `SIM_EPOCH_MS` at the wall instant `anchorMs` */
export function anchoredClock (base: SimTimeBase): WallClock {
  return new WallClock({ speedUp: base.speedup, startEpoch: SIM_EPOCH_MS + (Date.now() - base.anchorMs) * base.speedup, unref: true })
}

/** Clock ms of simulated time 0, when the run goes at the wall instant `goAtMs` */
export function simZero (base: SimTimeBase, goAtMs: number): number {
  return SIM_EPOCH_MS + (goAtMs - base.anchorMs) * base.speedup
}

/** What a rider's node saw of its ride (times in simulated seconds) */
export interface RiderOutcome {
  /** index of the request in the demand */
  index: number
  /** the protocol's request id, to join the driver's view */
  requestId: string | null
  status: RequestStatus
  assignTimeS: number | null
  matchWallMs: number | null
  pickupTimeS: number | null
  dropoffTimeS: number | null
  fareCents: number | null
  vehicle: string | null
  /** a served ride's trip record, as the rider got it */
  record?: RecordFacts | null
  /** the accepted quote, wei (paid runs) */
  quotedWei?: string | null
  /** what the settled payment paid, wei (paid runs) */
  paidWei?: string | null
}

/** What a driver's node saw of one ride (times in simulated seconds) */
export interface DriverTrip {
  requestId: string
  driver: string
  pickupTimeS: number | null
  dropoffTimeS: number | null
  /** shared the car with another rider */
  pooled: boolean
}

/** Everything one process's share of the peers produced; plain data (sent between processes as JSON) */
export interface ShareResult {
  riders: RiderOutcome[]
  trips: DriverTrip[]
  vehicles: VehicleRecord[]
  nodes: NodeNetworkRecord[]
  /** simulated seconds covered */
  simulatedS: number
  wallMs: number
  cpuUs: number
  peakRssBytes: number
  /** most nodes running at once */
  peakNodes: number
  /** the worst p99 event-loop delay of the process over a status interval, real ms (libp2p mode) */
  worstLoopDelayMs?: number
  /** simulated s per real s the clock held from time 0 on, once it slowed down for a lagging loop; null: it did not dilate */
  heldSpeedUp?: number | null
  /** what the share's peers counted of their payments; null when rides are not paid */
  payments: SharePayments | null
  notes: string[]
}

/** Counters of a running share, for progress and the end condition */
export interface ShareStatus {
  simS: number
  riders: number
  finished: number
  served: number
  cancelled: number
  /** every driver of the share has an empty plan */
  idle: boolean
  /** nodes running now */
  nodes: number
  /** connections opened so far by the share's drivers and riders (each side of a connection in the share counts it) */
  connections: { driver: number, rider: number }
  /** the process's event-loop delay since the last status, p99, real ms: a loaded process distorts every protocol timing */
  loopDelayP99Ms: number
}
