/**
 * @packageDocumentation
 *
 * The node's payment channels: `ChannelManager` (open/top up, pay, countersign, close, watch
 * the chain), its typed events and errors, and the crash-test hook.
 */
export {
  ChannelManager, channelSummary, type ChannelManagerInit, type ChannelSummary, type ChannelIdentity, type PayOptions,
  DEFAULT_UNRESPONSIVE_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT, DEFAULT_FINALIZE_RETRY_MS, DEFAULT_FINALIZE_MARGIN_MS, DEFAULT_WATCH_POLL_MS,
  DEFAULT_MAX_INBOUND_PIPES, DEFAULT_MAX_SIGNER_TABLES
} from './channel-manager.js'
export { ChannelError, type ChannelErrorCode } from './errors.js'
export { ChannelEventTarget, type ChannelEvents, type ChainStep } from './events.js'
export { ChannelStore, CHANNELS_PREFIX, WATCH_BLOCK_KEY, channelToJson, channelFromJson, type ChannelStoreStats } from './channel-store.js'
export { CRASH_ENV, parseCrashPlan, faultInjectorFromEnv, type CrashPoint, type FaultInjector } from './fault-injection.js'
