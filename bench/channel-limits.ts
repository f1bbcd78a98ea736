import type { InboundLimits } from '../node/channel/index.js'

/**
 * The channel bench's driver admits everything its rider sends: the bench measures the engine
 * (co-signing, fsync, the pipe), not the flood guard, whose defaults (20 requests a second, 32
 * frames pending per pipe) reset a pipelined pipe by design.
 */
export const BENCH_INBOUND_LIMITS: InboundLimits = {
  requestsPerSecond: 1_000_000,
  requestBurst: 1_000_000,
  maxPendingPerPipe: 4096
}
