import { InvalidParametersError } from '@libp2p/interface'
import { sleepOn } from './sleep.js'
import type { Clock, TimerHandle } from './clock.js'
import type { AbortOptions } from '@libp2p/interface'

/** Options for {@link WallClock} */
export interface WallClockInit {
  /**
   * Time passes this many times faster than real time. Must be > 0.
   *
   * @default 1
   */
  speedUp?: number

  /**
   * The clock's time (ms since the epoch) at the moment it is created.
   *
   * @default Date.now()
   */
  startEpoch?: number

  /**
   * Do not keep the Node.js process alive just for this clock's timers.
   *
   * @default false
   */
  unref?: boolean
}

/** @default 1 */
export const DEFAULT_SPEED_UP = 1

/**
 * The production clock: real time, optionally compressed. With `speedUp: N`,
 * `now() = startEpoch + realElapsed × N` and a timer of `ms` fires after
 * `ms / N` real milliseconds, so a simulated hour can run in a minute.
 */
export class WallClock implements Clock {
  readonly speedUp: number
  readonly startEpoch: number
  private readonly realStart: number
  private readonly unref: boolean
  private readonly timers = new Map<number, NodeJS.Timeout>()
  private nextId = 1

  constructor (init: WallClockInit = {}) {
    const speedUp = init.speedUp ?? DEFAULT_SPEED_UP
    if (!Number.isFinite(speedUp) || speedUp <= 0) {
      throw new InvalidParametersError('speedUp must be a finite number > 0')
    }
    this.speedUp = speedUp
    this.startEpoch = init.startEpoch ?? Date.now()
    this.unref = init.unref ?? false
    this.realStart = performance.now()
  }

  now (): number {
    return this.startEpoch + (performance.now() - this.realStart) * this.speedUp
  }

  setTimeout (fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    const realMs = Math.max(0, ms) / this.speedUp
    const timer = setTimeout(() => {
      this.timers.delete(id)
      fn()
    }, realMs)
    if (this.unref) {
      timer.unref()
    }
    this.timers.set(id, timer)
    return { id }
  }

  clearTimeout (handle: TimerHandle): void {
    const timer = this.timers.get(handle.id)
    if (timer != null) {
      clearTimeout(timer)
      this.timers.delete(handle.id)
    }
  }

  async sleep (ms: number, options?: AbortOptions): Promise<void> {
    await sleepOn(this, ms, options)
  }

  /** Number of timers that have not fired or been cleared yet */
  pendingTimers (): number {
    return this.timers.size
  }
}
