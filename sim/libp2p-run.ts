import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { logger } from '@libp2p/logger'
import { initialRecords } from './centralized.js'
import { SimulationError } from './errors.js'
import { PeerShare } from './libp2p-peers.js'
import { checkPeerKeyType } from './fleet.js'
import { mergeShares } from './merge.js'
import { WallClock } from '../node/clock/index.js'
import { DilatingClock, LagGovernor, WALL_REAL_TIME } from './dilating-clock.js'
import { SIM_EPOCH_MS, simZero } from './share.js'
import { feedAccess, RunChain } from './payments.js'
import type { ChainActivity } from '../settlement/index.js'
import { ControlProtocolError, WORKER_TOKEN_ENV, authenticateWorker, parseHostPort, reasonText } from './worker-protocol.js'
import type { RunOptions } from './centralized.js'
import type { TripRequest } from './demand.js'
import type { ShareDriver, ShareResult, ShareStatus, SimTimeBase } from './share.js'
import type { RunRecords } from './records.js'
import type { Scenario } from './scenario.js'
import type { WorkerChannel, WorkerMessage } from './worker-protocol.js'
import type { RoutedMap } from '../node/map/index.js'
import type { ChildProcess } from 'node:child_process'
import type { Server, Socket } from 'node:net'

const log = logger('hitch:sim:libp2p')

/** Options of a `libp2p`-mode run beyond the scenario: where its workers come from */
export interface Libp2pRunOptions extends RunOptions {
  /**
   * `HOST:PORT` the coordinator of a multi-process run listens on for its
   * workers' control connections. Listen on a LAN address (e.g.
   * `0.0.0.0:7500`) for workers on other hosts.
   *
   * @default '127.0.0.1:0' (an OS-chosen port on loopback)
   */
  workerListen?: string
  /**
   * Workers spawned as child processes on this host; the other
   * `scenario.workers - spawnWorkers` connect with
   * `HITCH_SIM_TOKEN=TOKEN hitch sim worker --connect HOST:PORT` (or `--token-file FILE`).
   *
   * @default scenario.workers
   */
  spawnWorkers?: number
  /**
   * Real ms a worker's control connection has to authenticate before it is closed.
   *
   * @default DEFAULT_AUTH_TIMEOUT_MS (10 s)
   */
  workerAuthTimeoutMs?: number
  /** Called once the coordinator listens, with what remote workers need to join */
  onWorkersListening?: (info: { address: string, token: string, waitingFor: number }) => void
}

/** The inputs of a `libp2p`-mode run */
export interface Libp2pRunInit {
  map: RoutedMap
  requests: readonly TripRequest[]
  scenario: Scenario
  /** Starting vertex of each driver */
  positions: readonly number[]
}

/** Real ms between two looks at the run's progress and end condition */
const TICK_MS = 1000

/** Real ms from the `go` message to simulated time 0: every worker has it in hand by then */
const GO_LEAD_MS = 500

/** Real ms from a pace message to the wall instant it applies at: every worker has it in hand by then */
const PACE_LEAD_MS = 200

/** Real ms a multi-process run waits for its workers at each step before it gives up */
export const WORKER_STEP_TIMEOUT_MS = 120_000

/**
 * The decentralized run on real libp2p nodes: every driver and rider a
 * libp2p node running the real roles, on a `WallClock` sped up by
 * `scenario.speedup`. With `scenario.workers` 1 every node runs in this
 * process (memory transport, or TCP on 127.0.0.1); with K > 1 the nodes are
 * spread over K worker processes that talk libp2p over TCP, and this
 * process coordinates them and merges their records.
 */
export async function runLibp2p (init: Libp2pRunInit, options: Libp2pRunOptions = {}): Promise<RunRecords> {
  checkPeerKeyType(init.scenario.network.keyType)
  if (init.scenario.workers > 1) return await runWorkers(init, options)
  return await runInProcess(init, options)
}

/** Whether the run is over: past its end, or past the demand with every rider done and every car idle */
function over (scenario: Scenario, simS: number, statuses: readonly ShareStatus[]): boolean {
  if (simS >= scenario.durationS + scenario.drainS) return true
  if (simS < scenario.durationS) return false
  return statuses.every(st => st.finished === st.riders && st.idle)
}

