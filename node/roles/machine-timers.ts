/**
 * The timers a negotiation machine asks for (`set-timer`, `clear-timer` actions), by the
 * machine's timer id, on the node's clock. The driver keeps one set; the rider one per ride.
 */
import type { Clock, TimerHandle } from '../clock/index.js'

/** Timers by id on a clock: setting an id again replaces its timer. */
export class MachineTimers {
  private readonly clock: Clock
  private readonly handles = new Map<string, TimerHandle>()

  constructor (clock: Clock) {
    this.clock = clock
  }

  /** Calls `fire` after `afterMs` of the clock, unless the id is cleared or set again first. */
  set (id: string, afterMs: number, fire: () => void): void {
    this.clear(id)
    this.handles.set(id, this.clock.setTimeout(() => {
      this.handles.delete(id)
      fire()
    }, afterMs))
  }

  clear (id: string): void {
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
  }
}
