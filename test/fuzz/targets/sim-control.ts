/**
 * The `hitch sim` control protocol (`sim/worker-protocol.ts`): one JSON object per line over
 * TCP. Two targets:
 * - `sim-control`: a real coordinator (`hitch sim --workers 2 --spawn-workers 0`, its own
 *   process) waiting for workers; the fuzzer connects as a would-be worker without the token.
 *   Oracle: the process survives; a connection whose first line is not a hello with the token is
 *   closed; a line longer than 16 MiB is not buffered (the connection is closed first).
 * - `sim-control-parser`: the line parser itself (`ControlChannel`) over a real socket pair.
 *   Oracle: nothing escapes it; whatever it delivers is a worker message of the protocol (the
 *   schema below, from the `WorkerMessage` type); a line longer than 16 MiB fails the channel.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ControlChannel, parseWorkerMessage } from '../../../sim/worker-protocol.js'
import { ChildServer } from '../harness/child.js'
import { hitchBin } from '../harness/paths.js'
import { Finding, refused, type FuzzTarget, type TargetRun } from '../harness/target.js'
import type { Prng } from '../harness/prng.js'

/** A chunk written on a connection: text, or one character repeated (a long line, kept small here). */
export interface Chunk { text?: string, fill?: [string, number] }
/** One input: what one would-be worker writes, and whether it then ends its side. */
export interface LinesInput { chunks: Chunk[], end: boolean }

/** A coordinator is replaced after this long, well before it gives up waiting for its workers. */
const RESTART_AFTER_MS = 90_000

/** Lines longer than this must be refused (the protocol's largest message, an assignment, is far smaller). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024

const chunkBytes = (c: Chunk): number => c.text != null ? Buffer.byteLength(c.text) : c.fill![1] * Buffer.byteLength(c.fill![0])
const chunkText = (c: Chunk): string => c.text ?? c.fill![0].repeat(c.fill![1])

function hello (rng: Prng): Record<string, unknown> {
  return { type: 'hello', version: rng.pick([2, 2, 1, 3, '2', null]), token: rng.pick(['0'.repeat(32), '', 'x', null, 1, { length: 32 }, ['a']]), pid: rng.pick([1, -1, 'x', null]), hostname: rng.pick(['h', '', null, 'x'.repeat(300)]) }
}

/** One line (without its end): a message of the protocol or not, as JSON text. */
function message (rng: Prng): string {
  const m = messageValue(rng)
  return typeof m === 'string' && m.startsWith('[[') ? m : JSON.stringify(m)
}

function messageValue (rng: Prng): unknown {
  switch (rng.int(10)) {
    case 0: return hello(rng)
    case 1: return { type: 'listening', bootstrap: rng.pick<unknown>([[], ['/ip4/127.0.0.1/tcp/1'], 'x', null, [1]]) }
    case 2: return { type: 'connected' }
    case 3: return { type: 'status', status: rng.pick<unknown>([{ simS: 1, riders: 1, finished: 0, served: 0, cancelled: 0, idle: false, nodes: 1, connections: { driver: 0, rider: 0 } }, null, 'x', {}]) }
    case 4: return { type: 'result', result: rng.pick<unknown>([null, {}, { riders: 'x' }, []]) }
    case 5: return { type: 'error', message: rng.pick<unknown>(['boom', null, 1, { toString: 1 }]) }
    case 6: return rng.pick<unknown>([null, 1, 'hello', true, [], [null], {}])
    case 7: return { type: rng.pick<unknown>(['assign', 'go', 'stop', 'abort', '__proto__', 'constructor', 'toString', 1, null, ['hello']]) }
    case 8: return JSON.parse('{"__proto__":{"type":"hello"},"constructor":{"prototype":{"x":1}}}')
    default: { const d = rng.pick([10, 1000, 100_000]); return '['.repeat(d) + ']'.repeat(d) }
  }
}

/** A would-be worker's writes: lines of (mostly) JSON, odd line ends, partial lines, now and then a long line. */
function linesInput (rng: Prng): LinesInput {
  const chunks: Chunk[] = []
  if (rng.chance(0.004)) {
    chunks.push({ fill: ['a', MAX_LINE_BYTES + 1024 * 1024] })
    return { chunks, end: false }
  }
  for (let n = rng.weighted<number>([[6, 1], [2, 2], [1, 4]]); n > 0; n--) {
    let line = rng.chance(0.9) ? message(rng) : rng.pick(['', ' ', '{', 'nul', '\u0000', '{"type":"hello"', '\ufeff{"type":"connected"}', '"\\ud800"'])
    if (rng.chance(0.1) && line.length > 2) line = line.slice(0, rng.int(line.length))
    chunks.push({ text: line + rng.weighted<string>([[10, '\n'], [2, '\r\n'], [1, '\r'], [1, '']]) })
  }
  return { chunks, end: rng.chance(0.3) }
}

