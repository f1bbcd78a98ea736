/**
 * The fuzz loop of one target: replays the corpus, then builds and runs inputs one at a time, each
 * under a time bound, and sorts what happens into outcomes and findings (each finding class once,
 * with its first input, shrunk when the target is stateless). It runs inside a worker thread so
 * that the runner can stop an input that blocks the event loop (see `runner.ts`).
 */
import { Prng } from './prng.js'
import { Finding, type FindingKind, type FuzzTarget, type TargetRun } from './target.js'
import { toHex } from './wire.js'

/** One class of finding, with the first input that showed it. */
export interface FindingRecord {
  target: string
  kind: FindingKind
  key: string
  message: string
  /** the input, hex of its serialized form */
  input: string
  /** the input as text, when the target's inputs are text */
  text?: string
  /** index of the first input in the run (with the run's seed it rebuilds the input) */
  index: number
  /** inputs of this class in the run */
  count: number
  /** for crashes: the stack of the error */
  stack?: string
  /** the corpus file whose input this was, if any */
  corpusFile?: string
}

/** Shared memory through which the runner watches the loop. */
export interface Watch {
  /** [0]: index of the input running (-1 when idle); [1]: bytes of it in `input` */
  state: Int32Array
  /** [0]: when the running input started (ms since the epoch) */
  started: Float64Array
  input: Uint8Array
}

/** What the loop reports as it goes and at the end. */
export interface LoopReport {
  target: string
  seed: string
  /** inputs run, corpus included */
  inputs: number
  corpusInputs: number
  ms: number
  /** how often each outcome label came out */
  outcomes: Record<string, number>
  findings: FindingRecord[]
}

/** Options of {@link runLoop}. */
export interface LoopOptions {
  seed: string
  /** run inputs with index below this (the corpus counts first) */
  inputs: number
  /** stop after this many ms of wall time, whatever `inputs` says */
  timeMs?: number
  /** first index to run (after a restart) */
  startIndex?: number
  /** serialized corpus inputs, with their file names */
  corpus: Array<{ file: string, input: Uint8Array }>
  watch?: Watch
  onFinding?: (f: FindingRecord) => void
  onProgress?: (r: LoopReport) => void
  log?: (line: string) => void
}

const MAX_POOL = 512
const MINIMIZE_BUDGET = 300

function decodeText (bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 4096))
}

/** Runs `execute` under the target's time bound; a `Finding` of kind `hang` if it takes longer. */
async function bounded<I> (run: TargetRun<I>, input: I, timeoutMs: number): Promise<string> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  try {
    const result = run.execute(input, controller.signal)
    if (typeof result === 'string') return result
    return await Promise.race([
      result,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          controller.abort()
          reject(new Finding('hang', 'hang (no outcome within the bound)', `no outcome within ${timeoutMs} ms`))
        }, timeoutMs)
      })
    ])
  } finally {
    if (timer != null) clearTimeout(timer)
  }
}

/** The finding an exception amounts to. */
function asFinding (err: unknown): Finding {
  if (err instanceof Finding) return err
  const e = err as any
  const name = typeof e?.name === 'string' ? e.name : typeof err
  const code = e?.code != null ? `:${String(e.code)}` : ''
  // the key names the error and where it was thrown, so distinct crashes stay apart
  const frame = String(e?.stack ?? '').split('\n').find((l: string) => /^\s+at /.test(l) && !l.includes('/test/fuzz/'))?.trim().replace(/:\d+:\d+\)?$/, '') ?? ''
  return new Finding('crash', `${name}${code} ${frame}`.trim(), String(e?.message ?? err), { cause: err })
}

