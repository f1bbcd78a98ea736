/**
 * The control protocol between `hitch sim --workers K` (the coordinator) and
 * its workers (`hitch sim worker --connect HOST:PORT`): one JSON object per
 * line over a TCP connection that the worker opens to the coordinator. The
 * peers themselves talk libp2p over TCP between the workers; this channel
 * only carries the assignment, the start signals, progress and the results.
 *
 * Both ends authenticate each other first, by the run's token, which never
 * crosses the wire (HMAC-SHA256 challenge and response, keyed by the token's
 * UTF-8 bytes, MACs and nonces as lowercase hex):
 *
 * 1. coordinator → worker `challenge { version, nonce: C }` (32 random bytes)
 * 2. worker → coordinator `hello { version, pid, hostname, nonce: W,
 *    mac: HMAC(token, "hitch-sim-worker|C|W") }`
 * 3. coordinator → worker `welcome { mac: HMAC(token, "hitch-sim-coordinator|W|C") }`,
 *    or `abort { reason }` and the connection closed.
 *
 * Until then a line is at most 4 KiB and the coordinator closes a connection
 * that has not authenticated within `DEFAULT_AUTH_TIMEOUT_MS`; MACs are
 * compared in constant time. Every message, in both directions, is checked
 * against its schema (`control-schema.ts`) before it is acted on.
 *
 * worker → coordinator: `hello`, `listening`, `connected`, `status`, `result`, `error`
 * coordinator → worker: `challenge`, `welcome`, `assign`, `connect`, `go`, `stop`, `abort`
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { ControlChannel, DEFAULT_MAX_LINE_BYTES } from './control-channel.js'
import { ControlProtocolError, WORKER_PROTOCOL_VERSION, parseCoordinatorMessage, parseWorkerMessage } from './control-schema.js'
import type { CoordinatorMessage, WorkerMessage } from './control-schema.js'
import type { Socket } from 'node:net'

export { parseHostPort } from '../node/network/index.js'
export { ControlChannel, MAX_HANDSHAKE_LINE_BYTES, DEFAULT_MAX_LINE_BYTES } from './control-channel.js'
export { ControlProtocolError, WORKER_PROTOCOL_VERSION, parseCoordinatorMessage, parseWorkerMessage } from './control-schema.js'
export type { ControlErrorCode, CoordinatorMessage, WorkerMessage } from './control-schema.js'

/** Environment variable that hands a worker the coordinator's token */
export const WORKER_TOKEN_ENV = 'HITCH_SIM_TOKEN'

/** Real ms a control connection has to authenticate before it is closed */
export const DEFAULT_AUTH_TIMEOUT_MS = 10_000

/** The coordinator's end of a control connection */
export type WorkerChannel = ControlChannel<WorkerMessage, CoordinatorMessage>
/** A worker's end of a control connection */
export type CoordinatorChannel = ControlChannel<CoordinatorMessage, WorkerMessage>

/** Longest text an `error` or `abort` message carries */
const MAX_REASON = 4096

function mac (token: string, text: string): Buffer {
  return createHmac('sha256', Buffer.from(token, 'utf8')).update(text).digest()
}

function macMatches (expected: Buffer, hex: string): boolean {
  const given = Buffer.from(hex, 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Shortens a reason to what the schema accepts */
export function reasonText (text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text
}

async function withTimeout<T> (p: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        onTimeout()
        reject(new ControlProtocolError('ERR_CONTROL_TIMEOUT', `no authentication within ${ms} ms`))
      }, ms)
    })])
  } finally {
    clearTimeout(timer)
  }
}

/** Options of the handshakes */
export interface HandshakeOptions {
  /**
   * Real ms the far end has to authenticate.
   *
   * @default DEFAULT_AUTH_TIMEOUT_MS
   */
  timeoutMs?: number
  /**
   * Largest line once authenticated, in bytes.
   *
   * @default DEFAULT_MAX_LINE_BYTES
   */
  maxLineBytes?: number
}

/** What the coordinator learned of an authenticated worker */
export interface WorkerHello { pid: number, hostname: string }

/**
 * The coordinator's side of the handshake on a fresh connection: the challenge, then the
 * worker's hello checked (its version, then its MAC in constant time) before anything else of it
 * is used. On success the channel accepts long lines; on failure the worker is told why (a
 * version mismatch, a bad token), the connection is closed and the promise rejects with a
 * `ControlProtocolError`.
 */
