import type { AbortOptions } from '@libp2p/interface'

/**
 * An opaque handle for a timer created by a {@link Clock}. Only the clock that
 * created it can clear it.
 */
export interface TimerHandle {
  readonly id: number
}

/**
 * The `Clock` port: every reading of time and every timer in the node goes
 * through it, so the same roles run on the wall clock, on a compressed clock
 * in a simulation, or on a hand-driven clock in unit tests.
 */
export interface Clock {
  /** The current time in milliseconds since the Unix epoch (of this clock) */
  now(): number

  /** Call `fn` once after `ms` milliseconds of this clock's time */
  setTimeout(fn: () => void, ms: number): TimerHandle

  /** Cancel a timer; clearing an unknown or already fired timer is a no-op */
  clearTimeout(handle: TimerHandle): void

  /**
   * Resolve after `ms` milliseconds of this clock's time. Rejects with an
   * `AbortError` if the signal aborts first.
   */
  sleep(ms: number, options?: AbortOptions): Promise<void>
}