const serialize = (i: LinesInput): Uint8Array => new TextEncoder().encode(JSON.stringify(i))
const deserialize = (b: Uint8Array): LinesInput => JSON.parse(new TextDecoder().decode(b)) as LinesInput

/** Writes the chunks; resolves with whether the other side closed, waiting up to `waitMs` after the last write. */
async function writeAll (socket: Socket, input: LinesInput, waitMs: number, signal: AbortSignal): Promise<{ closed: boolean, written: number }> {
  let closed = false
  let written = 0
  const onClose = new Promise<void>(resolve => { socket.once('close', () => { closed = true; resolve() }) })
  socket.on('error', () => {})
  // read (and drop) what the other side says, or its end never comes through
  socket.resume()
  for (const c of input.chunks) {
    if (closed || signal.aborted) break
    // long lines go in 1 MiB pieces, so a peer that closes early stops them
    const text = chunkText(c)
    for (let at = 0; at < text.length && !closed; at += 1 << 20) {
      const ok = socket.write(text.slice(at, at + (1 << 20)))
      written += Math.min(1 << 20, text.length - at)
      if (!ok) await Promise.race([new Promise(resolve => socket.once('drain', resolve)), onClose])
    }
  }
  if (input.end && !closed) socket.end()
  await Promise.race([onClose, new Promise(resolve => setTimeout(resolve, waitMs))])
  return { closed, written }
}

/** Whether an input holds a complete line that is not blank (the coordinator must answer it at once). */
function hasLine (input: LinesInput): boolean {
  const text = input.chunks.filter(c => c.text != null).map(chunkText).join('')
  // the protocol's lines end at '\n' only: a lone '\r' leaves the line open (the pre-hello deadline ends it)
  return text.split('\n').slice(0, -1).some(l => l.trim() !== '') || (input.end && text.trim() !== '')
}

export const simControlTarget: FuzzTarget<LinesInput> = {
  name: 'sim-control',
  description: 'the hitch sim coordinator (its own process) before authentication: survives every line, closes a connection whose first line is not a hello with the token, refuses lines over 16 MiB',
  cheap: false,
  textual: true,
  timeoutMs: 10_000,
  async setup (): Promise<TargetRun<LinesInput>> {
    const out = mkdtempSync(join(tmpdir(), 'hitch-fuzz-sim-'))
    let server: { child: ChildServer, host: string, port: number, since: number } | undefined
    let last: LinesInput | undefined
    const start = async (): Promise<{ child: ChildServer, host: string, port: number, since: number }> => {
      const { child, value } = await ChildServer.start(
        [hitchBin(), 'sim', '--network', 'libp2p', '--workers', '2', '--spawn-workers', '0', '--drivers', '2', '--riders', '2', '--duration', '1m', '--no-progress', '--out', out],
        line => /--connect (\S+):(\d+)/.exec(line) ?? undefined
      )
      return { child, host: value[1], port: Number(value[2]), since: Date.now() }
    }
    const died = (input: LinesInput, s: { child: ChildServer }, own: boolean): Finding => {
      if (!own && last != null) Object.assign(input, structuredClone(last))
      return new Finding('crash', 'sim coordinator died', s.child.describeExit())
    }
    return {
      seeds: [{ chunks: [{ text: '{"type":"hello","version":3,"token":"bad","pid":1,"hostname":"h"}\n' }], end: false }],
      generate: rng => linesInput(rng),
      execute: async (input, signal) => {
        if (server != null && !server.child.alive) { const s = server; server = undefined; throw died(input, s, false) }
        // the coordinator gives up on its workers after WORKER_STEP_TIMEOUT_MS (120 s): start a fresh one before that
        if (server != null && Date.now() - server.since > RESTART_AFTER_MS) { await server.child.kill(); server = undefined }
        if (server == null) server = await start()
        const s = server
        last = structuredClone(input)
        const socket = createConnection({ host: s.host, port: s.port })
        await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject) })
        const long = input.chunks.some(c => chunkBytes(c) > MAX_LINE_BYTES)
        const { closed } = await writeAll(socket, input, hasLine(input) ? 2_000 : 100, signal)
        socket.destroy()
        if (await s.child.exitedWithin(closed ? 100 : 20)) { server = undefined; throw died(input, s, true) }
        if (long && !closed) throw refused('sim coordinator buffers a line longer than 16 MiB', 'the connection stayed open while a line grew past 16 MiB')
        if (hasLine(input) && !closed) throw refused('sim coordinator keeps an unauthenticated connection open', 'a complete line that is not a hello with the token left the connection open')
        return closed ? 'closed' : 'open'
      },
      serialize,
      deserialize,
      recover: async () => { await server?.child.kill(); server = undefined },
      close: async () => {
        await server?.child.kill()
        rmSync(out, { recursive: true, force: true })
      }
    }
  }
}

