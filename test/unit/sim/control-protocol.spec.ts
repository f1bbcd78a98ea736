/**
 * The control protocol's schemas (every message kind, both directions) and its channel (bounded
 * lines, read-ahead held back by TCP, order kept), over real sockets on 127.0.0.1.
 */
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { expect } from 'chai'
import { defaultScenario } from '../../../sim/scenario.js'
import {
  ControlChannel, ControlProtocolError, WORKER_PROTOCOL_VERSION, parseCoordinatorMessage, parseWorkerMessage
} from '../../../sim/worker-protocol.js'
import type { Server, Socket } from 'node:net'

const HEX = 'ab'.repeat(32)

const status = { simS: 12.5, riders: 3, finished: 1, served: 1, cancelled: 0, idle: false, nodes: 4, connections: { driver: 2, rider: 3 }, loopDelayP99Ms: 1.5 }
const result = {
  riders: [{ index: 0, requestId: 'q1', status: 'served', assignTimeS: 1, matchWallMs: 20, pickupTimeS: 2, dropoffTimeS: 3, fareCents: 500, vehicle: 'd0' }],
  trips: [{ requestId: 'q1', driver: 'd0', pickupTimeS: 2, dropoffTimeS: null, pooled: false }],
  vehicles: [{ id: 'd0', kmEmpty: 1, kmOccupied: 2, passengerKm: 2, ridesServed: 1 }],
  nodes: [{ peerId: '16Uiu2', role: 'driver', gossipMessagesIn: 1, gossipMessagesOut: 1, gossipBytesIn: 1, gossipBytesOut: 1, directMessagesIn: 1, directMessagesOut: 1, directBytesIn: 1, directBytesOut: 1 }],
  simulatedS: 100,
  wallMs: 1000,
  cpuUs: 5,
  peakRssBytes: 1e8,
  peakNodes: 4,
  payments: { channelUpdates: 3, ridesSettled: 1, ridesUnsettled: 0, channelsClosed: 1, paidWei: '1000' },
  notes: ['a note']
}
const request = { id: 'r0', index: 0, timeS: 10, pickup: 1, dropoff: 2, pickupLat: 40.7, pickupLon: -73.9, dropoffLat: 40.8, dropoffLon: -73.95, seats: 1 }
const assign = {
  type: 'assign',
  worker: 0,
  workers: 2,
  scenario: { ...defaultScenario(), network: { ...defaultScenario().network, mode: 'libp2p' }, workers: 2 },
  map: { source: 'synthetic', vertices: 400, edges: 1500 },
  drivers: [{ index: 0, vertex: 5 }],
  requests: [request],
  time: { speedup: 30, anchorMs: 1_700_000_000_000 },
  chain: { port: 8545 }
}

const WORKER: Record<string, Record<string, unknown>> = {
  hello: { type: 'hello', version: WORKER_PROTOCOL_VERSION, pid: 1, hostname: 'h', nonce: HEX, mac: HEX },
  listening: { type: 'listening', bootstrap: ['/ip4/127.0.0.1/tcp/1/p2p/16Uiu2'] },
  connected: { type: 'connected' },
  status: { type: 'status', status },
  result: { type: 'result', result },
  error: { type: 'error', message: 'boom' }
}
const COORDINATOR: Record<string, Record<string, unknown>> = {
  challenge: { type: 'challenge', version: WORKER_PROTOCOL_VERSION, nonce: HEX },
  welcome: { type: 'welcome', mac: HEX },
  assign,
  connect: { type: 'connect', bootstrap: ['/ip4/127.0.0.1/tcp/1'] },
  go: { type: 'go', goAtMs: 1_700_000_000_500 },
  pace: { type: 'pace', atMs: 1_700_000_000_700, rate: 12.5 },
  stop: { type: 'stop' },
  abort: { type: 'abort', reason: 'why' }
}

function refusal (parse: (v: unknown) => unknown, value: unknown): ControlProtocolError {
  try {
    parse(value)
  } catch (err) {
    expect(err).to.be.instanceOf(ControlProtocolError)
    return err as ControlProtocolError
  }
  expect.fail(`accepted ${JSON.stringify(value)?.slice(0, 200)}`)
}

