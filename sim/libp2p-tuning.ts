/**
 * The one place where the simulator's `libp2p` network mode departs from a
 * production node's settings, and why. Everything else (roles, validation,
 * signatures, negotiation, the libp2p stack itself) is the real node code.
 *
 * Two kinds of settings live here:
 *
 * - **libp2p settings for hundreds of nodes on one host**: gossipsub's IP
 *   colocation penalty (P6) off and raised connection limits
 *   (`loopbackFriendly`: every node of a run shares 127.0.0.1 or has no IP at
 *   all, so P6 would graylist the whole run), riders as DHT clients, and
 *   slower periodic work (heartbeats, DHT self-queries) so that 200+ nodes fit
 *   on two cores. The rest of Hitch's gossipsub scoring (invalid-message
 *   penalties, first deliveries, thresholds) and the network's rate limits are
 *   the production ones: honest nodes stay far inside them (a rider
 *   re-publishes every 1.5 real seconds at the fastest, its signer budget is 2
 *   a second), and the limits count real time, not the sped-up clock. With
 *   `StrictNoSign` (below) gossip messages carry no author, so the check that
 *   an envelope's signer is the gossipsub author does not apply here.
 * - **role timings in clock time**: the nodes share a `WallClock` that runs
 *   `speedup` times faster than real time, but libp2p's latencies and CPU
 *   are real. A protocol wait (quote window, accept timeout, re-publishing)
 *   must stay a comfortable real-time margin, so it is given here in real
 *   milliseconds and multiplied by the speed-up. The price is visible in the
 *   results: at speed-up S every real second of negotiation costs S simulated
 *   seconds of the rider's wait. The role tests' libp2p nodes
 *   (test/integration/roles-fixtures.ts) run on such a clock too and take
 *   their timings from here, so these margins are the only real-time ones.
 */
import { DEFAULT_ACCEPT_TIMEOUT_MS, DEFAULT_MAX_TTL_MS, DEFAULT_QUOTE_WINDOW_MS, DEFAULT_REVEAL_TIMEOUT_MS } from '../protocol/index.js'
import {
  DEFAULT_DISCOVERY_TIMEOUT_MS, DEFAULT_MAX_REPUBLISH_MS, DEFAULT_MESSAGE_TTL_MS, DEFAULT_OFFER_INTERVAL_MS, DEFAULT_QUOTE_TTL_MS,
  DEFAULT_QUOTE_WIDEN_MS, DEFAULT_RECORD_TIMEOUT_MS, DEFAULT_REPUBLISH_MS
} from '../node/index.js'
import type { DriverInit, RideRequestOptions, RiderInit } from '../node/index.js'
import type { CreateNetworkInit } from '../node/network/index.js'
import type { Scenario } from './scenario.js'

/**
 * gossipsub heartbeat of simulated nodes, real ms. Meshes of cell topics are
 * small (the drivers around one cell) and riders publish through fanout, so
 * a slower heartbeat costs little delivery and saves CPU on every node.
 *
 * @default 2000 (production: 1000)
 */
export const SIM_GOSSIP_HEARTBEAT_MS = 2_000

/**
 * gossipsub's own signature on each message. Every Hitch gossip message is
 * an envelope signed by its author and checked by the node's validator, so
 * gossipsub's signature (secp256k1 in pure JavaScript: a sign per publish
 * and a verify per copy received, on every node) adds nothing to what the
 * roles rely on but was the largest single CPU cost of a simulation with
 * hundreds of nodes in one process. All nodes of a run share the policy.
 *
 * @default 'StrictNoSign' (production: 'StrictSign')
 */
export const SIM_GOSSIP_SIGNATURE_POLICY = 'StrictNoSign' as const

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
 * How often a DHT node re-computes and re-tags its kad-closest peers, real ms. kad-dht does it
 * every 5 s on every node, and each time turns its peer sets back into peer ids (a parse each);
 * the tags only protect those connections from the connection manager's pruning, which the
 * raised limits of a simulation hardly reach. Passed through by
 * `patches/@libp2p+kad-dht+*.patch` (kad-dht's routing table takes the option, its KadDHT
 * did not pass it on).
 *
 * @default 60_000 (production: 5000)
 */
export const SIM_DHT_CLOSEST_PEERS_REFRESH_MS = 60_000

/**
 * Kademlia's k of a rider's DHT client in a simulation: its lookup of the
 * pickup cell's drivers ends once it has k of them, and each peer it asks
 * costs a connection (a noise handshake and an identify exchange, each with
 * secp256k1 signatures in pure JavaScript). The drivers, which serve the
 * DHT, keep the production k (20). A rider asks far fewer peers with 8 and
 * still connects to 8 drivers of its cell.
 *
 * @default 8 (production: 20)
 */
export const SIM_RIDER_DHT_K = 8

/**
 * Most drivers of the pickup cell a simulated rider connects to (the
 * rider's `discoveryDials`); see {@link SIM_RIDER_DHT_K}.
 *
 * @default 8 (the role's default: 16)
 */
