/**
 * Whether a channel manager runs, the signal its work is aborted by when it stops, and the
 * background work (timers' steps, answers on pipes, re-sends) its `stop()` waits for.
 */
import { ChannelNotStartedError } from './errors.js'

/** A channel manager's run: started or not, its lifetime signal, and its background work. */
export class Lifecycle {
  private lifetime = new AbortController()
  private running = false
  private readonly background = new Set<Promise<unknown>>()

  /** Whether the manager is started (and not stopped since). */
  get started (): boolean {
    return this.running
  }

  /** Aborted when the manager stops (a fresh one for each start). */
  get signal (): AbortSignal {
    return this.lifetime.signal
  }

  /** A fresh lifetime for a start, before anything of it runs. */
  renew (): void {
    this.lifetime = new AbortController()
  }

  /** The manager now counts as started. */
  markStarted (): void {
    this.running = true
  }

  /** The manager stops: no longer started, and its lifetime is aborted. */
  end (): void {
    this.running = false
    this.lifetime.abort(new ChannelNotStartedError('channel manager stopped'))
  }

  /** Runs work in the background until the manager stops (its failure is the work's own business). */
  track (p: Promise<unknown>): void {
    const q = p.catch(() => {}).finally(() => { this.background.delete(q) })
    this.background.add(q)
  }

  /** Resolves once the background work tracked so far has settled. */
  async settled (): Promise<void> {
    await Promise.allSettled([...this.background])
  }

  /** Throws `NOT_STARTED` unless the manager is started. */
  assertStarted (): void {
    if (!this.running) throw new ChannelNotStartedError('channel manager is not started')
  }
}
