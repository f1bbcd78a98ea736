import { expect } from 'chai'
import { DilatingClock } from '../../../sim/index.js'
import type { RealTime } from '../../../sim/index.js'

/** Real time by hand: `run(ms)` lets ms pass with a responsive loop, `stall(ms)` with a blocked one */
class FakeReal implements RealTime {
  t = 0
  private next = 1
  private readonly timers = new Map<number, { due: number, fn: () => void }>()
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.next++
    this.timers.set(id, { due: this.t + ms, fn })
    return id
  }

  clearTimeout = (id: any): void => { this.timers.delete(id) }

  /** ms pass; timers fire on time, in order */
  run (ms: number): void {
    const end = this.t + ms
    for (;;) {
      let best: [number, { due: number, fn: () => void }] | undefined
      for (const e of this.timers) if (e[1].due <= end && (best == null || e[1].due < best[1].due)) best = e
      if (best == null) break
      this.timers.delete(best[0])
      this.t = Math.max(this.t, best[1].due)
      best[1].fn()
    }
    this.t = end
  }

  /** ms pass with the loop blocked: nothing fires until the next `run` */
  stall (ms: number): void {
    this.t += ms
  }
}

describe('sim/dilating-clock', () => {
  it('runs at its speed-up while the loop keeps up, and fires timers at their clock time', () => {
    const real = new FakeReal()
    const clock = new DilatingClock({ speedUp: 60, real, lagMs: () => 0 })
    const fired: Array<[string, number]> = []
    clock.setTimeout(() => fired.push(['b', clock.now()]), 30_000)
    clock.setTimeout(() => fired.push(['a', clock.now()]), 6_000)
    const cleared = clock.setTimeout(() => fired.push(['never', clock.now()]), 1_000)
    clock.clearTimeout(cleared)
    real.run(1_000)
    expect(clock.now()).to.equal(60_000)
    expect(fired.map(f => f[0])).to.deep.equal(['a', 'b'])
    expect(fired[0][1]).to.be.within(6_000, 6_000 + 60)
    expect(fired[1][1]).to.be.within(30_000, 30_000 + 60)
    expect(clock.pendingTimers()).to.equal(0)
    expect(clock.report().effectiveSpeedUp).to.equal(60)
    clock.stop()
  })

  it('slows down while the loop lags, so one lag costs at most the budget of simulated time', () => {
    const real = new FakeReal()
    let lag = 0
    const clock = new DilatingClock({ speedUp: 60, maxLagSimMs: 2_000, real, lagMs: () => lag })
    real.run(1_000)
    expect(clock.currentSpeedUp).to.equal(60)
    lag = 400
    real.run(100)
    // 2 simulated s per 400 ms of lag: 5x
    expect(clock.currentSpeedUp).to.be.closeTo(5, 1e-9)
    const before = clock.now()
    let firedAt: number | undefined
    clock.setTimeout(() => { firedAt = real.now() }, 5_000)
    real.run(1_000)
    expect(firedAt, 'a 5 s timer at 5x fires after about 1 real s').to.be.within(real.now() - 1_000 + 990, real.now())
    expect(clock.now() - before).to.be.closeTo(5_000, 5 * 100 + 1)
    // the lag goes away: the rate comes back up, never above the speed-up
    lag = 0
    real.run(10_000)
    expect(clock.currentSpeedUp).to.equal(60)
    const report = clock.report()
    expect(report.lowestSpeedUp).to.be.closeTo(5, 1e-9)
    expect(report.effectiveSpeedUp).to.be.below(60)
    expect(report.dilatedMs).to.be.above(1_000)
    clock.stop()
  })

  it('does not count a stall beyond the budget, and measures the lag by its own late tick', () => {
    const real = new FakeReal()
    const clock = new DilatingClock({ speedUp: 60, maxLagSimMs: 2_000, tickMs: 100, real })
    real.run(1_000)
    const before = clock.now()
    real.stall(3_000)
    // read during the stall: frozen once the budget is spent
    const during = clock.now()
    expect(during - before).to.be.at.most(100 * 60 + 2_000)
    real.run(1)
    expect(clock.now() - before, 'a 3 s stall at 60x costs the budget, not 180 simulated s').to.be.at.most(100 * 60 + 2_000 + 60 + 1)
    // the late tick measured about 3 s of lag: the clock slowed to 2000 / 3000
    expect(clock.currentSpeedUp).to.be.closeTo(2_000 / 3_000, 0.05)
    expect(clock.report().skippedSimMs).to.be.above(100_000)
    // time never runs backwards
    let last = clock.now()
    for (let i = 0; i < 50; i++) {
      real.run(37)
      expect(clock.now()).to.be.at.least(last)
      last = clock.now()
    }
    clock.stop()
  })

  it('gives up, once, when the loop lags beyond the budget even at the lowest rate', () => {
    const real = new FakeReal()
    const reports: number[] = []
    const clock = new DilatingClock({
      speedUp: 10,
      minSpeedUp: 1,
      maxLagSimMs: 1_000,
      giveUpAfterMs: 5_000,
      real,
      lagMs: () => 4_000,
      onGiveUp: r => reports.push(r.lowestSpeedUp)
    })
    real.run(4_000)
    expect(reports).to.deep.equal([])
    expect(clock.currentSpeedUp).to.equal(1)
    real.run(5_000)
    expect(reports).to.deep.equal([1])
    real.run(10_000)
    expect(reports).to.have.length(1)
    clock.stop()
  })

  it('keeps timers in order across rate changes, and a stopped clock fires nothing', () => {
    const real = new FakeReal()
    let lag = 0
    const clock = new DilatingClock({ speedUp: 20, real, lagMs: () => lag })
    const order: number[] = []
    for (const ms of [9_000, 1_000, 5_000, 5_000, 20_000]) clock.setTimeout(() => order.push(ms), ms)
    real.run(100)
    lag = 1_000
    real.run(2_000)
    lag = 0
    real.run(10_000)
    expect(order).to.deep.equal([1_000, 5_000, 5_000, 9_000, 20_000])
    clock.setTimeout(() => order.push(-1), 1)
    clock.stop()
    real.run(10_000)
    expect(order).to.not.include(-1)
  })
})
