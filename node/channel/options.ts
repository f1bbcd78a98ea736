/**
 * The options of a `ChannelManager`, their defaults, and what its queries report.
 */
import { arrears as arrearsOf, highestTotal, latestNonce, paidToDriver, type Channel, type ChannelPhase, type ChannelRole } from '../../protocol/channel/index.js'
import type { FaultInjector } from './fault-injection.js'
import type { DurableStore } from '../store/index.js'
import type { InboundLimits } from './inbound-guard.js'
import type { Clock } from '../clock/index.js'
import type { Network } from '../network/index.js'
import type { Chain } from '../../settlement/index.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Address, Hex } from 'viem'

/** @default 10_000 */
export const DEFAULT_UNRESPONSIVE_TIMEOUT_MS = 10_000
/** @default 16 */
export const DEFAULT_MAX_IN_FLIGHT = 16
/** @default 5_000 */
export const DEFAULT_FINALIZE_RETRY_MS = 5_000
/** @default 1_000 */
export const DEFAULT_FINALIZE_MARGIN_MS = 1_000
/** @default 250 */
export const DEFAULT_WATCH_POLL_MS = 250
/** @default 8 */
export const DEFAULT_MAX_INBOUND_PIPES = 8
/** @default 32 */
export const DEFAULT_MAX_SIGNER_TABLES = 32
/** @default 30_000 */
export const DEFAULT_FINAL_SUBMIT_GRACE_MS = 30_000
/** @default 600_000 */
export const DEFAULT_GAS_CHECK_INTERVAL_MS = 600_000

/** The part of a node identity the manager needs (never logged). */
export interface ChannelIdentity {
  peerId: string
  ethAddress: Address
  readonly ethPrivateKeyHex: Hex
}

/** Options of `ChannelManager`. */
export interface ChannelManagerInit {
  network: Network
  chain: Chain
  /** where channel records live: the node's store, whose durable batch fsyncs (a state is on disk before its signature leaves) */
  store: DurableStore
  identity: ChannelIdentity
  clock: Clock
  /**
   * Restricts the node to one side (a driver-only node never opens channels). Both sides are
   * served when unset.
   * @default undefined (both)
   */
  role?: ChannelRole
  /**
   * How long to wait for the peer's answer before a payment or a co-operative close fails with
   * `PEER_UNRESPONSIVE` (and `close()` falls back to a unilateral close), in ms of the clock.
   * @default 10_000
   */
  unresponsiveTimeoutMs?: number
  /**
   * Rider: most proposals in flight per channel (pipelining); more `pay` calls wait their turn.
   * @default 16
   */
  maxInFlight?: number
  /**
   * Driver: emit `channel:arrears` when a rider owes more than this beyond what it paid.
   * @default undefined (never)
   */
  maxArrearsWei?: bigint
  /**
   * Wait between finalize attempts while the challenge period is not over, in ms of the clock.
   * @default 5_000
   */
  finalizeRetryMs?: number
  /**
   * Added to the challenge period before the first finalize attempt, in ms of the clock.
   * @default 1_000
   */
  finalizeMarginMs?: number
  /**
   * How often the watcher polls the chain for adjudicator events, in ms.
   * @default 250
   */
  watchPollMs?: number
  /**
   * Answer stale closes and finalize pending ones. Off only in tests of a dishonest node.
   * @default true
   */
  watch?: boolean
  /** Prefix of log lines (the node's name in a simulation). */
  logPrefix?: string
  /**
   * Counterparties whose signatures are checked against a precomputed table of their public key
   * (about 300 KB each); beyond that the least recently used table is dropped and rebuilt on
   * demand.
   * @default 32
   */
  maxSignerTables?: number
  /**
   * What peers may cost this node: request rates, pay pipes, chain lookups (see `InboundLimits`).
   * @default DEFAULT_INBOUND_LIMITS
   */
  inbound?: InboundLimits
  /**
   * How long after signing the final state in answer to a close request this node waits for the
   * requester to submit it before it submits it itself, in ms of the clock.
   * @default 30_000
   */
  finalSubmitGraceMs?: number
  /**
   * How often the balance is checked against the gas reserve of the channels to defend (besides
   * after each open, top-up and new channel), in ms of the clock; 0 checks only then.
   * @default 600_000
   */
  gasCheckIntervalMs?: number
  /**
   * The gas reserve is priced at this many times today's gas price.
   * @default DEFAULT_GAS_PRICE_MARGIN (3)
   */
  gasPriceMargin?: number
  /** Test hook: where a crash test kills the process (see `fault-injection.ts`). @default NO_FAULTS */
  faults?: FaultInjector
}

/** A channel as `listChannels` reports it (`hitch channels`). */
export interface ChannelSummary {
  channelId: Hex
  role: ChannelRole
  /** the counterparty's peer id */
  peer: string
  /** the counterparty's address */
  counterparty: Address
  phase: ChannelPhase
  deposit: bigint
  /** latest co-signed nonce */
  nonce: bigint
  /** what the latest co-signed state pays the driver */
  paidToDriver: bigint
  /** what the latest co-signed state leaves the rider */
  balanceRider: bigint
  /** rider: proposals awaiting a countersignature */
  inFlight: number
  /** rider: deposit not yet promised to the driver */
  available: bigint
  /** driver: what the rider owes beyond what it paid */
  arrears: bigint
  /** unix seconds when a pending close can be finalized */
  closesAt?: bigint
}

/** What a stored channel amounts to, as `listChannels` and `hitch channels` show it. */
export function channelSummary (c: Channel): ChannelSummary {
  return {
    channelId: c.channelId,
    role: c.role,
    peer: c.peer,
    counterparty: c.role === 'rider' ? c.driver : c.rider,
    phase: c.phase,
    deposit: c.deposit,
    nonce: latestNonce(c),
    paidToDriver: paidToDriver(c),
    balanceRider: c.latest?.state.balanceRider ?? c.deposit,
    inFlight: c.proposals.length,
    available: c.deposit - highestTotal(c),
    arrears: arrearsOf(c),
    ...(c.closing != null ? { closesAt: c.closing.closesAt } : {})
  }
}

/** Options of `pay`. */
export interface PayOptions extends AbortOptions {
  /** hash of the trip record this state settles (default: the previous state's) */
  tripRecordHash?: Hex
}

