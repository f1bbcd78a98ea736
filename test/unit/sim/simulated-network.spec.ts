import { expect } from 'chai'
import type { CID } from 'multiformats/cid'
import { cidForKey, GossipValidationError } from '../../../node/network/index.js'
import { EventScheduler, SimulatedWorld, VirtualClock } from '../../../sim/index.js'
import type { GossipMessage } from '../../../node/network/index.js'

const T = '/hitch/1/cell/test'
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

async function started (world: SimulatedWorld, n: number): Promise<ReturnType<SimulatedWorld['createPeer']>[]> {
  const peers = Array.from({ length: n }, () => world.createPeer())
  for (const p of peers) await p.start()
  return peers
}

describe('sim/event-scheduler', () => {
  it('runs events in (time, seq) order and stops at the horizon', () => {
    const s = new EventScheduler()
    const log: string[] = []
    s.scheduleAt(20, () => log.push('b'))
    s.scheduleAt(10, () => { log.push('a'); s.schedule(5, () => log.push('a+5')) })
    s.scheduleAt(20, () => log.push('c'))
    const h = s.scheduleAt(15, () => log.push('cancelled'))
    s.cancel(h)
    s.scheduleAt(30, () => log.push('late'))
    expect(s.runUntil(25)).to.equal(4)
    expect(log).to.deep.equal(['a', 'a+5', 'b', 'c'])
    expect(s.now()).to.equal(25)
    expect(s.pending()).to.equal(1)
  })

  it('waits for tracked outside work (and what it sets off) before the next event', async () => {
    const s = new EventScheduler()
    const log: string[] = []
    s.scheduleAt(10, () => {
      log.push('call')
      // real time passes outside the simulation; no simulated time does
      void s.track(new Promise<string>(resolve => setTimeout(() => { resolve('mined') }, 30))).then(r => {
        log.push(`${r}@${s.now()}`)
        void s.track(new Promise(resolve => setTimeout(resolve, 10))).then(() => { log.push(`read@${s.now()}`) })
      })
    })
    s.scheduleAt(11, () => log.push('next'))
    await s.runUntilAsync(20)
    expect(log).to.deep.equal(['call', 'mined@10', 'read@10', 'next'])
    expect(s.pendingWork()).to.equal(0)
    // a failed call is waited for too, and its error stays with its caller
    let caught = ''
    s.scheduleAt(30, () => { s.track(Promise.reject(new Error('reverted'))).catch((err: Error) => { caught = err.message }) })
    await s.runUntilAsync(40)
    expect(caught).to.equal('reverted')
  })

  it('VirtualClock timers and sleeps run on scheduler time', async () => {
    const s = new EventScheduler()
    const clock = new VirtualClock(s, { epochMs: 1000 })
    const seen: number[] = []
    const slept = clock.sleep(50).then(() => seen.push(clock.now()))
    const h = clock.setTimeout(() => seen.push(-1), 10)
    clock.clearTimeout(h)
    await s.runUntilAsync(100)
    await slept
    expect(seen).to.deep.equal([1050])
    const ac = new AbortController()
    const aborted = clock.sleep(10, { signal: ac.signal })
    ac.abort()
    try { await aborted; expect.fail('no abort') } catch (err: any) { expect(err.name).to.equal('AbortError') }
  })
})