export async function authenticateWorker (socket: Socket, token: string, options: HandshakeOptions = {}): Promise<{ channel: WorkerChannel, hello: WorkerHello }> {
  const channel: WorkerChannel = new ControlChannel(socket, { parse: parseWorkerMessage })
  const challenge = randomBytes(32).toString('hex')
  const refuse = (err: ControlProtocolError, reason: string): never => {
    channel.send({ type: 'abort', reason: reasonText(reason) })
    channel.close()
    // a peer that does not read what it is sent cannot hold the socket open
    setTimeout(() => { socket.destroy() }, 1000).unref()
    throw err
  }
  const run = async (): Promise<{ channel: WorkerChannel, hello: WorkerHello }> => {
    channel.send({ type: 'challenge', version: WORKER_PROTOCOL_VERSION, nonce: challenge })
    let hello: WorkerMessage
    try {
      hello = await channel.next()
    } catch (err) {
      // junk, another version, a malformed hello: say why; a closed connection: nobody to tell
      if (err instanceof ControlProtocolError && err.code !== 'ERR_CONTROL_CLOSED') refuse(err, err.message)
      throw err
    }
    if (hello.type !== 'hello') return refuse(new ControlProtocolError('ERR_CONTROL_INVALID', `expected "hello", got "${hello.type}"`), 'expected hello')
    if (!macMatches(mac(token, `hitch-sim-worker|${challenge}|${hello.nonce}`), hello.mac)) {
      return refuse(new ControlProtocolError('ERR_CONTROL_AUTH', `a worker (${hello.hostname}, pid ${hello.pid}) does not know the token`), 'bad token')
    }
    channel.send({ type: 'welcome', mac: mac(token, `hitch-sim-coordinator|${hello.nonce}|${challenge}`).toString('hex') })
    channel.setMaxLineBytes(options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)
    return { channel, hello: { pid: hello.pid, hostname: hello.hostname } }
  }
  try {
    return await withTimeout(run(), options.timeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS, () => { socket.destroy() })
  } catch (err) {
    if (!socket.destroyed && !socket.writableEnded) socket.destroy()
    throw err
  }
}

/**
 * A worker's side of the handshake: answers the coordinator's challenge and checks that the
 * coordinator, too, knows the token before any assignment is read. Rejects with a
 * `ControlProtocolError`: `ERR_CONTROL_AUTH` (the coordinator does not know the token, or says
 * "bad token"), `ERR_CONTROL_VERSION`, `ERR_CONTROL_INVALID`, `ERR_CONTROL_TIMEOUT`.
 */
export async function authenticateCoordinator (socket: Socket, token: string, init: HandshakeOptions & { pid: number, hostname: string }): Promise<CoordinatorChannel> {
  const channel: CoordinatorChannel = new ControlChannel(socket, { parse: parseCoordinatorMessage })
  const run = async (): Promise<CoordinatorChannel> => {
    const challenge = await channel.next()
    if (challenge.type === 'abort') throw new ControlProtocolError('ERR_CONTROL_AUTH', `the coordinator refused this worker: ${challenge.reason}`)
    if (challenge.type !== 'challenge') throw new ControlProtocolError('ERR_CONTROL_INVALID', `expected "challenge", got "${challenge.type}"`)
    const nonce = randomBytes(32).toString('hex')
    channel.send({
      type: 'hello',
      version: WORKER_PROTOCOL_VERSION,
      pid: init.pid,
      hostname: init.hostname.slice(0, 255),
      nonce,
      mac: mac(token, `hitch-sim-worker|${challenge.nonce}|${nonce}`).toString('hex')
    })
    const welcome = await channel.next()
    if (welcome.type === 'abort') throw new ControlProtocolError('ERR_CONTROL_AUTH', `the coordinator refused this worker: ${welcome.reason}`)
    if (welcome.type !== 'welcome') throw new ControlProtocolError('ERR_CONTROL_INVALID', `expected "welcome", got "${welcome.type}"`)
    if (!macMatches(mac(token, `hitch-sim-coordinator|${nonce}|${challenge.nonce}`), welcome.mac)) {
      throw new ControlProtocolError('ERR_CONTROL_AUTH', 'the coordinator does not know the token: is this the right address?')
    }
    channel.setMaxLineBytes(init.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES)
    return channel
  }
  try {
    return await withTimeout(run(), init.timeoutMs ?? DEFAULT_AUTH_TIMEOUT_MS, () => { socket.destroy() })
  } catch (err) {
    socket.destroy()
    throw err
  }
}