function drivers (positions: readonly number[]): ShareDriver[] {
  return positions.map((vertex, index) => ({ index, vertex }))
}

async function runInProcess (init: Libp2pRunInit, options: RunOptions): Promise<RunRecords> {
  const s = init.scenario
  const wallStart = performance.now()
  const runChain = s.payments === 'channels' ? await RunChain.embedded() : undefined
  const access = runChain != null ? await feedAccess(runChain.access(), new WallClock({ unref: true })) : undefined
  const share = new PeerShare({
    map: init.map,
    scenario: s,
    drivers: drivers(init.positions),
    requests: init.requests,
    transport: s.network.transport,
    time: { speedup: s.speedup, anchorMs: Date.now() },
    // one process holds the whole run: its clock slows down while its event loop lags
    dilate: true,
    maxLagSimMs: s.network.maxLagS * 1000,
    ...(access != null ? { chain: access } : {})
  })
  let result: ShareResult | undefined
  let failure: unknown
  let chain: ChainActivity | undefined
  try {
    await share.start()
    await share.connect(share.bootstrapAddresses())
    share.go(Date.now())
    await new Promise<void>((resolve, reject) => {
      const tick = (): void => {
        const st = share.status()
        log('sim %ds: %d nodes, %d of %d riders done (%d served), connections opened by drivers %d, by riders %d, event loop p99 %d ms, clock %sx', Math.round(st.simS), st.nodes, st.finished, st.riders, st.served, st.connections.driver, st.connections.rider, Math.round(st.loopDelayP99Ms), share.speedUpNow().toPrecision(3))
        options.onProgress?.({ run: 'decentralized', simS: Math.max(0, st.simS), totalS: s.durationS, served: st.served, cancelled: st.cancelled, requests: st.riders, speedUp: share.speedUpNow() })
        if (options.signal?.aborted === true) { reject(options.signal.reason); return }
        const failed = share.failed()
        if (failed != null) { reject(failed); return }
        if (over(s, st.simS, [st])) { resolve(); return }
        setTimeout(tick, TICK_MS)
      }
      tick()
    })
  } catch (err) {
    failure = err
  } finally {
    result = await share.stop()
    try {
      chain = await runChain?.activity()
    } finally {
      await access?.stop()
      await runChain?.stop()
    }
  }
  if (failure != null) throw failure
  const simulatedS = Math.min(result.simulatedS, s.durationS + s.drainS)
  const dilation = share.dilation()
  const clockText = dilation != null && dilation.effectiveSpeedUp < s.speedup * 0.99
    ? `clock ${s.speedup}x real time asked, ${dilation.effectiveSpeedUp.toPrecision(3)}x held (time dilation)`
    : `clock ${s.speedup}x real time`
  return mergeShares(initialRecords(init.map, init.requests), [result], {
    wallMs: performance.now() - wallStart,
    simulatedS,
    processes: 1,
    notes: [`libp2p: ${result.nodes.length} nodes over the ${s.network.transport} transport in one process, at most ${result.peakNodes} at once; ${clockText}`],
    ...(chain != null ? { chain } : {})
  })
}

/** The argv that runs this package's `hitch` command (compiled, or the sources through tsx) */
export function hitchCommand (): string[] {
  const here = dirname(fileURLToPath(import.meta.url))
  const compiled = resolve(here, '../cli/hitch.js')
  if (existsSync(compiled)) return [compiled]
  return ['--import=tsx', resolve(here, '../cli/hitch.ts')]
}

/** A worker as the coordinator sees it */
interface WorkerLink {
  index: number
  channel: WorkerChannel
  hostname: string
  pid: number
  status?: ShareStatus
  result?: ShareResult
}

