/**
 * The control protocol between `hitch sim --workers K` (the coordinator) and
 * its workers (`hitch sim worker --connect HOST:PORT`): one JSON object per
 * line over a TCP connection that the worker opens to the coordinator. The
 * peers themselves talk libp2p over TCP between the workers; this channel
 * only carries the assignment, the start signals, progress and the results.
 *
 * worker → coordinator: `hello`, `listening`, `connected`, `status`, `result`, `error`
 * coordinator → worker: `assign`, `connect`, `go`, `stop`, `abort`
 */
import { createInterface } from 'node:readline'
import type { ShareDriver, ShareResult, ShareStatus, SimTimeBase } from './libp2p-peers.js'
import type { TripRequest } from './demand.js'
import type { Scenario } from './scenario.js'
import type { Socket } from 'node:net'

/** Version of the control protocol; a worker of another version is refused */
export const WORKER_PROTOCOL_VERSION = 2

/** Environment variable that hands a spawned worker the coordinator's token */
export const WORKER_TOKEN_ENV = 'HITCH_SIM_TOKEN'

export type WorkerMessage =
  | { type: 'hello', version: number, token: string, pid: number, hostname: string }
  | { type: 'listening', bootstrap: string[] }
  | { type: 'connected' }
  | { type: 'status', status: ShareStatus }
  | { type: 'result', result: ShareResult }
  | { type: 'error', message: string }

export type CoordinatorMessage =
  | {
    type: 'assign'
    worker: number
    workers: number
    scenario: Scenario
    /** the coordinator's map, to check that the worker loaded the same one */
    map: { source: string, vertices: number, edges: number }
    drivers: ShareDriver[]
    requests: TripRequest[]
    time: SimTimeBase
    /**
     * The coordinator's dev chain (JSON-RPC) the peers' channels settle on, when rides are paid;
     * its port on the host the worker connected to the coordinator at
     */
    chain?: { port: number }
  }
  | { type: 'connect', bootstrap: string[] }
  | { type: 'go', goAtMs: number }
  | { type: 'stop' }
  | { type: 'abort', reason: string }

/** One end of a control connection: send objects, receive them in order */
export class ControlChannel<In, Out> {
  readonly socket: Socket
  private readonly queue: In[] = []
  private waiting: Array<{ resolve: (m: In) => void, reject: (e: Error) => void }> = []
  private closed: Error | undefined

  constructor (socket: Socket) {
    this.socket = socket
    socket.setNoDelay(true)
    const lines = createInterface({ input: socket, crlfDelay: Infinity })
    lines.on('line', line => {
      if (line.trim() === '') return
      let msg: In
      try {
        msg = JSON.parse(line) as In
      } catch {
        this.fail(new Error('the control connection sent a line that is not JSON'))
        socket.destroy()
        return
      }
      const w = this.waiting.shift()
      if (w != null) w.resolve(msg)
      else this.queue.push(msg)
    })
    socket.on('error', err => { this.fail(err) })
    socket.on('close', () => { this.fail(new Error('the control connection closed')) })
  }

  send (msg: Out): void {
    if (this.closed != null || this.socket.destroyed) return
    this.socket.write(JSON.stringify(msg, (_k, v) => typeof v === 'number' && !Number.isFinite(v) ? null : v) + '\n')
  }

  /** The next message (in order), or a rejection once the connection is gone */
  async next (): Promise<In> {
    const m = this.queue.shift()
    if (m != null) return m
    if (this.closed != null) throw this.closed
    return new Promise((resolve, reject) => { this.waiting.push({ resolve, reject }) })
  }

  /** Why the connection ended, once it has */
  get error (): Error | undefined {
    return this.closed
  }

  close (): void {
    this.socket.end()
  }

  private fail (err: Error): void {
    if (this.closed != null) return
    this.closed = err
    const waiting = this.waiting
    this.waiting = []
    for (const w of waiting) w.reject(err)
  }
}

/** Parses `HOST:PORT` (IPv6 in brackets); throws a RangeError naming the text */
export function parseHostPort (text: string): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim())
  const port = m == null ? NaN : Number(m[3])
  if (m == null || !(port >= 0 && port <= 65535)) throw new RangeError(`expected HOST:PORT, got "${text}"`)
  return { host: m[1] ?? m[2], port }
}
