/**
 * The dev chain's JSON-RPC (`hitch chain`, `settlement/dev-chain-server.ts`), over a real HTTP
 * server on 127.0.0.1 in a process of its own. Each input is a few HTTP requests: JSON-RPC calls
 * (single, batched, notifications) with odd methods, params and ids, from odd origins, or bodies
 * that are not JSON-RPC at all.
 *
 * Oracle: the process survives every input and answers each request within the bound; no 500;
 * a JSON-RPC answer is well formed; test methods (`evm_*`, `hardhat_*`) are not served to a
 * caller without a token; a request carrying a foreign `Origin` (a web page) is not served.
 * When the process dies, the finding's input is every request since it started (a crash may
 * need several, e.g. `evm_increaseTime` then `evm_mine`).
 */
import { request as httpRequest } from 'node:http'
import { ChildServer } from '../harness/child.js'
import { hitchBin } from '../harness/paths.js'
import { Finding, refused, type FuzzTarget, type TargetRun } from '../harness/target.js'
import type { Prng } from '../harness/prng.js'

/** One HTTP request. */
export interface RpcRequest {
  method: string
  origin?: string
  type?: string
  body: string
}

/** One input: requests sent in order. */
export interface RpcInput {
  requests: RpcRequest[]
}

const NODE_METHODS = [
  'eth_chainId', 'eth_blockNumber', 'eth_getBalance', 'eth_call', 'eth_estimateGas', 'eth_sendRawTransaction', 'eth_getTransactionReceipt',
  'eth_getTransactionCount', 'eth_gasPrice', 'eth_maxPriorityFeePerGas', 'eth_feeHistory', 'eth_getLogs', 'eth_getBlockByNumber', 'eth_getCode',
  'net_version', 'web3_clientVersion', 'hitch_info', 'hitch_fund'
]
const TEST_METHODS = [
  'evm_increaseTime', 'evm_mine', 'evm_setNextBlockTimestamp', 'evm_snapshot', 'evm_revert', 'evm_setAutomine', 'evm_setIntervalMining',
  'hardhat_setBalance', 'hardhat_setCode', 'hardhat_mine', 'hardhat_setStorageAt', 'hardhat_impersonateAccount', 'hardhat_setNonce',
  'hardhat_setNextBlockBaseFeePerGas', 'hardhat_setCoinbase', 'hardhat_metadata'
]
const OTHER_METHODS = ['eth_sendTransaction', 'eth_accounts', 'eth_sign', 'debug_traceTransaction', 'hitch_', 'HITCH_INFO', '__proto__', 'constructor', 'toString', '', 'x'.repeat(300)]
/** Test methods a caller without a token must not get served. */
const TEST_PREFIXES = ['evm_', 'hardhat_']
const isTestMethod = (m: string): boolean => TEST_PREFIXES.some(p => m.startsWith(p))
const FOREIGN_ORIGINS = ['https://evil.example', 'null', 'http://example.com:8545', 'file://']
const HEX = ['0x0', '0x1', '0x10', '0xffffffffffffffff', '0x' + 'f'.repeat(64), '0x' + 'f'.repeat(65), '0x', '-0x1', '0xzz', '1', 'latest', 'pending', 'earliest']
const ADDRESSES = ['0x' + '11'.repeat(20), '0x' + '00'.repeat(20), '0x' + 'AB'.repeat(20), '0x1234', 'not-an-address']

/** Numbers at the edges of the widths a Rust or JS handler may convert them to. */
const BIG_NUMBERS = [0, 1, -1, 0.5, 1e21, 1e308, 2 ** 31, 2 ** 32, 2 ** 53 + 1, 2 ** 63, 2 ** 64, 1e19, 31536000000000]
/** Methods that take one number (seconds, a timestamp, blocks). */
const NUMERIC = new Set(['evm_increaseTime', 'evm_setNextBlockTimestamp', 'hardhat_mine', 'evm_setIntervalMining', 'evm_mine'])

function oddValue (rng: Prng, depth = 0): unknown {
  switch (rng.int(depth > 2 ? 6 : 9)) {
    case 0: return rng.pick(HEX)
    case 1: return rng.pick(ADDRESSES)
    case 2: return rng.pick(BIG_NUMBERS)
    case 3: return rng.pick([null, true, false, '', 'x'.repeat(rng.int(1000))])
    case 4: return rng.pick(['0x' + 'f'.repeat(rng.range(1, 80)), '0x' + rng.int(2 ** 30).toString(16)])
    case 5: return { to: rng.pick(ADDRESSES), data: rng.pick(HEX), value: rng.pick(HEX), gas: rng.pick(HEX) }
    case 6: return Array.from({ length: rng.int(4) }, () => oddValue(rng, depth + 1))
    case 7: return { fromBlock: rng.pick(HEX), toBlock: rng.pick(HEX), address: rng.pick(ADDRESSES), topics: [rng.pick(HEX)] }
    default: return { [rng.pick(['a', '__proto__', 'constructor'])]: oddValue(rng, depth + 1) }
  }
}