async function runWorkers (init: Libp2pRunInit, options: Libp2pRunOptions): Promise<RunRecords> {
  const s = init.scenario
  const k = s.workers
  const spawnCount = Math.min(k, Math.max(0, options.spawnWorkers ?? k))
  const wallStart = performance.now()
  const notes: string[] = []
  if (s.network.transport !== 'tcp') notes.push(`libp2p: ${k} worker processes talk over TCP (the ${s.network.transport} transport does not cross processes)`)
  const token = randomBytes(16).toString('hex')
  const listen = parseHostPort(options.workerListen ?? '127.0.0.1:0')
  const children: ChildProcess[] = []
  const childErrors: string[] = []
  const links: WorkerLink[] = []
  const server = createServer()
  const abort = (reason: string): void => { for (const l of links) l.channel.send({ type: 'abort', reason: reasonText(reason) }) }
  let runChain: RunChain | undefined
  try {
    if (s.payments === 'channels') {
      // the workers' peers reach the run's chain over JSON-RPC where they reach the coordinator
      runChain = await RunChain.serve(isLoopback(listen.host) ? '127.0.0.1' : listen.host)
      if (!isLoopback(listen.host)) notes.push(`payments: the run's dev chain listens on ${runChain.served?.url} for the workers of other hosts; it mints ether for whoever asks, so keep it on a trusted network`)
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(listen.port, listen.host, () => { server.off('error', reject); resolve() })
    })
    const addr = server.address()
    if (addr == null || typeof addr === 'string') throw new SimulationError('the worker control server has no TCP address')
    const address = `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
    log('coordinator listening on %s for %d workers (%d spawned here)', address, k, spawnCount)
    options.onWorkersListening?.({ address, token, waitingFor: k - spawnCount })

    const joined = acceptWorkers(server, k, token, links, { authTimeoutMs: options.workerAuthTimeoutMs, signal: options.signal })
    for (let i = 0; i < spawnCount; i++) {
      const child = spawn(process.execPath, [...hitchCommand(), 'sim', 'worker', '--connect', `${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`], {
        env: { ...process.env, [WORKER_TOKEN_ENV]: token },
        stdio: ['ignore', 'ignore', 'pipe']
      })
      const tail: string[] = []
      child.stderr?.on('data', (b: Buffer) => { tail.push(b.toString()); if (tail.length > 20) tail.shift() })
      child.on('exit', (code, signal) => {
        if (code !== 0) childErrors.push(`worker process ${child.pid ?? '?'} exited with ${signal ?? String(code)}: ${tail.join('').trim().split('\n').slice(-3).join(' | ')}`)
      })
      children.push(child)
    }
    await withDeadline(joined, 'workers to connect', childErrors)

    // the share of each worker: drivers and riders dealt round-robin
    const time: SimTimeBase = { speedup: s.speedup, anchorMs: Date.now() }
    const g = init.map.graph
    const allDrivers = drivers(init.positions)
    for (const l of links) {
      l.channel.send({
        type: 'assign',
        worker: l.index,
        workers: k,
        scenario: s,
        map: { source: g.meta.source, vertices: g.numNodes, edges: g.numEdges },
        drivers: allDrivers.filter(d => d.index % k === l.index),
        requests: init.requests.filter(r => r.index % k === l.index),
        time,
        ...(runChain?.served != null ? { chain: { port: runChain.served.port } } : {})
      })
    }
    const bootstrap = (await withDeadline(Promise.all(links.map(async l => (await expect(l, 'listening')).bootstrap)), 'workers to start their drivers', childErrors)).flat()
    for (const l of links) l.channel.send({ type: 'connect', bootstrap })
    await withDeadline(Promise.all(links.map(async l => expect(l, 'connected'))), 'workers to connect their drivers', childErrors)
    const goAtMs = Date.now() + GO_LEAD_MS
    for (const l of links) l.channel.send({ type: 'go', goAtMs })

    // the workers' clocks slow down alike while the worst of their event loops lags: the
    // coordinator reads their lags in their statuses and paces them (and its own copy of the clock)
    const clock = new DilatingClock({ mode: 'paced', speedUp: s.speedup, startEpoch: SIM_EPOCH_MS + (WALL_REAL_TIME.now() - time.anchorMs) * s.speedup })
    clock.resetReport()
    const zero = simZero(time, goAtMs)
    const governor = new LagGovernor({ speedUp: s.speedup, maxLagSimMs: s.network.maxLagS * 1000 })
    let rate = s.speedup
    let paceFailure: SimulationError | undefined
    const paceOn = (): void => {
      if (Date.now() < goAtMs) return
      const lag = Math.max(...links.map(l => l.status?.loopDelayP99Ms ?? 0))
      const next = governor.observe(lag, performance.now())
      if (next.giveUp) {
        paceFailure = new SimulationError(`the event loop of a worker lags ${Math.round(governor.worstLagMs)} ms even with the clock slowed to ${governor.minSpeedUp.toPrecision(2)}x real time ` +
          `(asked: ${s.speedup}x): these hosts cannot run ${init.requests.length + init.positions.length} libp2p nodes in ${k} processes; use fewer nodes, or more workers`)
      }
      // a new pace when the rate moved by a tenth, or came back to the speed-up
      if (Math.abs(next.rate - rate) <= rate * 0.1 && !(next.rate === s.speedup && rate !== s.speedup)) return
      rate = next.rate
      const atMs = Math.max(goAtMs, Date.now() + PACE_LEAD_MS)
      clock.pace(atMs, rate)
      for (const l of links) l.channel.send({ type: 'pace', atMs, rate })
    }

    // statuses until the end condition holds, then the results
    const simS = (): number => (clock.now() - zero) / 1000
    const results = links.map(async l => {
      for (;;) {
        const m = await nextOf(l, 'its results')
        if (m.type === 'status') { l.status = m.status; paceOn() }
        else if (m.type === 'result') { l.result = m.result; return }
        else if (m.type === 'error') throw new SimulationError(`worker ${l.index} (${l.hostname}): ${m.message}`)
        else throw new SimulationError(`worker ${l.index} sent "${m.type}" while running`)
      }
    })
    const allResults = Promise.all(results)
    allResults.catch(() => {})
    let stopSent = false
    const stop = (): void => {
      if (stopSent) return
      stopSent = true
      for (const l of links) l.channel.send({ type: 'stop' })
    }
    await new Promise<void>((resolve, reject) => {
      void allResults.then(() => { resolve() }, reject)
      const tick = (): void => {
        if (stopSent) return
        const statuses = links.map(l => l.status).filter((st): st is ShareStatus => st != null)
        const now = Math.max(0, simS())
        options.onProgress?.({
          run: 'decentralized',
          simS: now,
          totalS: s.durationS,
          served: statuses.reduce((a, st) => a + st.served, 0),
          cancelled: statuses.reduce((a, st) => a + st.cancelled, 0),
          requests: init.requests.length,
          speedUp: rate
        })
        if (options.signal?.aborted === true) {
          abort('the coordinator was stopped')
          reject(options.signal.reason)
          return
        }
        if (paceFailure != null) {
          abort(paceFailure.message)
          reject(paceFailure)
          return
        }
        if (statuses.length === links.length && over(s, now, statuses)) { stop(); return }
        setTimeout(tick, TICK_MS)
      }
      tick()
    })
    const shares = links.map(l => l.result as ShareResult)
    const chain = await runChain?.activity()
    const hosts = new Set(links.map(l => l.hostname))
    const paced = clock.report()
    clock.stop()
    const clockText = paced.lowestSpeedUp < s.speedup
      ? `clock ${s.speedup}x real time asked, ${paced.effectiveSpeedUp.toPrecision(3)}x held (time dilation paced by the workers' worst event-loop lag, lowest ${paced.lowestSpeedUp.toPrecision(2)}x)`
      : `clock ${s.speedup}x real time`
    notes.push(`libp2p: ${shares.reduce((a, r) => a + r.nodes.length, 0)} nodes in ${k} worker processes on ${hosts.size} host(s), over TCP, at most ${shares.reduce((a, r) => a + r.peakNodes, 0)} at once; ${clockText}; CPU and peak memory are the sums over the workers`)
    return mergeShares(initialRecords(init.map, init.requests), shares, {
      wallMs: performance.now() - wallStart,
      simulatedS: Math.min(Math.max(...shares.map(r => r.simulatedS)), s.durationS + s.drainS),
      processes: k,
      notes,
      ...(chain != null ? { chain } : {})
    })
  } catch (err) {
    abort(err instanceof Error ? err.message : String(err))
    throw err
  } finally {
    for (const l of links) l.channel.close()
    server.close()
    await Promise.all(children.map(async child => exited(child)))
    await runChain?.stop()
  }
}

function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.')
}

