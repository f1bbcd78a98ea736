/**
 * The run's chain as the peers of one simulation process see it. Instead of every peer polling
 * the chain for adjudicator events (each channel manager every 250 ms: with hundreds of peers,
 * hundreds of calls a second to the EVM for nothing), one feed polls and hands each event to the
 * watchers of the channel's rider and driver, as an RPC node's log subscription would.
 *
 * In a `simulated`-mode run a call to the embedded EVM is real work outside the simulation: the
 * feed hands it to the event scheduler, which waits for it before its next event, so it takes no
 * simulated time and a run stays a pure function of its seed; the feed polls on the virtual
 * clock. A `libp2p`-mode run polls on real time.
 */
import { logger } from '@libp2p/logger'
import type { Clock, TimerHandle } from '../node/clock/index.js'
import type { AdjudicatorEvent, Chain, Watcher, WatchOptions } from '../settlement/index.js'
import type { Address } from 'viem'

const log = logger('hitch:sim:chain')

/** How often the feed polls the chain for adjudicator events, ms of its clock. @default 2000 */
export const SIM_CHAIN_POLL_MS = 2_000

/** Runs a call to the chain: as it is, or on an event scheduler (`scheduler.track`) */
export type TrackWork = <T>(work: Promise<T>) => Promise<T>

interface FeedWatcher {
  address: string
  handler: (event: AdjudicatorEvent) => void | Promise<void>
  onError?: (err: Error) => void
  /** this watcher's handler calls, one at a time in the chain's order */
  queue: Promise<void>
  stopped: boolean
}

/** One poller of adjudicator events for every peer of a simulation process. */
export class ChainFeed {
  private readonly track: TrackWork
  private readonly clock: Clock
  private readonly source: Chain
  private readonly pollMs: number
  private readonly watchers = new Set<FeedWatcher>()
  /** channel id -> its rider and driver, from the `Opened` events */
  private readonly parties = new Map<string, [string, string]>()
  /** the first block the next poll reads */
  private next: bigint
  private timer: TimerHandle | undefined
  private stopped = false

  private constructor (track: TrackWork, clock: Clock, source: Chain, next: bigint, pollMs: number) {
    this.track = track
    this.clock = clock
    this.source = source
    this.next = next
    this.pollMs = pollMs
  }

  /**
   * A feed of what `source` (a client of the run's EVM) mines from the next block on, polled on
   * `clock`; its calls go through `track`. Start it before the peers.
   */
  static async start (clock: Clock, source: Chain, track: TrackWork, pollMs: number = SIM_CHAIN_POLL_MS): Promise<ChainFeed> {
    return new ChainFeed(track, clock, source, (await track(source.blockNumber())) + 1n, pollMs)
  }

  /** `inner` (one peer's client of the run's EVM) with its calls through `track` and its watch on this feed */
  wrap (inner: Chain): Chain {
    const track = this.track
    return {
      address: inner.address,
      chainId: inner.chainId,
      adjudicator: inner.adjudicator,
      challengePeriodS: inner.challengePeriodS,
      domain: inner.domain,
      balanceOf: async (address, options) => await track(inner.balanceOf(address, options)),
      open: async (driver, amount, options) => await track(inner.open(driver, amount, options)),
      topUp: async (channelId, amount, options) => await track(inner.topUp(channelId, amount, options)),
      getChannel: async (channelId, options) => await track(inner.getChannel(channelId, options)),
      channelIdFor: async (rider, driver, options) => await track(inner.channelIdFor(rider, driver, options)),
      closeCooperative: async (state, sigs, options) => await track(inner.closeCooperative(state, sigs, options)),
      closeUnilateral: async (state, sigs, options) => await track(inner.closeUnilateral(state, sigs, options)),
      challenge: async (state, sigs, options) => await track(inner.challenge(state, sigs, options)),
      finalize: async (channelId, options) => await track(inner.finalize(channelId, options)),
      withdraw: async options => await track(inner.withdraw(options)),
      signState: async state => await track(inner.signState(state)),
      blockNumber: async options => await track(inner.blockNumber(options)),
      gasPrice: async options => await track(inner.gasPrice(options)),
      events: async (fromBlock, toBlock, options) => await track(inner.events(fromBlock, toBlock, options)),
      openedBy: async (rider, fromBlock, toBlock, options) => await track(inner.openedBy(rider, fromBlock, toBlock, options)),
      watch: (handler, options) => this.watch(inner.address, handler, options),
      stop: async () => { await inner.stop() }
    }
  }

  /** Stops polling; watchers get nothing more. The source is the caller's to stop. */
  stop (): void {
    this.stopped = true
    if (this.timer != null) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.watchers.clear()
  }

  private watch (address: Address, handler: FeedWatcher['handler'], options: WatchOptions = {}): Watcher {
    const w: FeedWatcher = { address: address.toLowerCase(), handler, queue: Promise.resolve(), stopped: false, ...(options.onError != null ? { onError: options.onError } : {}) }
    this.watchers.add(w)
    // what happened between the block the watcher starts from and the feed's next poll
    if (options.fromBlock != null && options.fromBlock < this.next) {
      const until = this.next - 1n
      void this.track(this.source.events(options.fromBlock, until)).then(
        events => { for (const e of events) if (this.concerns(e, w)) this.deliver(w, e) },
        err => { w.onError?.(err as Error) }
      )
    }
    this.schedulePoll()
    return {
      stop: async () => {
        w.stopped = true
        this.watchers.delete(w)
        await w.queue
      }
    }
  }

  private schedulePoll (): void {
    if (this.stopped || this.timer != null || this.watchers.size === 0) return
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      void this.poll().finally(() => { this.schedulePoll() })
    }, this.pollMs)
  }

  private async poll (): Promise<void> {
    try {
      const events = await this.track(this.read())
      for (const event of events) {
        if (event.type === 'Opened') this.parties.set(event.channelId, [event.rider.toLowerCase(), event.driver.toLowerCase()])
        for (const w of this.watchers) {
          if (this.concerns(event, w)) this.deliver(w, event)
        }
      }
    } catch (err) {
      log.error('polling the chain failed - %e', err)
      for (const w of this.watchers) w.onError?.(err as Error)
    }
  }

  /** The events since the last poll; moves the cursor past them. */
  private async read (): Promise<AdjudicatorEvent[]> {
    const latest = await this.source.blockNumber()
    if (latest < this.next) return []
    const events = await this.source.events(this.next, latest)
    this.next = latest + 1n
    return events
  }

  private concerns (event: AdjudicatorEvent, w: FeedWatcher): boolean {
    const parties = event.type === 'Opened' ? [event.rider.toLowerCase(), event.driver.toLowerCase()] : this.parties.get(event.channelId)
    // a channel opened before the feed started: everyone hears it, as from a plain watcher
    return parties == null || parties.includes(w.address)
  }

  /** Runs the handler after the watcher's earlier events, outside tracked work (it may await the network). */
  private deliver (w: FeedWatcher, event: AdjudicatorEvent): void {
    w.queue = w.queue.then(async () => {
      if (w.stopped) return
      try {
        await w.handler(event)
      } catch (err) {
        w.onError?.(err as Error)
      }
    })
  }
}