describe('sim/control-schema: every message kind, both directions', () => {
  for (const [dir, parse, kinds] of [['worker → coordinator', parseWorkerMessage, WORKER], ['coordinator → worker', parseCoordinatorMessage, COORDINATOR]] as const) {
    describe(dir, () => {
      for (const [kind, msg] of Object.entries(kinds)) {
        it(`${kind}: accepts a well-formed one; refuses an extra field, a missing one, a null and a wrong type in each`, () => {
          // through JSON, as on the wire
          const parsed = parse(JSON.parse(JSON.stringify(msg)))
          expect(parsed).to.deep.equal(kind === 'assign' ? { ...msg, scenario: parsed.type === 'assign' ? parsed.scenario : undefined } : msg)
          expect(refusal(parse, { ...msg, extra: 1 }).code).to.equal('ERR_CONTROL_INVALID')
          for (const key of Object.keys(msg).filter(k => k !== 'type')) {
            const { [key]: _dropped, ...missing } = msg
            if (kind === 'assign' && key === 'chain') {
              parse(missing)
              continue
            }
            const e = refusal(parse, missing)
            expect(e.field ?? '', key).to.match(new RegExp(`\\.${key}$`))
            refusal(parse, { ...msg, [key]: null })
            refusal(parse, { ...msg, [key]: typeof msg[key] === 'string' ? 7 : 'seven' })
          }
        })
      }
      it('refuses what is no message at all', () => {
        for (const junk of [null, 42, 'hello', [], [WORKER.hello], {}, { type: 'nope' }, { type: null }, { type: 'toString' }, { type: '__proto__' }]) {
          refusal(parse, junk)
        }
      })
    })
  }

  it('names the field at fault deep inside a message', () => {
    const bad = { type: 'result', result: { ...result, riders: [result.riders[0], { ...result.riders[0], status: 'teleported' }] } }
    expect(refusal(parseWorkerMessage, bad).message).to.match(/^result\.result\.riders\[1\]\.status: expected one of served, cancelled, unfinished/)
    const badScenario = { ...assign, scenario: { ...assign.scenario, drivers: -3 } }
    expect(refusal(parseCoordinatorMessage, badScenario).field).to.equal('assign.scenario.drivers')
  })

  it('refuses numbers JSON turns into Infinity, unsafe integers, and __proto__ keys', () => {
    refusal(parseWorkerMessage, JSON.parse('{"type":"status","status":' + JSON.stringify(status).replace('"simS":12.5', '"simS":1e400') + '}'))
    refusal(parseWorkerMessage, { type: 'status', status: { ...status, served: 2 ** 60 } })
    refusal(parseWorkerMessage, JSON.parse('{"type":"status","status":' + JSON.stringify(status).replace('{', '{"__proto__":{"idle":true},') + '}'))
  })

  it('a version mismatch is told as such, before the rest of the hello is looked at', () => {
    const e = refusal(parseWorkerMessage, { type: 'hello', version: 2, token: 'x', pid: 1, hostname: 'old' })
    expect(e.code).to.equal('ERR_CONTROL_VERSION')
    expect(e.message).to.equal(`protocol version 2, expected ${WORKER_PROTOCOL_VERSION}`)
  })
})

describe('sim/control-channel over TCP', () => {
  let server: Server
  let client: Socket
  let serverSide: Socket

  beforeEach(async () => {
    server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const accepted = once(server, 'connection')
    client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port })
    await once(client, 'connect')
    ;[serverSide] = await accepted as [Socket]
    client.on('error', () => {})
  })
  afterEach(() => {
    client.destroy()
    serverSide.destroy()
    server.close()
  })

  it('keeps order and holds a fast sender back (the socket pauses) instead of queueing without bound', async () => {
    const channel = new ControlChannel<any, any>(serverSide, { parse: v => v, maxLineBytes: 4096 })
    const lines = 20_000
    for (let i = 0; i < lines; i++) client.write(JSON.stringify({ i, pad: 'x'.repeat(100) }) + '\n')
    await new Promise<void>(resolve => {
      const poll = (): void => { serverSide.isPaused() ? resolve() : setImmediate(poll) }
      poll()
    })
    for (let i = 0; i < lines; i++) expect((await channel.next()).i).to.equal(i)
  })

  it('refuses a line over the bound once authenticated too, and still reads the lines sent before a close', async () => {
    const channel = new ControlChannel<any, any>(serverSide, { parse: v => v })
    channel.setMaxLineBytes(1024)
    client.write('{"a":1}\n{"b":2}\n')
    client.end()
    expect(await channel.next()).to.deep.equal({ a: 1 })
    expect(await channel.next()).to.deep.equal({ b: 2 })
    const closed = await channel.next().then(() => undefined, (e: unknown) => e)
    expect((closed as ControlProtocolError).code).to.equal('ERR_CONTROL_CLOSED')
  })

  it('a line over the bound fails the connection as soon as the bound is passed', async () => {
    const channel = new ControlChannel<any, any>(serverSide, { parse: v => v })
    channel.setMaxLineBytes(1024)
    client.write('"' + 'y'.repeat(2000))
    const err = await channel.next().then(() => undefined, (e: unknown) => e)
    expect((err as ControlProtocolError).code).to.equal('ERR_CONTROL_LINE_TOO_LONG')
  })

  it('a deeply nested line is refused by the schema, not a stack overflow', async () => {
    const channel = new ControlChannel<any, any>(serverSide, { parse: parseWorkerMessage, maxLineBytes: 4 * 1024 * 1024 })
    client.write('['.repeat(1_000_000) + ']'.repeat(1_000_000) + '\n')
    const err = await channel.next().then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(ControlProtocolError)
  })
})