describe('sim/simulated-network', () => {
  it('delivers gossip to subscribers only, after latency + size / bandwidth, never to the author', async () => {
    const world = new SimulatedWorld({ latencyMs: 40, jitterMs: 0, bandwidthBps: 1000 })
    const [a, b, c] = await started(world, 3)
    b.subscribe(T)
    a.subscribe(T)
    const got: Array<{ who: string, at: number, msg: GossipMessage }> = []
    for (const p of [a, b, c]) p.onMessage(msg => got.push({ who: p.peerId, at: world.scheduler.now(), msg }))
    const { recipients } = await a.publish(T, bytes('hello'))
    expect(recipients).to.equal(1)
    expect(a.topicPeers(T)).to.deep.equal([b.peerId])
    await world.scheduler.runUntilAsync(1000)
    expect(got).to.have.length(1)
    expect(got[0].who).to.equal(b.peerId)
    expect(got[0].msg.from).to.equal(a.peerId)
    expect(text(got[0].msg.data)).to.equal('hello')
    // 5 bytes at 1000 B/s = 5 ms, plus 40 ms latency
    expect(got[0].at).to.equal(45)
    expect(a.stats().gossip).to.include({ messagesOut: 1, bytesOut: 5 })
    expect(b.stats().gossip).to.include({ messagesIn: 1, bytesIn: 5 })
  })

  it('keeps messages of one link in order and queues them behind each other', async () => {
    const world = new SimulatedWorld({ latencyMs: 10, jitterMs: 30, bandwidthBps: 100, seed: 7 })
    const [a, b] = await started(world, 2)
    b.subscribe(T)
    const order: string[] = []
    const times: number[] = []
    b.onMessage(m => { order.push(text(m.data)); times.push(world.scheduler.now()) })
    for (let i = 0; i < 5; i++) await a.publish(T, bytes(`m${i}`))
    await world.scheduler.runUntilAsync(10_000)
    expect(order).to.deep.equal(['m0', 'm1', 'm2', 'm3', 'm4'])
    // each 2-byte message occupies the link 20 ms: the last cannot arrive before 5 × 20 + 10
    expect(times[4]).to.be.at.least(110)
  })

  it('loses deliveries with the loss probability', async () => {
    const world = new SimulatedWorld({ loss: 0.5, seed: 3 })
    const [a, ...rest] = await started(world, 41)
    let got = 0
    for (const p of rest) { p.subscribe(T); p.onMessage(() => { got++ }) }
    for (let i = 0; i < 10; i++) await a.publish(T, bytes('x'))
    await world.scheduler.runUntilAsync(60_000)
    expect(got + world.stats.gossipLost).to.equal(400)
    expect(got).to.be.within(140, 260)
  })

  it('applies the receiver validator on /hitch/1/ topics only, counting rejects and ignores', async () => {
    const world = new SimulatedWorld()
    const [a, b] = await started(world, 2)
    b.subscribe(T)
    b.subscribe('/other/topic')
    b.setValidator(async (_topic, from, data) => {
      expect(from).to.equal(a.peerId)
      const t = text(data)
      if (t === 'bad') return 'reject'
      if (t === 'meh') throw new GossipValidationError('ignore', 'meh')
      if (t === 'bug') throw new Error('bug')
      return 'accept'
    })
    const got: string[] = []
    b.onMessage(m => got.push(`${m.topic} ${text(m.data)}`))
    for (const m of ['ok', 'bad', 'meh', 'bug']) await a.publish(T, bytes(m))
    await a.publish('/other/topic', bytes('bad'))
    await world.scheduler.runUntilAsync(1000)
    expect(got).to.deep.equal([`${T} ok`, '/other/topic bad'])
    expect(b.stats().gossip).to.include({ rejected: 1, ignored: 2, messagesIn: 2 })
  })

  it('answers requests, maps a missing handler, no answer and a timeout like the port', async () => {
    const world = new SimulatedWorld({ latencyMs: 20, jitterMs: 0 })
    const [a, b] = await started(world, 2)
    await b.handle('/echo', async req => bytes(`echo ${text(req.data)} from ${req.from}`))
    await b.handle('/silent', async () => undefined)
    await b.handle('/slow', async (_req, { signal }) => {
      await new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)))
      return bytes('never')
    }, { timeoutMs: 60_000 })
    const pump = world.scheduler.runUntilAsync(120_000)
    const answer = await a.request(b.peerId, '/echo', bytes('hi'))
    expect(text(answer)).to.equal(`echo hi from ${a.peerId}`)
    const errors = await Promise.all([
      a.request(b.peerId, '/nope', bytes('x')).catch(e => e.code),
      a.request(b.peerId, '/silent', bytes('x')).catch(e => e.code),
      a.request(b.peerId, '/slow', bytes('x'), { timeoutMs: 5000 }).catch(e => e.code),
      a.request('sim-404', '/echo', bytes('x')).catch(e => e.code)
    ])
    await pump
    expect(errors).to.deep.equal(['ERR_NO_HANDLER', 'ERR_NO_RESPONSE', 'ERR_REQUEST_TIMEOUT', 'ERR_REQUEST_FAILED'])
    expect(a.stats().direct.failedRequests).to.equal(4)
    expect(b.stats().direct.failedHandlers).to.equal(1)
  })

  it('carries pipes: messages both ways in order after the link latency, a close heard at the other end, a missing handler named', async () => {
    const world = new SimulatedWorld({ latencyMs: 20, jitterMs: 0 })
    const [a, b] = await started(world, 2)
    const atB: string[] = []
    const atA: string[] = []
    let bClosed: Error | undefined | null = null
    await b.handlePipe('/pipe', pipe => ({
      onMessage: data => { atB.push(`${text(data)}@${Math.round(world.scheduler.now())}`); pipe.send(bytes(`re ${text(data)}`)) },
      onClose: err => { bClosed = err }
    }))
    const pump = world.scheduler.runUntilAsync(10_000)
    let closedAt = -1
    const pipe = await a.openPipe(b.peerId, '/pipe', {
      onMessage: data => {
        atA.push(text(data))
        if (atA.length === 2) {
          // both answers in: our end closes at once, the other hears of it a latency later
          pipe.close()
          closedAt = world.scheduler.now()
        }
      }
    })
    expect(world.scheduler.now()).to.equal(40)
    expect(pipe.remotePeer).to.equal(b.peerId)
    pipe.send(bytes('one'))
    pipe.send(bytes('two'))
    const missing = await a.openPipe(b.peerId, '/other', { onMessage: () => {} }).catch(e => e.code)
    await pump
    expect(pipe.open).to.equal(false)
    expect(Math.round(closedAt)).to.equal(80)
    expect(() => { pipe.send(bytes('late')) }).to.throw(/closed/)
    expect(atB).to.deep.equal(['one@60', 'two@60'])
    expect(atA).to.deep.equal(['re one', 're two'])
    expect(missing).to.equal('ERR_NO_HANDLER')
    expect(bClosed).to.equal(undefined)
    expect(b.stats().direct.messagesIn).to.equal(2)
  })

  it('closes an idle pipe on the virtual clock, resets a pipe over its rate limit, and ends every pipe of a peer that stops', async () => {
    const world = new SimulatedWorld({ latencyMs: 10, jitterMs: 0 })
    const [a, b, c] = await started(world, 3)
    const ends: string[] = []
    await b.handlePipe('/idle', () => ({ onMessage: () => {}, onClose: err => { ends.push(`b idle: ${String(err?.name)}@${world.scheduler.now()}`) } }), { idleTimeoutMs: 1000 })
    await b.handlePipe('/limited', () => ({ onMessage: () => {}, onClose: err => { ends.push(`b limited: ${String(err?.name)}`) } }), { rateLimit: { perSecond: 1, burst: 2 } })
    await c.handlePipe('/idle', () => ({ onMessage: () => {}, onClose: err => { ends.push(`c: ${String(err?.name)}`) } }))
    const pump = world.scheduler.runUntilAsync(5_000)
    await a.openPipe(b.peerId, '/idle', { onMessage: () => {}, onClose: err => { ends.push(`a idle: ${String(err?.name)}`) } })
    const limited = await a.openPipe(b.peerId, '/limited', { onMessage: () => {}, onClose: err => { ends.push(`a limited: ${String(err?.name)}`) } })
    for (let i = 0; i < 3; i++) limited.send(bytes(`m${i}`))
    const toC = await c.openPipe(a.peerId, '/none', { onMessage: () => {} }).catch(e => e.code)
    const fromC = await a.openPipe(c.peerId, '/idle', { onMessage: () => {}, onClose: err => { ends.push(`a to c: ${String(err?.name)}`) } })
    await c.stop()
    await pump
    expect(toC).to.equal('ERR_NO_HANDLER')
    expect(fromC.open).to.equal(false)
    expect(ends).to.include.members([
      'b idle: IdleTimeoutError@1020', 'a idle: RequestFailedError',
      'b limited: RateLimitedError', 'a limited: RequestFailedError',
      'c: NotStartedError', 'a to c: RequestFailedError'
    ])
  })

  it('a lost request ends in the requester\'s timeout at the virtual deadline', async () => {
    const world = new SimulatedWorld({ loss: 1 })
    const [a, b] = await started(world, 2)
    await b.handle('/echo', async req => req.data)
    let at = -1
    const p = a.request(b.peerId, '/echo', bytes('x'), { timeoutMs: 3000 }).catch(e => { at = world.scheduler.now(); return e.code })
    await world.scheduler.runUntilAsync(10_000)
    expect(await p).to.equal('ERR_REQUEST_TIMEOUT')
    expect(at).to.equal(3000)
  })

  it('finds providers after the lookup latency, not itself and not stopped peers', async () => {
    const world = new SimulatedWorld({ lookupMs: 100 })
    const [a, b, c] = await started(world, 3)
    const key: CID = await cidForKey('cell-x')
    const pump = world.scheduler.runUntilAsync(10_000)
    await Promise.all([a.provide(key), b.provide(key), c.provide(key)])
    await c.stop()
    const found: string[] = []
    for await (const p of a.findProviders(key)) found.push(p.peerId)
    await pump
    expect(found).to.deep.equal([b.peerId])
  })

  it('is deterministic: two runs of a seed give identical delivery logs', async () => {
    const once = async (seed: number): Promise<string[]> => {
      const world = new SimulatedWorld({ seed, trace: true, loss: 0.2, jitterMs: 50 })
      const peers = await started(world, 6)
      for (const p of peers) { p.subscribe(T); await p.handle('/echo', async r => r.data) }
      for (let i = 0; i < 6; i++) {
        world.scheduler.scheduleAt(i * 7, () => {
          void peers[i].publish(T, bytes(`m${i}`))
          void peers[i].request(peers[(i + 1) % 6].peerId, '/echo', bytes(`r${i}`)).catch(() => {})
        })
      }
      await world.scheduler.runUntilAsync(60_000)
      return world.trace as string[]
    }
    const a = await once(11)
    expect(a.length).to.be.greaterThan(20)
    expect(await once(11)).to.deep.equal(a)
    expect(await once(12)).to.not.deep.equal(a)
  })
})
