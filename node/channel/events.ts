import type { Address, Hex } from 'viem'
import type { CoSignedState } from '../../protocol/channel/index.js'

/** An on-chain step: the transaction and its gas. */
export interface ChainStep {
  channelId: Hex
  txHash: Hex
  gasUsed: bigint
  blockNumber: bigint
}

/** The events of a `ChannelManager`, by name. */
export interface ChannelEvents {
  /** rider: a channel was opened on chain */
  'channel:opened': ChainStep & { driver: Address, deposit: bigint }
  /** rider: a deposit was topped up on chain */
  'channel:topped-up': ChainStep & { amount: bigint, deposit: bigint }
  /** a new state was co-signed (either side) */
  'channel:updated': { channelId: Hex, peer: string, cosigned: CoSignedState }
  /** this node closed a channel on chain */
  'channel:closed': ChainStep & { kind: 'cooperative' | 'unilateral', nonce: bigint, balanceDriver: bigint }
  /** a close was seen on chain (by anyone) */
  'channel:close-observed': { channelId: Hex, by: Address, nonce: bigint, closesAt: bigint }
  /** this node answered a stale close with its newer state */
  'channel:challenged': ChainStep & { nonce: bigint, staleNonce: bigint }
  /** this node finalized a close after the challenge period */
  'channel:finalized': ChainStep & { paidRider: bigint, paidDriver: bigint }
  /** the channel was settled on chain (by anyone) */
  'channel:settled': { channelId: Hex, paidRider: bigint, paidDriver: bigint, txHash: Hex }
  /** driver: a rider owes more than `maxArrearsWei` beyond what it has paid */
  'channel:arrears': { channelId: Hex, peer: string, arrears: bigint }
  /** rider: a channel deposited before a crash, that the store did not hold, was found on chain */
  'channel:recovered': { channelId: Hex, driver: Address, deposit: bigint }
  /**
   * this node's balance is below the gas its channels' defence may cost (a close or challenge
   * and a finalize each, at the current gas price with a margin): top it up
   */
  'channel:low-gas': { balance: bigint, reserve: bigint, channels: number }
  /** a background chain step (challenge, finalize, watcher poll) failed; it is retried where it can be */
  'channel:error': { channelId?: Hex, step: string, error: Error }
}

/** The events of a channel's life on chain, in order (what the CLI reports and the metrics count). */
export const CHANNEL_EVENT_NAMES: ReadonlyArray<keyof ChannelEvents> = [
  'channel:opened', 'channel:topped-up', 'channel:closed', 'channel:close-observed', 'channel:challenged',
  'channel:finalized', 'channel:settled', 'channel:arrears', 'channel:recovered', 'channel:low-gas', 'channel:error'
]

/** A typed `EventTarget`: `on('channel:opened', detail => ...)`. */
export class ChannelEventTarget extends EventTarget {
  /** Listens to one kind of event; returns a function that stops listening. */
  on<K extends keyof ChannelEvents> (type: K, listener: (detail: ChannelEvents[K]) => void): () => void {
    const wrapped = (evt: Event): void => { listener((evt as CustomEvent<ChannelEvents[K]>).detail) }
    this.addEventListener(type, wrapped)
    return () => { this.removeEventListener(type, wrapped) }
  }

  /** Dispatches an event; a listener's exception does not reach the manager. */
  emit<K extends keyof ChannelEvents> (type: K, detail: ChannelEvents[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}
