/**
 * @packageDocumentation
 *
 * The node's payment channels: `ChannelManager` (open/top up, pay, countersign, close, watch
 * the chain), its typed events and errors, and the crash-test hook.
 */
export { ChannelManager } from './channel-manager.js'
export {
  channelSummary, type ChannelManagerInit, type ChannelSummary, type ChannelIdentity, type PayOptions,
  DEFAULT_UNRESPONSIVE_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_FINALIZE_RETRY_MS, DEFAULT_FINALIZE_MARGIN_MS, DEFAULT_WATCH_POLL_MS,
  DEFAULT_MAX_INBOUND_PIPES, DEFAULT_MAX_SIGNER_TABLES, DEFAULT_FINAL_SUBMIT_GRACE_MS, DEFAULT_GAS_CHECK_INTERVAL_MS
} from './options.js'
export { InboundGuard, TokenBucket, PeerBuckets, DEFAULT_INBOUND_LIMITS, type InboundLimits } from './inbound-guard.js'
export { GasReserve, DEFAULT_GAS_PRICE_MARGIN, type GasCheck } from './gas-reserve.js'
export { MAX_STREAM_REQUESTS_PER_PEER } from './pay-transport.js'
export {
  ChannelError, UnknownChannelError, ChannelRejectedError, PeerUnresponsiveError, ChannelNotStartedError, InvalidChannelArgumentError, ChannelNotOpenError, BadChannelResponseError, InsufficientFundsError,
  type ChannelErrorCode, type ChannelErrorOptions
} from './errors.js'
export { ChannelEventTarget, CHANNEL_EVENT_NAMES, type ChannelEvents, type ChainStep } from './events.js'
export { ChannelStore, CHANNELS_PREFIX, WATCH_BLOCK_KEY, INTENTS_PREFIX, channelToJson, channelFromJson, type ChannelStoreStats, type OpenIntent } from './channel-store.js'
export { CRASH_POINTS, NO_FAULTS, type CrashPoint, type FaultInjector } from './fault-injection.js'
