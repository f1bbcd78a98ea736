/**
 * The libp2p part of `npm run bench -- sim` (`--part libp2p` runs it alone):
 * a simulated hour on the synthetic city with every driver and rider a real
 * libp2p node (memory transport, one process: at least 200 nodes), beside
 * the centralized dispatcher on the same demand. Prints the summary table,
 * the wall time, the speed against real time, CPU and memory per node, the
 * most nodes alive at once and the worst event-loop lag (the health of the
 * run: a lagging loop stretches every protocol step by the speed-up).
 * Scenario flags of `hitch sim` apply (e.g. `--drivers 30 --riders 300 --speedup 10`).
 */
import { applyFlags, defaultScenario, runSimulation } from '../sim/index.js'
import { summaryTable } from '../cli/sim/report.js'
import type { Scenario } from '../sim/index.js'

/** The libp2p section's scenario before flags: 225 nodes for a simulated hour */
export function libp2pBenchScenario (): Scenario {
  const s = defaultScenario()
  s.network.mode = 'libp2p'
  s.network.transport = 'memory'
  s.drivers = 25
  s.riders = 200
  s.durationS = 3600
  s.drainS = 1800
  // at 15x the process saturates (riders give up before their quotes arrive); 5x keeps it
  // at about two thirds of a core
  s.speedup = 5
  return s
}

/** Runs the libp2p section with `flags` (scenario flags of `hitch sim`) applied */
export async function libp2pSection (flags: Record<string, string>): Promise<void> {
  const scenario = applyFlags(libp2pBenchScenario(), { ...flags, network: 'libp2p' })
  const started = performance.now()
  let lastLog = 0
  const { results } = await runSimulation(scenario, {
    onProgress: p => {
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now()
        process.stderr.write(`  ${p.run} ${Math.round(p.simS)} / ${p.totalS} s, served ${p.served}, cancelled ${p.cancelled}\n`)
      }
    }
  })
  const nodes = scenario.drivers + scenario.riders
  console.log(`bench sim (libp2p): ${nodes} libp2p nodes (${scenario.drivers} drivers, ${scenario.riders} riders) over the ` +
    `${scenario.network.transport} transport in one process, ${(scenario.durationS / 3600).toFixed(1)} h of demand at ${scenario.speedup}x, ` +
    `on ${results.map.source}, seed ${scenario.seed}`)
  console.log(summaryTable(results))
  const d = results.decentralized
  const rec = results.records.decentralized
  if (d != null && rec != null) {
    const r = d.resources
    console.log(`libp2p: ${(r.wallMs / 1000).toFixed(1)} s wall for ${Math.round(r.simulatedS)} simulated s (${r.speed.toFixed(1)}x), ` +
      `${r.cpuMsPerNode.toFixed(0)} CPU ms per node (${(r.cpuMsTotal / 1000).toFixed(0)} s in all), ` +
      `peak RSS ${(r.peakRssBytes / 1e6).toFixed(0)} MB (${(r.rssBytesPerNode / 1e6).toFixed(1)} MB per node)`)
  }
  for (const note of results.notes) console.log(`note: ${note}`)
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
