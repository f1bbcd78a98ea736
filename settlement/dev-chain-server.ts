/**
 * A dev chain: the embedded EVM served over HTTP JSON-RPC on loopback, so several processes
 * (nodes of a local demo or a multi-process simulation) share one chain. Besides the standard
 * methods it answers `hitch_info` (adjudicator, chain id, challenge period) and
 * `hitch_fund(address[, wei])`, which mints test ether.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { logger } from '@libp2p/logger'
import { isAddress, toHex, type Address } from 'viem'
import { DEFAULT_FUND_WEI, EmbeddedEvm } from './embedded-chain.js'
import { SettlementError } from './errors.js'
import type { DevChainInfo } from './rpc-chain.js'

const log = logger('hitch:chain:dev')

/** Largest JSON-RPC request body accepted, in bytes. */
const MAX_BODY_BYTES = 8 * 1024 * 1024

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
   * @default 60
   */
  challengePeriodS?: number
  /** Addresses funded with 1000 ether at start. */
  fund?: readonly string[]
  /**
   * Chain id.
   * @default 31337
   */
  chainId?: number
}

/** A running dev chain. */
export interface DevChain extends DevChainInfo {
  /** `http://host:port` */
  url: string
  host: string
  port: number
  /** the EVM behind it (tests steer its clock) */
  evm: EmbeddedEvm
  /** Closes the server and releases the EVM. Idempotent. */
  stop: () => Promise<void>
}

interface JsonRpcRequest { jsonrpc?: string, id?: string | number | null, method?: unknown, params?: unknown }
interface JsonRpcResponse {
  jsonrpc: '2.0'
  id: string | number | null
  result?: unknown
  error?: { code: number, message: string, data?: unknown }
}

class RpcError extends Error {
  constructor (readonly rpcCode: number, message: string) { super(message) }
}

/** Starts a dev chain: a fresh embedded EVM with the adjudicator, served on loopback. */
export async function startDevChain (init: DevChainInit = {}): Promise<DevChain> {
  const host = init.host ?? '127.0.0.1'
  const evm = await EmbeddedEvm.start({ challengePeriodS: init.challengePeriodS, fund: init.fund, chainId: init.chainId })
  const info: DevChainInfo = { adjudicator: evm.adjudicator, chainId: evm.chainId, challengePeriodS: evm.challengePeriodS }

  const call = async (req: JsonRpcRequest): Promise<JsonRpcResponse | undefined> => {
    const id = req?.id ?? null
    try {
      if (req == null || typeof req !== 'object' || typeof req.method !== 'string') throw new RpcError(-32600, 'invalid request')
      const params = Array.isArray(req.params) ? req.params : (req.params == null ? [] : req.params)
      let result: unknown
      if (req.method === 'hitch_info') {
        result = info
      } else if (req.method === 'hitch_fund') {
        const [address, amount] = Array.isArray(params) ? params : []
        if (typeof address !== 'string' || !isAddress(address)) throw new RpcError(-32602, 'hitch_fund expects an address')
        const wei = amount == null ? DEFAULT_FUND_WEI : BigInt(amount as string)
        result = toHex(await evm.fund(address as Address, wei))
      } else {
        result = await evm.provider.request({ method: req.method, params: params as unknown[] })
      }
      return req.id === undefined ? undefined : { jsonrpc: '2.0', id, result }
    } catch (err: any) {
      const code = err instanceof RpcError ? err.rpcCode : (typeof err?.code === 'number' ? err.code : -32603)
      const error: JsonRpcResponse['error'] = { code, message: String(err?.message ?? err) }
      if (err?.data !== undefined) error.data = err.data
      return { jsonrpc: '2.0', id, error }
    }
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end()
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413).end()
        req.destroy()
        return
      }
      chunks.push(chunk as Buffer)
    }
    let body: unknown
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      send(res, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'parse error' } })
      return
    }
    if (Array.isArray(body)) {
      if (body.length === 0) {
        send(res, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'empty batch' } })
        return
      }
      // in order: a batch of transactions from one account must keep its nonce order
      const out: JsonRpcResponse[] = []
      for (const r of body) {
        const answer = await call(r as JsonRpcRequest)
        if (answer != null) out.push(answer)
      }
      send(res, out)
    } else {
      const answer = await call(body as JsonRpcRequest)
      if (answer == null) res.writeHead(204).end()
      else send(res, answer)
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(err => {
      log.error('request failed: %e', err)
      if (!res.headersSent) res.writeHead(500).end()
    })
  })

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
    throw new SettlementError('RPC_FAILED', `cannot listen on ${host}:${init.port ?? 0}`, { cause: err })
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

  return { ...info, url, host, port, evm, stop }
}

function send (res: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body, (_key, value: unknown) => typeof value === 'bigint' ? toHex(value) : value)
  res.writeHead(200, { 'content-type': 'application/json' }).end(text)
}