/** Runs the loop of one target (in a worker thread, or in-process for a replay). */
export async function runLoop (target: FuzzTarget, options: LoopOptions): Promise<LoopReport> {
  const timeoutMs = target.timeoutMs ?? 2_000
  const log = options.log ?? (() => {})
  const run = await target.setup({ seed: options.seed, log })
  const started = Date.now()
  const report: LoopReport = { target: target.name, seed: options.seed, inputs: 0, corpusInputs: 0, ms: 0, outcomes: {}, findings: [] }
  const byKey = new Map<string, FindingRecord>()
  const pool = { items: [...run.seeds] as unknown[] }
  const fixed: Array<{ file: string, input: unknown }> = []
  for (const c of options.corpus) {
    try {
      const input = run.deserialize(c.input)
      fixed.push({ file: c.file, input })
      pool.items.push(input)
    } catch (err) {
      log(`${target.name}: corpus file ${c.file} does not deserialize: ${String((err as Error).message)}`)
    }
  }
  const watch = options.watch
  let lastProgress = Date.now()

  const judge = async (input: unknown): Promise<{ outcome?: string, finding?: Finding }> => {
    try {
      return { outcome: await bounded(run, input, timeoutMs) }
    } catch (err) {
      return { finding: asFinding(err) }
    }
  }

  /** Shrinks a finding's serialized input while the same finding keeps coming out. */
  const minimize = async (bytes: Uint8Array, key: string): Promise<Uint8Array> => {
    let best = bytes
    let budget = MINIMIZE_BUDGET
    for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && budget > 0; chunk >>= 1) {
      for (let at = 0; at + chunk <= best.length && budget > 0;) {
        const candidate = new Uint8Array(best.length - chunk)
        candidate.set(best.subarray(0, at))
        candidate.set(best.subarray(at + chunk), at)
        budget--
        let input: unknown
        try { input = run.deserialize(candidate) } catch { at += chunk; continue }
        const { finding } = await judge(input)
        if (finding?.key === key) best = candidate
        else at += chunk
      }
    }
    return best
  }

  const record = async (finding: Finding, input: unknown, index: number, corpusFile?: string): Promise<void> => {
    const known = byKey.get(finding.key)
    if (known != null) { known.count++; return }
    let bytes = run.serialize(input)
    if (run.stateless === true && finding.kind !== 'hang' && corpusFile == null) bytes = await minimize(bytes, finding.key)
    const rec: FindingRecord = {
      target: target.name,
      kind: finding.kind,
      key: finding.key,
      message: finding.message,
      input: toHex(bytes),
      index,
      count: 1,
      ...(target.textual === true ? { text: decodeText(bytes) } : {}),
      ...(finding.kind === 'crash' ? { stack: String((finding.cause as any)?.stack ?? finding.stack) } : {}),
      ...(corpusFile != null ? { corpusFile } : {})
    }
    byKey.set(finding.key, rec)
    report.findings.push(rec)
    options.onFinding?.(rec)
    if (finding.kind === 'hang') await run.recover?.()
  }

  try {
    for (let i = options.startIndex ?? 0; i < options.inputs; i++) {
      if (options.timeMs != null && Date.now() - started >= options.timeMs) break
      const corpusItem = i < fixed.length ? fixed[i] : undefined
      const input = corpusItem != null ? corpusItem.input : await run.generate(Prng.forInput(options.seed, target.name, i), pool)
      if (watch != null) {
        const bytes = run.serialize(input)
        const n = Math.min(bytes.length, watch.input.length)
        watch.input.set(bytes.subarray(0, n))
        watch.state[1] = n
        watch.started[0] = Date.now()
        Atomics.store(watch.state, 0, i)
      }
      const { outcome, finding } = await judge(input)
      if (watch != null) Atomics.store(watch.state, 0, -1)
      report.inputs++
      if (corpusItem != null) report.corpusInputs++
      const label = outcome ?? `finding:${finding!.kind}`
      const seen = report.outcomes[label] ?? 0
      report.outcomes[label] = seen + 1
      // a new kind of outcome: keep the input to mutate it further (feedback without coverage)
      if (seen === 0 && corpusItem == null && pool.items.length < MAX_POOL) pool.items.push(input)
      if (finding != null) await record(finding, input, i, corpusItem?.file)
      if (Date.now() - lastProgress > 1_000) {
        lastProgress = Date.now()
        report.ms = Date.now() - started
        options.onProgress?.(report)
      }
    }
  } finally {
    report.ms = Date.now() - started
    await run.close()
  }
  return report
}

/** Runs one serialized input through a target and returns its outcome or its finding (for replays and specs). */
export async function runOne (target: FuzzTarget, input: Uint8Array, seed = 'replay'): Promise<{ outcome?: string, finding?: Finding }> {
  const run = await target.setup({ seed, log: () => {} })
  try {
    try {
      return { outcome: await bounded(run, run.deserialize(input), target.timeoutMs ?? 2_000) }
    } catch (err) {
      return { finding: asFinding(err) }
    }
  } finally {
    await run.close()
  }
}
