/**
 * Payments in a simulated run: every driver and rider node pays and is paid through the same
 * `ChannelManager`, `RiderPayments` and `DriverPayments` as `hitch drive` and `hitch ride`, on
 * one embedded EVM running the real adjudicator (in the coordinator's process; workers of a
 * `libp2p`-mode run reach it over JSON-RPC on loopback; a `simulated`-mode run calls it between
 * its events). The peers of a process learn what was mined from one feed (`chain-feed.ts`).
 */
import { WallClock } from '../node/clock/index.js'
import { EmbeddedEvm, connectChain, startDevChain } from '../settlement/index.js'
import { ChainFeed } from './chain-feed.js'
import { channelMoney } from './invariants.js'
import type { TrackWork } from './chain-feed.js'
import type { ChannelManager } from '../node/channel/index.js'
import type { Clock } from '../node/clock/index.js'
import type { ChainConnector, HitchPeer, HitchPeerInit } from '../node/index.js'
import type { RiderPayments } from '../node/payments/index.js'
import type { Logger } from '@libp2p/interface'
import type { ChannelMoney, PaymentRecord } from './records.js'
import type { Chain, ChainActivity, DevChain } from '../settlement/index.js'

/** What a run's chain mined, and the money flows of its channels. */
export type RunActivity = ChainActivity & { money: ChannelMoney }

/** Ether each simulated peer's account gets: far more than any deposit of a run. */
export const SIM_FUND_WEI = 100n * 10n ** 18n

/** The account a process's chain feed reads events with (it sends nothing) */
const SIM_FEED_KEY = '0x' + '5e'.repeat(32)

/**
 * How long a peer waits for its counterparty on a channel before it counts it unresponsive, ms
 * of its manager's clock: real in the libp2p mode, simulated in the simulated mode.
 */
const SIM_UNRESPONSIVE_MS = 30_000

/** Challenge period of a run's chain, seconds of the chain's (real) time */
const RUN_CHALLENGE_PERIOD_S = 60

/** How the peers of a run reach the chain their channels settle on. */
export interface SimChainAccess {
  /** a client of the adjudicator for the account of `privateKeyHex`, funded, logging through `options.log` (its node's) */
  connect: (privateKeyHex: string, options?: { log?: Logger }) => Promise<Chain>
}

/** Chain access through one {@link ChainFeed}; stop it after the peers. */
export interface FeedAccess extends SimChainAccess {
  stop: () => Promise<void>
}

/**
 * The peers of one process on `direct`'s chain, told what was mined by one feed polling on
 * `clock` instead of each polling on its own; every call goes through `track` (the event
 * scheduler's in a `simulated`-mode run).
 */
export async function feedAccess (direct: SimChainAccess, clock: Clock, track: TrackWork = async work => await work): Promise<FeedAccess> {
  const source = await track(direct.connect(SIM_FEED_KEY))
  const feed = await ChainFeed.start(clock, source, track)
  return {
    connect: async (key, options) => feed.wrap(await track(direct.connect(key, options))),
    stop: async () => {
      feed.stop()
      await source.stop().catch(() => {})
    }
  }
}

/**
 * The chain of one paid run: an embedded EVM with the adjudicator, in the process that runs the
 * peers or, for worker processes, served as a dev chain over JSON-RPC. It counts what was mined
 * from its start.
 */
export class RunChain {
  /** the dev chain serving the EVM to workers, when served */
  readonly served?: DevChain
  private readonly evm: EmbeddedEvm
  private readonly fromBlock: bigint

  private constructor (evm: EmbeddedEvm, fromBlock: bigint, served?: DevChain) {
    this.evm = evm
    this.fromBlock = fromBlock
    if (served != null) this.served = served
  }

  /** An EVM for the peers of this process. */
  static async embedded (): Promise<RunChain> {
    const evm = await EmbeddedEvm.start({ challengePeriodS: RUN_CHALLENGE_PERIOD_S })
    return new RunChain(evm, await evm.blockNumber())
  }

  /** An EVM served on `host` (JSON-RPC, OS-chosen port) for the peers of worker processes. */
  static async serve (host: string): Promise<RunChain> {
    const dev = await startDevChain({ host, challengePeriodS: RUN_CHALLENGE_PERIOD_S })
    return new RunChain(dev.evm, await dev.evm.blockNumber(), dev)
  }

  /** Peers of this process on the EVM, funded directly. */
  access (): SimChainAccess {
    return { connect: async (key, options) => await this.evm.connect(key, { fundWei: SIM_FUND_WEI, log: options?.log }) }
  }

  /** Every transaction mined since the chain started, with its gas, and the money of its channels. */
  async activity (): Promise<RunActivity> {
    const activity = await this.evm.activitySince(this.fromBlock)
    const reader = await this.evm.connect(SIM_FEED_KEY)
    return { ...activity, money: channelMoney(await reader.events(this.fromBlock + 1n)) }
  }

