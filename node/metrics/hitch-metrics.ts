/**
 * Hitch's own metrics, registered on libp2p's `Metrics` interface (so the same registry that
 * holds libp2p's connection and stream metrics holds them, and any libp2p metrics
 * implementation can collect them). Names carry their unit, as Prometheus asks:
 *
 * - `hitch_requests_heard_total`: ride requests a driver considered
 * - `hitch_quotes_sent_total`, `hitch_quotes_won_total`: a driver's quotes, and those a rider confirmed
 * - `hitch_match_latency_seconds`: request to confirmation, on the node's clock (driver: from the
 *   first copy heard; rider: from its request)
 * - `hitch_rides_total{outcome}`: rides completed, cancelled or declined
 * - `hitch_channel_updates_total`: co-signed channel states of ride payments
 * - `hitch_channel_events_total{event}`: a channel's on-chain steps (opened, closed, finalized …)
 * - `hitch_store_fsync_seconds`: durable (fsynced) writes of the store
 * - `hitch_gossip_verdicts_total{verdict}`: gossip the validator refused, by verdict and reason
 *
 * The roles, payments and channels are bound through their public events: nothing here reaches
 * into them, and a node without metrics pays nothing.
 */
import type { Clock } from '../clock/index.js'
import type { Counter, CounterGroup, Histogram, Metrics } from '@libp2p/interface'

/** Buckets of the match latency, seconds: from a near driver's first copy to a sparse area's minutes. */
export const MATCH_LATENCY_BUCKETS_S = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300]
/** Buckets of a durable write, seconds. */
export const FSYNC_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]

/** The events {@link HitchMetrics} listens to, as the roles and payments emit them. */
interface Emitter<E> {
  on: <K extends keyof E & string>(type: K, listener: (detail: E[K]) => void) => () => void
}

/** What a driver emits that the metrics count. */
export interface DriverMetricEvents {
  request: { requestId: string, rider: string }
  quote: { requestId: string, rider: string }
  confirmed: { requestId: string, rider: string }
  declined: { requestId: string, rider: string }
  dropoff: { requestId: string, rider: string }
  cancelled: { requestId: string, rider: string }
}

/** What a rider emits that the metrics count. */
export interface RiderMetricEvents {
  requested: { requestId: string }
  confirmed: { requestId: string }
  completed: { requestId: string }
  cancelled: { requestId: string }
}

/** What ride payments emit that the metrics count (one `paid` per co-signed state). */
export interface PaymentMetricEvents {
  paid: { requestId: string }
}

/** Rides a driver or rider is matching at once, at most (older ones are forgotten). */
const MAX_PENDING = 4096

/** One node's Hitch metrics. */
export class HitchMetrics {
  private readonly clock: Clock
  private readonly heard: Counter
  private readonly quotesSent: Counter
  private readonly quotesWon: Counter
  private readonly matchLatency: Histogram
  private readonly rides: CounterGroup<'completed' | 'cancelled' | 'declined'>
  private readonly channelUpdates: Counter
  private readonly channelEvents: CounterGroup
  private readonly fsyncSeconds: Histogram
  private readonly verdicts: CounterGroup
  /** request key -> clock ms it started matching */
  private readonly pending = new Map<string, number>()

