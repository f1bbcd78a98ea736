/**
 * @packageDocumentation
 *
 * The composition root of a node's libp2p stack (`createNetwork` in `node/network/` wraps it
 * in the `Network` port).
 */
export {
  createHitchLibp2p,
  DEFAULT_BOOTSTRAP_DELAY_MS,
  DEFAULT_DHT,
  DEFAULT_LOOPBACK_FRIENDLY,
  DEFAULT_MDNS,
  defaultMemoryListen,
  DEFAULT_TCP_LISTEN,
  HITCH_DHT_PROTOCOL,
  LOOPBACK_CONNECTION_LIMITS
} from './create-libp2p.js'
export type { HitchLibp2p, HitchLibp2pInit, HitchServices, HitchTransport } from './create-libp2p.js'
export {
  CELL_TOPIC_SCORE_PARAMS,
  HITCH_SCORE_THRESHOLDS,
  IP_COLOCATION_THRESHOLD,
  IP_COLOCATION_WEIGHT,
  TOPIC_SCORE_CAP,
  decayFactor,
  hitchScoreParams,
  hitchScoringOptions,
  retainScoresOnReconnect,
  scoreTopicsByPrefix
} from './gossip-scoring.js'
export {
  DEFAULT_AUTONAT,
  DEFAULT_HOLE_PUNCH,
  DEFAULT_RELAY_CLIENT,
  DEFAULT_UPNP,
  DEFAULT_WEBRTC,
  HITCH_RELAY_DEFAULTS,
  WEBRTC_LISTEN,
  natParts,
  relayLimits
} from './nat.js'
export type { HitchNatInit, HitchRelayInit, NatParts } from './nat.js'
export { MAX_RELAYED_PEERS_TRACKED, ReachabilityMonitor, relayOf } from './reachability.js'
export type { DirectUpgrade, Reachability, ReachabilityEvents, ReachabilityStatus } from './reachability.js'
export { RelayReservationGuard, hostOf, isCircuit } from './relay-guard.js'
export type { RelayGuardStats, RelayGuardView } from './relay-guard.js'
// relay-reserver.ts is loaded by natParts only when asked for (it pulls in circuit-relay-v2)
export type { RelayReserver, RelayReserverComponents, RelayReserverInit } from './relay-reserver.js'
