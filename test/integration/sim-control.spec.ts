/**
 * Issue 9, "the other doors": the control connection between `hitch sim --workers K` (the
 * coordinator) and its workers, attacked over real TCP sockets on 127.0.0.1. The coordinator
 * crashed on a worker line of `null` before any authentication, kept a line without a newline in
 * memory however long it grew (300 MB grew it by 400 MB), held a connection that never
 * authenticated forever, and a worker believed whatever the far end of its connection said.
 *
 * The fake peers here speak the protocol from its description in `sim/worker-protocol.ts`
 * (HMAC-SHA256 challenge and response), not through its code.
 */
import { spawn } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { defaultScenario, runLibp2p, runSimWorker, SimulationError, WORKER_PROTOCOL_VERSION } from '../../sim/index.js'
import { hitchArgv } from '../fixtures/run-cli.js'
import type { RoutedMap } from '../../node/map/index.js'
import type { Server, Socket } from 'node:net'

/** A raw TCP peer: what it received, line by line, and whether the other side closed it. */
class RawPeer {
  readonly lines: string[] = []
  readonly closed: Promise<void>
  private text = ''
  private readonly waiters: Array<() => void> = []
  isClosed = false

  constructor (readonly socket: Socket) {
    socket.on('data', (b: Buffer) => {
      this.text += b.toString('utf8')
      let i
      while ((i = this.text.indexOf('\n')) >= 0) {
        this.lines.push(this.text.slice(0, i))
        this.text = this.text.slice(i + 1)
      }
      for (const w of this.waiters.splice(0)) w()
    })
    socket.on('error', () => {})
    this.closed = new Promise(resolve => { socket.once('close', () => { this.isClosed = true; for (const w of this.waiters.splice(0)) w(); resolve() }) })
  }

  static async connect (address: string): Promise<RawPeer> {
    const [host, port] = splitAddress(address)
    const socket = connect({ host, port })
    await once(socket, 'connect')
    return new RawPeer(socket)
  }

  /** The next line received (parsed), or undefined once closed */
  async message (n: number): Promise<any> {
    while (this.lines.length <= n && !this.isClosed) await new Promise<void>(resolve => this.waiters.push(resolve))
    const line = this.lines[n]
    return line == null ? undefined : JSON.parse(line)
  }

  send (value: unknown): void {
    this.socket.write((typeof value === 'string' ? value : JSON.stringify(value)) + '\n')
  }
}

function splitAddress (address: string): [string, number] {
  const i = address.lastIndexOf(':')
  return [address.slice(0, i).replace(/^\[|\]$/g, ''), Number(address.slice(i + 1))]
}

const hmac = (token: string, text: string): string => createHmac('sha256', token).update(text).digest('hex')

/** Completes the worker side of the handshake by the protocol's description; returns the welcome */
async function authenticate (peer: RawPeer, token: string): Promise<any> {
  const challenge = await peer.message(0)
  expect(challenge).to.include({ type: 'challenge', version: WORKER_PROTOCOL_VERSION })
  const nonce = randomBytes(32).toString('hex')
  peer.send({ type: 'hello', version: WORKER_PROTOCOL_VERSION, pid: 1, hostname: 'fake', nonce, mac: hmac(token, `hitch-sim-worker|${String(challenge.nonce)}|${nonce}`) })
  const welcome = await peer.message(1)
  expect(welcome?.type).to.equal('welcome')
  expect(welcome.mac).to.equal(hmac(token, `hitch-sim-coordinator|${nonce}|${String(challenge.nonce)}`))
  return welcome
}

