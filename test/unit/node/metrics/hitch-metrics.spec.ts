import { expect } from 'chai'
import { defaultLogger } from '@libp2p/logger'
import { ManualClock } from '../../../../node/clock/index.js'
import { HitchMetrics, nodePrometheus } from '../../../../node/metrics/index.js'
import { TypedEvents } from '../../../../node/roles/index.js'
import type { DriverMetricEvents, PaymentMetricEvents, RiderMetricEvents } from '../../../../node/metrics/index.js'
import type { Metrics } from '@libp2p/interface'

/** Hitch's metrics on a Prometheus registry of their own, read back as the endpoint serves them. */
function setup (): { metrics: HitchMetrics, clock: ManualClock, scrape: () => Promise<(name: string) => number> } {
  const prometheus = nodePrometheus()
  const clock = new ManualClock()
  const metrics = new HitchMetrics(prometheus.metrics({ logger: defaultLogger() }) as Metrics, clock)
  const scrape = async (): Promise<(name: string) => number> => {
    const text = await prometheus.registry.metrics()
    return name => {
      const line = text.split('\n').find(l => l.startsWith(name + ' '))
      return line == null ? 0 : Number(line.slice(name.length + 1))
    }
  }
  return { metrics, clock, scrape }
}

describe('node/metrics: HitchMetrics', () => {
  it("counts a driver's requests once each, its quotes, the ones won, the match latency on the node's clock and how rides end", async () => {
    const { metrics, clock, scrape } = setup()
    const driver = new TypedEvents<DriverMetricEvents>()
    metrics.bindDriver(driver)
    driver.emit('request', { requestId: 'a', rider: 'r1' })
    driver.emit('request', { requestId: 'a', rider: 'r1' })
    driver.emit('request', { requestId: 'b', rider: 'r2' })
    driver.emit('quote', { requestId: 'a', rider: 'r1' })
    driver.emit('quote', { requestId: 'b', rider: 'r2' })
    clock.advance(1_500)
    driver.emit('confirmed', { requestId: 'a', rider: 'r1' })
    driver.emit('declined', { requestId: 'b', rider: 'r2' })
    driver.emit('dropoff', { requestId: 'a', rider: 'r1' })
    driver.emit('cancelled', { requestId: 'c', rider: 'r3' })
    const value = await scrape()
    expect(value('hitch_requests_heard_total')).to.equal(2)
    expect(value('hitch_quotes_sent_total')).to.equal(2)
    expect(value('hitch_quotes_won_total')).to.equal(1)
    expect(value('hitch_match_latency_seconds_count')).to.equal(1)
    expect(value('hitch_match_latency_seconds_sum')).to.equal(1.5)
    expect(value('hitch_rides_total{outcome="completed"}')).to.equal(1)
    expect(value('hitch_rides_total{outcome="cancelled"}')).to.equal(1)
  })

  it("counts a rider's match latency from its request, payments' co-signed states, gossip refused by verdict and reason, and durable writes", async () => {
    const { metrics, clock, scrape } = setup()
    const rider = new TypedEvents<RiderMetricEvents>()
    const payments = new TypedEvents<PaymentMetricEvents>()
    const off = metrics.bindRider(rider)
    metrics.bindPayments(payments)
    rider.emit('requested', { requestId: 'x' })
    clock.advance(4_000)
    rider.emit('confirmed', { requestId: 'x' })
    payments.emit('paid', { requestId: 'x' })
    payments.emit('paid', { requestId: 'x' })
    rider.emit('completed', { requestId: 'x' })
    off()
    rider.emit('completed', { requestId: 'y' })
    metrics.gossipVerdict('reject', 'bad-signature')
    metrics.gossipVerdict('reject', 'bad-signature')
    metrics.gossipVerdict('ignore', 'rate-limited')
    metrics.fsync(0.004)
    const value = await scrape()
    expect(value('hitch_match_latency_seconds_sum')).to.equal(4)
    expect(value('hitch_channel_updates_total')).to.equal(2)
    expect(value('hitch_rides_total{outcome="completed"}')).to.equal(1)
    expect(value('hitch_gossip_verdicts_total{verdict="reject:bad-signature"}')).to.equal(2)
    expect(value('hitch_gossip_verdicts_total{verdict="ignore:rate-limited"}')).to.equal(1)
    expect(value('hitch_store_fsync_seconds_count')).to.equal(1)
  })
})
