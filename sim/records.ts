import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { toWei } from '../node/payments/index.js'
import { recordHash, verifyTripRecord } from '../protocol/index.js'
import type { VehicleRecord } from './vehicle.js'
import type { Network } from '../node/network/index.js'
import type { TripRecord } from '../protocol/index.js'

export type { VehicleRecord }

/** How a ride request ended */
export type RequestStatus = 'served' | 'cancelled' | 'unfinished'

/**
 * What happened to one ride request, in either run. Times are simulated
 * seconds from the start; `null` where the step never happened.
 */
/** What a run learnt of a served ride's trip record. */
export interface RecordFacts {
  /** the record hash, 0x hex */
  hash: string
  signedByDriver: boolean
  signedByRider: boolean
  /** both signatures and the hash chain verify */
  verified: boolean
}

/** The facts of a trip record as the rider got it. */
export async function recordFacts (record: TripRecord): Promise<RecordFacts> {
  const verification = await verifyTripRecord(record)
  return {
    hash: `0x${uint8ArrayToString(recordHash(record), 'base16')}`,
    signedByDriver: record.driverSignature != null,
    signedByRider: record.riderSignature != null,
    verified: verification.ok
  }
}

/** What both fleets record of a served ride from what `requestRide` returned (`paid`: the run pays rides). */
export async function servedRideFacts (result: { driver: string, quote: { price: string, currency: string }, record: TripRecord }, paid: boolean): Promise<Pick<RequestRecord, 'fareCents' | 'vehicle' | 'record' | 'quotedWei'>> {
  return {
    fareCents: Number(result.quote.price),
    vehicle: result.driver,
    record: await recordFacts(result.record),
    ...(paid ? { quotedWei: String(toWei(result.quote.price, result.quote.currency)) } : {})
  }
}

/** What the chain saw of the run's channels' money, wei as decimal strings. */
export interface ChannelMoney {
  /** deposits (opens and top-ups) of the channels that closed during the run */
  depositedClosedWei: string
  /** what those channels paid out (rider and driver) */
  paidOutWei: string
  /** deposits of the channels still open or closing at the end */
  stillHeldWei: string
  /** channels whose payout differs from their deposits */
  mismatched: string[]
}

export interface RequestRecord {
  id: string
  status: RequestStatus
  /** When the rider asked */
  requestTimeS: number
  /** When a vehicle confirmed the ride */
  assignTimeS: number | null
  /** Wall-clock milliseconds from the request's handling to the confirmation */
  matchWallMs: number | null
  pickupTimeS: number | null
  dropoffTimeS: number | null
  /** Travel time of the direct route pickup → dropoff, seconds */
  directTimeS: number
  /** Length of the direct (fastest) route, metres */
  directDistanceM: number
  /** dropoff − pickup, seconds */
  inCarS: number | null
  /** The fare agreed, cents */
  fareCents: number | null
  /** Whether the rider shared the car with another rider during the ride */
  pooled: boolean
  /** The vehicle (or driver peer) that took the ride */
  vehicle: string | null
  seats: number
  /** Snapped positions, degrees (for the map of the report) */
  pickupLat: number
  pickupLon: number
  dropoffLat: number
  dropoffLon: number
  /** A served ride's trip record, as the rider got it (decentralized runs) */
  record?: RecordFacts | null
  /** The accepted quote, wei (paid runs) */
  quotedWei?: string | null
  /** What the ride's settled payment paid the driver, wei (paid runs) */
  paidWei?: string | null
}

/** Network counters of one peer, for per-node metrics */
export interface NodeNetworkRecord {
  peerId: string
  role: 'driver' | 'rider'
  gossipMessagesIn: number
  gossipMessagesOut: number
  gossipBytesIn: number
  gossipBytesOut: number
  directMessagesIn: number
  directMessagesOut: number
  directBytesIn: number
  directBytesOut: number
}

/** Payment figures of a run, when payments run */
export interface PaymentRecord {
  /** co-signed channel states */
  channelUpdates: number
  /** transactions mined during the run (opens, top-ups, closes, challenges) */
  onChainTxs: number
  gasUsed: number
  /** transactions and gas by adjudicator function */
  byFunction: Record<string, { transactions: number, gasUsed: number }>
  /** rides whose final state (the whole fare, the trip record hash) was co-signed */
  ridesSettled: number
  /** rides served whose payment did not settle */
  ridesUnsettled: number
  /** channels closed co-operatively after their ride */
  channelsClosed: number
  /** wei the settled rides paid drivers, decimal */
  paidWei: string
  /** the money of the run's channels as the chain's events tell it */
  money?: ChannelMoney
}

/** Everything one run (centralized or decentralized) produced */
export interface RunRecords {
  /** `'centralized'` or `'decentralized'` */
  kind: 'centralized' | 'decentralized'
  requests: RequestRecord[]
  vehicles: VehicleRecord[]
  /** Per-node network counters; empty for the centralized run */
  nodes: NodeNetworkRecord[]
  payments: PaymentRecord | null
  /** Simulated seconds the run covered */
  simulatedS: number
  /** Wall-clock milliseconds the run took */
  wallMs: number
  /** CPU microseconds (user + system) of this process during the run */
  cpuUs: number
  /** Peak resident memory of the process seen during the run, bytes */
  peakRssBytes: number
  /** Number of processes/peers the work ran on (1 for the centralized run) */
  processes: number
  /** Most nodes running at once, summed over the processes (libp2p mode) */
  peakNodes?: number
  /** The worst p99 event-loop delay over a status interval of any process, real ms (libp2p mode) */
  worstLoopDelayMs?: number
  /** Simulated s per real s the clock held from time 0 on, when it slowed down for a lagging loop (libp2p mode) */
  heldSpeedUp?: number | null
  /** Why parts of the run are missing, if they are */
  notes: string[]
}

/** A peer's traffic counters (from its `Network` port) as a results record. */
export function networkRecordOf (role: 'driver' | 'rider', network: Pick<Network, 'peerId' | 'stats'>): NodeNetworkRecord {
  const st = network.stats()
  return {
    peerId: network.peerId,
    role,
    gossipMessagesIn: st.gossip.messagesIn,
    gossipMessagesOut: st.gossip.messagesOut,
    gossipBytesIn: st.gossip.bytesIn,
    gossipBytesOut: st.gossip.bytesOut,
    directMessagesIn: st.direct.messagesIn,
    directMessagesOut: st.direct.messagesOut,
    directBytesIn: st.direct.bytesIn,
    directBytesOut: st.direct.bytesOut
  }
}
