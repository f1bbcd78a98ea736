import { expect } from 'chai'
import { ManualClock, WallClock } from '../../../../node/clock/index.js'
import { waitFor } from '../../../fixtures/wait-for.js'

describe('node/clock', () => {
  describe('ManualClock', () => {
    it('starts at the given time and only moves on advance', () => {
      const clock = new ManualClock({ now: 1_000 })
      expect(clock.now()).to.equal(1_000)
      clock.advance(250)
      expect(clock.now()).to.equal(1_250)
    })

    it('fires due timers in order of due time, ties in creation order, with now() at the due time', () => {
      const clock = new ManualClock()
      const fired: Array<[string, number]> = []
      clock.setTimeout(() => fired.push(['c', clock.now()]), 30)
      clock.setTimeout(() => fired.push(['a', clock.now()]), 10)
      clock.setTimeout(() => fired.push(['b1', clock.now()]), 20)
      clock.setTimeout(() => fired.push(['b2', clock.now()]), 20)
      clock.setTimeout(() => fired.push(['late', clock.now()]), 100)

      expect(clock.advance(25)).to.equal(3)
      expect(fired).to.deep.equal([['a', 10], ['b1', 20], ['b2', 20]])
      expect(clock.now()).to.equal(25)
      expect(clock.pendingTimers()).to.equal(2)

      clock.advance(5)
      expect(fired.map(f => f[0])).to.deep.equal(['a', 'b1', 'b2', 'c'])
    })

    it('fires timers scheduled by a firing timer within the same advance', () => {
      const clock = new ManualClock()
      const fired: number[] = []
      clock.setTimeout(() => {
        fired.push(clock.now())
        clock.setTimeout(() => fired.push(clock.now()), 5)
        clock.setTimeout(() => fired.push(clock.now()), 500)
      }, 10)
      clock.advance(20)
      expect(fired).to.deep.equal([10, 15])
      expect(clock.pendingTimers()).to.equal(1)
    })

    it('does not fire cleared timers', () => {
      const clock = new ManualClock()
      let fired = false
      const handle = clock.setTimeout(() => { fired = true }, 10)
      clock.clearTimeout(handle)
      clock.clearTimeout(handle)
      clock.advance(100)
      expect(fired).to.equal(false)
    })

    it('keeps firing other timers when one throws, then rethrows', () => {
      const clock = new ManualClock()
      let second = false
      clock.setTimeout(() => { throw new RangeError('boom') }, 1)
      clock.setTimeout(() => { second = true }, 2)
      expect(() => clock.advance(5)).to.throw(RangeError)
      expect(second).to.equal(true)
      expect(clock.now()).to.equal(5)
    })

    it('runNext jumps to the next timer', () => {
      const clock = new ManualClock()
      let fired = 0
      clock.setTimeout(() => { fired++ }, 1_000)
      expect(clock.runNext()).to.equal(true)
      expect(clock.now()).to.equal(1_000)
      expect(fired).to.equal(1)
      expect(clock.runNext()).to.equal(false)
    })

    it('sleep resolves when time is advanced and rejects on abort', async () => {
      const clock = new ManualClock()
      let done = false
      const slept = clock.sleep(50).then(() => { done = true })
      clock.advance(49)
      await Promise.resolve()
      expect(done).to.equal(false)
      clock.advance(1)
      await slept
      expect(done).to.equal(true)

      const controller = new AbortController()
      const aborted = clock.sleep(50, { signal: controller.signal })
      controller.abort()
      const err = await aborted.then(() => undefined, (e: Error) => e)
      expect(err).to.have.property('name', 'AbortError')
      expect(clock.pendingTimers()).to.equal(0)
    })

    it('rejects sleep at once with an already aborted signal', async () => {
      const clock = new ManualClock()
      const err = await clock.sleep(1, { signal: AbortSignal.abort() }).then(() => undefined, (e: Error) => e)
      expect(err).to.have.property('name', 'AbortError')
    })
  })

  describe('WallClock', () => {
    it('rejects a non-positive speed-up', () => {
      expect(() => new WallClock({ speedUp: 0 })).to.throw()
      expect(() => new WallClock({ speedUp: -2 })).to.throw()
    })

    it('starts at the start epoch and runs N times faster than real time', async () => {
      const realBefore = performance.now()
      const clock = new WallClock({ speedUp: 100, startEpoch: 5_000_000 })
      const realAfterCreate = performance.now()
      expect(clock.now()).to.be.at.least(5_000_000)
      await waitFor(() => performance.now() - realAfterCreate >= 30, { what: '30 real ms' })
      const realBeforeRead = performance.now()
      const clockElapsed = clock.now() - 5_000_000
      const realAfterRead = performance.now()
      // the clock's elapsed time is 100x the real time between its creation and
      // the read, which lies between these two real intervals
      expect(clockElapsed).to.be.at.least((realBeforeRead - realAfterCreate) * 100)
      expect(clockElapsed).to.be.at.most((realAfterRead - realBefore) * 100)
    })

    it('scales timers: a 60 s timer at speed-up 1000 fires after about 60 real ms', async () => {
      const clock = new WallClock({ speedUp: 1_000 })
      const realStart = performance.now()
      const clockStart = clock.now()
      let firedAt: number | undefined
      let realFiredAt: number | undefined
      clock.setTimeout(() => {
        firedAt = clock.now()
        realFiredAt = performance.now()
      }, 60_000)
      await waitFor(() => firedAt, { what: 'the timer', timeoutMs: 30_000 })
      // never early, in either time base
      expect(firedAt! - clockStart).to.be.at.least(60_000 - 1_000)
      expect(realFiredAt! - realStart).to.be.at.least(60 - 1)
      // an unscaled timer would need 60 real seconds; waitFor gives up at 30
      expect(clock.pendingTimers()).to.equal(0)
    })

    it('clearTimeout cancels and sleep aborts', async () => {
      const clock = new WallClock({ speedUp: 1_000 })
      let fired = false
      const handle = clock.setTimeout(() => { fired = true }, 10)
      clock.clearTimeout(handle)
      await clock.sleep(100)
      expect(fired).to.equal(false)

      const controller = new AbortController()
      const p = clock.sleep(60_000_000, { signal: controller.signal })
      controller.abort()
      const err = await p.then(() => undefined, (e: Error) => e)
      expect(err).to.have.property('name', 'AbortError')
      expect(clock.pendingTimers()).to.equal(0)
    })
  })
})
