/**
 * @packageDocumentation
 *
 * The `Network` port the roles run on (gossip with validation, one-shot
 * request/response streams, DHT provider records) and its libp2p adapter.
 */
export { HITCH_TOPIC_PREFIX } from './network.js'
export { parseHostPort } from './host-port.js'
export { gossipVerdict } from './gossip-verdict.js'
export { createNetwork, DEFAULT_MDNS_MIN_CONNECTIONS } from './create-network.js'
export type { CreateNetworkInit } from './create-network.js'
export type {
  DirectRequest,
  GossipMessage,
  HandleOptions,
  HandlePipeOptions,
  MessageHandler,
  MessagePipe,
  PipeHandlers,
  PipeLimits,
  PipeOptions,
  Network,
  NetworkStats,
  ProviderInfo,
  RequestHandler,
  RequestOptions,
  TopicValidator,
  TrafficCounters,
  ValidationResult
} from './network.js'
export { Libp2pNetwork } from './libp2p-network.js'
export {
  DEFAULT_HANDLER_TIMEOUT_MS,
  DEFAULT_MAX_INBOUND_STREAMS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS
} from './network.js'
export type { Libp2pNetworkInit } from './libp2p-network.js'
export { RateLimiter, DEFAULT_RATE_LIMITER_KEYS } from './rate-limiter.js'
export type { RateLimit, RateLimiterInit } from './rate-limiter.js'
export {
  GossipLimits,
  DEFAULT_GOSSIP_SIGNER_LIMIT,
  DEFAULT_GOSSIP_SIGNER_LIMITS,
  DEFAULT_GOSSIP_SOURCE_LIMIT,
  DEFAULT_GOSSIP_TOPIC_LIMIT
} from './gossip-limits.js'
export type { GossipAdmission, GossipLimitsInit, GossipLimitStats } from './gossip-limits.js'
export {
  DEFAULT_MAX_CONCURRENT_HANDLERS,
  DEFAULT_MAX_PIPES,
  DEFAULT_MAX_PIPES_PER_PEER,
  DEFAULT_REQUEST_RATE_LIMIT
} from './inbound-limits.js'
export {
  GossipValidationError,
  IdleTimeoutError,
  RateLimitedError,
  InvalidAddressError,
  MessageTooLargeError,
  NetworkError,
  NoHandlerError,
  NoPeersError,
  NoResponseError,
  NotStartedError,
  RequestAbortedError,
  RequestFailedError,
  RequestTimeoutError
} from './errors.js'
export type { NetworkErrorCode } from './errors.js'
export { cidForKey } from './cid.js'
export { RUN_ON_LIMITED_CONNECTION } from './limited-connections.js'
export { openHitchStream } from './limited-connections.js'
