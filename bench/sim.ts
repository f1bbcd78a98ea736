/**
 * `npm run bench -- sim [--drivers N] [--riders N] [--duration 30m] [--seed S] [--map path] [--trips csv]`
 *
 * Both runs of the simulator on one scenario: the centralized dispatcher and
 * the decentralized peers (real Driver/Rider roles on the discrete-event
 * simulated network), printed as the summary table plus the speed of each
 * run (simulated seconds per wall second) and CPU per node.
 */
import { resolve } from 'node:path'
import { applyFlags, defaultScenario, runSimulation, summaryTable } from '../sim/index.js'

export async function run (args: string[]): Promise<void> {
  const flags: Record<string, string> = {}
  for (let i = 0; i < args.length; i += 2) {
    if (!args[i].startsWith('--') || args[i + 1] == null) throw new Error(`expected --flag value, got ${args[i]}`)
    flags[args[i].slice(2)] = args[i + 1]
  }
  const base = defaultScenario()
  base.drivers = 20
  base.riders = 100
  base.durationS = 1800
  const scenario = applyFlags(base, flags)
  if (scenario.map != null) scenario.map = resolve(scenario.map)
  const started = performance.now()
  const { results } = await runSimulation(scenario)
  console.log(`bench sim: ${scenario.drivers} drivers, ${scenario.riders} riders, ${scenario.durationS} s on ${results.map.source}`)
  console.log(summaryTable(results))
  for (const m of [results.centralized, results.decentralized]) {
    if (m == null) continue
    console.log(`${m.kind}: ${(m.resources.wallMs / 1000).toFixed(1)} s wall, ${m.resources.speed.toFixed(0)}x real time, ${m.resources.cpuMsPerNode.toFixed(1)} CPU ms per node, peak RSS ${(m.resources.peakRssBytes / 1e6).toFixed(0)} MB`)
  }
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
