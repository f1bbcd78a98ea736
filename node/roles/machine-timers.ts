/**
 * The timers a negotiation machine asks for (`set-timer`, `clear-timer` actions), by the
 * machine's timer id, on the node's clock. The driver keeps one set; the rider one per ride.
 */
import type { Clock, TimerHandle } from '../clock/index.js'

/** Timers by id on a clock: setting an id again replaces its timer. */
export class MachineTimers {
  private readonly clock: Clock
  private readonly handles = new Map<string, TimerHandle>()
  /** timers that fired and whose event was not taken yet, by id */
  private readonly fired = new Map<string, object>()

  constructor (clock: Clock) {
    this.clock = clock
  }

  /**
   * Calls `fire` after `afterMs` of the clock, unless the id is cleared or set again first.
   * `take` is true once, while the id was neither set again nor cleared since the timer fired:
   * a caller that handles the event later (queued behind other work) drops it otherwise, for
   * it is about a timer the machine no longer has.
   */
  set (id: string, afterMs: number, fire: (take: () => boolean) => void): void {
    this.clear(id)
    const token = {}
    this.handles.set(id, this.clock.setTimeout(() => {
      this.handles.delete(id)
      this.fired.set(id, token)
      fire(() => {
        if (this.fired.get(id) !== token) return false
        this.fired.delete(id)
        return true
      })
    }, afterMs))
  }

  clear (id: string): void {
    this.fired.delete(id)
    const handle = this.handles.get(id)
    if (handle != null) {
      this.clock.clearTimeout(handle)
      this.handles.delete(id)
    }
  }

  clearAll (): void {
    for (const handle of this.handles.values()) {
      this.clock.clearTimeout(handle)
    }
    this.handles.clear()
    this.fired.clear()
  }
}
