import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { defaultLogger, prefixLogger } from '@libp2p/logger'
import { mdns } from '@libp2p/mdns'
import { memory } from '@libp2p/memory'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { hitchScoringOptions, retainScoresOnReconnect, scoreTopicsByPrefix } from './gossip-scoring.js'
import { natParts, type HitchNatInit } from './nat.js'
import { ReachabilityMonitor } from './reachability.js'
import type { RelayReserver } from './relay-reserver.js'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import type { GossipSub, GossipsubOpts } from '@libp2p/gossipsub'
import type { Identify, IdentifyInit } from '@libp2p/identify'
import type { KadDHT, KadDHTInit } from '@libp2p/kad-dht'
import type { Libp2p, Metrics, PrivateKey, PeerDiscovery, ComponentLogger } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Datastore } from 'interface-datastore'
import type { Libp2pOptions } from 'libp2p'

/** The transports a Hitch node can run on */
export type HitchTransport = 'tcp' | 'memory'

/** Options for {@link createHitchLibp2p} */
export interface HitchLibp2pInit {
  /** The node's identity (see `node/identity`) */
  privateKey: PrivateKey

  /**
   * A libp2p metrics implementation (e.g. `prometheusMetrics()` of `@libp2p/prometheus-metrics`):
   * libp2p's own connection and stream metrics and Hitch's (`node/metrics`) are registered on it.
   *
   * @default none: nothing is measured
   */
  metrics?: (components: any) => Metrics

  /**
   * `tcp` for real nodes, `memory` for many nodes in one process.
   */
  transport: HitchTransport

  /**
   * Listen addresses.
   *
   * @default ['/ip4/0.0.0.0/tcp/0'] for tcp, ['/memory/<peerId>'] for memory
   */
  listen?: string[]

  /**
   * Multiaddrs (ending in `/p2p/<peerId>`) of bootstrap peers to connect to at start.
   *
   * @default []
   */
  bootstrap?: string[]

  /**
   * Discover peers on the local network with mDNS (tcp only).
   *
   * @default false
   */
  mdns?: boolean

  /**
   * Where the peer store (and the DHT's own records) persist.
   *
   * @default an in-memory datastore (libp2p's default)
   */
  datastore?: Datastore

  /**
   * Run the Hitch kad-dht (server mode) for provider records.
   *
   * @default true
   */
  dht?: boolean

  /**
   * For tests and simulations with many nodes on one host: gossipsub's
   * IP-colocation penalty (P6) off, connection-manager limits raised, loopback
   * addresses kept in DHT records. Production keeps the defaults (P6 on, see
   * `IP_COLOCATION_THRESHOLD`).
   *
   * @default false
   */
  loopbackFriendly?: boolean

  /**
   * Prefix for this node's libp2p logs, e.g. `node-7` in a simulation.
   *
   * @default no prefix
   */
  logPrefix?: string

  /**
   * Extra gossipsub options, applied over Hitch's defaults (`scoreParams` and
   * `scoreThresholds` field by field over Hitch's scoring, see `gossip-scoring.ts`).
   *
   * @default {}
   */
  gossipsub?: Partial<GossipsubOpts>

  /**
   * Extra identify options (e.g. a simulation's longer timeout).
   *
   * @default {}
   */
  identify?: IdentifyInit

  /**
   * Extra kad-dht options, applied over Hitch's defaults (e.g. `clientMode: true` for a peer
   * that only looks records up, or a simulation's query intervals).
   *
   * @default {}
   */
  dhtOptions?: Partial<KadDHTInit>

  /**
   * Extra connection-manager options, applied over the `loopbackFriendly` limits.
   *
   * @default {}
   */
  connectionManager?: NonNullable<Libp2pOptions['connectionManager']>

  /**
   * Connection-monitor options (libp2p pings every connection and aborts those whose ping
   * fails), e.g. `{ enabled: false }` where a slow event loop must not read as a dead peer.
   *
   * @default libp2p's (enabled, a ping every 10 s)
   */
  connectionMonitor?: Libp2pOptions['connectionMonitor']

