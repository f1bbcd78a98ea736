/**
 * The run's chain as the peers of a `simulated`-mode run see it. A call to the embedded EVM is
 * real work outside the simulation: the scheduler waits for it before its next event, so it
 * takes no simulated time and a run stays a pure function of its seed. Instead of every peer
 * polling the chain for adjudicator events (thousands of polls per simulated second with
 * thousands of peers), one feed polls on the virtual clock and hands each event to the watchers
 * of the channel's rider and driver, as an RPC node's log subscription would.
 */
import { logger } from '@libp2p/logger'
import type { Clock, TimerHandle } from '../node/clock/index.js'
import type { EventScheduler } from './event-scheduler.js'
import type { AdjudicatorEvent, Chain, Watcher, WatchOptions } from '../settlement/index.js'
import type { Address } from 'viem'

const log = logger('hitch:sim:chain')

/** How often the feed polls the chain for adjudicator events, simulated ms. @default 2000 */
export const SIM_CHAIN_POLL_MS = 2_000

interface FeedWatcher {
  address: string
  handler: (event: AdjudicatorEvent) => void | Promise<void>
  onError?: (err: Error) => void
  /** this watcher's handler calls, one at a time in the chain's order */
  queue: Promise<void>
  stopped: boolean
}

/** One poller of adjudicator events for every peer of a simulated run. */
export class SimulatedChainFeed {
  private readonly scheduler: EventScheduler
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

  private constructor (scheduler: EventScheduler, clock: Clock, source: Chain, next: bigint, pollMs: number) {
    this.scheduler = scheduler
    this.clock = clock
    this.source = source
    this.next = next
    this.pollMs = pollMs
  }

  /**
   * A feed of what `source` (a client of the run's EVM) mines from the next block on; start it
   * before the peers, while the scheduler is not running.
   */
  static async start (scheduler: EventScheduler, clock: Clock, source: Chain, pollMs: number = SIM_CHAIN_POLL_MS): Promise<SimulatedChainFeed> {
    return new SimulatedChainFeed(scheduler, clock, source, (await source.blockNumber()) + 1n, pollMs)
  }

  /** `inner` (one peer's client of the run's EVM) with its calls on the scheduler and its watch on this feed */
  wrap (inner: Chain): Chain {
    const track = <T>(work: Promise<T>): Promise<T> => this.scheduler.track(work)
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
      events: async (fromBlock, toBlock, options) => await track(inner.events(fromBlock, toBlock, options)),
      watch: (handler, options) => this.watch(inner.address, handler, options),
      stop: async () => { await inner.stop() }
    }
  }

  /** Stops polling; watchers get nothing more. */
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
      void this.scheduler.track(this.source.events(options.fromBlock, until)).then(
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
      const events = await this.scheduler.track(this.read())
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
