/**
 * Channel throughput: co-signed updates per second between two nodes over a real libp2p TCP
 * connection on 127.0.0.1 (LevelDB stores, fsync before every signature leaves a node), one at
 * a time and pipelined, beside the raw in-process rate of the crypto of one update on one side
 * (hash one EIP-712 state, sign it, check the signature against the signer's known key, as the
 * channel manager checks its counterparty's), and the adjudicator's gas table.
 * `npm run bench -- channel [--updates N] [--window N] [--json]`.
 *
 * The driver runs in a child process (`channel-driver.ts`), like a real peer: each co-signed
 * update costs each process one sign and one check, the work of one "raw" step, so on two
 * cores the pipelined rate can approach the raw rate. For comparison the same run measures
 * both nodes in this one process, where an update costs the process two raw steps (a ceiling
 * of 0.5 × raw by construction). `riderBusy`/`driverBusy` are the share of the pipelined run's
 * wall time each process spent on the CPU (1 = a whole core); `loadAvg1m` is the host's load
 * when the run ended, since other jobs on the machine take cores from the two processes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { BENCH_INBOUND_LIMITS } from './channel-limits.js'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import { chainAt, createHitchPeer, loopbackNode } from '../node/index.js'
import type { ChannelManager } from '../node/channel/index.js'
import { startDevChain } from '../settlement/index.js'
import { ChannelSignatureVerifier, channelSigningKey, channelStateDigest, channelStateTypedData, signChannelStateDigest, ZERO_HASH, type ChannelDomain, type ChannelState } from '../protocol/channel/index.js'
import { reportGas } from './channel-gas.js'
import { recoverTypedDataAddress, type Address } from 'viem'

/**
 * Proposals the rider keeps in flight (`maxInFlight`, `--window`): enough to cover the fsyncs
 * of both stores on the way (three per update) on a busy disk, where 32 left both processes
 * idle half the time.
 * @default 128
 */
export const DEFAULT_BENCH_WINDOW = 128

function flag (args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] != null ? Number(args[i + 1]) : fallback
}

/**
 * The raw step, in-process, per second: what each side does per update, and nothing else. One
 * state hashed (EIP-712), signed, and its signature checked against the signer's known key
 * (`ChannelSignatureVerifier`, as the channel manager checks its counterparty's), with a fresh
 * state each time.
 */
function rawRate (n: number, domain: ChannelDomain): number {
  const key = generatePrivateKey()
  const secretKey = channelSigningKey(key)
  const verifier = new ChannelSignatureVerifier(privateKeyToAccount(key).address)
  const step = (i: number): void => {
    const state: ChannelState = { channelId: `0x${'11'.repeat(32)}`, nonce: BigInt(i + 1), balanceRider: 10n ** 18n - BigInt(i), balanceDriver: BigInt(i), tripRecordHash: ZERO_HASH }
    const digest = channelStateDigest(state, domain)
    if (!verifier.verify(digest, signChannelStateDigest(secretKey, digest))) throw new Error('verify mismatch')
  }
  step(0) // learns the key and builds its table, as the first update of a channel does
  const started = performance.now()
  for (let i = 1; i <= n; i++) step(i)
  return n / ((performance.now() - started) / 1000)
}

/** The former raw step for reference: viem's `signTypedData` + `recoverTypedDataAddress`. */
async function viemRate (n: number, domain: ChannelDomain): Promise<number> {
  const account = privateKeyToAccount(generatePrivateKey())
  const started = performance.now()
  for (let i = 0; i < n; i++) {
    const state: ChannelState = { channelId: `0x${'11'.repeat(32)}`, nonce: BigInt(i + 1), balanceRider: 10n ** 18n - BigInt(i), balanceDriver: BigInt(i), tripRecordHash: ZERO_HASH }
    const typed = channelStateTypedData(state, domain)
    const sig = await account.signTypedData(typed)
    if (await recoverTypedDataAddress({ ...typed, signature: sig }) !== account.address) throw new Error('recover mismatch')
  }
  return n / ((performance.now() - started) / 1000)
}

