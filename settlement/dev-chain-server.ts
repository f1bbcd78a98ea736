/**
 * A dev chain: the embedded EVM served over HTTP JSON-RPC on loopback, so several processes
 * (nodes of a local demo or a multi-process simulation) share one chain. It answers what nodes
 * need (see `dev-chain-rpc.ts`: the standard methods viem's clients send, `hitch_info` with the
 * adjudicator, chain id and challenge period, and `hitch_fund(address[, wei])`, which mints test
 * ether); the test methods that steer the chain (`evm_increaseTime`, `evm_mine`, …) need the
 * admin token.
 *
 * It is reachable by anything on the host, web pages included, so it checks every request before
 * the EVM sees it: a request carrying an `Origin` (a browser) is refused unless that origin was
 * allowed; a `Host` that is a domain name other than localhost is refused (DNS rebinding);
 * bodies, batches, lines of JSON and responses are bounded; a client has a few seconds to send
 * its headers and its body.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isIP, type AddressInfo } from 'node:net'
import { logger } from '@libp2p/logger'
import { toHex } from 'viem'
import { DEFAULT_FUND_WEI, EmbeddedEvm } from './embedded-chain.js'
import { RpcFailedError } from './errors.js'
import { DEFAULT_MAX_GAS, DevChainRpc, RPC_INTERNAL, RPC_INVALID_REQUEST, RPC_LIMIT_EXCEEDED, RpcError } from './dev-chain-rpc.js'
import type { DevChainInfo } from './rpc-chain.js'

const log = logger('hitch:chain:dev')

/** Largest JSON-RPC request body accepted, in bytes: a batch of the largest transactions */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024
/** Most calls in one batch */
export const DEFAULT_MAX_BATCH = 100
/** Largest response, in bytes */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
/** Most blocks one `eth_getLogs` may span (public providers cap it too: clients page) */
export const DEFAULT_MAX_LOG_BLOCK_RANGE = 10_000
/** Real ms a client has to send a whole request, headers and body */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
/** Most connections at once */
const MAX_CONNECTIONS = 512

/** Options of `startDevChain`. */
export interface DevChainInit {
  /**
   * TCP port; 0 lets the OS pick one.
   * @default 0
   */
  port?: number
  /**
   * Interface to listen on. Only loopback makes sense: the chain mints ether for anyone.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * The adjudicator's challenge period, in seconds.
   * @default DEFAULT_DEV_CHALLENGE_PERIOD_S
   */
  challengePeriodS?: number
  /** Addresses funded with 1000 ether at start. */
  fund?: readonly string[]
  /**
   * Chain id.
   * @default 31337
   */
  chainId?: number
  /**
   * The token that unlocks the test methods (`Authorization: Bearer TOKEN`).
   * @default 32 random bytes as hex (`DevChain.adminToken`)
   */
  adminToken?: string
  /**
   * Web origins (`scheme://host[:port]`) whose pages may call the chain; requests with any
   * other `Origin` header are refused.
   * @default [] (no web page)
   */
  allowedOrigins?: readonly string[]
  /**
   * Host names (besides IP literals and localhost) the `Host` header may carry.
   * @default []
   */
  allowedHosts?: readonly string[]
  /**
   * Most blocks one `eth_getLogs` may span.
   * @default DEFAULT_MAX_LOG_BLOCK_RANGE
   */
  maxLogBlockRange?: number
  /**
   * Real ms a client has to send a whole request.
   * @default DEFAULT_REQUEST_TIMEOUT_MS
   */
  requestTimeoutMs?: number
  /**
   * Most gas one call, estimate or transaction may use.
   * @default DEFAULT_MAX_GAS
   */
  maxGas?: number
}

/** A running dev chain. */
export interface DevChain extends DevChainInfo {
  /** `http://host:port` */
  url: string
  host: string
  port: number
  /** the token that unlocks the test methods over JSON-RPC */
  adminToken: string
  /** the EVM behind it (tests steer its clock) */
  evm: EmbeddedEvm
  /** Closes the server and releases the EVM. Idempotent. */
  stop: () => Promise<void>
}

