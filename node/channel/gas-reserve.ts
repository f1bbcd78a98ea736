/**
 * The gas a node keeps to defend its channels: each open channel may need a close (its own, or
 * the challenge of the peer's stale one) and a finalize, paid by this node, at whatever the gas
 * price is when it happens. A node that cannot pay them cannot answer a stale close in time, and
 * loses what the newer state owes it: it warns when its balance falls below the reserve, and it
 * refuses to open, top up or serve a channel it could not defend.
 */
import { DEFENCE_GAS, type Chain } from '../../settlement/index.js'
import type { ChannelEventTarget } from './events.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/**
 * The reserve is priced at this many times today's gas price, for a dispute on a busier day.
 * @default 3
 */
export const DEFAULT_GAS_PRICE_MARGIN = 3

/** What a balance check found. */
export interface GasCheck {
  ok: boolean
  balance: bigint
  /** what the channels to defend (and the spending asked about) need */
  needed: bigint
  /** channels counted */
  channels: number
}

/** Options of {@link GasReserve}. */
export interface GasReserveInit {
  chain: Chain
  events: ChannelEventTarget
  log: Logger
  /** the channels this node must be able to defend now (open, final or closing) */
  channelsToDefend: () => number
  /** @default DEFAULT_GAS_PRICE_MARGIN (3) */
  margin?: number
}

/** A node's gas reserve for disputes. */
export class GasReserve {
  private readonly chain: Chain
  private readonly events: ChannelEventTarget
  private readonly log: Logger
  private readonly channelsToDefend: () => number
  private readonly margin: bigint
  private low = false

  constructor (init: GasReserveInit) {
    this.chain = init.chain
    this.events = init.events
    this.log = init.log
    this.channelsToDefend = init.channelsToDefend
    this.margin = BigInt(init.margin ?? DEFAULT_GAS_PRICE_MARGIN)
  }

  /** Wei the defence of one channel may cost at today's gas price, with the margin. */
  async perChannel (options?: AbortOptions): Promise<bigint> {
    return DEFENCE_GAS * await this.chain.gasPrice(options) * this.margin
  }

  /**
   * Whether the balance covers the defence of the channels to defend plus `extraChannels`, after
   * spending `spendWei` (a deposit) and `spendGas` (the transaction that spends it).
   */
  async check (extra: { channels?: number, spendWei?: bigint, spendGas?: bigint } = {}, options?: AbortOptions): Promise<GasCheck> {
    const [balance, gasPrice] = await Promise.all([this.chain.balanceOf(undefined, options), this.chain.gasPrice(options)])
    const channels = this.channelsToDefend() + (extra.channels ?? 0)
    const needed = BigInt(channels) * DEFENCE_GAS * gasPrice * this.margin + (extra.spendWei ?? 0n) + (extra.spendGas ?? 0n) * gasPrice * this.margin
    return { ok: balance >= needed, balance, needed, channels }
  }

  /** Checks the reserve for the channels held now; warns (once per dip) when it is short. */
  async warnIfLow (options?: AbortOptions): Promise<GasCheck> {
    const c = await this.check({}, options)
    if (!c.ok && !this.low) this.warn(c)
    this.low = !c.ok
    return c
  }

  /** Says that the balance is short of what a check needed (a channel refused for it, say). */
  warn (c: GasCheck): void {
    this.log.error('balance %d wei is below the %d wei the defence of %d channels may cost: top up this account', c.balance, c.needed, c.channels)
    this.events.emit('channel:low-gas', { balance: c.balance, reserve: c.needed, channels: c.channels })
  }
}
