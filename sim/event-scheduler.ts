import { AbortError, InvalidParametersError } from '@libp2p/interface'
import { OrderedHeap } from './ordered-heap.js'
import type { Clock, TimerHandle } from '../node/clock/index.js'
import type { AbortOptions } from '@libp2p/interface'

interface ScheduledEvent {
  time: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/** A scheduled event, for {@link EventScheduler.cancel} */
export interface EventHandle {
  readonly seq: number
}

/**
 * The heart of a discrete-event simulation: a priority queue of callbacks
 * keyed by (time, seq). Time is in milliseconds of simulated time from 0;
 * events at the same time run in the order they were scheduled. Nothing
 * reads the wall clock, so a run is a pure function of its inputs.
 */
export class EventScheduler {
  private readonly heap = new OrderedHeap<ScheduledEvent>((a, b) => a.time < b.time || (a.time === b.time && a.seq < b.seq))
  private readonly live = new Map<number, ScheduledEvent>()
  private current = 0
  private nextSeq = 0
  private executed = 0
  private readonly external = new Set<Promise<unknown>>()

  /** Simulated milliseconds since the start */
  now (): number {
    return this.current
  }

  /** Events run so far */
  eventsRun (): number {
    return this.executed
  }

  /** Events waiting to run */
  pending (): number {
    return this.live.size
  }

  /** Time of the next pending event, or undefined */
  nextTime (): number | undefined {
    this.dropCancelled()
    return this.heap.peek()?.time
  }

  /**
   * Run `fn` at simulated time `time` (ms). A time in the past runs at the
   * current time, after the events already due.
   */
  scheduleAt (time: number, fn: () => void): EventHandle {
    if (Number.isNaN(time)) throw new InvalidParametersError('event time is NaN')
    const ev: ScheduledEvent = { time: Math.max(time, this.current), seq: this.nextSeq++, fn, cancelled: false }
    this.heap.push(ev)
    this.live.set(ev.seq, ev)
    return { seq: ev.seq }
  }

  /** Run `fn` `delayMs` after the current time */
  schedule (delayMs: number, fn: () => void): EventHandle {
    return this.scheduleAt(this.current + Math.max(0, delayMs), fn)
  }

  /** Cancel a pending event; unknown or already run events are ignored */
  cancel (handle: EventHandle): void {
    const ev = this.live.get(handle.seq)
    if (ev != null) {
      ev.cancelled = true
      this.live.delete(handle.seq)
    }
  }

  /**
   * Work outside the simulation (a call to the run's EVM) that must finish at the current
   * simulated instant: {@link runUntilAsync} waits for every tracked promise (and what its
   * continuations do) before it runs the next event, so the work takes no simulated time and
   * its results arrive in the same order of events on every run. Returns `work`.
   */
  track<T> (work: Promise<T>): Promise<T> {
    const settled = work.then(() => {}, () => {})
    this.external.add(settled)
    void settled.then(() => { this.external.delete(settled) })
    return work
  }

  /** Tracked work still running */
  pendingWork (): number {
    return this.external.size
  }

  /**
   * Run every event due at or before `time`, in (time, seq) order, then set
   * the time to `time`. Events scheduled by running events run too when they
   * fall due. An event that throws stops the run with that error, the time
   * left at the failed event.
   */
  runUntil (time: number): number {
    let ran = 0
    for (let ev = this.popDue(time); ev != null; ev = this.popDue(time)) {
      this.fire(ev)
      ran++
    }
    if (time > this.current) this.current = time
    return ran
  }

  /**
   * Like {@link runUntil}, but lets promise continuations run after every
   * event (before the next one, at the same simulated time), so async code
   * written against the `Clock` and `Network` ports makes progress as it
   * would on a real event loop, and waits for {@link track}ed work. Stops
   * early when `signal` aborts.
   */
  async runUntilAsync (time: number, options: AbortOptions & { onEvent?: () => void } = {}): Promise<number> {
    let ran = 0
    await this.quiesce()
    for (;;) {
      options.signal?.throwIfAborted()
      const ev = this.popDue(time)
      if (ev == null) break
      this.fire(ev)
      ran++
      await this.quiesce()
      options.onEvent?.()
    }
    if (time > this.current) this.current = time
    return ran
  }

  /** Lets promise continuations run, and waits for tracked work and what it sets off. */
  private async quiesce (): Promise<void> {
    await drainMicrotasks()
    while (this.external.size > 0) {
      await Promise.all([...this.external])
      await drainMicrotasks()
    }
  }

  /** Runs one due event at its time. */
  private fire (ev: ScheduledEvent): void {
    this.current = ev.time
    this.executed++
    ev.fn()
  }

  private popDue (time: number): ScheduledEvent | undefined {
    this.dropCancelled()
    const top = this.heap.peek()
    if (top == null || top.time > time) return undefined
    this.heap.pop()
    this.live.delete(top.seq)
    return top
  }

  private dropCancelled (): void {
    while (this.heap.peek()?.cancelled === true) this.heap.pop()
  }
}

/**
 * Lets every queued promise continuation run: `setImmediate` fires only once
 * the microtask queue is empty. Not a timer: no wall-clock time is measured.
 */
async function drainMicrotasks (): Promise<void> {
  await new Promise<void>(resolve => { setImmediate(resolve) })
}

/** Options for {@link VirtualClock} */
export interface VirtualClockInit {
  /**
   * `now()` at simulated time 0, ms since the epoch.
   *
   * @default 0
   */
  epochMs?: number
}

/**
 * The `Clock` port on an {@link EventScheduler}: `now()` is the scheduler's
 * time (plus an epoch) and timers are scheduled events, so every node of a
 * simulation shares one virtual time.
 */
export class VirtualClock implements Clock {
  readonly scheduler: EventScheduler
  readonly epochMs: number
  private readonly events = new Map<number, EventHandle>()
  private nextId = 1

  constructor (scheduler: EventScheduler, init: VirtualClockInit = {}) {
    this.scheduler = scheduler
    this.epochMs = init.epochMs ?? 0
  }

  now (): number {
    return this.epochMs + this.scheduler.now()
  }

  setTimeout (fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    const ev = this.scheduler.schedule(Math.max(0, ms), () => {
      this.events.delete(id)
      fn()
    })
    this.events.set(id, ev)
    return { id }
  }

  clearTimeout (handle: TimerHandle): void {
    const ev = this.events.get(handle.id)
    if (ev != null) {
      this.scheduler.cancel(ev)
      this.events.delete(handle.id)
    }
  }

  async sleep (ms: number, options: AbortOptions = {}): Promise<void> {
    const signal = options.signal
    if (signal?.aborted === true) throw new AbortError('Sleep aborted')
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.clearTimeout(handle)
        reject(new AbortError('Sleep aborted'))
      }
      const handle = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  /** Timers of this clock that have not fired or been cleared */
  pendingTimers (): number {
    return this.events.size
  }
}
