/**
 * The libp2p part of `npm run bench -- sim` (`--part libp2p` runs it alone):
 * a simulated hour on the synthetic city with every driver and rider a real
 * libp2p node, beside the centralized dispatcher on the same demand, once per
 * peer-id key type (`--key-types secp256k1,ed25519`; default: every type the
 * node takes). Prints ONE table, a row per key type: nodes in all and at
 * once, wall time, the speed-up the clock held (it slows down while the event
 * loop lags: see sim/dilating-clock.ts), CPU and RSS per node, the worst
 * event-loop delay, and the service rate beside the baseline's.
 * Scenario flags of `hitch sim` apply (e.g. `--drivers 30 --riders 300 --speedup 10 --workers 2`).
 */
import { NODE_PEER_KEY_TYPES, applyFlags, defaultScenario, runSimulation } from '../sim/index.js'
import type { RunMetrics, Scenario, SimKeyType } from '../sim/index.js'

/** The libp2p section's scenario before flags: 200 always-on drivers and 400 riders for a simulated hour at 5x */
export function libp2pBenchScenario (): Scenario {
  const s = defaultScenario()
  s.network.mode = 'libp2p'
  s.network.transport = 'memory'
  s.drivers = 200
  s.riders = 400
  s.durationS = 3600
  s.drainS = 1800
  s.speedup = 5
  return s
}

/** One row of the table */
export interface Libp2pBenchRow {
  keyType: SimKeyType
  nodes: number
  peakNodes: number | null
  wallS: number
  heldSpeedUp: number
  cpuMsPerNode: number
  /** CPU of the process(es) over the run, per node at once: % of one core */
  cpuPctPerNodeAtOnce: number | null
  rssMbPerNodeAtOnce: number | null
  worstLoopDelayMs: number | null
  served: string
  baseline: string
  gapPoints: number
}

function pct (m: RunMetrics): string {
  return `${m.served}/${m.requests} (${(100 * m.serviceRate).toFixed(1)} %)`
}

/** A row from a run's metrics */
export function benchRow (keyType: SimKeyType, scenario: Scenario, d: RunMetrics, c: RunMetrics): Libp2pBenchRow {
  const r = d.resources
  const atOnce = r.peakNodes
  return {
    keyType,
    nodes: scenario.drivers + scenario.riders,
    peakNodes: atOnce,
    wallS: r.wallMs / 1000,
    heldSpeedUp: r.heldSpeedUp ?? scenario.speedup,
    cpuMsPerNode: r.cpuMsPerNode,
    cpuPctPerNodeAtOnce: atOnce != null && atOnce > 0 && r.wallMs > 0 ? 100 * r.cpuMsTotal / r.wallMs / atOnce : null,
    rssMbPerNodeAtOnce: atOnce != null && atOnce > 0 ? r.peakRssBytes / 1e6 / atOnce : null,
    worstLoopDelayMs: r.worstLoopDelayMs,
    served: pct(d),
    baseline: pct(c),
    gapPoints: 100 * (c.serviceRate - d.serviceRate)
  }
}

/** The one table of the section */
export function benchTable (rows: readonly Libp2pBenchRow[]): string {
  const head = ['peer ids', 'nodes', 'at once', 'wall s', 'clock held', 'CPU ms/node', 'CPU %core/node at once', 'RSS MB/node at once', 'worst loop delay ms', 'served (libp2p)', 'served (centralized)', 'gap (points)']
  const fmt = (v: number | null, digits: number): string => v == null ? '–' : v.toFixed(digits)
  const body = rows.map(r => [
    r.keyType, String(r.nodes), r.peakNodes == null ? '–' : String(r.peakNodes), r.wallS.toFixed(0), `${r.heldSpeedUp.toPrecision(3)}x`,
    r.cpuMsPerNode.toFixed(0), fmt(r.cpuPctPerNodeAtOnce, 2), fmt(r.rssMbPerNodeAtOnce, 2), fmt(r.worstLoopDelayMs, 0),
    r.served, r.baseline, r.gapPoints.toFixed(1)
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join(' | ')
  return [line(head), widths.map(w => '-'.repeat(w)).join('-+-'), ...body.map(line)].join('\n')
}

/** Runs the libp2p section with `flags` (scenario flags of `hitch sim`, and `--key-types a,b`) applied */
export async function libp2pSection (flags: Record<string, string>): Promise<void> {
  const { 'key-types': keyTypesFlag, ...scenarioFlags } = flags
  const keyTypes = (keyTypesFlag?.split(',') ?? [...NODE_PEER_KEY_TYPES]) as SimKeyType[]
  const started = performance.now()
  const rows: Libp2pBenchRow[] = []
  let scenario: Scenario | undefined
  for (const keyType of keyTypes) {
    scenario = applyFlags(libp2pBenchScenario(), { ...scenarioFlags, network: 'libp2p', 'key-type': keyType })
    let lastLog = 0
    const { results } = await runSimulation(scenario, {
      onProgress: p => {
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now()
          process.stderr.write(`  ${keyType}: ${p.run} ${Math.round(p.simS)} / ${p.totalS} s, served ${p.served}, cancelled ${p.cancelled}${p.speedUp != null ? `, clock ${p.speedUp.toPrecision(2)}x` : ''}\n`)
        }
      }
    })
    const d = results.decentralized
    const c = results.centralized
    if (d == null || c == null) throw new Error('the libp2p bench needs both runs')
    rows.push(benchRow(keyType, scenario, d, c))
    for (const note of results.notes) process.stderr.write(`  ${keyType}: note: ${note}\n`)
    // the rows so far, should a later key type not finish
    if (rows.length < keyTypes.length) process.stderr.write(benchTable(rows) + '\n')
  }
  if (scenario == null) return
  console.log(`bench sim (libp2p): ${scenario.drivers} drivers (always on) and ${scenario.riders} riders, each a libp2p node, over ` +
    `${scenario.workers > 1 ? `TCP in ${scenario.workers} worker processes` : `the ${scenario.network.transport} transport in one process`}, ` +
    `${(scenario.durationS / 3600).toFixed(1)} h of demand at ${scenario.speedup}x asked, seed ${scenario.seed}; the same demand for every row and the centralized baseline`)
  console.log(benchTable(rows))
  console.log('clock held: simulated s per real s from time 0 on; the clock slows down while the event loop lags, so the service rate does not depend on the host')
  console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