function call (rng: Prng): Record<string, unknown> {
  const method = rng.weighted<string>([[5, rng.pick(NODE_METHODS)], [3, rng.pick(TEST_METHODS)], [1, rng.pick(OTHER_METHODS)]])
  const params = NUMERIC.has(method) && rng.chance(0.7)
    ? [rng.chance(0.7) ? rng.pick(BIG_NUMBERS) : rng.pick(HEX)]
    : rng.weighted<unknown>([[6, Array.from({ length: rng.int(4) }, () => oddValue(rng))], [1, oddValue(rng)], [1, undefined]])
  const id = rng.weighted<unknown>([[8, rng.int(1000)], [1, 'id-' + String(rng.int(10))], [1, null], [1, undefined], [1, { a: 1 }], [1, 1e300]])
  const out: Record<string, unknown> = { jsonrpc: rng.chance(0.95) ? '2.0' : rng.pick(['1.0', 2, undefined]), method }
  if (id !== undefined) out.id = id
  if (params !== undefined) out.params = params
  return out
}

function body (rng: Prng): string {
  switch (rng.weighted<string>([[10, 'one'], [3, 'batch'], [1, 'text'], [1, 'deep'], [1, 'odd']])) {
    case 'one': return JSON.stringify(call(rng))
    case 'batch': return JSON.stringify(Array.from({ length: rng.int(12) }, () => rng.chance(0.9) ? call(rng) : rng.pick<unknown>([1, null, [], 'x', [call(rng)]])))
    case 'text': {
      const t = JSON.stringify(call(rng))
      return t.slice(0, rng.int(t.length)) + rng.pick(['', '}', '\u0000', ',', ']'])
    }
    case 'deep': { const n = rng.pick([100, 10_000, 200_000]); return '['.repeat(n) + ']'.repeat(rng.chance(0.5) ? n : 0) }
    default: return rng.pick(['', 'null', '1', '"x"', '{}', '[]', 'true', '{"method":null}', '{"method":"eth_chainId","params":"x","id":1}'])
  }
}

function httpRequestOf (rng: Prng): RpcRequest {
  const r: RpcRequest = { method: rng.weighted<string>([[20, 'POST'], [1, 'GET'], [1, 'OPTIONS'], [1, 'PUT']]), body: body(rng) }
  if (rng.chance(0.15)) r.origin = rng.chance(0.8) ? rng.pick(FOREIGN_ORIGINS) : 'http://127.0.0.1'
  if (rng.chance(0.3)) r.type = rng.pick(['text/plain', 'application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'])
  return r
}

interface HttpAnswer { status: number, body: string }