function preview (m: unknown): string {
  try {
    return String(JSON.stringify(m)).slice(0, 200)
  } catch {
    return `a value JSON.stringify cannot print (${Array.isArray(m) ? 'a deeply nested array' : typeof m})`
  }
}

/** Whether a value is a worker message as `WorkerMessage` describes it. */
export function isWorkerMessage (m: unknown): boolean {
  if (m == null || typeof m !== 'object' || Array.isArray(m)) return false
  const o = m as Record<string, any>
  const num = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v)
  switch (o.type) {
    case 'hello': return num(o.version) && typeof o.token === 'string' && num(o.pid) && typeof o.hostname === 'string'
    case 'listening': return Array.isArray(o.bootstrap) && o.bootstrap.every((a: unknown) => typeof a === 'string')
    case 'connected': return true
    case 'status': return o.status != null && typeof o.status === 'object' && ['simS', 'riders', 'finished', 'served', 'cancelled', 'nodes'].every(k => num(o.status[k])) && typeof o.status.idle === 'boolean'
    case 'result': return o.result != null && typeof o.result === 'object' && ['riders', 'trips', 'vehicles', 'nodes'].every(k => Array.isArray(o.result[k])) && num(o.result.simulatedS)
    case 'error': return typeof o.message === 'string'
    default: return false
  }
}

export const simControlParserTarget: FuzzTarget<LinesInput> = {
  name: 'sim-control-parser',
  description: 'ControlChannel (the control protocol\'s line parser) over a socket pair: nothing escapes it, it delivers only worker messages of the protocol, a line over 16 MiB fails it',
  cheap: false,
  textual: true,
  timeoutMs: 3_000,
  async setup (): Promise<TargetRun<LinesInput>> {
    const server: Server = createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const accepted: Socket[] = []
    const waiting: Array<(s: Socket) => void> = []
    server.on('connection', s => { const w = waiting.shift(); if (w != null) w(s); else accepted.push(s) })
    let sentinel = 0
    return {
      seeds: [{ chunks: [{ text: '{"type":"connected"}\n{"type":"error","message":"x"}\n' }], end: false }],
      generate: rng => linesInput(rng),
      execute: async (input, signal) => {
        const client = createConnection({ host: '127.0.0.1', port })
        client.on('error', () => {})
        const inbound = accepted.shift() ?? await new Promise<Socket>(resolve => waiting.push(resolve))
        // as a coordinator reads an authenticated worker, with the line bound this target holds it to
        const channel = new ControlChannel<unknown, unknown>(inbound, { parse: parseWorkerMessage, maxLineBytes: MAX_LINE_BYTES })
        try {
          const mark = `__sentinel_${++sentinel}`
          if (input.chunks.some(c => chunkBytes(c) > MAX_LINE_BYTES)) {
            // no sentinel: its newline would end the long line
            await writeAll(client, input, 200, signal)
            if (channel.error == null) throw refused('control channel buffers a line longer than 16 MiB', 'the channel is still open after a line grew past 16 MiB')
            return 'long-line-refused'
          }
          await writeAll(client, { chunks: [...input.chunks, { text: '\n' + JSON.stringify({ type: 'error', message: mark }) + '\n' }], end: false }, 0, signal)
          let delivered = 0
          for (;;) {
            let m: unknown
            try {
              m = await Promise.race([channel.next(), new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new Finding('hang', 'control channel: no message and no failure', 'neither the sentinel nor a failure came')) }, { once: true }) })])
            } catch (err) {
              if (err instanceof Finding) throw err
              return `failed-after-${delivered}`
            }
            if ((m as any)?.message === mark) return `delivered-${delivered}`
            if (!isWorkerMessage(m)) throw refused('control channel delivers a message that is not of the protocol', `delivered ${preview(m)}`)
            delivered++
          }
        } finally {
          client.destroy()
          inbound.destroy()
        }
      },
      serialize,
      deserialize,
      stateless: true,
      close: async () => { await new Promise(resolve => server.close(resolve)) }
    }
  }
}
