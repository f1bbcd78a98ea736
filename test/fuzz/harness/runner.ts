/**
 * Runs one target's loop in a worker thread and watches it: an input that blocks the worker's
 * event loop past the bound is a hang, and one that kills the worker (its heap limit, a fatal
 * error) a crash. Either way the runner reads the input from shared memory, records the finding
 * and starts a fresh worker at the next input, so one run reports every class it meets.
 */
import { Worker } from 'node:worker_threads'
import { loadCorpus } from './corpus.js'
import type { FindingRecord, LoopReport } from './engine.js'
import type { WorkerInit, WorkerMessage } from './worker.js'
import { toHex } from './wire.js'

/** Options of {@link runTarget}. */
export interface RunOptions {
  target: string
  /** a module exporting the target (self-test), instead of the registry */
  module?: string
  seed: string
  /** inputs to run, the corpus included */
  inputs: number
  /** wall-time budget in ms; the run stops at whichever of `inputs` and this comes first */
  timeMs?: number
  /**
   * An input that holds the worker's event loop this long is a hang (the target's own bound
   * catches inputs that wait without blocking).
   * @default 10_000, or twice the target's bound and a second if that is longer
   */
  blockedMs?: number
  /**
   * The worker's heap limit: an input that needs more is a crash.
   * @default 1_024
   */
  heapMb?: number
  /**
   * Replay the corpus files of the target first.
   * @default true
   */
  corpus?: boolean
  onFinding?: (f: FindingRecord) => void
  onProgress?: (r: TargetReport) => void
  log?: (line: string) => void
}

/** What a run of one target amounts to. */
export interface TargetReport extends LoopReport {
  /** inputs per second of the loops (setup and restarts left out) */
  inputsPerSec: number
  /** wall time of the loops, in ms (`ms` is the whole run's, setup included) */
  loopMs: number
  /** workers started again after a hang or a crash */
  restarts: number
}

const MAX_INPUT_BYTES = 1 << 20

function merge (into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v
}

/** Runs one target; resolves with its report once the inputs or the time budget are spent. */
export async function runTarget (options: RunOptions): Promise<TargetReport> {
  const corpus = options.corpus === false ? [] : loadCorpus(options.target).map(c => ({ file: c.file, input: c.input }))
  let blockedMs = options.blockedMs ?? 10_000
  const started = Date.now()
  const total: TargetReport = { target: options.target, seed: options.seed, inputs: 0, corpusInputs: 0, ms: 0, outcomes: {}, findings: [], inputsPerSec: 0, loopMs: 0, restarts: 0 }
  const byKey = new Map<string, FindingRecord>()
  const addFinding = (f: FindingRecord): void => {
    const known = byKey.get(f.key)
    if (known != null) { known.count += f.count; return }
    const copy = { ...f }
    byKey.set(f.key, copy)
    total.findings.push(copy)
    options.onFinding?.(copy)
  }

  let startIndex = 0
  for (;;) {
    const remainingMs = options.timeMs != null ? options.timeMs - (Date.now() - started) : undefined
    if (startIndex >= options.inputs || (remainingMs != null && remainingMs <= 0)) break
    const shared = {
      state: new SharedArrayBuffer(8),
      started: new SharedArrayBuffer(8),
      input: new SharedArrayBuffer(MAX_INPUT_BYTES)
    }
    const state = new Int32Array(shared.state)
    state[0] = -1
    const init: WorkerInit = {
      target: options.target,
      ...(options.module != null ? { module: options.module } : {}),
      seed: options.seed,
      inputs: options.inputs,
      ...(remainingMs != null ? { timeMs: remainingMs } : {}),
      startIndex,
      corpus,
      ...shared
    }
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: init,
      resourceLimits: { maxOldGenerationSizeMb: options.heapMb ?? 1_024 },
      stdout: false,
      stderr: false
    })
    const outcome = await new Promise<{ done?: LoopReport, died?: { blocked: boolean, error?: string }, last?: LoopReport }>(resolve => {
      let last: LoopReport | undefined
      let blocked = false
      let error: string | undefined
      const watchdog = setInterval(() => {
        const index = Atomics.load(state, 0)
        if (index >= 0 && Date.now() - new Float64Array(shared.started)[0] > blockedMs) {
          blocked = true
          void worker.terminate()
        }
      }, 100)
      worker.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          // an input that waits is the target's own bound to catch; the watchdog is for one that blocks
          case 'ready': blockedMs = Math.max(options.blockedMs ?? 10_000, 2 * m.timeoutMs + 1_000); break
          case 'finding': addFinding(m.finding); break
          case 'progress':
            last = m.report
            options.onProgress?.({ ...total, inputs: total.inputs + m.report.inputs, ms: Date.now() - started, loopMs: total.loopMs + m.report.ms, inputsPerSec: Math.round((total.inputs + m.report.inputs) / Math.max(1, total.loopMs + m.report.ms) * 1000) })
            break
          case 'log': options.log?.(m.line); break
          case 'done': clearInterval(watchdog); resolve({ done: m.report }); break
          case 'failed': error = m.error; break
        }
      })
      worker.on('error', err => { error = String(err?.stack ?? err) })
      worker.on('exit', () => {
        clearInterval(watchdog)
        resolve({ died: { blocked, ...(error != null ? { error } : {}) }, ...(last != null ? { last } : {}) })
      })
    })
    if (outcome.done != null) {
      // the worker posted each class once, at its first input; its report has the full counts
      for (const f of outcome.done.findings) {
        const known = byKey.get(f.key)
        if (known != null) known.count += f.count - 1
      }
      total.inputs += outcome.done.inputs
      total.corpusInputs += outcome.done.corpusInputs
      total.loopMs += outcome.done.ms
      merge(total.outcomes, outcome.done.outcomes)
      await worker.terminate()
      break
    }
    // the worker died or was stopped: the input it was running is the finding
    const index = Atomics.load(state, 0)
    const died = outcome.died!
    if (index < 0) {
      // it died outside any input: setup failed, or the loop itself broke; nothing to retry
      throw new Error(`fuzz target ${options.target}: worker stopped outside an input: ${died.error ?? 'no error'}`)
    }
    const bytes = new Uint8Array(shared.input).slice(0, state[1])
    addFinding({
      target: options.target,
      kind: died.blocked ? 'hang' : 'crash',
      key: died.blocked ? 'hang (blocked the event loop)' : `worker died: ${(died.error ?? 'exit').split('\n')[0].slice(0, 120)}`,
      message: died.blocked ? `input ${index} held the event loop for more than ${blockedMs} ms` : `input ${index} killed the worker: ${died.error ?? 'exit'}`,
      input: toHex(bytes),
      index,
      count: 1
    })
    if (outcome.last != null) {
      merge(total.outcomes, outcome.last.outcomes)
      total.corpusInputs += outcome.last.corpusInputs
      total.loopMs += outcome.last.ms
    }
    total.inputs += index - startIndex + 1
    total.restarts++
    startIndex = index + 1
  }
  total.ms = Date.now() - started
  total.inputsPerSec = total.loopMs > 0 ? Math.round(total.inputs / (total.loopMs / 1000)) : 0
  return total
}