  /**
   * NAT traversal (tcp only): AutoNAT v2, a relay reservation and `/p2p-circuit` addresses,
   * DCUtR hole punching, and opt-in WebRTC, UPnP or relay service (see `nat.ts`). `true` for
   * the defaults of `HitchNatInit`.
   *
   * @default off: no relay transport, no AutoNAT, no new timers (tests, simulations)
   */
  nat?: boolean | HitchNatInit
}

/** The services every Hitch libp2p node has; `dht` is absent when `dht: false` */
export type HitchServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  dht?: KadDHT
  /** present when `nat.relayServer` is set */
  relay?: CircuitRelayService
  /** present when `nat` is on and the node is not a relay (`relay-reserver.ts`) */
  relayReserver?: RelayReserver
}

/** A libp2p node as composed by {@link createHitchLibp2p} */
export type HitchLibp2p = Libp2p<HitchServices> & {
  /** With `nat` on: whether and how the node can be reached (start it after libp2p) */
  reachability?: ReachabilityMonitor
  /** With `nat.relayServer`: what the relay's per-IP guard refused */
  relayGuard?: { readonly stats: { readonly refusedPerIp: number } }
}

/** Our own DHT, so Hitch nodes never join (or pollute) the public IPFS DHT */
export const HITCH_DHT_PROTOCOL = '/hitch/kad/1.0.0'

/** @default ['/ip4/0.0.0.0/tcp/0'] */
export const DEFAULT_TCP_LISTEN = ['/ip4/0.0.0.0/tcp/0']

/** The memory transport needs a unique name per listener: the peer id is one */
export function defaultMemoryListen (privateKey: PrivateKey): string[] {
  return [`/memory/${peerIdFromPrivateKey(privateKey).toString()}`]
}

/** @default true */
export const DEFAULT_DHT = true

/** @default false */
export const DEFAULT_MDNS = false

/** @default false */
export const DEFAULT_LOOPBACK_FRIENDLY = false

/** How long the bootstrap module waits after start before dialing its list, in ms */
export const DEFAULT_BOOTSTRAP_DELAY_MS = 0

/** Most bytes queued to one gossipsub peer that does not read them. @default 4 MiB */
export const DEFAULT_GOSSIP_OUTBOUND_BUFFER_BYTES = 4 * 1024 * 1024

/** Connection-manager limits used when `loopbackFriendly` is set */
export const LOOPBACK_CONNECTION_LIMITS = {
  maxConnections: 1_000,
  inboundConnectionThreshold: 10_000,
  maxIncomingPendingConnections: 1_000
} as const

/**
 * The one composition root for the libp2p side of a Hitch node: transports,
 * encryption, muxing, identify, ping, gossipsub, the Hitch DHT, discovery.
 * The node is created but not started.
 */
