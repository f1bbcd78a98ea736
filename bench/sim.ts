/**
 * `npm run bench -- sim [--drivers N] [--riders N] [--duration 24h] [--seed S] [--map path] [--trips csv] ...`
 *
 * Simulated mode: a day of NYC-shaped demand on manhattan-midtown.osm.pbf with the NYC taxi
 * trips (when `../shared/data` is there; the synthetic city otherwise), every driver and rider a
 * Hitch peer running the real Driver/Rider roles on the discrete-event simulated network, beside
 * the centralized dispatcher on the same demand and fleet. Prints the summary table, the wall
 * time, the speed against real time, CPU and memory per node. Every scenario flag of `hitch sim`
 * applies (e.g. `--drivers 100 --riders 1000 --duration 2h`).
 *
 * Then the libp2p section (bench/sim-libp2p.ts): a simulated hour with every peer a real libp2p
 * node in one process. `--part simulated` or `--part libp2p` runs one section only.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { applyFlags, defaultScenario, runSimulation } from '../sim/index.js'
import { ProgressBar } from '../cli/sim/progress.js'
import { summaryTable } from '../cli/sim/report.js'
import type { RunMetrics, Scenario } from '../sim/index.js'

/** The simulated section's scenario before flags: at least 5,000 peers for a day */
export function simulatedBenchScenario (dataDir = resolve('..', 'shared', 'data')): { scenario: Scenario, notes: string[] } {
  const s = defaultScenario()
  const notes: string[] = []
  const map = resolve(dataDir, 'maps', 'manhattan-midtown.osm.pbf')
  const trips = resolve(dataDir, 'trips', 'nyc-taxi-sample-a.csv')
  const profile = resolve(dataDir, 'trips', 'nyc-hourly-pickups-2016.csv.gz')
  if ([map, trips, profile].every(f => existsSync(f))) {
    s.map = map
    s.demand.trips = trips
    s.demand.profile = profile
  } else {
    notes.push(`${dataDir} not found: synthetic city and random trips instead of Midtown and the NYC trips`)
  }
  s.demand.startHour = 0
  s.drivers = 500
  s.riders = 4500
  s.durationS = 24 * 3600
  s.drainS = 3600
  // nothing in the negotiation reads vehicle offers yet, and with hundreds of drivers in a few
  // cells each offer reaches every driver: off here, `--offer-interval 10s` measures them
  s.offerIntervalS = 0
  return { scenario: s, notes }
}

function flagsOf (args: string[]): Record<string, string> {
  const flags: Record<string, string> = {}
  for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith('--') || args[i + 1] == null) throw new Error(`expected --flag value, got ${args[i]}`)
    flags[args[i].slice(2)] = args[i + 1]
  }
  return flags
}

function resourcesLine (m: RunMetrics, demandS: number): string {
  const r = m.resources
  const wallS = r.wallMs / 1000
  return `${m.kind}: ${wallS.toFixed(1)} s wall, ${(demandS / wallS).toFixed(0)}x real time over the demand ` +
    `(${r.speed.toFixed(0)}x over all ${Math.round(r.wallMs * r.speed / 1000)} simulated s incl. drain), ` +
    `${r.cpuMsPerNode.toFixed(1)} CPU ms per node (${(r.cpuMsTotal / 1000).toFixed(0)} s in all), ` +
    `peak RSS ${(r.peakRssBytes / 1e6).toFixed(0)} MB (${(r.rssBytesPerNode / 1e3).toFixed(0)} kB per node)`
}

/** The simulated mode at scale */
async function simulatedSection (flags: Record<string, string>): Promise<void> {
  const { scenario: base, notes } = simulatedBenchScenario()
  const scenario = applyFlags(base, flags)
  if (scenario.map != null) scenario.map = resolve(scenario.map)
  for (const note of notes) console.log(`note: ${note}`)
  const bar = process.stderr.isTTY ? new ProgressBar() : undefined
  let lastLog = 0
  const started = performance.now()
  const { results } = await runSimulation(scenario, {
    onProgress: p => {
      bar?.update(p)
      if (bar == null && performance.now() - lastLog > 60_000) {
        lastLog = performance.now()
        process.stderr.write(`  ${p.run} ${Math.round(p.simS)} / ${p.totalS} s, served ${p.served}, cancelled ${p.cancelled}\n`)
      }
    }
  })
  bar?.done()
  const peers = scenario.drivers + scenario.riders
  console.log(`bench sim (simulated): ${peers} peers (${scenario.drivers} drivers, ${scenario.riders} riders), ` +
    `${(scenario.durationS / 3600).toFixed(1)} h of demand from hour ${scenario.demand.startHour} on ${results.map.source}, seed ${scenario.seed}`)
  console.log(summaryTable(results))
  for (const m of [results.centralized, results.decentralized]) {
    if (m != null) console.log(resourcesLine(m, scenario.durationS))
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

export async function run (args: string[]): Promise<void> {
  // --part simulated | libp2p | all (default): which sections to run; other flags go to each
  const { part = 'all', ...flags } = flagsOf(args)
  if (!['all', 'simulated', 'libp2p'].includes(part)) throw new Error(`--part must be simulated, libp2p or all, got ${part}`)
  if (part !== 'libp2p') await simulatedSection(flags)
  if (part !== 'simulated') await (await import('./sim-libp2p.js')).libp2pSection(flags)
}
