import { hostname } from 'node:os'
import { connect } from 'node:net'
import { logger } from '@libp2p/logger'
import { openRoutedMap } from '../node/map/index.js'
import { SimulationError } from './errors.js'
import { PeerShare } from './libp2p-peers.js'
import { WallClock } from '../node/clock/index.js'
import { feedAccess, rpcAccess } from './payments.js'
import type { FeedAccess } from './payments.js'
import { ControlProtocolError, authenticateCoordinator, parseHostPort, reasonText } from './worker-protocol.js'
import type { CoordinatorChannel, CoordinatorMessage } from './worker-protocol.js'
import type { RoutedMap } from '../node/map/index.js'

const log = logger('hitch:sim:worker')

/** Options of {@link runSimWorker} */
export interface SimWorkerInit {
  /** `HOST:PORT` of the coordinator (`hitch sim --workers K`) */
  connect: string
  /** The coordinator's token (it prints it for remote workers; spawned workers get it in their environment) */
  token: string
  /**
   * The address this worker's libp2p nodes listen on, which the other
   * workers dial: a LAN address when the workers run on several hosts.
   *
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * The `.osm.pbf` map on this host, when it is not at the path the
   * coordinator's scenario names. It must be the same map.
   *
   * @default the scenario's map (or the synthetic city)
   */
  map?: string
  /**
   * Real ms the coordinator has to complete the handshake.
   *
   * @default DEFAULT_AUTH_TIMEOUT_MS (10 s)
   */
  authTimeoutMs?: number
  /** Real ms between two progress reports. @default DEFAULT_WORKER_STATUS_INTERVAL_MS (250) */
  statusIntervalMs?: number
  signal?: AbortSignal
}

/** @default 250 */
export const DEFAULT_WORKER_STATUS_INTERVAL_MS = 250

/**
 * One worker process of a multi-process `libp2p` run: connects to the
 * coordinator, receives its share of the drivers and riders, runs them as
 * real libp2p nodes on TCP, reports progress, and sends its records back.
 * Resolves when the coordinator has its results.
 *
 * @throws {SimulationError} when the coordinator aborts or goes away, or the map differs
 */
export async function runSimWorker (init: SimWorkerInit): Promise<void> {
  const { host, port } = parseHostPort(init.connect)
  const socket = connect({ host, port })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', err => { reject(new SimulationError(`cannot reach the coordinator at ${init.connect}: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err })) })
  })
  const onAbort = (): void => { socket.destroy() }
  init.signal?.addEventListener('abort', onAbort, { once: true })
  let channel: CoordinatorChannel
  try {
    channel = await authenticateCoordinator(socket, init.token, { pid: process.pid, hostname: hostname(), timeoutMs: init.authTimeoutMs })
  } catch (err: any) {
    init.signal?.removeEventListener('abort', onAbort)
    throw new SimulationError(`cannot join the coordinator at ${init.connect}: ${String(err?.message ?? err)}`, { cause: err })
  }

  let share: PeerShare | undefined
  let access: FeedAccess | undefined
  let statusTimer: NodeJS.Timeout | undefined
  try {
    const next = async (): Promise<CoordinatorMessage> => {
      let m: CoordinatorMessage
      try {
        m = await channel.next()
      } catch (err: any) {
        if (err instanceof ControlProtocolError && err.code !== 'ERR_CONTROL_CLOSED') {
          throw new SimulationError(`the coordinator broke the control protocol: ${err.message}`, { cause: err })
        }
        throw new SimulationError(`the coordinator went away: ${String(err?.message ?? err)}`, { cause: err })
      }
      if (m.type === 'abort') throw new SimulationError(`the coordinator aborted the run: ${m.reason}`)
      return m
    }
    const assign = await next()
    if (assign.type !== 'assign') throw new SimulationError(`expected an assignment, got "${assign.type}"`)
    if (assign.worker >= assign.workers) throw new SimulationError(`assign.worker: ${assign.worker} is not below assign.workers (${assign.workers})`)
    const s = assign.scenario
    const mapPath = init.map ?? s.map ?? undefined
    const cityOptions: Record<string, unknown> = mapPath == null ? { ...s.city } : {}
    const map: RoutedMap = await openRoutedMap(mapPath, { ...cityOptions })
    const g = map.graph
    if (g.numNodes !== assign.map.vertices || g.numEdges !== assign.map.edges) {
      throw new SimulationError(`this worker's map (${g.numNodes} vertices, ${g.numEdges} edges) is not the coordinator's (${assign.map.vertices}, ${assign.map.edges}: ${assign.map.source})`)
    }
    checkVertices(assign, g.numNodes)
    log('worker %d of %d: %d drivers, %d riders', assign.worker, assign.workers, assign.drivers.length, assign.requests.length)
    access = assign.chain != null
      ? await feedAccess(rpcAccess(`http://${host.includes(':') ? `[${host}]` : host}:${assign.chain.port}`), new WallClock({ unref: true }))
      : undefined
    share = new PeerShare({
      map,
      scenario: s,
      drivers: assign.drivers,
      requests: assign.requests,
      transport: 'tcp',
      host: init.host ?? '127.0.0.1',
      time: assign.time,
      // every worker's clock runs at the rates the coordinator gives them all
      dilate: 'paced',
      name: `w${assign.worker}`,
      ...(access != null ? { chain: access } : {})
    })
    await share.start()
    channel.send({ type: 'listening', bootstrap: share.bootstrapAddresses() })
    const connectMsg = await next()
    if (connectMsg.type !== 'connect') throw new SimulationError(`expected "connect", got "${connectMsg.type}"`)
    await share.connect(connectMsg.bootstrap)
    channel.send({ type: 'connected' })
    const go = await next()
    if (go.type !== 'go') throw new SimulationError(`expected "go", got "${go.type}"`)
    share.go(go.goAtMs)
    const running = share
    statusTimer = setInterval(() => { channel.send({ type: 'status', status: running.status() }) }, init.statusIntervalMs ?? DEFAULT_WORKER_STATUS_INTERVAL_MS)
    let stop = await next()
    while (stop.type === 'pace') {
      running.pace(stop.atMs, stop.rate)
      stop = await next()
    }
    if (stop.type !== 'stop') throw new SimulationError(`expected "stop", got "${stop.type}"`)
    clearInterval(statusTimer)
    const result = await share.stop()
    share = undefined
    channel.send({ type: 'result', result })
    await new Promise<void>(resolve => { socket.end(resolve) })
  } catch (err: any) {
    channel.send({ type: 'error', message: reasonText(String(err?.message ?? err)) })
    throw err
  } finally {
    clearInterval(statusTimer)
    init.signal?.removeEventListener('abort', onAbort)
    await share?.stop().catch(() => {})
    await access?.stop()
    socket.end()
  }
}

/** Every vertex of an assignment must be one of the map's: the coordinator is checked, not believed */
function checkVertices (assign: Extract<CoordinatorMessage, { type: 'assign' }>, vertices: number): void {
  const check = (v: number, field: string): void => {
    if (v >= vertices) throw new SimulationError(`assign.${field}: ${v} is not a vertex of the map (${vertices} vertices)`)
  }
  assign.drivers.forEach((d, i) => { check(d.vertex, `drivers[${i}].vertex`) })
  assign.requests.forEach((r, i) => {
    check(r.pickup, `requests[${i}].pickup`)
    check(r.dropoff, `requests[${i}].dropoff`)
  })
}