/** One node: identity, LevelDB store, libp2p over TCP, chain client and channel manager. */
async function startNode (dir: string, url: string, role: 'rider' | 'driver', window: number): Promise<{ peerId: string, address: Address, addrs: string[], manager: ChannelManager, dial: (addr: string) => Promise<void>, stop: () => Promise<void> }> {
  const peer = await createHitchPeer({
    dataDir: dir,
    ...loopbackNode(),
    chain: chainAt(url),
    channels: { role, maxInFlight: window, ...(role === 'driver' ? { inbound: BENCH_INBOUND_LIMITS } : {}) }
  })
  await peer.start()
  const { node } = peer
  return {
    peerId: node.peerId,
    address: node.ethAddress,
    addrs: node.addresses(),
    manager: peer.channels!,
    dial: async addr => { await node.network.dial(addr) },
    stop: async () => { await peer.stop() }
  }
}

/** The driver in a child process (see channel-driver.ts). */
interface ChildDriver {
  peerId: string
  address: Address
  addrs: string[]
  ask: (line: string) => Promise<any>
  stop: () => Promise<void>
}

async function spawnDriver (dir: string, url: string): Promise<ChildDriver> {
  const here = dirname(fileURLToPath(import.meta.url))
  const compiled = join(here, 'channel-driver.js')
  const script = existsSync(compiled) ? compiled : join(here, 'channel-driver.ts')
  const args = script.endsWith('.ts') ? ['--import', 'tsx', script] : [script]
  const root = resolve(here, here.includes(`${'/'}dist${'/'}`) ? '../..' : '..')
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env: { ...process.env, HITCH_BENCH_DIR: dir, HITCH_BENCH_CHAIN: url }, stdio: ['pipe', 'pipe', 'inherit'] })
  const waiting: Array<(msg: any) => void> = []
  createInterface({ input: child.stdout! }).on('line', line => {
    let msg: any
    try { msg = JSON.parse(line) } catch { return }
    waiting.shift()?.(msg)
  })
  const exited = new Promise<void>(resolve => child.once('exit', () => { resolve() }))
  const next = async (): Promise<any> => await Promise.race([
    new Promise(resolve => { waiting.push(resolve) }),
    exited.then(() => { throw new Error('the driver process exited') })
  ])
  const ready = await next()
  return {
    peerId: ready.peerId,
    address: ready.address,
    addrs: ready.addrs,
    ask: async line => { const answer = next(); child.stdin!.write(line + '\n'); return await answer },
    stop: async () => {
      if (child.exitCode != null) return
      child.stdin!.write('stop\n')
      await exited
    }
  }
}

/** The driver's CPU time used and its store's group-commit counters so far. */
interface DriverProbe { cpuMs: number, saves: number, batches: number }

/** Sequential and pipelined co-signed updates from `rider` over `channelId`. */
async function drive (rider: ChannelManager, driverPeerId: string, driverAddress: Address, updates: number, driverProbe: () => Promise<DriverProbe>): Promise<{ sequential: number, pipelined: number, riderCpuMs: number, driverCpuMs: number, driverStatesPerFsync: number }> {
  const ch = await rider.ensureChannel(driverPeerId, driverAddress, 10n ** 18n)
  let total = 0n
  const pay = async (): Promise<void> => { total += 1n; await rider.pay(ch.channelId, total) }
  for (let i = 0; i < 20; i++) await pay() // warm up

  let t = performance.now()
  const sequentialN = Math.max(50, Math.floor(updates / 4))
  for (let i = 0; i < sequentialN; i++) await pay()
  const sequential = sequentialN / ((performance.now() - t) / 1000)

  const driverBefore = await driverProbe()
  const cpu = process.cpuUsage()
  t = performance.now()
  const inFlight: Array<Promise<unknown>> = []
  for (let i = 0; i < updates; i++) {
    total += 1n
    inFlight.push(rider.pay(ch.channelId, total))
  }
  await Promise.all(inFlight)
  const pipelined = updates / ((performance.now() - t) / 1000)
  const used = process.cpuUsage(cpu)
  const driverAfter = await driverProbe()
  return {
    sequential,
    pipelined,
    riderCpuMs: (used.user + used.system) / 1000,
    driverCpuMs: driverAfter.cpuMs - driverBefore.cpuMs,
    driverStatesPerFsync: (driverAfter.saves - driverBefore.saves) / Math.max(1, driverAfter.batches - driverBefore.batches)
  }
}

