/**
 * The worker thread of one target's loop (started by `runner.ts`): loads the target, runs the
 * loop and posts findings, progress and the final report to the runner.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { runLoop, type LoopReport, type FindingRecord } from './engine.js'
import { loadTarget } from './load-target.js'

/** What the runner hands the worker. */
export interface WorkerInit {
  target: string
  /** a module exporting `target` (a planted target of the self-test) instead of a registered one */
  module?: string
  seed: string
  inputs: number
  timeMs?: number
  startIndex: number
  corpus: Array<{ file: string, input: Uint8Array }>
  state: SharedArrayBuffer
  started: SharedArrayBuffer
  input: SharedArrayBuffer
}

/** What the worker posts. */
export type WorkerMessage =
  | { type: 'ready', timeoutMs: number }
  | { type: 'finding', finding: FindingRecord }
  | { type: 'progress', report: LoopReport }
  | { type: 'log', line: string }
  | { type: 'done', report: LoopReport }
  | { type: 'failed', error: string }

const init = workerData as WorkerInit
const post = (m: WorkerMessage): void => { parentPort!.postMessage(m) }

try {
  const target = await loadTarget(init.target, init.module)
  post({ type: 'ready', timeoutMs: target.timeoutMs ?? 2_000 })
  const report = await runLoop(target, {
    seed: init.seed,
    inputs: init.inputs,
    ...(init.timeMs != null ? { timeMs: init.timeMs } : {}),
    startIndex: init.startIndex,
    corpus: init.corpus,
    watch: { state: new Int32Array(init.state), started: new Float64Array(init.started), input: new Uint8Array(init.input) },
    onFinding: finding => { post({ type: 'finding', finding }) },
    onProgress: report => { post({ type: 'progress', report }) },
    log: line => { post({ type: 'log', line }) }
  })
  post({ type: 'done', report })
} catch (err) {
  post({ type: 'failed', error: String((err as Error)?.stack ?? err) })
}