describe('sim: the control connection of multi-process runs, attacked (issue 9)', function () {
  this.timeout(60_000)
  let map: RoutedMap
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }

  before(async () => {
    map = await openRoutedMap()
    process.on('unhandledRejection', onUnhandled)
  })
  after(() => { process.off('unhandledRejection', onUnhandled) })
  beforeEach(() => { unhandled.length = 0 })

  /** A coordinator of a 2-worker run that spawns none: it waits for workers on 127.0.0.1 */
  async function coordinator (options: { workerAuthTimeoutMs?: number } = {}): Promise<{ address: string, token: string, run: Promise<unknown>, stop: () => Promise<unknown> }> {
    const s = defaultScenario()
    s.network.mode = 'libp2p'
    s.network.transport = 'tcp'
    s.workers = 2
    s.payments = 'none'
    const controller = new AbortController()
    let listening!: (info: { address: string, token: string }) => void
    const ready = new Promise<{ address: string, token: string }>(resolve => { listening = resolve })
    const run = runLibp2p({ map, requests: [], scenario: s, positions: [0, 1] }, {
      workerListen: '127.0.0.1:0',
      spawnWorkers: 0,
      signal: controller.signal,
      onWorkersListening: (info: { address: string, token: string }) => { listening(info) },
      ...options
    })
    const outcome = run.then(() => undefined, (err: unknown) => err)
    const info = await Promise.race([ready, outcome.then(err => { throw err ?? new Error('the run ended') })])
    return {
      ...info,
      run: outcome,
      stop: async () => { controller.abort(new Error('test over')); return await outcome }
    }
  }

  async function settle (): Promise<void> {
    for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
  }

  it('defect: a worker line of `null` (or any other junk) before authentication crashed the coordinator', async () => {
    const c = await coordinator()
    try {
      const junk = ['null', '"hello"', '[]', '42', '{"type":"hello"}', '{"type":"hello","version":3,"token":{}}', '{"type":"status","status":null}', '{"__proto__":{"type":"hello"}}']
      for (const line of junk) {
        const peer = await RawPeer.connect(c.address)
        peer.send(line)
        await peer.closed
        await settle()
        expect(unhandled, `after ${line}`).to.deep.equal([])
      }
      // the coordinator is still there, waiting for its two workers
      const still = await RawPeer.connect(c.address)
      expect(await still.message(0)).to.include({ type: 'challenge' })
      still.socket.destroy()
    } finally {
      const err = await c.stop()
      expect((err as Error).message).to.equal('test over')
    }
  })

  it('defect: a line without a newline grew the coordinator\'s memory without bound (now: closed within the handshake\'s 4 KiB)', async () => {
    const c = await coordinator()
    try {
      const peer = await RawPeer.connect(c.address)
      const chunk = Buffer.alloc(64 * 1024, 0x61) // 'aaaa…', never a newline
      const heapBefore = process.memoryUsage()
      let sent = 0
      while (!peer.isClosed && sent < 64 * 1024 * 1024) {
        if (!peer.socket.write(chunk)) await Promise.race([new Promise(resolve => peer.socket.once('drain', resolve)), peer.closed])
        sent += chunk.length
      }
      await peer.closed
      const heapAfter = process.memoryUsage()
      // bytes the client got into the socket before the coordinator hung up: what the kernel
      // buffers on loopback plus the 4 KiB the coordinator reads, never the 64 MiB offered
      expect(sent, `accepted ${sent} bytes of a line without a newline`).to.be.below(16 * 1024 * 1024)
      const grew = (heapAfter.heapUsed + heapAfter.arrayBuffers) - (heapBefore.heapUsed + heapBefore.arrayBuffers)
      expect(grew).to.be.below(32 * 1024 * 1024)
      expect(unhandled).to.deep.equal([])
    } finally {
      await c.stop()
    }
  })

  it('defect: a connection that never authenticates was held forever (now: closed after the auth timeout)', async () => {
    const c = await coordinator({ workerAuthTimeoutMs: 200 })
    try {
      const silent = await RawPeer.connect(c.address)
      const dripping = await RawPeer.connect(c.address)
      dripping.socket.write('{"type":') // a hello that never ends
      let timer: NodeJS.Timeout | undefined
      const closedBy = await Promise.race([
        Promise.all([silent.closed, dripping.closed]).then(() => 'coordinator'),
        new Promise(resolve => { timer = setTimeout(resolve, 20_000, 'nobody') })
      ]).finally(() => { clearTimeout(timer) })
      expect(closedBy).to.equal('coordinator')
    } finally {
      await c.stop()
    }
  })

  it('authenticates first: a wrong token gets "bad token" and a closed connection, and the token never crosses the wire', async () => {
    const c = await coordinator()
    try {
      const peer = await RawPeer.connect(c.address)
      const challenge = await peer.message(0)
      expect(JSON.stringify(challenge)).to.not.include(c.token)
      const nonce = randomBytes(32).toString('hex')
      peer.send({ type: 'hello', version: WORKER_PROTOCOL_VERSION, pid: 1, hostname: 'x', nonce, mac: hmac('not the token', `hitch-sim-worker|${String(challenge.nonce)}|${nonce}`) })
      expect(await peer.message(1)).to.deep.equal({ type: 'abort', reason: 'bad token' })
      await peer.closed
      // a worker of another protocol version is told so
      const old = await RawPeer.connect(c.address)
      await old.message(0)
      old.send({ type: 'hello', version: 2, token: c.token, pid: 1, hostname: 'old' })
      expect((await old.message(1))?.reason).to.match(new RegExp(`protocol version 2, expected ${WORKER_PROTOCOL_VERSION}`))
      await old.closed
      // the right token gets in
      const good = await RawPeer.connect(c.address)
      await authenticate(good, c.token)
      good.socket.destroy()
    } finally {
      await c.stop()
    }
  })

  it('validates every message of an authenticated worker: a malformed one fails the run with an error naming the field', async () => {
    const c = await coordinator()
    const a = await RawPeer.connect(c.address)
    const b = await RawPeer.connect(c.address)
    await authenticate(a, c.token)
    await authenticate(b, c.token)
    expect((await a.message(2))?.type).to.equal('assign')
    a.send({ type: 'listening', bootstrap: 42 })
    const err = await c.run
    expect(err).to.be.instanceOf(SimulationError)
    expect((err as Error).message).to.match(/listening\.bootstrap: expected an array/)
    expect(unhandled).to.deep.equal([])
    a.socket.destroy()
    b.socket.destroy()
  })

  describe('the worker does not trust the coordinator blindly', () => {
    let server: Server
    let address: string
    let accepted: Promise<RawPeer>

    beforeEach(async () => {
      server = createServer()
      accepted = new Promise(resolve => { server.once('connection', socket => { resolve(new RawPeer(socket)) }) })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      const port = (server.address() as { port: number }).port
      address = `127.0.0.1:${port}`
    })
    afterEach(async () => {
      server.close()
      const peer = await Promise.race([accepted, new Promise<undefined>(resolve => setImmediate(resolve, undefined))])
      peer?.socket.destroy()
    })

    async function worker (token = 'the token'): Promise<unknown> {
      return await runSimWorker({ connect: address, token }).then(() => undefined, (err: unknown) => err)
    }

    it('defect: a coordinator line of `null` (or junk) threw a TypeError deep in the worker; now a typed error', async () => {
      for (const junk of ['null', '{"type":"assign"}', '{"type":"go","goAtMs":"soon"}']) {
        accepted = new Promise(resolve => { server.once('connection', socket => { resolve(new RawPeer(socket)) }) })
        const result = worker()
        const coordinatorSide = await accepted
        coordinatorSide.send(junk)
        const err = await result
        expect(err, junk).to.be.instanceOf(SimulationError)
        expect((err as { code?: string }).code, junk).to.be.oneOf(['ERR_SIMULATION'])
        coordinatorSide.socket.destroy()
      }
    })

    it('never sends the token, and refuses a coordinator that cannot prove it knows it', async () => {
      const result = worker('the token')
      const peer = await accepted
      const nonce = randomBytes(32).toString('hex')
      peer.send({ type: 'challenge', version: WORKER_PROTOCOL_VERSION, nonce })
      const hello = await peer.message(0)
      expect(JSON.stringify(hello)).to.not.include('the token')
      expect(hello.mac).to.equal(hmac('the token', `hitch-sim-worker|${nonce}|${String(hello.nonce)}`))
      peer.send({ type: 'welcome', mac: hmac('a guess', `hitch-sim-coordinator|${String(hello.nonce)}|${nonce}`) })
      const err = await result
      expect(err).to.be.instanceOf(SimulationError)
      expect((err as Error).message).to.match(/does not know the token/)
    })

    it('refuses an assignment whose drivers stand on no vertex of its map, before starting any node', async () => {
      const result = worker('the token')
      const peer = await accepted
      const nonce = randomBytes(32).toString('hex')
      peer.send({ type: 'challenge', version: WORKER_PROTOCOL_VERSION, nonce })
      const hello = await peer.message(0)
      peer.send({ type: 'welcome', mac: hmac('the token', `hitch-sim-coordinator|${String(hello.nonce)}|${nonce}`) })
      const s = defaultScenario()
      s.network.mode = 'libp2p'
      s.workers = 2
      peer.send({
        type: 'assign',
        worker: 0,
        workers: 2,
        scenario: s,
        map: { source: map.graph.meta.source, vertices: map.graph.numNodes, edges: map.graph.numEdges },
        drivers: [{ index: 0, vertex: map.graph.numNodes + 5 }],
        requests: [],
        time: { speedup: s.speedup, anchorMs: Date.now() }
      })
      const err = await result
      expect(err).to.be.instanceOf(SimulationError)
      expect((err as Error).message).to.match(/drivers\[0\]\.vertex/)
    })

    it('hitch sim worker reads the token from --token-file (not from argv, where ps shows it)', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hitch-token-'))
      try {
        await writeFile(join(dir, 'token'), 'file token\n', { mode: 0o600 })
        const child = spawn(process.execPath, [...hitchArgv(), 'sim', 'worker', '--connect', address, '--token-file', join(dir, 'token')], { stdio: ['ignore', 'ignore', 'pipe'] })
        const exited = once(child, 'exit')
        const peer = await accepted
        const nonce = randomBytes(32).toString('hex')
        peer.send({ type: 'challenge', version: WORKER_PROTOCOL_VERSION, nonce })
        const hello = await peer.message(0)
        expect(hello.mac).to.equal(hmac('file token', `hitch-sim-worker|${nonce}|${String(hello.nonce)}`))
        peer.send({ type: 'abort', reason: 'test over' })
        const [code] = await exited
        expect(code).to.equal(1)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })

    it('a coordinator line without a newline is cut at the bound, not buffered', async () => {
      const result = worker('the token')
      const peer = await accepted
      const chunk = Buffer.alloc(64 * 1024, 0x61)
      let sent = 0
      while (!peer.isClosed && sent < 64 * 1024 * 1024) {
        if (!peer.socket.write(chunk)) await Promise.race([new Promise(resolve => peer.socket.once('drain', resolve)), peer.closed])
        sent += chunk.length
      }
      const err = await result
      expect(err).to.be.instanceOf(SimulationError)
      expect(sent).to.be.below(16 * 1024 * 1024)
    })
  })
})
