import { createRequire } from 'node:module'
import { logger } from '@libp2p/logger'
import { openRoutedMap } from '../node/map/index.js'
import { DEFAULT_BATCH_S, runCentralized } from './centralized.js'
import { DecentralizedRun } from './decentralized.js'
import { buildDemand } from './demand.js'
import { SimulationError } from './errors.js'
import { checkInvariants } from './invariants.js'
import { computeMetrics } from './metrics.js'
import { initialPositions } from './vehicle.js'
import type { RunProgress } from './centralized.js'
import type { DemandStats } from './demand.js'
import type { InvariantResult } from './invariants.js'
import type { Libp2pRunOptions } from './libp2p-run.js'
import type { RunMetrics } from './metrics.js'
import type { RunRecords } from './records.js'
import type { Scenario } from './scenario.js'
import type { RoutedMap } from '../node/map/index.js'

const log = logger('hitch:sim')

/** Which runs to make */
export type RunKind = 'centralized' | 'decentralized'

/** Options of {@link runSimulation} */
export interface SimulationOptions extends Libp2pRunOptions {
  /**
   * The runs to make.
   *
   * @default ['centralized', 'decentralized']
   */
  runs?: RunKind[]
  /** A map already loaded for the scenario (tests, benchmarks); loaded from the scenario otherwise */
  map?: RoutedMap
  /** Progress of every phase, including loading */
  onProgress?: (progress: RunProgress) => void
}

/** What results.json holds */
export interface SimulationResults {
  /** Versions of hitch and Node.js that produced the results */
  versions: { hitch: string, node: string }
  seed: number
  scenario: Scenario
  map: { source: string, vertices: number, edges: number, bbox: { minLat: number, minLon: number, maxLat: number, maxLon: number } }
  demand: DemandStats
  centralized: RunMetrics | null
  decentralized: RunMetrics | null
  /** The run's declared invariants (sim/invariants.ts), checked after it */
  invariants: { decentralized: InvariantResult[] | null }
  /** Why a run or a figure is missing */
  notes: string[]
  /** Every per-request, per-vehicle and per-node record */
  records: { centralized: RunRecords | null, decentralized: RunRecords | null }
}

/** The results, with the map they were computed on (for the report's map) */
export interface SimulationOutput {
  results: SimulationResults
  map: RoutedMap
}

/** The version of this package */
export function hitchVersion (): string {
  try {
    return String(createRequire(import.meta.url)('../package.json').version)
  } catch {
    try {
      return String(createRequire(import.meta.url)('../../package.json').version)
    } catch {
      return 'unknown'
    }
  }
}

/** How the decentralized run's rides were paid, or why they were not. */
function paymentNote (scenario: Scenario, run: RunRecords): string {
  if (run.payments != null) return 'payments: each rider opens a channel with its driver on the run\'s embedded chain, pays as the car moves, and closes the channel co-operatively after its ride; on-chain transactions and gas are counted from the blocks mined during the run'
  if (scenario.payments === 'none') return 'payments: off (--payments none)'
  return scenario.network.mode === 'simulated'
    ? 'payments: not counted (the run\'s chain could not be read at the end)'
    : 'payments: not counted (a share of the run came back without its payment figures)'
}

/**
 * Runs a scenario: loads the map and the demand, runs the centralized
 * baseline and the decentralized peers on the same demand and the same
 * starting fleet, and computes every metric of both.
 *
 * @throws {SimulationError} when aborted; {@link DemandError}, map errors as they come
 */
export async function runSimulation (scenario: Scenario, options: SimulationOptions = {}): Promise<SimulationOutput> {
  const runs = new Set(options.runs ?? ['centralized', 'decentralized'])
  // openRoutedMap hands its options on to loadDefaultCity, which reads the city's options
  // from them; its declared type only lists the cache options
  const cityOptions: Record<string, unknown> = scenario.map == null ? { ...scenario.city } : {}
  const map = options.map ?? await openRoutedMap(scenario.map ?? undefined, { ...cityOptions, signal: options.signal })
  options.signal?.throwIfAborted()
  const demand = await buildDemand(map, {
    riders: scenario.riders,
    durationS: scenario.durationS,
    seed: scenario.seed,
    maxSeats: scenario.seats,
    trips: scenario.demand.trips,
    profile: scenario.demand.profile,
    startHour: scenario.demand.startHour,
    minTripM: scenario.demand.minTripM,
    snapM: scenario.demand.snapM
  })
  log('demand: %o', demand.stats)
  const positions = initialPositions(map.graph, scenario.drivers, scenario.seed)
  const notes: string[] = []
  const metricsOpts = { durationS: scenario.durationS, binS: Math.max(60, Math.ceil(scenario.durationS / 12)) }

  let central: RunRecords | null = null
  if (runs.has('centralized')) {
    central = await runCentralized(map, demand.requests, {
      drivers: scenario.drivers,
      seats: scenario.seats,
      batchS: scenario.batchS ?? DEFAULT_BATCH_S,
      patienceS: scenario.patienceS,
      maxDetourFactor: scenario.maxDetourFactor,
      detourSlackS: scenario.detourSlackS,
      fare: scenario.fare,
      durationS: scenario.durationS,
      drainS: scenario.drainS,
      seed: scenario.seed
    }, options)
  }
  if (options.signal?.aborted === true) throw new SimulationError('the simulation was aborted')

  let decentral: RunRecords | null = null
  if (runs.has('decentralized')) {
    const init = { map, requests: demand.requests, scenario, positions }
    if (scenario.network.mode === 'libp2p') {
      // real libp2p nodes, in this process or in worker processes; loaded only for such a run
      const { runLibp2p } = await import('./libp2p-run.js')
      decentral = await runLibp2p(init, options)
    } else {
      decentral = await new DecentralizedRun(init).run(options)
    }
    notes.push(...decentral.notes.map(n => `decentralized: ${n}`))
  } else {
    notes.push('decentralized run not requested')
  }
  if (decentral != null) notes.push(paymentNote(scenario, decentral))
  const invariants = decentral != null ? checkInvariants(decentral) : null
  for (const broken of invariants?.filter(i => i.status === 'broken') ?? []) {
    notes.push(`decentralized: INVARIANT BROKEN ${broken.id} (${broken.description}): ${broken.violations.join('; ')}`)
  }

  const g = map.graph
  const results: SimulationResults = {
    versions: { hitch: hitchVersion(), node: process.version },
    seed: scenario.seed,
    scenario,
    map: { source: g.meta.source, vertices: g.numNodes, edges: g.numEdges, bbox: { ...g.meta.bbox } },
    demand: demand.stats,
    centralized: central == null ? null : computeMetrics(central, metricsOpts),
    decentralized: decentral == null ? null : computeMetrics(decentral, metricsOpts),
    invariants: { decentralized: invariants },
    notes,
    records: { centralized: central, decentralized: decentral }
  }
  return { results, map }
}
