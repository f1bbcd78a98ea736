import { expect } from 'chai'
import { boundedQueue, inQueue, Turns, withResolvers } from '../../../../node/channel/concurrency.js'

describe('node/channel/concurrency', () => {
  it('runs at most the queue\'s concurrency at once, in the order of the calls', async () => {
    const queue = boundedQueue(2)
    const gates = [0, 1, 2, 3].map(() => withResolvers<void>())
    const started: number[] = []
    let running = 0
    let most = 0
    const runs = gates.map(async (g, i) => await inQueue(queue, async () => {
      started.push(i)
      running++
      most = Math.max(most, running)
      await g.promise
      running--
      return i
    }))
    await new Promise(resolve => setImmediate(resolve))
    expect(started).to.deep.equal([0, 1])
    gates[1].resolve()
    gates[0].resolve()
    await new Promise(resolve => setImmediate(resolve))
    expect(started).to.deep.equal([0, 1, 2, 3])
    gates[2].resolve()
    gates[3].resolve()
    expect(await Promise.all(runs)).to.deep.equal([0, 1, 2, 3])
    expect(most).to.equal(2)
  })

  it('takes an aborted task out of the queue, with the signal\'s reason', async () => {
    const queue = boundedQueue(1)
    const gate = withResolvers<void>()
    const first = inQueue(queue, async () => { await gate.promise })
    const controller = new AbortController()
    let ran = false
    const second = inQueue(queue, async () => { ran = true }, controller.signal)
    const reason = new Error('gone')
    controller.abort(reason)
    let error: unknown
    try { await second } catch (err) { error = err }
    expect(error).to.equal(reason)
    gate.resolve()
    await first
    expect(ran).to.equal(false)
    expect(queue.size).to.equal(0)
  })

  it('keeps a running task\'s slot after an abort until the task settles', async () => {
    const queue = boundedQueue(1)
    const controller = new AbortController()
    const gate = withResolvers<void>()
    const first = inQueue(queue, async () => { await gate.promise; return 'first' }, controller.signal)
    await new Promise(resolve => setImmediate(resolve))
    controller.abort(new Error('late'))
    let secondStarted = false
    const second = inQueue(queue, async () => { secondStarted = true })
    await new Promise(resolve => setImmediate(resolve))
    expect(secondStarted).to.equal(false)
    gate.resolve()
    expect(await first).to.equal('first')
    await second
    expect(secondStarted).to.equal(true)
  })

  it('refuses a task whose signal is aborted already', async () => {
    const controller = new AbortController()
    controller.abort(new Error('before'))
    let error: unknown
    try { await inQueue(boundedQueue(1), async () => {}, controller.signal) } catch (err) { error = err }
    expect((error as Error).message).to.equal('before')
  })

  it('reports no unhandled rejection for a promise rejected before anyone awaits it', async () => {
    const r = withResolvers<number>()
    r.reject(new Error('early'))
    await new Promise(resolve => setImmediate(resolve))
    let error: unknown
    try { await r.promise } catch (err) { error = err }
    expect((error as Error).message).to.equal('early')
  })

  it('runs one task per turn of the event loop, in order, not in one burst', async () => {
    const turns = new Turns()
    const seen: string[] = []
    turns.run(() => { seen.push('a'); process.nextTick(() => { seen.push('after a') }) })
    turns.run(() => { seen.push('b') })
    turns.run(() => { seen.push('c') })
    expect(turns.size).to.equal(3)
    await turns.turn()
    // what a left for later ran before b: each task had a callback of its own
    expect(seen).to.deep.equal(['a', 'after a', 'b', 'c'])
  })
})
