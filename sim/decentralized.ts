import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { DEFAULT_MESSAGE_TTL_MS, libsecp256k1Signatures } from '../node/index.js'
import { EventScheduler, VirtualClock } from './event-scheduler.js'
import { SimulationError } from './errors.js'
import { Fleet } from './fleet.js'
import { mergeShares } from './merge.js'
import { SIM_EPOCH_MS } from './share.js'
import { SimulatedWorld } from './simulated-network.js'
import { initialRecords } from './centralized.js'
import { feedAccess, RunChain } from './payments.js'
import type { FeedAccess } from './payments.js'
import type { ChainActivity } from '../settlement/index.js'
import type { RunOptions } from './centralized.js'
import type { TripRequest } from './demand.js'
import type { NodePeerKey, PeerFactory, PeerNodeOptions, PeerRole } from './fleet.js'
import type { SimRoleTimings } from './libp2p-tuning.js'
import type { RunRecords } from './records.js'
import type { Scenario } from './scenario.js'
import type { ShareResult } from './share.js'
import type { RoutedMap } from '../node/map/index.js'

const log = logger('hitch:sim:decentralized')

/** A rider whose ride ended stays online this long (clock ms), so its last answers arrive. @default 5000 */
const RIDER_LINGER_MS = 5_000

/** Options of {@link DecentralizedRun} */
export interface DecentralizedInit {
  map: RoutedMap
  requests: readonly TripRequest[]
  scenario: Scenario
  /** Starting vertex of each driver (the centralized fleet's, for a fair comparison) */
  positions: readonly number[]
}

/**
 * The role timings of the simulated mode, clock ms: the scenario's, as they are (the virtual
 * clock has no real-time margin to keep), and the roles' defaults.
 */
export function simulatedRoleTimings (scenario: Pick<Scenario, 'offerIntervalS' | 'republishS'>): SimRoleTimings {
  return {
    driver: { offerIntervalMs: scenario.offerIntervalS * 1000 },
    rider: { republishMs: scenario.republishS * 1000 },
    request: {},
    lingerMs: RIDER_LINGER_MS,
    messageTtlMs: DEFAULT_MESSAGE_TTL_MS
  }
}

/**
 * The peer factory of the simulated mode: every peer's network is a peer of one discrete-event
 * {@link SimulatedWorld}, on one {@link VirtualClock} (its channel managers' as well); peers are
 * created and stopped one at a time (the world's order is the run's), drivers started all at once
 * at time 0. Joining the network needs nothing: the world knows every peer.
 */
class SimulatedPeers implements PeerFactory {
  readonly clock: VirtualClock
  readonly paymentsClock: VirtualClock
  readonly timings: SimRoleTimings
  readonly createLimit = 1
  readonly startLimit = Infinity
  private readonly world: SimulatedWorld
  /** one world, one signature backend */
  private readonly signatures = libsecp256k1Signatures()

  constructor (world: SimulatedWorld, clock: VirtualClock, scenario: Scenario) {
    this.world = world
    this.clock = clock
    this.paymentsClock = clock
    this.timings = simulatedRoleTimings(scenario)
  }

  async node (_role: PeerRole, _index: number, privateKey: NodePeerKey, name: string): Promise<PeerNodeOptions> {
    const network = this.world.createPeer({ peerId: peerIdFromPrivateKey(privateKey).toString(), logPrefix: name, clock: this.clock })
    return { network, signatures: this.signatures }
  }
}

/**
 * The decentralized run of the `simulated` network mode: one {@link Fleet} of Hitch peers, one
 * per driver and per rider, running the real `Driver` and `Rider` roles of `node/roles` (real
 * signatures, real validation, real negotiation machines) on the discrete-event
 * {@link SimulatedWorld} with one {@link VirtualClock} (deterministic, as fast as the CPU
 * allows), its records merged as those of a `libp2p`-mode run's one share (`mergeShares`).
 * The `libp2p` mode runs the same fleet on real libp2p nodes (`runLibp2p` in sim/libp2p-run.ts).
 */
