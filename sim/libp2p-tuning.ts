/**
 * The one place where the simulator's `libp2p` network mode departs from a
 * production node's settings, and why. Everything else (roles, validation,
 * signatures, negotiation, the libp2p stack itself) is the real node code.
 *
 * Two kinds of settings live here:
 *
 * - **libp2p settings for hundreds of nodes on one host**: gossipsub's IP
 *   colocation penalty off and raised connection limits (`loopbackFriendly`),
 *   riders as DHT clients, and slower periodic work (heartbeats, DHT
 *   self-queries) so that 200+ nodes fit on two cores.
 * - **role timings in clock time**: the nodes share a `WallClock` that runs
 *   `speedup` times faster than real time, but libp2p's latencies and CPU
 *   are real. A protocol wait (quote window, accept timeout, re-publishing)
 *   must stay a comfortable real-time margin, so it is given here in real
 *   milliseconds and multiplied by the speed-up. The price is visible in the
 *   results: at speed-up S every real second of negotiation costs S simulated
 *   seconds of the rider's wait.
 */
import { DEFAULT_ACCEPT_TIMEOUT_MS, DEFAULT_MAX_TTL_MS, DEFAULT_QUOTE_WINDOW_MS } from '../protocol/index.js'
import {
  DEFAULT_DISCOVERY_TIMEOUT_MS, DEFAULT_OFFER_INTERVAL_MS, DEFAULT_QUOTE_TTL_MS, DEFAULT_RECORD_TIMEOUT_MS, DEFAULT_REPUBLISH_MS,
  DEFAULT_MESSAGE_TTL_MS
} from '../node/index.js'
import type { DriverInit, RideRequestOptions, RiderInit } from '../node/index.js'
import type { CreateNetworkInit } from '../node/libp2p/index.js'

/**
 * gossipsub heartbeat of simulated nodes, real ms. Meshes of cell topics are
 * small (the drivers around one cell) and riders publish through fanout, so
 * a slower heartbeat costs little delivery and saves CPU on every node.
 *
 * @default 2000 (production: 1000)
 */
export const SIM_GOSSIP_HEARTBEAT_MS = 2_000

/**
 * How often a DHT server re-runs its self-query, real ms. A simulated run
 * lasts minutes; the production interval (5 min) would mostly not fire, and
 * the first query (1 s after start, libp2p's default) is what fills the
 * routing table.
 *
 * @default 600_000
 */
export const SIM_DHT_QUERY_SELF_INTERVAL_MS = 600_000

/**
 * Real ms a dial, a DHT message or an identify exchange may take before it
 * fails: well above loopback latency, but a run with hundreds of nodes on
 * two cores sees event-loop lags of a second or more.
 *
 * @default 20_000
 */
export const SIM_IO_TIMEOUT_MS = 20_000

/**
 * libp2p options of a simulated node, over `createNetwork`'s. Riders are DHT
 * clients: they look providers up but do not serve the DHT, so the routing
 * tables of the drivers never fill with riders that have left.
 */
export function simLibp2pOptions (role: 'driver' | 'rider'): Pick<CreateNetworkInit, 'loopbackFriendly' | 'gossipsub' | 'identify' | 'dhtOptions' | 'connectionManager' | 'requestTimeoutMs' | 'handlerTimeoutMs'> {
  return {
    loopbackFriendly: true,
    gossipsub: {
      heartbeatInterval: SIM_GOSSIP_HEARTBEAT_MS
    },
    identify: {
      timeout: SIM_IO_TIMEOUT_MS
    },
    dhtOptions: {
      clientMode: role === 'rider',
      querySelfInterval: SIM_DHT_QUERY_SELF_INTERVAL_MS
    },
    connectionManager: {
      dialTimeout: SIM_IO_TIMEOUT_MS
    },
    requestTimeoutMs: SIM_IO_TIMEOUT_MS,
    handlerTimeoutMs: SIM_IO_TIMEOUT_MS
  }
}

/** Real-time margins of the role timings, real ms (scaled by the speed-up into clock ms) */
export const SIM_REAL_TIMINGS_MS = Object.freeze({
  /** a driver re-publishes its vehicle offer */
  offerInterval: 10_000,
  /** a quote holds */
  quoteTtl: 8_000,
  /** a rider re-publishes its request while collecting quotes */
  republish: 1_500,
  /** a rider collects quotes */
  quoteWindow: 1_500,
  /** a driver has to confirm an accept */
  acceptTimeout: 4_000,
  /** a rider waits for the driver's trip record after dropoff */
  recordTimeout: 10_000,
  /** signed messages stay valid */
  messageTtl: 10_000
})

/** Role timings of a simulated node at a given speed-up, clock ms */
export interface SimRoleTimings {
  driver: Pick<DriverInit, 'offerIntervalMs' | 'quoteTtlMs' | 'sendTimeoutMs'>
  rider: Pick<RiderInit, 'republishMs' | 'discoveryTimeoutMs' | 'recordTimeoutMs' | 'sendTimeoutMs'>
  request: Pick<RideRequestOptions, 'quoteWindowMs' | 'acceptTimeoutMs'>
  messageTtlMs: number
}

/**
 * Role timings for nodes whose clock runs `speedup` times faster than real
 * time: each the larger of the role's default and the real-time margin of
 * {@link SIM_REAL_TIMINGS_MS} times the speed-up, and never above what
 * validation accepts as a lifetime (10 minutes of clock).
 */
export function simRoleTimings (speedup: number): SimRoleTimings {
  const clock = (realMs: number, defaultMs: number): number =>
    Math.min(DEFAULT_MAX_TTL_MS, Math.max(defaultMs, Math.round(realMs * speedup)))
  const t = SIM_REAL_TIMINGS_MS
  return {
    driver: {
      offerIntervalMs: clock(t.offerInterval, DEFAULT_OFFER_INTERVAL_MS),
      quoteTtlMs: clock(t.quoteTtl, DEFAULT_QUOTE_TTL_MS),
      sendTimeoutMs: SIM_IO_TIMEOUT_MS
    },
    rider: {
      republishMs: clock(t.republish, DEFAULT_REPUBLISH_MS),
      discoveryTimeoutMs: Math.max(DEFAULT_DISCOVERY_TIMEOUT_MS, SIM_IO_TIMEOUT_MS / 2),
      recordTimeoutMs: clock(t.recordTimeout, DEFAULT_RECORD_TIMEOUT_MS),
      sendTimeoutMs: SIM_IO_TIMEOUT_MS
    },
    request: {
      quoteWindowMs: clock(t.quoteWindow, DEFAULT_QUOTE_WINDOW_MS),
      acceptTimeoutMs: clock(t.acceptTimeout, DEFAULT_ACCEPT_TIMEOUT_MS)
    },
    messageTtlMs: clock(t.messageTtl, DEFAULT_MESSAGE_TTL_MS)
  }
}
