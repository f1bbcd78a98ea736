import type { RunProgress } from '../../sim/index.js'

/** Options of {@link ProgressBar} */
export interface ProgressBarInit {
  /** Where to draw. @default process.stderr */
  stream?: NodeJS.WriteStream
  /** Without a TTY, print a plain line at most this often, ms. @default 5000 */
  plainEveryMs?: number
  /** Width of the bar, characters. @default 30 */
  width?: number
}

/**
 * A progress bar with an ETA for each run of a simulation: redrawn in place
 * on a TTY, a plain line every few seconds otherwise (logs, CI).
 */
export class ProgressBar {
  private readonly stream: NodeJS.WriteStream
  private readonly tty: boolean
  private readonly plainEveryMs: number
  private readonly width: number
  private run = ''
  private runStart = 0
  private lastPlain = 0
  private drawn = false

  constructor (init: ProgressBarInit = {}) {
    this.stream = init.stream ?? process.stderr
    this.tty = this.stream.isTTY === true
    this.plainEveryMs = init.plainEveryMs ?? 5000
    this.width = init.width ?? 30
  }

  /** Report progress; the ETA is extrapolated from this run's wall time so far */
  update (p: RunProgress): void {
    const now = performance.now()
    if (p.run !== this.run) {
      this.finishLine()
      this.run = p.run
      this.runStart = now
      this.lastPlain = 0
    }
    const frac = p.totalS > 0 ? Math.min(1, p.simS / p.totalS) : 1
    const elapsed = (now - this.runStart) / 1000
    const eta = frac > 0 && frac < 1 ? elapsed * (1 - frac) / frac : 0
    const text = `${p.run.padEnd(13)} ${formatClock(p.simS)}/${formatClock(p.totalS)} sim, ${p.served} served, ${p.cancelled} cancelled of ${p.requests}${p.speedUp != null ? `, clock ${p.speedUp.toPrecision(2)}x` : ''}, ETA ${formatClock(eta)}`
    if (this.tty) {
      const filled = Math.round(frac * this.width)
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${text}\u001b[K`)
      this.drawn = true
    } else if (now - this.lastPlain >= this.plainEveryMs) {
      this.lastPlain = now
      this.stream.write(`${(frac * 100).toFixed(0)}% ${text}\n`)
    }
  }

  /** End the bar's line (call once the runs are over) */
  done (): void {
    this.finishLine()
  }

  private finishLine (): void {
    if (this.tty && this.drawn) this.stream.write('\n')
    this.drawn = false
  }
}

/** `h:mm:ss` of a number of seconds */
export function formatClock (seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}
