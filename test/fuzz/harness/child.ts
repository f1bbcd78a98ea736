/**
 * A server under test in a process of its own (`hitch chain`, the `hitch sim` coordinator): the
 * fuzzer talks to it over 127.0.0.1, and its death is a finding instead of the fuzzer's.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A running child and what it printed. */
export class ChildServer {
  readonly process: ChildProcess
  /** the last lines of stderr, for the finding's message */
  readonly stderrTail: string[] = []
  exit?: { code: number | null, signal: NodeJS.Signals | null }
  private readonly exited: Promise<void>

  private constructor (proc: ChildProcess) {
    this.process = proc
    this.exited = new Promise(resolve => {
      proc.once('exit', (code, signal) => { this.exit = { code, signal }; resolve() })
    })
    createInterface({ input: proc.stderr! }).on('line', line => {
      this.stderrTail.push(line)
      if (this.stderrTail.length > 20) this.stderrTail.shift()
    })
  }

  get alive (): boolean {
    return this.exit == null
  }

  /** How it ended, in one line. */
  describeExit (): string {
    if (this.exit == null) return 'still running'
    const how = this.exit.signal != null ? `signal ${this.exit.signal}` : `exit code ${String(this.exit.code)}`
    const last = this.stderrTail.filter(l => l.trim() !== '').slice(-3).join(' | ')
    return `${how}${last !== '' ? `: ${last.slice(0, 400)}` : ''}`
  }

  /**
   * Starts `node ARGS` and resolves once a line of stdout or stderr gives `ready` a value (e.g.
   * the URL it listens on); rejects if it exits first or takes longer than `timeoutMs`.
   */
  static async start<T> (args: string[], ready: (line: string) => T | undefined, options: { timeoutMs?: number, env?: NodeJS.ProcessEnv } = {}): Promise<{ child: ChildServer, value: T }> {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env })
    const child = new ChildServer(proc)
    const value = await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { fail(new Error(`no ready line within ${options.timeoutMs ?? 60_000} ms`)) }, options.timeoutMs ?? 60_000)
      const fail = (err: Error): void => { clearTimeout(timer); proc.kill('SIGKILL'); reject(err) }
      const onLine = (line: string): void => {
        const v = ready(line)
        if (v !== undefined) { clearTimeout(timer); resolve(v) }
      }
      createInterface({ input: proc.stdout! }).on('line', onLine)
      createInterface({ input: proc.stderr! }).on('line', onLine)
      proc.once('exit', () => { fail(new Error(`exited before it was ready: ${child.describeExit()}`)) })
    })
    return { child, value }
  }

  /** Kills it (SIGKILL) and waits for the exit. */
  async kill (): Promise<void> {
    if (this.alive) this.process.kill('SIGKILL')
    await this.exited
  }

  /** Waits for its exit up to `ms`; true if it exited. */
  async exitedWithin (ms: number): Promise<boolean> {
    if (!this.alive) return true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
    const r = await Promise.race([this.exited.then(() => true), timeout])
    clearTimeout(timer)
    return r
  }
}
