/**
 * The `Chain` port: what a Hitch node needs from the chain that settles its payment channels.
 * Adapters: `EmbeddedChain` (in-process EVM) and `RpcChain` (any Ethereum JSON-RPC endpoint).
 */
import type { AbortOptions } from '@libp2p/interface'
import type { Address, Hex } from 'viem'
import type { ChannelDomain, ChannelSignatures, ChannelState } from '../protocol/channel/state.js'

/**
 * Gas of the adjudicator's dispute steps, rounded up from what they use (the settlement tests
 * check that the contract stays below): what a node must be able to pay to defend a channel.
 */
export const DISPUTE_GAS = {
  closeUnilateral: 110_000n,
  challenge: 70_000n,
  finalize: 95_000n
} as const

/**
 * Gas one channel's defence may cost this node: a close (its own, or the challenge of the
 * peer's stale one) and the finalize that pays out.
 */
export const DEFENCE_GAS = DISPUTE_GAS.closeUnilateral + DISPUTE_GAS.finalize

/** The outcome of a mined transaction. */
export interface TxResult {
  txHash: Hex
  gasUsed: bigint
  blockNumber: bigint
}

/** The outcome of `open`: the transaction and the channel it opened or topped up. */
export interface OpenResult extends TxResult {
  channelId: Hex
}

/** Where a channel is in its life. `none`: never opened. */
export type ChannelStatus = 'none' | 'open' | 'closing' | 'finalized'

/** The adjudicator's record of a channel. */
export interface ChannelInfo {
  channelId: Hex
  status: ChannelStatus
  rider: Address
  driver: Address
  /** wei held for the channel */
  deposit: bigint
  /**
   * nonce of the state of the pending or finalized unilateral close (0 while open; a co-operative
   * close leaves the fields below untouched: its state is in the `ClosedCooperatively` event)
   */
  nonce: bigint
  /** what the pending or settled close pays the driver; the rest of the deposit goes to the rider */
  balanceDriver: bigint
  tripRecordHash: Hex
  /** unix seconds when a pending close can be finalized (0 if none) */
  closesAt: bigint
}

interface EventBase {
  channelId: Hex
  blockNumber: bigint
  txHash: Hex
  logIndex: number
}

/** An adjudicator event, decoded. */
export type AdjudicatorEvent =
  | (EventBase & { type: 'Opened', rider: Address, driver: Address, deposit: bigint })
  | (EventBase & { type: 'ToppedUp', amount: bigint, deposit: bigint })
  | (EventBase & { type: 'ClosedCooperatively', nonce: bigint, paidRider: bigint, paidDriver: bigint, tripRecordHash: Hex })
  | (EventBase & { type: 'CloseStarted', by: Address, nonce: bigint, balanceRider: bigint, balanceDriver: bigint, tripRecordHash: Hex, closesAt: bigint })
  | (EventBase & { type: 'Challenged', by: Address, nonce: bigint, balanceRider: bigint, balanceDriver: bigint, tripRecordHash: Hex })
  | (EventBase & { type: 'Finalized', nonce: bigint, paidRider: bigint, paidDriver: bigint, tripRecordHash: Hex })

/** Options of `Chain.watch`. */
export interface WatchOptions {
  /**
   * First block to report events from.
   * @default the block after the current one
   */
  fromBlock?: bigint
  /**
   * How often to poll for new blocks, in milliseconds.
   * @default the adapter's polling interval
   */
  pollIntervalMs?: number
  /** Called when a poll fails (the watcher keeps polling). */
  onError?: (err: Error) => void
}

/** A running event watcher. */
export interface Watcher {
  /** Stops polling; no handler call starts after it resolves. */
  stop: () => Promise<void>
}

/**
 * One account's view of the adjudicator on one chain. Every transaction waits until it is mined
 * and throws `SettlementError` (code `REVERTED`, `revert` = the contract's custom error name) if
 * the adjudicator refuses it.
 */
export interface Chain {
  /** this client's account */
  readonly address: Address
  readonly chainId: number
  /** the adjudicator contract */
  readonly adjudicator: Address
  /** the adjudicator's challenge period, in seconds */
  readonly challengePeriodS: number
  /** the EIP-712 domain channel states are signed in */
  readonly domain: ChannelDomain

  /** Balance in wei of `address` (default: this account). */
  balanceOf: (address?: Address, options?: AbortOptions) => Promise<bigint>
  /** Opens this account's (the rider's) channel with `driver`, or adds `amount` to it if open. */
  open: (driver: Address, amount: bigint, options?: AbortOptions) => Promise<OpenResult>
  /** Adds `amount` to an open channel's deposit (rider only). */
  topUp: (channelId: Hex, amount: bigint, options?: AbortOptions) => Promise<TxResult>
  getChannel: (channelId: Hex, options?: AbortOptions) => Promise<ChannelInfo>
  /** The id of the pair's current channel (the one `open` would use). */
  channelIdFor: (rider: Address, driver: Address, options?: AbortOptions) => Promise<Hex>
  /** Pays out a co-signed state whose nonce is `FINAL_NONCE` at once. */
  closeCooperative: (state: ChannelState, sigs: ChannelSignatures, options?: AbortOptions) => Promise<TxResult>
  /**
   * Starts a close with the latest co-signed state; without `sigs`, `state` must be the nonce-0
   * refund (driver balance 0).
   */
  closeUnilateral: (state: ChannelState, sigs?: ChannelSignatures, options?: AbortOptions) => Promise<TxResult>
  /** Answers a pending close with a co-signed state of higher nonce. */
  challenge: (state: ChannelState, sigs: ChannelSignatures, options?: AbortOptions) => Promise<TxResult>
  /** Pays out a pending close after its challenge period. */
  finalize: (channelId: Hex, options?: AbortOptions) => Promise<TxResult>
  /** Claims payouts this account refused to receive (contract accounts only). */
  withdraw: (options?: AbortOptions) => Promise<TxResult>
  /** Signs a state with this account's key. */
  signState: (state: ChannelState) => Promise<Hex>
  /** Current block number. */
  blockNumber: (options?: AbortOptions) => Promise<bigint>
  /** The gas price a transaction sent now pays (wei per gas), as the node estimates it. */
  gasPrice: (options?: AbortOptions) => Promise<bigint>
  /**
   * Adjudicator events in blocks `fromBlock..toBlock` (default: up to the latest), read in pages
   * of blocks a provider serves.
   */
  events: (fromBlock: bigint, toBlock?: bigint, options?: AbortOptions) => Promise<AdjudicatorEvent[]>
  /** The `Opened` events of channels whose rider is `rider`, in blocks `fromBlock..toBlock`. */
  openedBy: (rider: Address, fromBlock: bigint, toBlock?: bigint, options?: AbortOptions) => Promise<AdjudicatorEvent[]>
  /** Polls for adjudicator events and hands each to `handler` in chain order. */
  watch: (handler: (event: AdjudicatorEvent) => void | Promise<void>, options?: WatchOptions) => Watcher
  /** Stops watchers (and the embedded EVM, if this client owns one). */
  stop: () => Promise<void>
}
