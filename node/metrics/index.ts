/**
 * @packageDocumentation
 *
 * A node's metrics: Hitch's own (`HitchMetrics`, on libp2p's `Metrics` interface, fed by the
 * roles', payments' and channels' events) and Prometheus to collect and serve them.
 */
export { HitchMetrics, MATCH_LATENCY_BUCKETS_S, FSYNC_BUCKETS_S } from './hitch-metrics.js'
export type { DriverMetricEvents, RiderMetricEvents, PaymentMetricEvents } from './hitch-metrics.js'
export { nodePrometheus, startMetricsServer } from './prometheus.js'
export type { NodePrometheus, MetricsServer, MetricsServerInit } from './prometheus.js'
export { MetricsServerError } from './errors.js'