/** Most control connections that may be authenticating at once; more are closed at once */
const MAX_PENDING_CONTROL_CONNECTIONS = 64

/**
 * Accepts control connections until `count` workers authenticated (the token, by challenge and
 * response, before anything else of theirs is read), then stops listening. A connection that
 * sends junk, a line over 4 KiB, the wrong token or nothing within `authTimeoutMs` is closed
 * without ever counting as a worker.
 */
async function acceptWorkers (server: Server, count: number, token: string, links: WorkerLink[], options: { authTimeoutMs?: number, signal?: AbortSignal }): Promise<void> {
  const { signal } = options
  await new Promise<void>((resolve, reject) => {
    let pending = 0
    const onAbort = (): void => { reject(signal?.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })
    const onConnection = (socket: Socket): void => {
      if (pending >= MAX_PENDING_CONTROL_CONNECTIONS || links.length >= count) {
        socket.destroy()
        return
      }
      pending++
      authenticateWorker(socket, token, { timeoutMs: options.authTimeoutMs }).then(({ channel, hello }) => {
        if (links.length >= count) {
          channel.send({ type: 'abort', reason: 'enough workers already' })
          channel.close()
          return
        }
        links.push({ index: links.length, channel, hostname: hello.hostname, pid: hello.pid })
        log('worker %d joined from %s (pid %d)', links.length - 1, hello.hostname, hello.pid)
        if (links.length === count) {
          server.off('connection', onConnection)
          // nobody else gets in; the workers' connections stay open
          server.close()
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
      }, (err: unknown) => {
        log('refused a control connection from %s: %s', socket.remoteAddress, (err as Error)?.message)
      }).finally(() => { pending-- })
    }
    server.on('connection', onConnection)
  })
}

/** The next message of a worker (checked by its schema); a `SimulationError` naming the worker when there is none */
async function nextOf (l: WorkerLink, awaited: string): Promise<WorkerMessage> {
  try {
    return await l.channel.next()
  } catch (err: any) {
    if (err instanceof ControlProtocolError && err.code !== 'ERR_CONTROL_CLOSED') {
      throw new SimulationError(`worker ${l.index} (${l.hostname}) broke the control protocol: ${err.message}`, { cause: err })
    }
    throw new SimulationError(`worker ${l.index} (${l.hostname}) went away before ${awaited}: ${String(err?.message ?? err)}`, { cause: err })
  }
}

/** The next message of a worker, which must be of `type` */
async function expect<T extends WorkerMessage['type']> (l: WorkerLink, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
  for (;;) {
    const m = await nextOf(l, `"${type}"`)
    if (m.type === 'error') throw new SimulationError(`worker ${l.index} (${l.hostname}): ${m.message}`)
    if (m.type === 'status') { l.status = m.status; continue }
    if (m.type !== type) throw new SimulationError(`worker ${l.index} sent "${m.type}", expected "${type}"`)
    return m as Extract<WorkerMessage, { type: T }>
  }
}

async function withDeadline<T> (p: Promise<T>, what: string, childErrors: string[]): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  let poll: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new SimulationError(`gave up waiting for ${what} after ${WORKER_STEP_TIMEOUT_MS / 1000} s${childErrors.length > 0 ? `: ${childErrors[0]}` : ''}`))
        }, WORKER_STEP_TIMEOUT_MS)
        // a spawned worker that died cannot answer any more: fail at once
        poll = setInterval(() => {
          if (childErrors.length > 0) reject(new SimulationError(childErrors[0]))
        }, TICK_MS)
      })
    ])
  } finally {
    clearTimeout(timer)
    clearInterval(poll)
  }
}

/** Resolves once the child exited; kills it if it does not within a while */
async function exited (child: ChildProcess): Promise<void> {
  if (child.exitCode != null || child.signalCode != null) return
  await new Promise<void>(resolve => {
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
    child.once('exit', () => { clearTimeout(timer); resolve() })
  })
}
