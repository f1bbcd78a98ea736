/**
 * Prometheus for one node: a registry of its own (several nodes in one process do not mix their
 * figures), libp2p's metrics implementation on it, and a small HTTP server that serves the
 * registry's text format at `/metrics` (`hitch drive --metrics HOST:PORT`).
 */
import { createServer } from 'node:http'
import { prometheusMetrics } from '@libp2p/prometheus-metrics'
import { Registry } from 'prom-client'
import { MetricsServerError } from './errors.js'
import type { Metrics, AbortOptions } from '@libp2p/interface'
import type { AddressInfo } from 'node:net'

/** A node's Prometheus registry and the libp2p metrics factory that fills it. */
export interface NodePrometheus {
  registry: Registry
  /** for `createHitchNode({ metrics })` / libp2p's `metrics` option */
  metrics: (components: any) => Metrics
}

/** A registry for one node and libp2p's Prometheus metrics on it (without the process's default metrics unless asked). */
export function nodePrometheus (init: { collectDefaultMetrics?: boolean } = {}): NodePrometheus {
  const registry = new Registry()
  return { registry, metrics: prometheusMetrics({ registry, collectDefaultMetrics: init.collectDefaultMetrics ?? false }) }
}

/** A running `/metrics` endpoint. */
export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9464/metrics` */
  url: string
  stop: () => Promise<void>
}

/** Options of {@link startMetricsServer}. */
export interface MetricsServerInit extends AbortOptions {
  registry: Registry
  /** @default '127.0.0.1' */
  host?: string
  /** 0: a port the OS picks */
  port: number
}

/**
 * Serves the registry's text format at `GET /metrics` (everything else: 404). Listens on the
 * host given, loopback by default: metrics tell whoever reads them how busy the node is.
 *
 * @throws {MetricsServerError} when it cannot listen there
 */
export async function startMetricsServer (init: MetricsServerInit): Promise<MetricsServer> {
  const host = init.host ?? '127.0.0.1'
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n')
      return
    }
    init.registry.metrics().then(text => {
      res.writeHead(200, { 'content-type': init.registry.contentType }).end(text)
    }, (err: Error) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`)
    })
  })
  server.headersTimeout = 10_000
  server.requestTimeout = 10_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', err => { reject(new MetricsServerError(`cannot serve metrics on ${host}:${init.port}: ${err.message}`, { cause: err })) })
    server.listen(init.port, host, () => { resolve() })
  })
  const { address, port } = server.address() as AddressInfo
  const stop = async (): Promise<void> => {
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }
  init.signal?.addEventListener('abort', () => { void stop() }, { once: true })
  const shown = address.includes(':') ? `[${address}]` : address
  return { url: `http://${shown}:${port}/metrics`, stop }
}
