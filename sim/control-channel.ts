/**
 * One end of a control connection: newline-delimited JSON over TCP, read on demand, every line
 * bounded and every message checked by a schema before it is handed out.
 *
 * Reading is pulled: `next()` takes one line from what arrived; the socket is paused while more
 * than one line's bound is buffered and unread, so a peer that sends faster than the reader reads
 * is held back by TCP instead of growing a queue. A line longer than the bound fails the
 * connection as soon as the bound is passed, without waiting for its newline.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { logger } from '@libp2p/logger'
import { ControlProtocolError } from './control-schema.js'
import type { Socket } from 'node:net'

const log = logger('hitch:sim:control')

/** Largest line while authenticating (the challenge, the hello, the welcome), in bytes */
export const MAX_HANDSHAKE_LINE_BYTES = 4096

/** Largest line once authenticated (an assignment, a share's results), in bytes */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024

/** Options of a {@link ControlChannel} */
export interface ControlChannelInit<In> {
  /** Checks one parsed line and returns it typed; throws a `ControlProtocolError` */
  parse: (value: unknown) => In
  /**
   * Largest line accepted, in bytes (the newline excluded).
   *
   * @default MAX_HANDSHAKE_LINE_BYTES: raise it with `setMaxLineBytes` once the peer authenticated
   */
  maxLineBytes?: number
}

const NEWLINE = 0x0a

/** One end of a control connection: send objects, receive checked ones in order */
export class ControlChannel<In, Out> {
  readonly socket: Socket
  private readonly parse: (value: unknown) => In
  private maxLineBytes: number
  private chunks: Buffer[] = []
  private buffered = 0
  /** offset of the first newline in the buffer, or -1 */
  private lineEnd = -1
  private waiting: { resolve: (m: In) => void, reject: (e: Error) => void } | undefined
  private closed: Error | undefined
  /** after a protocol violation: nothing more is read */
  private discarding = false

  constructor (socket: Socket, init: ControlChannelInit<In>) {
    this.socket = socket
    this.parse = init.parse
    this.maxLineBytes = init.maxLineBytes ?? MAX_HANDSHAKE_LINE_BYTES
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => { this.onData(chunk) })
    socket.on('error', err => { this.fail(new ControlProtocolError('ERR_CONTROL_CLOSED', `the control connection failed: ${err.message}`, { cause: err })) })
    socket.on('close', () => { this.fail(new ControlProtocolError('ERR_CONTROL_CLOSED', 'the control connection closed')) })
  }

  /** Raises (or lowers) the line bound, e.g. once the peer authenticated */
  setMaxLineBytes (bytes: number): void {
    this.maxLineBytes = bytes
    this.check()
  }

  send (msg: Out): void {
    if (this.socket.destroyed || this.socket.writableEnded) return
    this.socket.write(JSON.stringify(msg, (_k, v) => typeof v === 'number' && !Number.isFinite(v) ? null : v) + '\n')
  }

  /**
   * The next message (in order), or a rejection once the connection is gone or broke the
   * protocol (a `ControlProtocolError`). One reader at a time.
   */
  async next (): Promise<In> {
    if (this.waiting != null) throw new InvalidParametersError('ControlChannel.next() is already waiting')
    // lines that arrived before the connection ended are still read, in order
    for (;;) {
      const line = this.takeLine()
      if (line == null) break
      if (line.length === 0 || /^\s*$/.test(line)) continue
      return this.decode(line)
    }
    if (this.closed != null) throw this.closed
    return await new Promise<In>((resolve, reject) => { this.waiting = { resolve, reject } })
  }

  /** Why the connection ended, once it has */
  get error (): Error | undefined {
    return this.closed
  }

  /** Ends the connection after what was sent */
  close (): void {
    this.socket.end()
  }

  /** Fails the connection with `err` and destroys the socket */
  destroy (err: Error): void {
    this.fail(err, true)
    this.socket.destroy()
  }

  /**
   * Fails the connection with `err` after a protocol violation: what arrives from now on is
   * dropped unread, and the socket stays open for the owner to say why (`send`) and `close`.
   */
  private violated (err: ControlProtocolError): ControlProtocolError {
    this.fail(err, true)
    return err
  }

  private decode (line: string): In {
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (err) {
      throw this.violated(new ControlProtocolError('ERR_CONTROL_NOT_JSON', 'the control connection sent a line that is not JSON', { cause: err }))
    }
    try {
      return this.parse(value)
    } catch (err) {
      throw this.violated(err instanceof ControlProtocolError ? err : new ControlProtocolError('ERR_CONTROL_INVALID', String((err as Error)?.message ?? err), { cause: err }))
    }
  }

  private onData (chunk: Buffer): void {
    if (this.socket.destroyed || this.discarding) return
    if (this.lineEnd < 0) {
      const i = chunk.indexOf(NEWLINE)
      if (i >= 0) this.lineEnd = this.buffered + i
    }
    this.chunks.push(chunk)
    this.buffered += chunk.length
    if (!this.check()) return
    const w = this.waiting
    if (w == null) return
    for (;;) {
      const line = this.takeLine()
      if (line == null) return
      if (line.length === 0 || /^\s*$/.test(line)) continue
      this.waiting = undefined
      let msg: In
      try {
        msg = this.decode(line)
      } catch (err) {
        w.reject(err as Error)
        return
      }
      w.resolve(msg)
      return
    }
  }

  /** Enforces the line bound and the read-ahead; false when it failed the connection */
  private check (): boolean {
    const firstLine = this.lineEnd >= 0 ? this.lineEnd : this.buffered
    if (firstLine > this.maxLineBytes) {
      log('closing a control connection: a line of more than %d bytes', this.maxLineBytes)
      this.destroy(new ControlProtocolError('ERR_CONTROL_LINE_TOO_LONG', `the control connection sent a line longer than ${this.maxLineBytes} bytes`))
      return false
    }
    // unread complete lines beyond the bound: let TCP hold the peer back until they are read
    if (this.buffered > this.maxLineBytes) this.socket.pause()
    else if (this.socket.isPaused()) this.socket.resume()
    return true
  }

  /** The first complete line (without its newline), or undefined */
  private takeLine (): string | undefined {
    if (this.lineEnd < 0) return undefined
    let need = this.lineEnd + 1
    const parts: Buffer[] = []
    while (need > 0) {
      const c = this.chunks[0]
      if (c.length <= need) {
        parts.push(c)
        this.chunks.shift()
        need -= c.length
      } else {
        parts.push(c.subarray(0, need))
        this.chunks[0] = c.subarray(need)
        need = 0
      }
    }
    this.buffered -= this.lineEnd + 1
    const line = Buffer.concat(parts)
    this.lineEnd = -1
    let offset = 0
    for (const c of this.chunks) {
      const i = c.indexOf(NEWLINE)
      if (i >= 0) { this.lineEnd = offset + i; break }
      offset += c.length
    }
    this.check()
    return line.subarray(0, line.length - 1).toString('utf8')
  }

  /** Ends the connection with `err`; `discard` drops what arrived unread (after a protocol violation) */
  private fail (err: Error, discard = false): void {
    if (discard) {
      this.discarding = true
      this.chunks = []
      this.buffered = 0
      this.lineEnd = -1
    }
    if (this.closed != null) return
    this.closed = err
    const w = this.waiting
    this.waiting = undefined
    w?.reject(err)
  }
}
