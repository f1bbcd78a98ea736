/**
 * A simulation clock that slows down while the event loop lags (time dilation), so that a
 * process running many libp2p nodes reports the same results on a slow host as on a fast one,
 * only later.
 *
 * Why: the nodes of a `libp2p`-mode run share one sped-up clock, but their libp2p work (noise
 * handshakes, identify, DHT queries, gossip validation) costs real CPU. When the event loop of
 * the process lags by L real ms, every step of every protocol is late by L × speed-up clock ms:
 * at 60× a 3 s lag is 3 simulated minutes per step, riders give up before their quotes arrive
 * and the run reports a service rate that says more about the host than about Hitch. The clock
 * here bounds what one lag may cost in simulated time ({@link DilatingClockInit.maxLagSimMs}):
 *
 * - its rate is `min(speedUp, maxLagSimMs / lag)`, where `lag` is the loop's recent lag (fast to
 *   rise, slow to fall), so a lagging loop slows simulated time down and the load per real
 *   second (riders arriving, rides moving) falls with it;
 * - between two control ticks time runs at that rate, but never further than
 *   `tick + maxLagSimMs / rate` real ms past the last tick: a stall (a long synchronous task, a
 *   GC pause) costs at most `maxLagSimMs` of simulated time, however long it was.
 *
 * If the loop still lags beyond the budget at the lowest rate (`minSpeedUp`) for
 * `giveUpAfterMs` real ms, the host cannot hold this many nodes at all: the clock calls
 * `onGiveUp` (the run stops and says so).
 *
 * Timers are kept in one heap under a single real timer (re-armed when the rate changes).
 */
import { InvalidParametersError } from '@libp2p/interface'
import { sleepOn } from '../node/clock/sleep.js'
import { OrderedHeap } from './ordered-heap.js'
import type { Clock, TimerHandle } from '../node/clock/index.js'
import type { AbortOptions } from '@libp2p/interface'

/** Real time as the dilating clock reads it: a monotonic ms reading and real timers */
export interface RealTime {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: any) => void
}

/** The process's real time: `performance.now()` and unreferenced Node.js timers */
export const PROCESS_REAL_TIME: RealTime = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: h => { clearTimeout(h as NodeJS.Timeout) }
}

/**
 * Wall time (ms since the epoch, monotonic within the process) and unreferenced Node.js
 * timers: the real time of paced clocks, which processes on one host (or NTP-synchronised
 * hosts) agree on.
 */
export const WALL_REAL_TIME: RealTime = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: PROCESS_REAL_TIME.setTimeout,
  clearTimeout: PROCESS_REAL_TIME.clearTimeout
}

/** @default 2000: a lag may cost a rider at most 2 simulated seconds per protocol step */
export const DEFAULT_MAX_LAG_SIM_MS = 2_000

/** Options of {@link LagGovernor} */
export interface LagGovernorInit {
  speedUp: number
  /** @default DEFAULT_MAX_LAG_SIM_MS */
  maxLagSimMs?: number
  /** @default speedUp / 100 */
  minSpeedUp?: number
  /** @default 60_000 */
  giveUpAfterMs?: number
}

/**
 * The rule of time dilation, apart from any clock: given the event loop's lag now and then,
 * the rate (simulated ms per real ms) that keeps one lag under `maxLagSimMs` of simulated time,
 * `min(speedUp, maxLagSimMs / lag)`, with the lag smoothed fast up and slowly down; and whether
 * the loop has lagged beyond the budget at the lowest rate for `giveUpAfterMs`. The
 * {@link DilatingClock} of one process and the coordinator of a multi-process run (which paces
 * its workers' clocks by their worst lag) both use it.
 */
export class LagGovernor {
  readonly speedUp: number
  readonly maxLagSimMs: number
  readonly minSpeedUp: number
  readonly giveUpAfterMs: number
  /** the smoothed lag, real ms */
  smoothLagMs = 0
  /** the worst smoothed lag seen, real ms */
  worstLagMs = 0
  private overSince: number | undefined
  private gaveUp = false

