import { resolve } from 'node:path'
import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'
import {
  ScenarioError, WORKER_TOKEN_ENV, applyFlags, defaultScenario, loadScenario, parseHostPort, runSimulation, scenarioFlagHelp,
  scenarioFlagOptions
} from '../../sim/index.js'
import { ProgressBar } from '../sim/progress.js'
import { summaryTable, writeReport } from '../sim/report.js'
import type { RunKind } from '../../sim/index.js'

export const help = `
usage: hitch sim worker --connect HOST:PORT ...   (one worker of a multi-process run; see its --help)
       hitch sim [SCENARIO.json] [--map FILE] [--trips CSV] [--drivers N] [--riders N] [--duration 2h]
                 [--network libp2p|simulated] [--workers K] [--speedup N] [--seed N] [--out DIR] [--json]

Many Hitch peers on a road network with trip demand, measured beside a centralized dispatcher
on the same demand and the same fleet. Writes results.json and a self-contained report.html
to --out and prints a summary table (decentralized | centralized).

Every scenario field is also a flag (flags override the scenario file; durations take
30s, 5m, 2h, 1h30m; a path flag of "none" clears it):
${scenarioFlagHelp()}

  --only RUN          centralized or decentralized: make one run only
  --worker-listen HOST:PORT  libp2p with --workers K: where workers connect (default 127.0.0.1:0)
  --spawn-workers N   libp2p with --workers K: spawn N workers here (default K); the other K - N
                      join from other hosts with \`hitch sim worker\` (see hitch sim worker --help)
  --json              also print results.json on stdout
  --no-progress       no progress bar on stderr
`

interface SimCliFlags {
  json?: boolean
  only?: string
  'worker-listen'?: string
  'spawn-workers'?: string
  'no-progress'?: boolean
  [flag: string]: string | boolean | string[] | undefined
}

export async function run (argv: string[]): Promise<number> {
  const { values, positionals, help: shown } = parseFlags<SimCliFlags>(argv, {
    ...scenarioFlagOptions(),
    json: { type: 'boolean' },
    only: { type: 'string' },
    'worker-listen': { type: 'string' },
    'spawn-workers': { type: 'string' },
    'no-progress': { type: 'boolean' }
  }, help, true)
  if (shown) return 0
  if (positionals.length > 1) throw new UsageError('give at most one scenario file (see --help)')
  let runs: RunKind[] | undefined
  if (values.only != null) {
    if (values.only !== 'centralized' && values.only !== 'decentralized') throw new UsageError('--only must be centralized or decentralized')
    runs = [values.only]
  }

  let spawnWorkers: number | undefined
  if (values['spawn-workers'] != null) {
    spawnWorkers = Number(values['spawn-workers'])
    if (!Number.isInteger(spawnWorkers) || spawnWorkers < 0) throw new UsageError('--spawn-workers must be an integer >= 0')
  }
  if (values['worker-listen'] != null) {
    try {
      parseHostPort(values['worker-listen'])
    } catch (err: any) {
      throw new UsageError(`--worker-listen: ${String(err.message)}`)
    }
  }

  let scenario
  try {
    scenario = positionals[0] != null ? await loadScenario(positionals[0]) : defaultScenario()
    scenario = applyFlags(scenario, values)
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(err.message)
    throw err
  }
  for (const key of ['map', 'out'] as const) {
    const v = scenario[key]
    if (v != null) (scenario as any)[key] = resolve(v)
  }
  if (scenario.demand.trips != null) scenario.demand.trips = resolve(scenario.demand.trips)
  if (scenario.demand.profile != null) scenario.demand.profile = resolve(scenario.demand.profile)

  const controller = new AbortController()
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130)
    process.stderr.write('\nhitch sim: stopping (Ctrl+C again to force)\n')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  const bar = values['no-progress'] === true ? undefined : new ProgressBar()
  try {
    const { results, map } = await runSimulation(scenario, {
      runs,
      signal: controller.signal,
      workerListen: values['worker-listen'],
      spawnWorkers,
      onWorkersListening: ({ address, token, waitingFor }) => {
        if (waitingFor > 0) {
          bar?.done()
          process.stderr.write(`hitch sim: waiting for ${waitingFor} worker(s): ${WORKER_TOKEN_ENV}=${token} hitch sim worker --connect ${address} --host <their LAN address>\n`)
        }
      },
      onProgress: p => { bar?.update(p) }
    })
    bar?.done()
    const files = await writeReport(scenario.out, results, map.graph)
    process.stdout.write(summaryTable(results) + '\n')
    process.stderr.write(`wrote ${files.resultsJson} and ${files.reportHtml}\n`)
    if (values.json === true) {
      process.stdout.write(JSON.stringify(results, (_k, v) => typeof v === 'number' && !Number.isFinite(v) ? null : v) + '\n')
    }
    return 0
  } finally {
    bar?.done()
    process.off('SIGINT', onSigint)
  }
}