type Id = string | number | null
interface JsonRpcResponse {
  jsonrpc: '2.0'
  id: Id
  result?: unknown
  error?: { code: number, message: string, data?: unknown }
}

/** Refused before any JSON-RPC: an HTTP status and a reason */
class HttpRefusal extends Error {
  override readonly name = 'HttpRefusal'
  constructor (readonly status: number, message: string) { super(message) }
}

/** Starts a dev chain: a fresh embedded EVM with the adjudicator, served on loopback. */
export async function startDevChain (init: DevChainInit = {}): Promise<DevChain> {
  const host = init.host ?? '127.0.0.1'
  const evm = await EmbeddedEvm.start({ challengePeriodS: init.challengePeriodS, fund: init.fund, chainId: init.chainId })
  const info: DevChainInfo = { adjudicator: evm.adjudicator, chainId: evm.chainId, challengePeriodS: evm.challengePeriodS }
  const adminToken = init.adminToken ?? randomBytes(32).toString('hex')
  const adminDigest = createHash('sha256').update(adminToken).digest()
  const allowedOrigins = new Set((init.allowedOrigins ?? []).map(o => o.toLowerCase()))
  const allowedHosts = new Set((init.allowedHosts ?? []).map(h => h.toLowerCase()))
  const rpc = new DevChainRpc({
    evm,
    info,
    maxLogBlockRange: init.maxLogBlockRange ?? DEFAULT_MAX_LOG_BLOCK_RANGE,
    defaultFundWei: DEFAULT_FUND_WEI,
    maxGas: init.maxGas ?? DEFAULT_MAX_GAS
  })
  const requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS

  const isAdmin = (req: IncomingMessage): boolean => {
    const m = /^Bearer (\S{1,512})$/.exec(req.headers.authorization ?? '')
    if (m == null) return false
    return timingSafeEqual(createHash('sha256').update(m[1]).digest(), adminDigest)
  }

  const call = async (req: unknown, admin: boolean): Promise<JsonRpcResponse | undefined> => {
    const r = (typeof req === 'object' && req !== null && !Array.isArray(req)) ? req as Record<string, unknown> : undefined
    const id = r != null && validId(r.id) ? r.id as Id : null
    try {
      if (r == null || typeof r.method !== 'string' || r.method.length > 128 || (r.id !== undefined && !validId(r.id))) {
        throw new RpcError(RPC_INVALID_REQUEST, 'invalid request')
      }
      const result = await rpc.call(r.method, r.params, admin)
      return r.id === undefined ? undefined : { jsonrpc: '2.0', id, result }
    } catch (err: any) {
      return { jsonrpc: '2.0', id, error: rpcErrorOf(err) }
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    checkHeaders(req, allowedOrigins, allowedHosts)
    const body = await readBody(req, DEFAULT_MAX_BODY_BYTES)
    let parsed: unknown
    try {
      parsed = JSON.parse(body.toString('utf8'))
    } catch {
      send(res, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })
      return
    }
    const admin = isAdmin(req)
    if (Array.isArray(parsed)) {
      if (parsed.length === 0 || parsed.length > DEFAULT_MAX_BATCH) {
        send(res, { jsonrpc: '2.0', id: null, error: { code: RPC_INVALID_REQUEST, message: `a batch holds 1 to ${DEFAULT_MAX_BATCH} calls` } })
        return
      }
      // in order: a batch of transactions from one account must keep its nonce order
      const out: JsonRpcResponse[] = []
      for (const r of parsed) {
        const answer = await call(r, admin)
        if (answer != null) out.push(answer)
        if (res.destroyed) return
      }
      send(res, out)
    } else {
      const answer = await call(parsed, admin)
      if (answer == null) res.writeHead(204).end()
      else send(res, answer)
    }
  }

  const server: Server = createServer({
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(requestTimeoutMs, 60_000),
    // how often Node looks for requests past their deadline
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 4))),
    maxHeaderSize: 16 * 1024
  }, (req, res) => {
    handle(req, res).catch(err => {
      if (err instanceof HttpRefusal) {
        log('refused a request: %s', err.message)
        if (!res.headersSent) res.writeHead(err.status, { 'content-type': 'text/plain', connection: 'close' }).end(err.message + '\n')
        req.resume()
        return
      }
      log.error('request failed: %e', err)
      if (!res.headersSent) res.writeHead(500).end()
    })
  })
  server.maxConnections = MAX_CONNECTIONS
  server.keepAliveTimeout = 5_000

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(init.port ?? 0, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    await evm.stop()
    throw new RpcFailedError(`cannot listen on ${host}:${init.port ?? 0}`, { cause: err })
  }
  const port = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host
  const url = `http://${urlHost}:${port}`
  log('dev chain %d on %s, adjudicator %s', evm.chainId, url, evm.adjudicator)

  let stopping: Promise<void> | undefined
  const stop = async (): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>(resolve => { server.close(() => { resolve() }) })
      server.closeAllConnections()
      await closed
      await evm.stop()
      log('dev chain on %s stopped', url)
    })()
    await stopping
  }

  return { ...info, url, host, port, adminToken, evm, stop }
}