  constructor (init: LagGovernorInit) {
    const { speedUp } = init
    if (!Number.isFinite(speedUp) || speedUp <= 0) throw new InvalidParametersError('speedUp must be a finite number > 0')
    this.speedUp = speedUp
    this.maxLagSimMs = init.maxLagSimMs ?? DEFAULT_MAX_LAG_SIM_MS
    if (!(this.maxLagSimMs > 0)) throw new InvalidParametersError('maxLagSimMs must be > 0')
    this.minSpeedUp = Math.min(speedUp, init.minSpeedUp ?? speedUp / 100)
    if (!(this.minSpeedUp > 0)) throw new InvalidParametersError('minSpeedUp must be > 0')
    this.giveUpAfterMs = init.giveUpAfterMs ?? 60_000
  }

  /**
   * The rate after a lag of `lagMs` seen at real time `realNow`; `giveUp` is true once (the
   * first time the loop has lagged beyond the budget at the lowest rate for `giveUpAfterMs`).
   */
  observe (lagMs: number, realNow: number): { rate: number, giveUp: boolean } {
    const lag = Math.max(0, lagMs)
    // fast to rise, slow to fall: one quiet tick does not undo a lagging second
    this.smoothLagMs = lag >= this.smoothLagMs ? lag : this.smoothLagMs * 0.9 + lag * 0.1
    this.worstLagMs = Math.max(this.worstLagMs, this.smoothLagMs)
    const wanted = this.smoothLagMs > 0 ? this.maxLagSimMs / this.smoothLagMs : Infinity
    let giveUp = false
    if (wanted < this.minSpeedUp) {
      this.overSince ??= realNow
      if (!this.gaveUp && realNow - this.overSince >= this.giveUpAfterMs) {
        this.gaveUp = true
        giveUp = true
      }
    } else {
      this.overSince = undefined
    }
    return { rate: Math.max(this.minSpeedUp, Math.min(this.speedUp, wanted)), giveUp }
  }
}

/** Options of {@link DilatingClock} */
export interface DilatingClockInit {
  /** Simulated ms per real ms while the loop keeps up (> 0) */
  speedUp: number
  /**
   * The clock's time (ms since the epoch) when it is created.
   *
   * @default 0
   */
  startEpoch?: number
  /**
   * The most simulated ms one lag of the event loop may cost: the rate is held at or below
   * `maxLagSimMs / lag`.
   *
   * @default DEFAULT_MAX_LAG_SIM_MS (2 s)
   */
  maxLagSimMs?: number
  /**
   * Real ms between two control ticks (each measures the loop's lag and sets the rate).
   *
   * @default 100
   */
  tickMs?: number
  /**
   * The lowest rate, simulated ms per real ms.
   *
   * @default speedUp / 100
   */
  minSpeedUp?: number
  /**
   * The loop's lag in real ms, read at each control tick. Without it, the lateness of the
   * control tick's own timer (how late the loop ran it).
   */
  lagMs?: () => number
  /**
   * Real ms at the lowest rate with the loop still over budget after which `onGiveUp` is called.
   *
   * @default 60_000
   */
  giveUpAfterMs?: number
  /** Called once when the loop cannot keep up even at the lowest rate */
  onGiveUp?: (report: DilationReport) => void
  /**
   * `'self'`: the clock measures its own process's loop and sets its rate. `'paced'`: the clock
   * runs at the rates {@link DilatingClock.pace} gives it, at the real instants given (the
   * processes of a multi-process run, paced by their coordinator so that they keep reading
   * the same time); no control ticks, no cut-off of stalls.
   *
   * @default 'self'
   */
  mode?: 'self' | 'paced'
  /** @default PROCESS_REAL_TIME ('self'), WALL_REAL_TIME ('paced') */
  real?: RealTime
}


/** What the clock did to keep up, for the run's notes */
export interface DilationReport {
  speedUp: number
  /** simulated ms per real ms over the clock's life (or since {@link DilatingClock.resetReport}) */
  effectiveSpeedUp: number
  /** the lowest rate the clock ran at */
  lowestSpeedUp: number
  /** real ms spent below `speedUp` */
  dilatedMs: number
  /** real ms measured */
  realMs: number
  /** the worst smoothed lag the controller saw, real ms */
  worstLagMs: number
  /** simulated ms of stalls not counted (a stall beyond the budget) */
  skippedSimMs: number
}

interface Pending {
  id: number
  due: number
  fn: () => void
}

/**
 * A {@link Clock} whose rate follows the event loop's health; see the module comment.
 */