export const SIM_RIDER_DISCOVERY_DIALS = 8

/**
 * libp2p's connection monitor pings every connection every 10 s and aborts
 * the ones whose ping times out. In a process running hundreds of nodes a
 * busy event loop delays pings, the monitor aborts healthy connections, the
 * peers dial again (new handshakes: more load, more late pings) and the run
 * spirals down. Connections between nodes of one host do not die silently,
 * so simulations turn the monitor off.
 *
 * @default false (production: true)
 */
export const SIM_CONNECTION_MONITOR = false

/**
 * Real ms a dial, a DHT message or an identify exchange may take before it
 * fails: well above loopback latency, but a run with hundreds of nodes on
 * two cores sees event-loop lags of a second or more.
 *
 * @default 20_000
 */
export const SIM_IO_TIMEOUT_MS = 20_000

/**
 * Drivers that serve the DHT: those whose index is below this (the bootstrap drivers of every
 * process among them); the other drivers are DHT clients, like the riders. In the field only
 * publicly reachable nodes serve the DHT (AutoNAT puts the others in client mode), so most
 * drivers, behind home routers and carrier NAT, are clients anyway. With every driver a server,
 * 200 drivers opened about 47 connections each before time 0 and kept opening some 60 a second
 * afterwards (provider records replicated over 200 routing tables, their pings and refreshes):
 * more than one process could handle, however slow its clock. With 32 servers, 200 drivers
 * still opened about 8,400 connections before time 0 (both ends counted: a client driver's
 * self-query, table refresh and cell announcement each walk towards a different key and
 * together reach most servers), each one more peer for gossipsub, identify and the peer store.
 * With 8 they open about 3,200. 8 is what a rider's lookup asks (its k, {@link SIM_RIDER_DHT_K})
 * and fewer than a driver's announcement writes to (k 20), so every server holds every cell's
 * record and a lookup finds the same drivers: which drivers a rider finds, and so the rides,
 * do not change; only how many DHT connections carry them. 8 of 200 (4 %) is also closer to
 * the share of publicly reachable nodes a city's drivers would have than 32 was.
 *
 * @default 8 (raised to the bootstrap drivers of every process with `--workers`)
 */
export const SIM_DHT_SERVERS = 8

/**
 * kad-dht's alpha (the peers a query asks at once) in a simulation: 10 in production; at 3 a
 * query dials fewer peers at once, which spreads its handshakes out on a busy loop.
 *
 * @default 3
 */
export const SIM_DHT_ALPHA = 3

/**
 * Whether driver `index` of a run with `workers` processes serves the DHT: the first
 * {@link SIM_DHT_SERVERS} drivers, and at least the bootstrap drivers of every process
 * (`bootstrapPerShare` each, dealt round-robin).
 */
export function simDhtServer (index: number, workers = 1, bootstrapPerShare = 3): boolean {
  return index < Math.max(SIM_DHT_SERVERS, workers * bootstrapPerShare)
}

/**
 * libp2p options of a simulated node, over `createNetwork`'s. Riders are DHT
 * clients: they look providers up but do not serve the DHT, so the routing
 * tables of the drivers never fill with riders that have left; so are the drivers
 * beyond the first {@link SIM_DHT_SERVERS} (`dhtServer` false).
 */
export function simLibp2pOptions (role: 'driver' | 'rider', dhtServer = role === 'driver'): Pick<CreateNetworkInit, 'loopbackFriendly' | 'gossipsub' | 'identify' | 'dhtOptions' | 'connectionManager' | 'connectionMonitor' | 'requestTimeoutMs' | 'handlerTimeoutMs'> {
  return {
    loopbackFriendly: true,
    gossipsub: {
      heartbeatInterval: SIM_GOSSIP_HEARTBEAT_MS,
      globalSignaturePolicy: SIM_GOSSIP_SIGNATURE_POLICY
    },
    identify: {
      timeout: SIM_IO_TIMEOUT_MS
    },
    dhtOptions: {
      clientMode: role === 'rider' || !dhtServer,
      alpha: SIM_DHT_ALPHA,
      querySelfInterval: SIM_DHT_QUERY_SELF_INTERVAL_MS,
      closestPeerSetRefreshInterval: SIM_DHT_CLOSEST_PEERS_REFRESH_MS,
      ...(role === 'rider' ? { kBucketSize: SIM_RIDER_DHT_K } : {})
    },
    connectionManager: {
      dialTimeout: SIM_IO_TIMEOUT_MS
    },
    connectionMonitor: {
      enabled: SIM_CONNECTION_MONITOR
    },
    requestTimeoutMs: SIM_IO_TIMEOUT_MS,
    handlerTimeoutMs: SIM_IO_TIMEOUT_MS
  }
}