/** Runs the benchmark and returns its figures. */
export async function measure (updates: number, window = DEFAULT_BENCH_WINDOW): Promise<Record<string, number | string | Record<string, number>>> {
  const dev = await startDevChain({ port: 0, host: '127.0.0.1', challengePeriodS: 60 })
  const dirs: string[] = []
  const tempDir = async (name: string): Promise<string> => { const d = await mkdtemp(join(tmpdir(), `hitch-bench-${name}-`)); dirs.push(d); return d }
  const stops: Array<() => Promise<void>> = []
  try {
    // the raw rate just before and just after the two-process run, as other jobs on the host
    // change what a process gets from one minute to the next
    const domain: ChannelDomain = { chainId: dev.chainId, verifyingContract: dev.adjudicator }
    const rawN = Math.max(200, updates / 2)
    const rawBefore = rawRate(rawN, domain)
    // two processes: this one rides, a child drives
    const rider = await startNode(await tempDir('r'), dev.url, 'rider', window)
    stops.push(rider.stop)
    const child = await spawnDriver(await tempDir('d'), dev.url)
    stops.push(child.stop)
    await rider.dial(child.addrs[0])
    const two = await drive(rider.manager, child.peerId, child.address, updates, async () => {
      const { cpuMs, stats } = await child.ask('stats')
      return { cpuMs, saves: stats.saves, batches: stats.batches }
    })

    const rawAfter = rawRate(rawN, domain)

    // one process: both nodes here, as the bench used to run
    const rider1 = await startNode(await tempDir('r1'), dev.url, 'rider', window)
    stops.push(rider1.stop)
    const driver1 = await startNode(await tempDir('d1'), dev.url, 'driver', window)
    stops.push(driver1.stop)
    await rider1.dial(driver1.addrs[0])
    const one = await drive(rider1.manager, driver1.peerId, driver1.address, updates, async () => ({ cpuMs: 0, ...driver1.manager.storeStats }))

    const raw = (rawBefore + rawAfter) / 2
    const viem = await viemRate(200, domain)
    const gas = await reportGas()
    const round2 = (x: number): number => Math.round(x * 100) / 100
    return {
      rawSignVerifyPerS: Math.round(raw),
      rawBeforeAfterPerS: `${Math.round(rawBefore)}/${Math.round(rawAfter)}`,
      viemSignRecoverPerS: Math.round(viem),
      sequentialUpdatesPerS: Math.round(two.sequential),
      pipelinedUpdatesPerS: Math.round(two.pipelined),
      pipelinedOverRaw: round2(two.pipelined / raw),
      riderCpuPerUpdateMs: round2(two.riderCpuMs / updates),
      driverCpuPerUpdateMs: round2(two.driverCpuMs / updates),
      riderBusy: round2(two.riderCpuMs / updates * two.pipelined / 1000),
      driverBusy: round2(two.driverCpuMs / updates * two.pipelined / 1000),
      driverStatesPerFsync: Math.round(two.driverStatesPerFsync * 10) / 10,
      oneProcessSequentialUpdatesPerS: Math.round(one.sequential),
      oneProcessPipelinedUpdatesPerS: Math.round(one.pipelined),
      oneProcessPipelinedOverRaw: round2(one.pipelined / raw),
      window,
      loadAvg1m: round2(loadavg()[0]),
      gas
    }
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    await dev.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  }
}

/** Prints the figures (`--json` for one JSON line). */
export async function run (args: string[]): Promise<void> {
  const figures = await measure(flag(args, '--updates', 1000), flag(args, '--window', DEFAULT_BENCH_WINDOW))
  if (args.includes('--json')) {
    console.log(JSON.stringify(figures))
    return
  }
  const { gas, ...rates } = figures as { gas: Record<string, number> } & Record<string, number>
  for (const [k, v] of Object.entries(rates)) console.log(`${k.padEnd(24)} ${v}`)
  console.log('target: pipelined (two processes) >= 0.5 x raw')
  console.log('\noperation gas')
  for (const [k, v] of Object.entries(gas)) console.log(`${k.padEnd(28)} ${v.toLocaleString('en-US')}`)
}

if (process.argv[1] != null && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run(process.argv.slice(2))
}
