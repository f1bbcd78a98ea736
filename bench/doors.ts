/**
 * `npm run bench -- doors [--line-mb N] [--calls N]`: the other doors of issue 9, measured.
 *
 * - the `hitch sim` coordinator fed one line without a newline (`--line-mb`, default 300):
 *   what it accepted before it hung up, and how much its memory grew;
 * - `hitch chain` (its own process) fed `--calls` (default 2000) seeded random JSON-RPC calls
 *   with hostile parameters, and an endless loop through `eth_call`: whether it still answers,
 *   and how long the loop held it;
 * - the key file: scrypt at geth's standard and light costs, to encrypt and to open.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { spawn } from 'node:child_process'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { openRoutedMap } from '../node/map/index.js'
import { decryptKeystore, encryptKeystore, LIGHT_SCRYPT, STANDARD_SCRYPT } from '../node/identity/index.js'
import { defaultScenario, hitchCommand, runLibp2p } from '../sim/index.js'

function flag (args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`

async function coordinatorFlood (lineMb: number): Promise<void> {
  const map = await openRoutedMap()
  const s = defaultScenario()
  s.network.mode = 'libp2p'
  s.network.transport = 'tcp'
  s.workers = 2
  s.payments = 'none'
  const controller = new AbortController()
  let listening!: (address: string) => void
  const ready = new Promise<string>(resolve => { listening = resolve })
  const run = runLibp2p({ map, requests: [], scenario: s, positions: [0, 1] }, {
    workerListen: '127.0.0.1:0', spawnWorkers: 0, signal: controller.signal, onWorkersListening: info => { listening(info.address) }
  }).catch(() => {})
  const address = await ready
  const i = address.lastIndexOf(':')
  global.gc?.()
  const before = process.memoryUsage()
  const socket = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)) })
  await once(socket, 'connect')
  socket.on('error', () => {})
  let closed = false
  const closing = new Promise(resolve => socket.once('close', () => { closed = true; resolve(undefined) }))
  const chunk = Buffer.alloc(64 * 1024, 0x61)
  let sent = 0
  let peak = before.rss
  while (!closed && sent < lineMb * 1024 * 1024) {
    if (!socket.write(chunk)) await Promise.race([new Promise(resolve => socket.once('drain', resolve)), closing])
    sent += chunk.length
    peak = Math.max(peak, process.memoryUsage().rss)
  }
  socket.end()
  const after = process.memoryUsage()
  console.log(`coordinator, one line without a newline: offered ${mb(lineMb * 1024 * 1024)}, written into the socket before the coordinator closed it ${closed ? mb(sent) : `${mb(sent)} (never closed)`}`)
  console.log(`  coordinator process memory: rss ${mb(before.rss)} -> peak ${mb(peak)}, heap+external ${mb(before.heapUsed + before.external)} -> ${mb(after.heapUsed + after.external)}`)
  controller.abort()
  await run
}

async function chainFuzz (calls: number): Promise<void> {
  const [cmd, ...pre] = [process.execPath, ...hitchCommand()]
  const proc = spawn(cmd, [...pre, 'chain', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] })
  let exited = false
  proc.on('exit', () => { exited = true })
  const [first] = await once(createInterface({ input: proc.stdout }), 'line') as [string]
  const { url } = JSON.parse(first)
  const post = async (body: unknown): Promise<any> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return await res.json()
  }
  let seed = 1
  const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31 }
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]
  const a = '0x' + '11'.repeat(20)
  const values: unknown[] = [null, true, 0, -1, 1e308, 2 ** 53, '0x', '0x0', '0x1', '0xffffffffffffffff', '0x' + 'f'.repeat(64), '0x' + 'f'.repeat(70),
    'latest', 'pending', 'earliest', a, '0x' + '00'.repeat(32), [], [null], {}, { to: a }, { fromBlock: '0x0', toBlock: '0xffffffffffffffff' },
    { to: a, value: '0x' + 'f'.repeat(64) }, { data: '0x5b600056' }, { to: a, gas: '0xffffffffffffffff' }, 'x'.repeat(1000), 3600]
  const methods = ['eth_chainId', 'eth_blockNumber', 'eth_gasPrice', 'eth_feeHistory', 'eth_getBalance', 'eth_getCode', 'eth_getTransactionCount',
    'eth_getStorageAt', 'eth_call', 'eth_estimateGas', 'eth_sendRawTransaction', 'eth_getTransactionReceipt', 'eth_getBlockByNumber', 'eth_getLogs',
    'hitch_info', 'hitch_fund', 'evm_increaseTime', 'evm_mine', 'hardhat_setBalance', 'hardhat_mine', 'evm_setNextBlockTimestamp', 'debug_traceCall']
  let errors = 0
  let results = 0
  const start = performance.now()
  for (let i = 0; i < calls && !exited; i++) {
    const params = Array.from({ length: Math.floor(rand() * 4) }, () => pick(values))
    const r = await post({ jsonrpc: '2.0', id: i, method: pick(methods), params })
    if (r.error != null) errors++
    else results++
  }
  const fuzzMs = performance.now() - start
  const t = performance.now()
  const loop = await post({ jsonrpc: '2.0', id: 'loop', method: 'eth_call', params: [{ data: '0x5b600056' }, 'latest'] })
  const loopMs = performance.now() - t
  const alive = !exited && (await post({ jsonrpc: '2.0', id: 'end', method: 'eth_blockNumber', params: [] })).result != null
  console.log(`hitch chain, ${calls} seeded random calls (${results} answered, ${errors} refused) in ${Math.round(fuzzMs)} ms: ${alive ? 'still answering' : 'DEAD'}`)
  console.log(`  an endless loop through eth_call held the chain ${Math.round(loopMs)} ms (${String(loop.error?.message ?? 'no error').slice(0, 40)})`)
  proc.kill('SIGINT')
  if (!exited) await once(proc, 'exit')
}

async function keystore (): Promise<void> {
  const key = (await generateKeyPair('secp256k1')).raw
  for (const [name, params] of [['standard', STANDARD_SCRYPT], ['light', LIGHT_SCRYPT]] as const) {
    let t = performance.now()
    const doc = await encryptKeystore(key, 'bench passphrase', { scrypt: params })
    const enc = performance.now() - t
    t = performance.now()
    await decryptKeystore(doc, 'bench passphrase')
    const dec = performance.now() - t
    console.log(`key file, scrypt ${name} (n=${params.n}, r=${params.r}, p=${params.p}, ${mb(128 * params.n * params.r)}): encrypt ${Math.round(enc)} ms, open ${Math.round(dec)} ms`)
  }
}

export async function run (args: string[]): Promise<void> {
  await coordinatorFlood(flag(args, '--line-mb', 300))
  await chainFuzz(flag(args, '--calls', 2000))
  await keystore()
}
