import { InvalidParametersError } from '@libp2p/interface'
import { sleepOn } from './sleep.js'
import type { Clock, TimerHandle } from './clock.js'
import type { AbortOptions } from '@libp2p/interface'

/** Options for {@link ManualClock} */
export interface ManualClockInit {
  /**
   * The clock's initial time in ms.
   *
   * @default 0
   */
  now?: number
}

interface PendingTimer {
  id: number
  due: number
  fn: () => void
}

/**
 * A clock that only moves when told to. `advance(ms)` fires every timer that
 * falls due, in order of due time (ties in order of creation), with `now()`
 * set to each timer's due time while it runs; timers created by a firing
 * timer fire in the same `advance` if they fall due within it.
 */
export class ManualClock implements Clock {
  private current: number
  private readonly timers = new Map<number, PendingTimer>()
  private nextId = 1

  constructor (init: ManualClockInit = {}) {
    this.current = init.now ?? 0
  }

  now (): number {
    return this.current
  }

  setTimeout (fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    this.timers.set(id, { id, due: this.current + Math.max(0, ms), fn })
    return { id }
  }

  clearTimeout (handle: TimerHandle): void {
    this.timers.delete(handle.id)
  }

  async sleep (ms: number, options?: AbortOptions): Promise<void> {
    await sleepOn(this, ms, options)
  }

  /**
   * Move time forward by `ms`, firing due timers in order. Returns how many
   * timers fired. A timer that throws does not stop the others; the first
   * error is rethrown once time has reached its target.
   */
  advance (ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new InvalidParametersError('advance(ms) needs a finite ms >= 0')
    }
    const target = this.current + ms
    let fired = 0
    let firstError: unknown
    let failed = false

    for (;;) {
      const next = this.nextDue()
      if (next == null || next.due > target) {
        break
      }
      this.timers.delete(next.id)
      this.current = next.due
      fired++
      try {
        next.fn()
      } catch (err) {
        if (!failed) {
          failed = true
          firstError = err
        }
      }
    }

    this.current = target
    if (failed) {
      throw firstError
    }
    return fired
  }

  /**
   * Advance to the next pending timer and fire it (and any due at the same
   * instant). Returns false when no timer is pending.
   */
  runNext (): boolean {
    const next = this.nextDue()
    if (next == null) {
      return false
    }
    this.advance(next.due - this.current)
    return true
  }

  /** Number of timers that have not fired or been cleared yet */
  pendingTimers (): number {
    return this.timers.size
  }

  private nextDue (): PendingTimer | undefined {
    let best: PendingTimer | undefined
    for (const timer of this.timers.values()) {
      // Map iteration is insertion order, so a strict < keeps ties in creation order
      if (best == null || timer.due < best.due) {
        best = timer
      }
    }
    return best
  }
}
