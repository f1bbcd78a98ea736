/**
 * Small concurrency tools of the channel engine: a deferred promise, a counting semaphore, the
 * one-task-per-turn queue that keeps two peers working at once, and timeouts on the node's clock.
 */
import type { Clock } from '../clock/index.js'

/** A promise with its resolve and reject at hand; an unhandled rejection is never reported. */
export interface Deferred<T> { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void }

export function deferred<T> (): Deferred<T> {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/** A counting semaphore (in-flight proposals per channel, requests per peer). */
export class Slots {
  private free: number
  private readonly queue: Array<() => void> = []
  constructor (n: number) { this.free = n }

  async take (signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted()
    if (this.free > 0) { this.free--; return }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => { signal?.removeEventListener('abort', onAbort); resolve() }
      const onAbort = (): void => {
        const i = this.queue.indexOf(go)
        if (i >= 0) this.queue.splice(i, 1)
        reject(signal?.reason)
      }
      this.queue.push(go)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  give (): void {
    const next = this.queue.shift()
    if (next != null) next()
    else this.free++
  }
}

/**
 * Runs tasks one per turn of the event loop, after the I/O that finished meanwhile. Frames come
 * in bursts (all those one write carried) and so do the payments a group commit frees; checking
 * or signing them all in one go would hold back the fsyncs and sends that finished meanwhile
 * until the whole burst is done, and the two peers would take turns instead of working at once.
 * One task per turn: an immediate queued by an immediate runs only in the next turn, after the
 * event loop has polled for I/O. Tasks keep the order of the calls.
 */
export class Turns {
  private readonly queue: Array<() => void> = []
  private scheduled = false

  /** Tasks waiting for their turn. */
  get size (): number {
    return this.queue.length
  }

  run (fn: () => void): void {
    this.queue.push(fn)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.next)
    }
  }

  /** Resolves in a turn of its own. */
  async turn (): Promise<void> {
    await new Promise<void>(resolve => { this.run(resolve) })
  }

  private readonly next = (): void => {
    this.scheduled = false
    const fn = this.queue.shift()
    if (this.queue.length > 0) {
      this.scheduled = true
      setImmediate(this.next)
    }
    fn?.()
  }
}

/** A signal that aborts after some time of a clock, and the means to cancel it. */
export interface ClockTimeout {
  /** aborted with the reason given once the time is over */
  signal: AbortSignal
  /** cancels the timer (call it once the work is done) */
  clear: () => void
}

/**
 * An `AbortSignal.timeout` on `clock`: aborts after `ms` of the node's clock (virtual time in a
 * simulation), not of real time, with the reason `reason` makes then (the default one without).
 */
export function timeoutOn (clock: Clock, ms: number, reason?: () => unknown): ClockTimeout {
  const controller = new AbortController()
  const timer = clock.setTimeout(() => { controller.abort(reason?.()) }, ms)
  return { signal: controller.signal, clear: () => { clock.clearTimeout(timer) } }
}