export async function createHitchLibp2p (init: HitchLibp2pInit): Promise<HitchLibp2p> {
  const transport = init.transport
  const listen = init.listen ?? (transport === 'tcp' ? DEFAULT_TCP_LISTEN : defaultMemoryListen(init.privateKey))
  const bootstrapList = init.bootstrap ?? []
  const useMdns = init.mdns ?? DEFAULT_MDNS
  const useDht = init.dht ?? DEFAULT_DHT
  const loopbackFriendly = init.loopbackFriendly ?? DEFAULT_LOOPBACK_FRIENDLY
  const logger: ComponentLogger = init.logPrefix != null ? prefixLogger(init.logPrefix) : defaultLogger()

  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  if (bootstrapList.length > 0) {
    peerDiscovery.push(bootstrap({ list: bootstrapList, timeout: DEFAULT_BOOTSTRAP_DELAY_MS }))
  }
  if (useMdns && transport === 'tcp') {
    peerDiscovery.push(mdns())
  }

  const scoring = hitchScoringOptions({ ipColocation: !loopbackFriendly })
  const gossipOptions: Partial<GossipsubOpts> = {
    emitSelf: false,
    // roles publish offers before anyone listens in their cell; that is normal
    allowPublishToZeroTopicPeers: true,
    // the same offer may be re-published unchanged on a timer
    ignoreDuplicatePublishError: true,
    // a peer that subscribes and never reads must not grow our send buffer without end: past
    // this, gossipsub drops its stream to that peer
    maxOutboundBufferSize: DEFAULT_GOSSIP_OUTBOUND_BUFFER_BYTES,
    // with NAT traversal, gossip runs on relayed connections too: between a rider and a driver
    // behind NATs a relay may be the only path, and without gossip there the request never
    // reaches the driver (see node/network/limited-connections.ts)
    ...(init.nat != null && init.nat !== false && transport === 'tcp' ? { runOnLimitedConnection: true } : {}),
    ...init.gossipsub,
    scoreParams: { ...scoring.scoreParams, ...init.gossipsub?.scoreParams },
    scoreThresholds: { ...scoring.scoreThresholds, ...init.gossipsub?.scoreThresholds }
  }

  const services: Record<string, unknown> = {
    identify: identify(init.identify),
    ping: ping(),
    pubsub: (components: any) => {
      const pubsub = gossipsub(gossipOptions)(components)
      // cell topics are created as nodes move: score them by prefix
      scoreTopicsByPrefix(pubsub)
      // and a peer's bad score survives its reconnecting
      retainScoresOnReconnect(pubsub)
      return pubsub
    }
  }
  if (useDht) {
    services.dht = kadDHT({
      protocol: HITCH_DHT_PROTOCOL,
      // a Hitch node is a DHT server from the start: small city networks have
      // no public addresses to trigger the automatic switch
      clientMode: false,
      // dropping private addresses would make every provider record on a LAN
      // or loopback useless
      peerInfoMapper: loopbackFriendly || transport === 'memory' ? passthroughMapper : removePrivateAddressesMapper,
      logPrefix: 'hitch:kad-dht',
      // a query waits for the routing table's first peer (bounded by the caller's signal):
      // a node that has just dialled its bootstrap peer would otherwise announce its cell to
      // nobody, or find no drivers, because kad-dht adds that peer a moment later
      allowQueryWithZeroPeers: false,
      // ... and for the first self-query, which kad-dht starts 1 s after start by default: a
      // rider's first lookup is right after start, so run it at once (it waits for the peer)
      initialQuerySelfInterval: 0,
      ...init.dhtOptions
    })
  }

  // NAT traversal only means something on real sockets
  const nat = init.nat != null && init.nat !== false && transport === 'tcp'
    ? await natParts(init.nat === true ? {} : init.nat)
    : undefined
  if (nat != null) Object.assign(services, nat.services)

  const options: Libp2pOptions<HitchServices> = {
    privateKey: init.privateKey,
    addresses: {
      listen: [...listen, ...(nat?.listen.filter(a => !listen.includes(a)) ?? [])],
      ...(nat != null && nat.appendAnnounce.length > 0 ? { appendAnnounce: nat.appendAnnounce } : {})
    },
    transports: [transport === 'tcp' ? tcp() : memory(), ...(nat?.transports ?? [])],
    ...(nat?.connectionGater != null ? { connectionGater: nat.connectionGater } : {}),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery,
    services: services as any,
    logger,
    start: false,
    ...(init.datastore != null ? { datastore: init.datastore } : {}),
    ...(init.metrics != null ? { metrics: init.metrics } : {}),
    ...(init.connectionMonitor != null ? { connectionMonitor: init.connectionMonitor } : {}),
    ...(loopbackFriendly || init.connectionManager != null
      ? { connectionManager: { ...(loopbackFriendly ? LOOPBACK_CONNECTION_LIMITS : {}), ...init.connectionManager } }
      : {})
  }

  const node: HitchLibp2p = await createLibp2p<HitchServices>(options)
  if (nat != null) {
    node.reachability = new ReachabilityMonitor(node)
    node.reachability.start()
    const guard = nat.guard
    const relay = node.services.relay
    if (guard != null && relay != null) {
      guard.bind({ reservations: () => relay.reservations.entries(), connections: peer => node.getConnections(peer) })
      node.relayGuard = guard
      // a reservation serves only while its holder is connected (the relay reaches it on that
      // connection), but circuit-relay-v2 keeps it until its TTL (2 h): free the slot when the
      // holder's last connection closes, or a host's churn would fill its per-IP share, and
      // many hosts' the whole relay, with dead reservations
      node.addEventListener('connection:close', evt => {
        const peer = evt.detail.remotePeer
        if (relay.reservations.has(peer) && node.getConnections(peer).length === 0) relay.reservations.delete(peer)
      })
    }
  }
  return node
}
