/**
 * `npm run fuzz -- [--inputs N] [--target NAME] [--seed S] [--time DURATION] [--save] [--json]`:
 * runs the fuzz targets one after the other (one worker thread each) and prints a table of
 * inputs, inputs/s, outcomes and findings. Exit code 0 without findings, 1 with, 2 on a usage
 * error. `--replay FILE --target NAME` runs one corpus file and prints its outcome.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { parseDuration, parseInteger } from '../../cli/values.js'
import { findingFileName, writeCorpusEntry } from './harness/corpus.js'
import { runOne } from './harness/engine.js'
import { loadTarget } from './harness/load-target.js'
import { runTarget, type TargetReport } from './harness/runner.js'
import { fromHex } from './harness/wire.js'
import { TARGETS } from './targets/index.js'
import type { FindingRecord } from './harness/engine.js'

const HELP = `usage: npm run fuzz -- [--inputs N] [--target NAME[,NAME...]] [--seed S] [--time DURATION]
                      [--save] [--json] [--list]
       npm run fuzz -- --target NAME --replay FILE
       npm run fuzz -- --make-seeds

  --inputs N        inputs per target, the corpus included (default 10000)
  --target NAME     only these targets (repeat or separate with commas; default: all)
  --seed S          the run's seed (default 1); a seed and a commit rebuild every input
  --time DURATION   at most this long per target (e.g. 30s, 10m), whatever --inputs says
  --save            write the first input of each finding into test/fuzz/corpus/<target>/
  --json            print the reports as JSON instead of a table
  --list            list the targets
  --replay FILE     run one corpus file (or a file of hex) through --target and print the outcome
  --make-seeds      write the hand-made corpus files again (test/fuzz/seeds.ts)
`

function printTable (reports: TargetReport[]): void {
  const rows = reports.map(r => {
    const counts = { crash: 0, hang: 0, refuse: 0 }
    for (const f of r.findings) counts[f.kind] += f.count
    return [r.target, String(r.inputs), String(r.inputsPerSec), (r.ms / 1000).toFixed(1), String(counts.crash), String(counts.hang), String(counts.refuse), String(r.findings.length)]
  })
  const head = ['target', 'inputs', 'inputs/s', 'wall s', 'crashes', 'hangs', 'refusable', 'classes']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')
  process.stdout.write(line(head) + '\n' + rows.map(line).join('\n') + '\n')
  for (const r of reports) {
    for (const f of r.findings) {
      process.stdout.write(`\n[${r.target}] ${f.kind}: ${f.key} (x${f.count}, first at input ${f.index}${f.corpusFile != null ? `, corpus ${f.corpusFile}` : ''})\n  ${f.message.split('\n')[0].slice(0, 300)}\n  input: ${f.input.length > 400 ? f.input.slice(0, 400) + '...' : f.input}\n`)
    }
  }
}

async function replay (targetName: string, file: string): Promise<number> {
  const text = readFileSync(file, 'utf8').trim()
  const input = text.startsWith('{') ? fromHex(JSON.parse(text).input) : fromHex(text)
  const target = await loadTarget(targetName)
  const result = await runOne(target, input)
  if (result.finding != null) {
    process.stdout.write(`${result.finding.kind}: ${result.finding.key}\n  ${result.finding.message}\n`)
    return 1
  }
  process.stdout.write(`ok: ${result.outcome ?? ''}\n`)
  return 0
}

async function main (): Promise<number> {
  const { values } = parseArgs({
    options: {
      inputs: { type: 'string' },
      target: { type: 'string', multiple: true },
      seed: { type: 'string' },
      time: { type: 'string' },
      save: { type: 'boolean' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
      replay: { type: 'string' },
      'make-seeds': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  })
  if (values.help === true) { process.stdout.write(HELP); return 0 }
  if (values['make-seeds'] === true) {
    const { writeSeeds } = await import('./seeds.js')
    for (const path of await writeSeeds()) process.stdout.write(`wrote ${path}\n`)
    return 0
  }
  if (values.list === true) {
    for (const t of TARGETS) process.stdout.write(`${t.name.padEnd(16)} ${t.cheap ? 'cheap    ' : 'expensive'} ${t.description}\n`)
    return 0
  }
  const names = (values.target ?? []).flatMap(t => t.split(',')).map(t => t.trim()).filter(t => t !== '')
  for (const n of names) if (!TARGETS.some(t => t.name === n)) throw new Error(`no target "${n}" (see --list)`)
  if (values.replay != null) {
    if (names.length !== 1) throw new Error('--replay needs exactly one --target')
    return await replay(names[0], values.replay)
  }
  const inputs = values.inputs != null ? parseInteger(values.inputs, '--inputs', 1) : 10_000
  const timeMs = values.time != null ? parseDuration(values.time, '--time') : undefined
  const seed = values.seed ?? '1'
  const targets = names.length > 0 ? TARGETS.filter(t => names.includes(t.name)) : TARGETS
  const reports: TargetReport[] = []
  for (const t of targets) {
    process.stderr.write(`fuzz ${t.name}: ${inputs} inputs, seed ${seed}${timeMs != null ? `, at most ${timeMs / 1000} s` : ''}\n`)
    const report = await runTarget({
      target: t.name,
      seed,
      inputs,
      ...(timeMs != null ? { timeMs } : {}),
      onFinding: (f: FindingRecord) => { process.stderr.write(`  ${f.kind}: ${f.key}\n`) },
      onProgress: r => { if (process.stderr.isTTY) process.stderr.write(`  ${t.name}: ${r.inputs} inputs, ${r.inputsPerSec}/s\r`) },
      log: line => { process.stderr.write(`  ${line}\n`) }
    })
    process.stderr.write(`  ${t.name}: ${report.inputs} inputs in ${(report.ms / 1000).toFixed(1)} s (${report.inputsPerSec}/s), ${report.findings.length} finding classes\n`)
    if (values.save === true) {
      for (const f of report.findings) {
        const path = writeCorpusEntry(t.name, findingFileName(f.key), { note: `${f.kind} found by npm run fuzz (seed ${seed}, input ${f.index}): ${f.message.split('\n')[0]}`, defect: f.key, input: fromHex(f.input), textual: t.textual })
        process.stderr.write(`  saved ${path}\n`)
      }
    }
    reports.push(report)
  }
  if (values.json === true) process.stdout.write(JSON.stringify(reports, null, 2) + '\n')
  else printTable(reports)
  return reports.some(r => r.findings.length > 0) ? 1 : 0
}

main().then(code => { process.exitCode = code }, (err: Error) => {
  process.stderr.write(`fuzz: ${err.message}\n`)
  process.exitCode = 2
})