export class DecentralizedRun {
  private readonly map: RoutedMap
  private readonly requests: readonly TripRequest[]
  private readonly scenario: Scenario
  private readonly positions: readonly number[]

  constructor (init: DecentralizedInit) {
    this.map = init.map
    this.requests = init.requests
    this.scenario = init.scenario
    this.positions = init.positions
  }

  /** Runs every driver and rider to the end of the scenario and returns the records */
  async run (options: RunOptions = {}): Promise<RunRecords> {
    const s = this.scenario
    if (s.network.mode !== 'simulated') throw new SimulationError(`the simulated network runs a scenario of network mode 'simulated', not '${s.network.mode}'`)
    const wallStart = performance.now()
    const scheduler = new EventScheduler()
    const world = new SimulatedWorld({ scheduler, seed: s.seed, latencyMs: s.network.latencyMs, jitterMs: s.network.jitterMs, bandwidthBps: s.network.bandwidthBps, loss: s.network.loss, lookupMs: s.network.lookupMs })
    const clock = new VirtualClock(scheduler, { epochMs: SIM_EPOCH_MS })
    const simS = (): number => (clock.now() - SIM_EPOCH_MS) / 1000
    const endS = s.durationS + s.drainS

    // payments: the real channels on one embedded EVM, called between the scheduler's events
    let chain: RunChain | undefined
    let access: FeedAccess | undefined
    if (s.payments === 'channels') {
      chain = await RunChain.embedded()
      access = await feedAccess(chain.access(), clock, async work => await scheduler.track(work))
    }
    const fleet = new Fleet({
      map: this.map,
      scenario: s,
      drivers: this.positions.map((vertex, index) => ({ index, vertex })),
      requests: this.requests,
      factory: new SimulatedPeers(world, clock, s),
      log,
      ...(access != null ? { chain: access } : {})
    })

    let result: ShareResult | undefined
    let activity: ChainActivity | undefined
    const progress = (): void => {
      const st = fleet.status()
      options.onProgress?.({ run: 'decentralized', simS: simS(), totalS: s.durationS, served: st.served, cancelled: st.cancelled, requests: st.riders })
    }
    try {
      // drivers first: at time 0 they subscribe to their cells and announce them
      await fleet.addDrivers()
      fleet.go(clock.now())
      clock.setTimeout(() => {
        void fleet.startDrivers().catch(err => { log('starting the drivers failed - %e', err) })
      }, 0)
      let lastProgress = performance.now()
      for (let t = 0; t <= endS; t += 1) {
        await scheduler.runUntilAsync(t * 1000, { signal: options.signal })
        if (performance.now() - lastProgress > 500) {
          progress()
          lastProgress = performance.now()
        }
        const st = fleet.status()
        if (t >= s.durationS && st.finished === st.riders && st.idle) break
      }
    } finally {
      // stopping awaits clock events: keep the scheduler turning meanwhile
      const stopping = fleet.stop()
      let done = false
      void stopping.finally(() => { done = true }).catch(() => {})
      while (!done) await scheduler.runUntilAsync(scheduler.now() + 1000)
      result = await stopping
      if (chain != null) {
        try {
          activity = await chain.activity()
        } catch (err) {
          log('reading the chain\'s activity failed - %e', err)
        } finally {
          await access?.stop()
          await chain.stop().catch(() => {})
        }
      }
    }
    progress()
    return mergeShares(initialRecords(this.map, this.requests), [result], {
      wallMs: performance.now() - wallStart,
      simulatedS: Math.min(simS(), endS),
      processes: 1,
      notes: s.workers > 1 ? [`workers: ${s.workers} requested, but every peer ran in this one process`] : [],
      ...(activity != null ? { chain: activity } : {})
    })
  }
}