export class DilatingClock implements Clock {
  readonly speedUp: number
  readonly maxLagSimMs: number
  readonly minSpeedUp: number
  readonly mode: 'self' | 'paced'
  private readonly tickMs: number
  private readonly real: RealTime
  private readonly lagSource?: () => number
  private readonly governor: LagGovernor
  private readonly onGiveUp?: (report: DilationReport) => void
  private readonly paces = new Set<unknown>()
  private rate: number
  private anchorReal: number
  private anchorSim: number
  private lastRead: number
  private readonly heap = new OrderedHeap<Pending>((a, b) => a.due < b.due || (a.due === b.due && a.id < b.id))
  private readonly live = new Map<number, Pending>()
  private nextId = 1
  private armed: unknown = undefined
  private armedFor = Infinity
  private control: unknown = undefined
  private controlDue = 0
  private stopped = false
  // report
  private reportRealStart: number
  private reportSimStart: number
  private lowest: number
  private dilatedMs = 0
  private skippedSimMs = 0

  constructor (init: DilatingClockInit) {
    this.governor = new LagGovernor(init)
    const { speedUp } = init
    this.speedUp = speedUp
    this.maxLagSimMs = this.governor.maxLagSimMs
    this.minSpeedUp = this.governor.minSpeedUp
    this.mode = init.mode ?? 'self'
    this.tickMs = init.tickMs ?? 100
    this.real = init.real ?? (this.mode === 'paced' ? WALL_REAL_TIME : PROCESS_REAL_TIME)
    this.lagSource = init.lagMs
    this.onGiveUp = init.onGiveUp
    this.rate = speedUp
    this.anchorReal = this.real.now()
    this.anchorSim = init.startEpoch ?? 0
    this.lastRead = this.anchorSim
    this.reportRealStart = this.anchorReal
    this.reportSimStart = this.anchorSim
    this.lowest = speedUp
    if (this.mode === 'self') this.scheduleControl()
  }

  /**
   * A paced clock runs at `rate` from the real instant `atReal` on (now or later; a pace whose
   * instant has passed applies at once, from that instant). Paces apply in the order given.
   */
  pace (atReal: number, rate: number): void {
    if (this.mode !== 'paced') throw new InvalidParametersError('pace() is for a paced clock')
    if (!(Number.isFinite(rate) && rate > 0)) throw new InvalidParametersError('rate must be a finite number > 0')
    if (this.stopped) return
    const apply = (): void => {
      const at = Math.max(atReal, this.anchorReal)
      if (this.rate < this.speedUp) this.dilatedMs += at - this.anchorReal
      this.anchorSim = this.anchorSim + (at - this.anchorReal) * this.rate
      this.anchorReal = at
      this.rate = Math.min(this.speedUp, rate)
      this.lowest = Math.min(this.lowest, this.rate)
      this.arm()
    }
    const wait = atReal - this.real.now()
    if (wait <= 0) { apply(); return }
    const handle = this.real.setTimeout(() => { this.paces.delete(handle); apply() }, wait)
    this.paces.add(handle)
  }

  /** The current rate: simulated ms per real ms */
  get currentSpeedUp (): number {
    return this.rate
  }

  now (): number {
    const t = this.compute(this.real.now())
    // monotonic, whatever the real source does
    if (t > this.lastRead) this.lastRead = t
    return this.lastRead
  }

  setTimeout (fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    const timer: Pending = { id, due: this.now() + Math.max(0, ms), fn }
    this.live.set(id, timer)
    this.heap.push(timer)
    if (timer.due < this.armedFor) this.arm()
    return { id }
  }

  clearTimeout (handle: TimerHandle): void {
    this.live.delete(handle.id)
    if (this.heap.size > 1024 && this.heap.size > 2 * this.live.size) this.compact()
  }

  async sleep (ms: number, options?: AbortOptions): Promise<void> {
    await sleepOn(this, ms, options)
  }

  /** Number of timers that have not fired or been cleared yet */
  pendingTimers (): number {
    return this.live.size
  }

  /** What the clock did since it was made (or since the last {@link resetReport}) */
  report (): DilationReport {
    const realNow = this.real.now()
    const realMs = realNow - this.reportRealStart
    return {
      speedUp: this.speedUp,
      effectiveSpeedUp: realMs > 0 ? (this.now() - this.reportSimStart) / realMs : this.rate,
      lowestSpeedUp: this.lowest,
      dilatedMs: this.dilatedMs + (this.rate < this.speedUp ? Math.max(0, realNow - this.anchorReal) : 0),
      realMs,
      worstLagMs: this.governor.worstLagMs,
      skippedSimMs: this.skippedSimMs
    }
  }