function validId (id: unknown): boolean {
  return id === null || (typeof id === 'string' && id.length <= 256) || (typeof id === 'number' && Number.isFinite(id))
}

/**
 * Refuses what a web page could send: a request from a browser carries `Origin` (allowed only
 * for the origins given), and a `Host` naming a domain other than localhost is what DNS
 * rebinding produces (an attacker's name resolving to 127.0.0.1); IP literals cannot be rebound.
 */
function checkHeaders (req: IncomingMessage, allowedOrigins: ReadonlySet<string>, allowedHosts: ReadonlySet<string>): void {
  if (req.method !== 'POST') throw new HttpRefusal(405, 'only POST')
  const origin = req.headers.origin
  if (origin != null && !allowedOrigins.has(origin.toLowerCase())) throw new HttpRefusal(403, 'cross-origin requests are refused')
  const hostHeader = req.headers.host
  if (hostHeader != null && !hostAllowed(hostHeader, allowedHosts)) throw new HttpRefusal(403, 'this Host is refused')
  // a browser's "simple" cross-origin POST cannot set this type: one more wall against pages
  const type = req.headers['content-type']
  if (type != null && !/^application\/json\s*(;|$)/i.test(type)) throw new HttpRefusal(415, 'the body must be application/json')
}

function hostAllowed (hostHeader: string, allowedHosts: ReadonlySet<string>): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(hostHeader.trim())
  if (m == null) return false
  const name = m[1].toLowerCase()
  if (name.startsWith('[')) return isIP(name.slice(1, -1)) === 6
  if (isIP(name) === 4) return true
  return name === 'localhost' || allowedHosts.has(name)
}

/** The body, at most `max` bytes; a larger one is refused as soon as it passes the bound */
async function readBody (req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > max) throw new HttpRefusal(413, `the body is larger than ${max} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > max) throw new HttpRefusal(413, `the body is larger than ${max} bytes`)
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

function rpcErrorOf (err: any): { code: number, message: string, data?: unknown } {
  if (err instanceof RpcError) return { code: err.rpcCode, message: err.message }
  const code = typeof err?.code === 'number' && Number.isSafeInteger(err.code) ? err.code : RPC_INTERNAL
  const error: { code: number, message: string, data?: unknown } = { code, message: String(err?.message ?? err).slice(0, 4096) }
  // a revert's data is what lets clients decode custom errors
  if (err?.data !== undefined) {
    try {
      if (JSON.stringify(err.data).length <= 65_536) error.data = err.data
    } catch {}
  }
  return error
}

function send (res: ServerResponse, body: unknown): void {
  let text = JSON.stringify(body, (_key, value: unknown) => typeof value === 'bigint' ? toHex(value) : value)
  if (text.length > DEFAULT_MAX_RESPONSE_BYTES) {
    text = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: RPC_LIMIT_EXCEEDED, message: `the response would be larger than ${DEFAULT_MAX_RESPONSE_BYTES} bytes` } })
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(text)
}