  /** Stops the server (if any) and the EVM. Idempotent. */
  async stop (): Promise<void> {
    if (this.served != null) await this.served.stop()
    else await this.evm.stop()
  }
}

/** Peers reaching a Hitch dev chain (`startDevChain`) at `url`; each client funds itself. */
export function rpcAccess (url: string): SimChainAccess {
  return { connect: async (key, options) => await connectChain(url, { privateKeyHex: key, pollingIntervalMs: 50, log: options?.log }) }
}

/** A simulated peer's account on the run's chain, its client logging through the peer's node's logger. */
function simChain (access: SimChainAccess): ChainConnector {
  return async (identity, options) => await access.connect(identity.ethPrivateKeyHex, { log: options?.log })
}

/**
 * What a simulated peer's `createHitchPeer` options take for payments: its account on the run's
 * chain and its channel manager's options. In a `libp2p`-mode run the manager's timers run on real
 * time, like the chain's blocks (the ride clock is sped up; a payment is real work); a
 * `simulated`-mode run passes its virtual clock. Nothing without `access`: rides are not paid.
 */
export function simPeerPayments (access: SimChainAccess | undefined, clock: Clock = new WallClock({ unref: true })): Pick<HitchPeerInit, 'chain' | 'channels'> {
  if (access == null) return {}
  // the run funds every peer far beyond its gas reserve: it is checked at start and on each new
  // channel, not also every ten minutes of every peer (calls to the EVM, in a simulated run)
  return { chain: simChain(access), channels: { clock, unresponsiveTimeoutMs: SIM_UNRESPONSIVE_MS, gasCheckIntervalMs: 0 } }
}

/** Counts in `tally` the co-signed states a driver's channels receive. */
export function countChannelUpdates (peer: HitchPeer, tally: SharePayments): void {
  peer.channels?.on('channel:updated', () => { tally.channelUpdates++ })
}

/**
 * A served rider's payment: the final state (the whole fare) is co-signed by the time the
 * ride ends; the rider then closes its channel co-operatively, as a one-ride visitor would.
 * Counted in `tally`; what went wrong is told to `note` (once per kind) and `log`. Returns the wei
 * the ride paid (decimal), or null when its payment did not settle.
 */
export async function settleRide (requestId: string, rider: { channels: ChannelManager, payments: RiderPayments }, tally: SharePayments, note: (text: string) => void, log: Logger): Promise<string | null> {
  let settled
  try {
    settled = await rider.payments.settled(requestId)
    tally.ridesSettled++
    tally.paidWei = String(BigInt(tally.paidWei) + settled.fareWei)
  } catch (err) {
    tally.ridesUnsettled++
    note('a served ride\'s payment did not settle')
    log('payment of %s did not settle - %e', requestId, err)
    return null
  }
  try {
    await rider.channels.closeCooperative(settled.channelId)
    tally.channelsClosed++
  } catch (err) {
    note('a rider could not close its channel co-operatively after its ride')
    log('closing %s failed - %e', settled.channelId, err)
  }
  return String(settled.fareWei)
}

/** What one process's peers counted of their payments. */
export interface SharePayments {
  /** co-signed channel states, as the drivers received them */
  channelUpdates: number
  /** rides whose final state (the whole fare, the trip record hash) was co-signed */
  ridesSettled: number
  /** rides served whose payment did not settle */
  ridesUnsettled: number
  /** channels the riders closed co-operatively after their ride */
  channelsClosed: number
  /** wei the settled rides paid drivers */
  paidWei: string
}

/** An empty tally. */
export function emptySharePayments (): SharePayments {
  return { channelUpdates: 0, ridesSettled: 0, ridesUnsettled: 0, channelsClosed: 0, paidWei: '0' }
}

/** The run's payment record: the shares' tallies and what the chain mined during the run. */
export function paymentRecord (shares: readonly SharePayments[], chain: ChainActivity & { money?: ChannelMoney }): PaymentRecord {
  const byFunction: PaymentRecord['byFunction'] = {}
  for (const [fn, v] of Object.entries(chain.byFunction)) byFunction[fn] = { transactions: v.transactions, gasUsed: Number(v.gasUsed) }
  return {
    channelUpdates: shares.reduce((a, s) => a + s.channelUpdates, 0),
    onChainTxs: chain.transactions,
    gasUsed: Number(chain.gasUsed),
    byFunction,
    ridesSettled: shares.reduce((a, s) => a + s.ridesSettled, 0),
    ridesUnsettled: shares.reduce((a, s) => a + s.ridesUnsettled, 0),
    channelsClosed: shares.reduce((a, s) => a + s.channelsClosed, 0),
    paidWei: String(shares.reduce((a, s) => a + BigInt(s.paidWei), 0n)),
    ...(chain.money != null ? { money: chain.money } : {})
  }
}