/** Real-time margins of the role timings, real ms (scaled by the speed-up into clock ms) */
export const SIM_REAL_TIMINGS_MS = Object.freeze({
  /**
   * a driver re-publishes its vehicle offer at least this far apart; no role
   * consumes offers yet, and each one is verified by every driver around the cell
   */
  offerInterval: 20_000,
  /** a quote holds */
  quoteTtl: 8_000,
  /** a rider re-publishes its request while collecting quotes, at least this far apart */
  republish: 1_500,
  /** ... and backs off to at most this when no usable quote came */
  maxRepublish: 6_000,
  /** a held-back driver's quoting reach doubles this often (one re-published copy) */
  quoteWiden: 1_500,
  /** a rider looks drivers up in the DHT and dials them */
  discovery: 10_000,
  /** a rider collects quotes */
  quoteWindow: 1_500,
  /** a driver has to confirm an accept */
  acceptTimeout: 4_000,
  /** a driver that confirmed a ride waits for the rider's exact points */
  reveal: 8_000,
  /** a rider waits for the driver's trip record after dropoff */
  recordTimeout: 10_000,
  /** a rider stays online after its ride, so its countersigned record reaches the driver */
  linger: 1_000,
  /** signed messages stay valid */
  messageTtl: 10_000
})

/** Role timings of a simulated node at a given speed-up, clock ms */
export interface SimRoleTimings {
  driver: Pick<DriverInit, 'offerIntervalMs' | 'quoteTtlMs' | 'quoteWidenMs' | 'revealTimeoutMs' | 'sendTimeoutMs'>
  rider: Pick<RiderInit, 'republishMs' | 'maxRepublishMs' | 'discoveryTimeoutMs' | 'discoveryDials' | 'recordTimeoutMs' | 'sendTimeoutMs'>
  request: Pick<RideRequestOptions, 'quoteWindowMs' | 'acceptTimeoutMs'>
  /** how long a rider stays online after its ride, clock ms */
  lingerMs: number
  messageTtlMs: number
}

/** {@link SimRoleTimings} with every timing set, as {@link simRoleTimings} gives them */
export type ScaledRoleTimings = { [K in keyof SimRoleTimings]: Required<SimRoleTimings[K]> }

/**
 * Role timings for nodes whose clock runs `speedup` times faster than real
 * time: each the larger of the scenario's (or, without one, the role's
 * default) and the real-time margin of {@link SIM_REAL_TIMINGS_MS} times the
 * speed-up; a lifetime never above what validation accepts (10 minutes of
 * clock). An offer interval of 0 (offers off) stays 0.
 */
export function simRoleTimings (speedup: number, scenario: Partial<Pick<Scenario, 'offerIntervalS' | 'republishS'>> = {}): ScaledRoleTimings {
  const t = SIM_REAL_TIMINGS_MS
  const scaled = (realMs: number, atLeastMs: number): number => Math.max(atLeastMs, Math.round(realMs * speedup))
  const lifetime = (realMs: number, atLeastMs: number): number => Math.min(DEFAULT_MAX_TTL_MS, scaled(realMs, atLeastMs))
  const offerIntervalMs = scenario.offerIntervalS != null ? scenario.offerIntervalS * 1000 : DEFAULT_OFFER_INTERVAL_MS
  const republishMs = scaled(t.republish, scenario.republishS != null ? scenario.republishS * 1000 : DEFAULT_REPUBLISH_MS)
  return {
    driver: {
      offerIntervalMs: offerIntervalMs === 0 ? 0 : lifetime(t.offerInterval, offerIntervalMs),
      quoteTtlMs: lifetime(t.quoteTtl, DEFAULT_QUOTE_TTL_MS),
      quoteWidenMs: scaled(t.quoteWiden, DEFAULT_QUOTE_WIDEN_MS),
      revealTimeoutMs: scaled(t.reveal, DEFAULT_REVEAL_TIMEOUT_MS),
      sendTimeoutMs: SIM_IO_TIMEOUT_MS
    },
    rider: {
      republishMs,
      maxRepublishMs: Math.max(republishMs, scaled(t.maxRepublish, DEFAULT_MAX_REPUBLISH_MS)),
      discoveryTimeoutMs: scaled(t.discovery, DEFAULT_DISCOVERY_TIMEOUT_MS),
      discoveryDials: SIM_RIDER_DISCOVERY_DIALS,
      recordTimeoutMs: scaled(t.recordTimeout, DEFAULT_RECORD_TIMEOUT_MS),
      sendTimeoutMs: SIM_IO_TIMEOUT_MS
    },
    request: {
      quoteWindowMs: scaled(t.quoteWindow, DEFAULT_QUOTE_WINDOW_MS),
      acceptTimeoutMs: scaled(t.acceptTimeout, DEFAULT_ACCEPT_TIMEOUT_MS)
    },
    lingerMs: scaled(t.linger, 0),
    messageTtlMs: lifetime(t.messageTtl, DEFAULT_MESSAGE_TTL_MS)
  }
}
