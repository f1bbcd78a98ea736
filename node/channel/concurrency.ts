/**
 * The concurrency tools of the channel engine that libp2p's do not cover: promises with their
 * resolvers (`Promise.withResolvers`), a bounded FIFO (`@libp2p/utils`' `Queue`) whose running
 * tasks keep their slot until done, the one-task-per-turn queue that keeps two peers working at
 * once, and timeouts on the node's clock.
 */
import { Queue } from '@libp2p/utils'
import type { Clock } from '../clock/index.js'

/** A promise with its resolve and reject at hand (`PromiseWithResolvers`, ES2024). */
export interface Resolvers<T> { promise: Promise<T>, resolve: (v: T) => void, reject: (e: unknown) => void }

/**
 * `Promise.withResolvers()` (Node 22+; the project's `lib` is ES2023, which does not type it),
 * with an unhandled rejection never reported: a payment may fail before anyone awaits it.
 */
export function withResolvers<T> (): Resolvers<T> {
  const r = (Promise as unknown as { withResolvers: <U>() => Resolvers<U> }).withResolvers<T>()
  r.promise.catch(() => {})
  return r
}

/** At most `concurrency` tasks at once, in the order they were added (proposals per channel, requests per peer). */
export function boundedQueue (concurrency: number): Queue<unknown> {
  return new Queue<unknown>({ concurrency })
}

/**
 * Runs `fn` in `queue`. `signal` takes the task out of the queue while it waits (the call then
 * rejects with its reason); once running, the task keeps its slot until `fn` settles (`fn` sees
 * `signal` itself), so an abort never lets more than the queue's concurrency run at once.
 */
export async function inQueue<T> (queue: Queue<unknown>, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal == null) return await queue.add(fn) as T
  signal.throwIfAborted()
  const waiting = new AbortController()
  const onAbort = (): void => { waiting.abort(signal.reason) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await queue.add(async () => {
      signal.removeEventListener('abort', onAbort)
      return await fn()
    }, { signal: waiting.signal }) as T
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Runs tasks one per turn of the event loop, after the I/O that finished meanwhile. Frames come
 * in bursts (all those one write carried) and so do the payments a group commit frees; checking
 * or signing them all in one go would hold back the fsyncs and sends that finished meanwhile
 * until the whole burst is done, and the two peers would take turns instead of working at once.
 * One task per turn: an immediate queued by an immediate runs only in the next turn, after the
 * event loop has polled for I/O. Tasks keep the order of the calls. (`@libp2p/utils`' queues
 * start the next task as soon as one settles, in the same turn: they do not give this.)
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
    const { promise, resolve } = withResolvers<void>()
    this.run(resolve)
    await promise
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