  /** Starts the report afresh (e.g. at simulated time 0, after the nodes' start-up) */
  resetReport (): void {
    this.reportRealStart = this.real.now()
    this.reportSimStart = this.now()
    this.lowest = this.rate
    this.dilatedMs = 0
    this.governor.worstLagMs = this.governor.smoothLagMs
    this.skippedSimMs = 0
  }

  /** Stops the control ticks and the real timer; pending timers never fire */
  stop (): void {
    this.stopped = true
    if (this.control !== undefined) this.real.clearTimeout(this.control)
    if (this.armed !== undefined) this.real.clearTimeout(this.armed)
    for (const p of this.paces) this.real.clearTimeout(p)
    this.paces.clear()
    this.control = undefined
    this.armed = undefined
    this.armedFor = Infinity
  }

  // ---- time ------------------------------------------------------------------------------

  /** Real ms past the anchor that count: a stall beyond the budget is cut off */
  private maxStepMs (): number {
    return this.mode === 'paced' ? Infinity : this.tickMs + this.maxLagSimMs / this.rate
  }

  private compute (realNow: number): number {
    const elapsed = Math.max(0, realNow - this.anchorReal)
    return this.anchorSim + Math.min(elapsed, this.maxStepMs()) * this.rate
  }

  private frozen (realNow: number): boolean {
    return realNow - this.anchorReal >= this.maxStepMs()
  }

  private scheduleControl (): void {
    if (this.stopped) return
    this.controlDue = this.real.now() + this.tickMs
    this.control = this.real.setTimeout(() => { this.onControl() }, this.tickMs)
  }

  /** A control tick: measure the lag, re-anchor, set the rate, re-arm */
  private onControl (): void {
    this.control = undefined
    if (this.stopped) return
    const realNow = this.real.now()
    const lateness = Math.max(0, realNow - this.controlDue)
    const lag = Math.max(0, this.lagSource != null ? this.lagSource() : lateness)

    // re-anchor at the time reached so far (a stall beyond the budget is not counted)
    const elapsed = Math.max(0, realNow - this.anchorReal)
    const cut = elapsed - this.maxStepMs()
    if (cut > 0) this.skippedSimMs += cut * this.rate
    const simNow = Math.max(this.lastRead, this.compute(realNow))
    if (this.rate < this.speedUp) this.dilatedMs += elapsed
    this.anchorSim = simNow
    this.anchorReal = realNow

    const { rate, giveUp } = this.governor.observe(lag, realNow)
    this.rate = rate
    this.lowest = Math.min(this.lowest, this.rate)
    if (giveUp) this.onGiveUp?.(this.report())

    this.arm()
    this.scheduleControl()
  }

  // ---- timers ----------------------------------------------------------------------------

  /** (Re-)arms the one real timer for the earliest pending timer */
  private arm (): void {
    if (this.armed !== undefined) {
      this.real.clearTimeout(this.armed)
      this.armed = undefined
      this.armedFor = Infinity
    }
    if (this.stopped) return
    const next = this.peek()
    if (next == null) return
    const realNow = this.real.now()
    // frozen past a stall: the next control tick re-anchors and re-arms
    if (this.frozen(realNow) && next.due > this.compute(realNow)) return
    const delay = Math.max(0, (next.due - this.compute(realNow)) / this.rate)
    this.armedFor = next.due
    this.armed = this.real.setTimeout(() => { this.fire() }, Math.ceil(delay))
  }

  private fire (): void {
    this.armed = undefined
    this.armedFor = Infinity
    let failed = false
    let firstError: unknown
    for (;;) {
      const next = this.peek()
      if (next == null || next.due > this.now()) break
      this.heap.pop()
      this.live.delete(next.id)
      try {
        next.fn()
      } catch (err) {
        if (!failed) { failed = true; firstError = err }
      }
    }
    this.arm()
    if (failed) throw firstError
  }

  /** The earliest live timer (cleared ones are dropped from the top) */
  private peek (): Pending | undefined {
    while (this.heap.size > 0 && !this.live.has(this.heap.peek()!.id)) this.heap.pop()
    return this.heap.peek()
  }

  private compact (): void {
    this.heap.retain(t => this.live.has(t.id))
  }
}