async function send (url: string, r: RpcRequest, signal: AbortSignal): Promise<HttpAnswer> {
  return await new Promise((resolve, reject) => {
    // the length always: Node's client frames a body of GET, OPTIONS or PUT no other way, and an
    // unframed body is bytes after the request, which the server rightly refuses as a parse error
    const headers: Record<string, string> = { 'content-type': r.type ?? 'application/json', 'content-length': String(Buffer.byteLength(r.body)) }
    if (r.origin != null) headers.origin = r.origin
    const req = httpRequest(url, { method: r.method, headers, agent: false, signal }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(r.body)
  })
}

/**
 * Names of the methods of the calls in a body that got a `result`. Answers are matched by id;
 * where several calls of a batch share an id (`null` is allowed), a result is put down to a
 * method that may be served (if any of them is one), not to a test method beside it.
 */
export function served (requestBody: string, answer: string): string[] {
  let req: unknown
  let res: unknown
  try { req = JSON.parse(requestBody); res = JSON.parse(answer) } catch { return [] }
  const reqs = (Array.isArray(req) ? req : [req]) as Array<Record<string, unknown>>
  const ress = (Array.isArray(res) ? res : [res]) as Array<Record<string, unknown>>
  const out: string[] = []
  for (const r of ress) {
    if (r == null || typeof r !== 'object' || !('result' in r)) continue
    const matches = reqs.filter(q => q != null && typeof q === 'object' && q.id === r.id && typeof q.method === 'string')
    const match = matches.find(q => !isTestMethod(q.method as string)) ?? matches[0]
    if (match != null) out.push(match.method as string)
  }
  return out
}

export const devChainTarget: FuzzTarget<RpcInput> = {
  name: 'dev-chain',
  description: 'hitch chain JSON-RPC over HTTP on 127.0.0.1 (its own process): survives and answers every request, no 500, test methods and foreign origins not served',
  cheap: false,
  textual: true,
  timeoutMs: 10_000,
  async setup (): Promise<TargetRun<RpcInput>> {
    let server: { child: ChildServer, url: string } | undefined
    let history: RpcRequest[] = []
    const start = async (): Promise<{ child: ChildServer, url: string }> => {
      const { child, value } = await ChildServer.start([hitchBin(), 'chain', '--json'], line => {
        try { const j = JSON.parse(line); return j.event === 'listening' ? String(j.url) : undefined } catch { return undefined }
      })
      history = []
      return { child, url: value }
    }
    server = await start()
    /** The shortest of: this input's requests, or all since the start, that kills a fresh server. */
    const reproduced = new Set<string>()
    const reproducer = async (own: RpcRequest[], all: RpcRequest[], key: string): Promise<RpcRequest[]> => {
      const every = all.slice(-50)
      // shrink only the first of a kind: a run reports each kind once
      if (reproduced.has(key)) return every
      reproduced.add(key)
      for (const candidate of [own.slice(-1), own]) {
        const fresh = await start()
        try {
          for (const r of candidate) await send(fresh.url, r, AbortSignal.timeout(5_000)).catch(() => {})
          if (await fresh.child.exitedWithin(1_000)) return candidate
        } finally {
          await fresh.child.kill()
        }
      }
      return every
    }
    const seeds: RpcInput[] = ['eth_chainId', 'hitch_info', 'eth_blockNumber'].map((method, id) => ({ requests: [{ method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id, method, params: [] }) }] }))
    return {
      seeds,
      generate: (rng, pool) => {
        if (pool.items.length > 0 && rng.chance(0.2)) {
          const base = rng.pick(pool.items)
          return { requests: [...base.requests.slice(0, 3), httpRequestOf(rng)] }
        }
        return { requests: Array.from({ length: rng.weighted<number>([[6, 1], [3, 2], [1, 3]]) }, () => httpRequestOf(rng)) }
      },
      execute: async (input, signal) => {
        if (server == null || !server.child.alive) server = await start()
        const s = server
        const outcomes: string[] = []
        for (const r of input.requests) {
          history.push(r)
          // the reproducer replays at most the last 50: keep no more (a long run held every body
          // since the server's last restart and ran its worker out of heap after 105,663 inputs)
          if (history.length > 50) history.shift()
          let answer: HttpAnswer
          try {
            answer = await send(s.url, r, signal)
          } catch (err) {
            if (signal.aborted) throw new Finding('hang', 'dev chain: no answer within the bound', `${r.method} ${r.body.slice(0, 200)}`)
            // the server may drop an oversized body; anything else means it is gone or broke the connection
            if (await s.child.exitedWithin(2_000)) {
              const key = `dev chain process died (${s.child.exit?.signal ?? `code ${String(s.child.exit?.code)}`})`
              input.requests = await reproducer(input.requests, history, key)
              throw new Finding('crash', key, s.child.describeExit())
            }
            throw new Finding('crash', 'dev chain dropped the connection', String((err as Error).message))
          }
          if (answer.status >= 500) throw new Finding('crash', `dev chain answered ${answer.status}`, answer.body.slice(0, 300))
          if (answer.status === 200) {
            try { JSON.parse(answer.body) } catch { throw new Finding('crash', 'dev chain answered 200 with a body that is not JSON', answer.body.slice(0, 300)) }
            const methods = served(r.body, answer.body)
            const test = methods.find(isTestMethod)
            if (test != null) throw refused('dev chain: test methods (evm_*, hardhat_*) served without a token', `${test} got a result`)
            if (r.origin != null && FOREIGN_ORIGINS.includes(r.origin) && methods.length > 0) throw refused('dev chain: a request from a foreign origin (a web page) is served', `origin ${r.origin}: ${methods[0]} got a result`)
          }
          outcomes.push(String(answer.status))
        }
        if (!s.child.alive) {
          const key = `dev chain process died (${s.child.exit?.signal ?? `code ${String(s.child.exit?.code)}`})`
          input.requests = await reproducer(input.requests, history, key)
          throw new Finding('crash', key, s.child.describeExit())
        }
        return `http:${outcomes.join(',')}`
      },
      serialize: input => new TextEncoder().encode(JSON.stringify(input)),
      deserialize: bytes => JSON.parse(new TextDecoder().decode(bytes)) as RpcInput,
      recover: async () => { await server?.child.kill(); server = undefined },
      close: async () => { await server?.child.kill() }
    }
  }
}