  constructor (metrics: Metrics, clock: Clock) {
    this.clock = clock
    this.heard = metrics.registerCounter('hitch_requests_heard_total', { help: 'ride requests a driver considered' })
    this.quotesSent = metrics.registerCounter('hitch_quotes_sent_total', { help: 'quotes a driver sent' })
    this.quotesWon = metrics.registerCounter('hitch_quotes_won_total', { help: 'quotes of this driver that a rider accepted and the driver confirmed' })
    this.matchLatency = metrics.registerHistogram('hitch_match_latency_seconds', {
      help: 'from a request (a driver: its first copy heard) to its confirmation, node clock seconds',
      buckets: MATCH_LATENCY_BUCKETS_S
    })
    this.rides = metrics.registerCounterGroup('hitch_rides_total', { label: 'outcome', help: 'rides that ended, by outcome' })
    this.channelUpdates = metrics.registerCounter('hitch_channel_updates_total', { help: 'co-signed payment channel states of rides' })
    this.channelEvents = metrics.registerCounterGroup('hitch_channel_events_total', { label: 'event', help: 'on-chain steps of payment channels' })
    this.fsyncSeconds = metrics.registerHistogram('hitch_store_fsync_seconds', { help: 'durable (fsynced) store writes, seconds', buckets: FSYNC_BUCKETS_S })
    this.verdicts = metrics.registerCounterGroup('hitch_gossip_verdicts_total', { label: 'verdict', help: 'gossip messages refused, as "verdict:reason"' })
  }

  /** Counts what a driver does; returns a function that stops counting. */
  bindDriver (driver: Emitter<DriverMetricEvents>): () => void {
    const offs = [
      driver.on('request', e => {
        const key = `d/${e.rider}/${e.requestId}`
        if (!this.pending.has(key)) {
          this.heard.increment()
          this.start(key)
        }
      }),
      driver.on('quote', () => { this.quotesSent.increment() }),
      driver.on('confirmed', e => {
        this.quotesWon.increment()
        this.finish(`d/${e.rider}/${e.requestId}`)
      }),
      driver.on('declined', e => { this.pending.delete(`d/${e.rider}/${e.requestId}`) }),
      driver.on('dropoff', () => { this.rides.increment({ completed: true }) }),
      driver.on('cancelled', e => {
        this.pending.delete(`d/${e.rider}/${e.requestId}`)
        this.rides.increment({ cancelled: true })
      })
    ]
    return () => { for (const off of offs) off() }
  }

  /** Counts what a rider does; returns a function that stops counting. */
  bindRider (rider: Emitter<RiderMetricEvents>): () => void {
    const offs = [
      rider.on('requested', e => { this.start(`r/${e.requestId}`) }),
      rider.on('confirmed', e => { this.finish(`r/${e.requestId}`) }),
      rider.on('completed', () => { this.rides.increment({ completed: true }) }),
      rider.on('cancelled', e => {
        this.pending.delete(`r/${e.requestId}`)
        this.rides.increment({ cancelled: true })
      })
    ]
    return () => { for (const off of offs) off() }
  }

  /** Counts the co-signed states of ride payments; returns a function that stops counting. */
  bindPayments (payments: Emitter<PaymentMetricEvents>): () => void {
    return payments.on('paid', () => { this.channelUpdates.increment() })
  }

  /** Counts a channel manager's on-chain steps, by event name; returns a function that stops counting. */
  bindChannels<K extends string> (channels: { on: (type: K, listener: () => void) => () => void }, events: readonly K[]): () => void {
    const offs = events.map(type => channels.on(type, () => {
      this.channelEvents.increment({ [type.replace(/^channel:/, '')]: true })
    }))
    return () => { for (const off of offs) off() }
  }

  /** A gossip message the validator did not accept. */
  gossipVerdict (verdict: 'reject' | 'ignore', reason: string): void {
    this.verdicts.increment({ [`${verdict}:${reason}`]: true })
  }

  /** A durable store write took this long. */
  fsync (seconds: number): void {
    this.fsyncSeconds.observe(seconds)
  }

  private start (key: string): void {
    if (this.pending.size >= MAX_PENDING) {
      const oldest = this.pending.keys().next().value
      if (oldest != null) this.pending.delete(oldest)
    }
    this.pending.set(key, this.clock.now())
  }

  private finish (key: string): void {
    const started = this.pending.get(key)
    if (started == null) return
    this.pending.delete(key)
    this.matchLatency.observe(Math.max(0, this.clock.now() - started) / 1000)
  }
}
