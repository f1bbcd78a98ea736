/**
 * One process's share of a `libp2p`-mode run: `PeerShare` is the libp2p peer factory of a
 * {@link Fleet} (`fleet.ts`, which creates, starts and stops the drivers and riders and keeps
 * their books) and what only real libp2p nodes need: bootstrap dialing, connection counting,
 * the drivers' settling before time 0, event-loop monitoring and a bounded start/stop
 * concurrency. Merging the shares' results is `merge.ts` (`mergeShares`).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { prefixLogger } from '@libp2p/logger'
import { createNetwork } from '../node/network/index.js'
import { Fleet } from './fleet.js'
import { simDhtServer, simLibp2pOptions, simRoleTimings } from './libp2p-tuning.js'
import { SIM_EPOCH_MS, anchoredClock, simZero } from './share.js'
import { DilatingClock, WALL_REAL_TIME } from './dilating-clock.js'
import { enableKeyParseCache } from './key-cache.js'
import { SimulationError } from './errors.js'
import type { DilationReport } from './dilating-clock.js'
import type { NodePeerKey, PeerFactory, PeerNodeOptions, PeerRole } from './fleet.js'
import type { ShareDriver, ShareResult, ShareStatus, SimTimeBase } from './share.js'
import type { SimChainAccess } from './payments.js'
import type { SimRoleTimings } from './libp2p-tuning.js'
import type { TripRequest } from './demand.js'
import type { Scenario, SimTransport } from './scenario.js'
import type { Clock } from '../node/clock/index.js'
import type { HitchNode } from '../node/index.js'
import type { RoutedMap } from '../node/map/index.js'

/** Options of {@link PeerShare} */
export interface PeerShareInit {
  map: RoutedMap
  scenario: Scenario
  /** the drivers this process runs */
  drivers: readonly ShareDriver[]
  /** the ride requests whose riders this process runs */
  requests: readonly TripRequest[]
  transport: SimTransport
  time: SimTimeBase
  /**
   * Address the nodes listen on with the tcp transport; other processes dial them there.
   *
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Name of this share in logs (and, when given, in its notes), e.g. `w1`.
   *
   * @default 'sim'
   */
  name?: string
  /** The chain the peers' payment channels settle on; without it rides are not paid */
  chain?: SimChainAccess
  /**
   * Slow the share's clock down while its event loop lags ({@link DilatingClock}), so that a
   * loaded host runs the same simulation more slowly instead of a different one. `true`: the
   * share measures its own loop (a share that is the whole run); `'paced'`: the clock runs at
   * the rates {@link pace} gives it (a worker of a multi-process run, paced by the coordinator
   * so that every process reads the same time).
   *
   * @default false
   */
  dilate?: boolean | 'paced'
  /** Most simulated ms one lag of the event loop may cost, with `dilate`. @default DEFAULT_MAX_LAG_SIM_MS */
  maxLagSimMs?: number
}

/** How many of a share's drivers other peers use as bootstrap peers */
export const BOOTSTRAP_PER_SHARE = 3

/** Real ms without a new driver connection after which the drivers count as settled */
const SETTLE_QUIET_MS = 1_500

/** Real ms the drivers are given at most to settle before simulated time 0 */
const SETTLE_MAX_MS = 60_000

/** Nodes created, started or stopped at once */
const START_STOP_CONCURRENCY = 8

/**
 * One process's share of a `libp2p`-mode run: real libp2p nodes (memory
 * transport, or TCP so that other processes can reach them) running the
 * real `Driver` and `Rider` roles on one sped-up clock. Drivers start before
 * simulated time 0 and stay to the end; each rider's node starts when its
 * request is due, dials one bootstrap peer, asks once, gives up after the
 * scenario's patience and is stopped as soon as its ride is over, so
 * resources follow the riders actually present.
 *
 * Life cycle: {@link start} (driver nodes listening), {@link connect}
 * (bootstrap, then the driver roles), {@link go} (riders on schedule),
 * {@link status} while it runs, {@link stop} for the results.
 */
export class PeerShare implements PeerFactory {
  readonly clock: Clock
  readonly timings: SimRoleTimings
  readonly createLimit = START_STOP_CONCURRENCY
  readonly startLimit = START_STOP_CONCURRENCY
  private readonly init: PeerShareInit
  private readonly fleet: Fleet
  private readonly log
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 })
  private worstLoopDelayMs = 0
  /** connections opened (each side counts its own), by the role of the node */
  private readonly connectionsOpened = { driver: 0, rider: 0 }
  private bootstrap: string[] = []
  /** the addresses of this share's drivers */
  private own = new Set<string>()
  /** why the run cannot go on (the host cannot keep up even with the clock slowed down) */
  private failure: SimulationError | undefined
  /** what the dilating clock did up to {@link stop} */
  private finalDilation: DilationReport | undefined

  constructor (init: PeerShareInit) {
    this.init = init
    // many nodes in one process parse the same secp256k1 peer ids over and over
    enableKeyParseCache()
    this.clock = this.makeClock()
    this.timings = simRoleTimings(init.time.speedup, init.scenario)
    this.log = prefixLogger(init.name ?? 'sim').forComponent('hitch:sim:libp2p')
    this.loopDelay.enable()
    this.fleet = new Fleet({
      map: init.map,
      scenario: init.scenario,
      drivers: init.drivers,
      requests: init.requests,
      factory: this,
      log: this.log,
      ...(init.chain != null ? { chain: init.chain } : {}),
      ...(init.name != null ? { label: init.name } : {})
    })
  }

  /** Simulated seconds since time 0 (negative before {@link go}'s instant) */
  simS (): number {
    return this.fleet.simS()
  }

  /** Creates and starts the driver nodes (listening, not yet connected, roles not started) */
  async start (): Promise<void> {
    await this.fleet.addDrivers()
    await this.fleet.listen()
  }

  /** Addresses of this share's first drivers, for the other peers to bootstrap from */
  bootstrapAddresses (): string[] {
    return this.fleet.drivers.slice(0, BOOTSTRAP_PER_SHARE).map(d => d.peer.node.addresses()[0]).filter(a => a != null)
  }

  /**
   * Connects every driver to two bootstrap peers (the bootstrap peers to each
   * other), then starts the driver roles: they subscribe to their cells and
   * announce them in the DHT. libp2p's bootstrap module does not dial memory
   * addresses, so the share dials them itself ({@link join}).
   */
  async connect (bootstrap: readonly string[]): Promise<void> {
    this.bootstrap = [...bootstrap]
    this.own = new Set(this.fleet.drivers.flatMap(d => d.peer.node.addresses()))
    await this.fleet.startDrivers()
    await this.settle()
  }

  /** Starts every rider at its request time; simulated time 0 is the wall instant `goAtMs` */
  go (goAtMs: number): void {
    if (this.clock instanceof DilatingClock && this.clock.mode === 'self') {
      // the clock may have been slowed during start-up: time 0 is goAtMs from now at full speed
      this.clock.resetReport()
      this.fleet.go(this.clock.now() + Math.max(0, goAtMs - Date.now()) * this.init.time.speedup)
      return
    }
    if (this.clock instanceof DilatingClock) this.clock.resetReport()
    this.fleet.go(simZero(this.init.time, goAtMs))
  }

  /** The clock's current rate, simulated ms per real ms */
  speedUpNow (): number {
    return this.clock instanceof DilatingClock ? this.clock.currentSpeedUp : this.init.time.speedup
  }

  /** From wall instant `atMs` on, a paced share's clock runs at `rate` (see {@link PeerShareInit.dilate}) */
  pace (atMs: number, rate: number): void {
    if (this.clock instanceof DilatingClock && this.clock.mode === 'paced') this.clock.pace(atMs, rate)
  }

  /** Why the run cannot go on, once the host could not keep up even with the clock slowed down */
  failed (): SimulationError | undefined {
    return this.failure
  }

  /** What the dilating clock did (undefined with a plain sped-up clock) */
  dilation (): DilationReport | undefined {
    if (this.finalDilation != null) return this.finalDilation
    return this.clock instanceof DilatingClock ? this.clock.report() : undefined
  }

  status (): ShareStatus {
    const loopDelayP99Ms = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0
    this.worstLoopDelayMs = Math.max(this.worstLoopDelayMs, loopDelayP99Ms)
    this.loopDelay.reset()
    return { ...this.fleet.status(), loopDelayP99Ms, connections: { ...this.connectionsOpened } }
  }

  /** Stops riders still running, then the drivers, and returns what the share saw */
  async stop (): Promise<ShareResult> {
    const dilation = this.dilation()
    this.finalDilation = dilation
    const result = await this.fleet.stop()
    this.status()
    this.loopDelay.disable()
    if (this.clock instanceof DilatingClock) this.clock.stop()
    const notes = [`event loop of the process: worst p99 delay over a status interval ${Math.round(this.worstLoopDelayMs)} ms`]
    if (dilation != null && this.clock instanceof DilatingClock && this.clock.mode === 'paced') {
      // the coordinator of a multi-process run notes the pace it set
    } else if (dilation != null) {
      const { maxLagSimMs } = this.clock as DilatingClock
      notes.push(`clock: time dilation keeps one event-loop lag under ${(maxLagSimMs / 1000).toFixed(1)} simulated s: ` +
        `ran at ${dilation.effectiveSpeedUp.toPrecision(3)}x real time on average (asked: ${dilation.speedUp}x), lowest ${dilation.lowestSpeedUp.toPrecision(2)}x, ` +
        `slowed ${dilation.realMs > 0 ? Math.round(100 * dilation.dilatedMs / dilation.realMs) : 0}% of the time` +
        (dilation.skippedSimMs >= 1000 ? `; ${Math.round(dilation.skippedSimMs / 1000)} simulated s of stalls not counted` : ''))
    } else if (this.worstLoopDelayMs > 1000) {
      notes.push(`the event loop of a process lagged by up to ${(this.worstLoopDelayMs / 1000).toFixed(1)} s (p99 over a status interval): at a speed-up of ${this.init.time.speedup} that is ${(this.worstLoopDelayMs * this.init.time.speedup / 1000).toFixed(0)} simulated seconds; use fewer nodes per process, more workers or a lower speed-up`)
    }
    return {
      ...result,
      worstLoopDelayMs: this.worstLoopDelayMs,
      heldSpeedUp: dilation != null && dilation.dilatedMs > 0 ? dilation.effectiveSpeedUp : null,
      notes: [...result.notes, ...notes]
    }
  }

  /** The share's clock: sped up; slowed down while the loop lags with `dilate` (see {@link PeerShareInit.dilate}) */
  private makeClock (): Clock {
    const { time, dilate, maxLagSimMs } = this.init
    if (dilate === 'paced') {
      // anchored like every process's clock, on wall time: the processes agree on the time
      return new DilatingClock({ mode: 'paced', speedUp: time.speedup, startEpoch: SIM_EPOCH_MS + (WALL_REAL_TIME.now() - time.anchorMs) * time.speedup })
    }
    if (dilate !== true) return anchoredClock(time)
    return new DilatingClock({
      speedUp: time.speedup,
      startEpoch: anchoredClock(time).now(),
      ...(maxLagSimMs != null ? { maxLagSimMs } : {}),
      onGiveUp: r => {
        this.failure = new SimulationError(`the event loop of this process lags ${Math.round(r.worstLagMs)} ms even with the clock slowed to ${r.lowestSpeedUp.toPrecision(2)}x real time ` +
          `(asked: ${r.speedUp}x): this host cannot run ${this.fleet.status().nodes} libp2p nodes in one process; use fewer nodes, or --workers`)
      }
    })
  }

  // ---- the peer factory ----------------------------------------------------------------

  /**
   * A libp2p network for peer `(role, index)`, tuned for the run, its connections counted; its
   * peer id is `privateKey` (the Ed25519 key a real node derives from its payment key, or, with
   * `--key-type secp256k1`, the payment key itself).
   */
  async node (role: PeerRole, index: number, privateKey: NodePeerKey, name: string): Promise<PeerNodeOptions> {
    const transport = this.init.transport
    const network = await createNetwork({
      privateKey,
      transport,
      listen: transport === 'tcp' ? [`/ip4/${this.init.host ?? '127.0.0.1'}/tcp/0`] : undefined,
      bootstrap: [],
      logPrefix: name,
      ...simLibp2pOptions(role, role === 'driver' && simDhtServer(index, this.init.scenario.workers, BOOTSTRAP_PER_SHARE))
    })
    network.libp2p.addEventListener('connection:open', () => { this.connectionsOpened[role]++ })
    return { network }
  }

  /**
   * Dials a started node's bootstrap peers: a driver two of them (a bootstrap peer all the
   * others), a rider one, chosen round-robin by its index.
   */
  async join (role: PeerRole, index: number, node: HitchNode): Promise<void> {
    const mine = new Set(node.addresses())
    const others = this.bootstrap.filter(a => !mine.has(a))
    const targets = role === 'rider'
      ? pick(this.bootstrap, index, 1)
      : this.bootstrap.some(a => mine.has(a)) ? others : pick(others, index, 2)
    for (const addr of targets) {
      await node.network.dial(addr).catch(err => {
        this.fleet.note(role === 'rider'
          ? 'a rider could not dial its bootstrap peer'
          : `a driver could not dial a bootstrap peer${this.own.has(addr) ? '' : ' of another process'}`)
        this.log('%s %d: dialing %s failed - %e', role, index, addr, err)
      })
    }
  }

  /**
   * Waits until the drivers stop opening connections (their DHT self-queries
   * and the announcements of their cells are done) for {@link SETTLE_QUIET_MS},
   * at most {@link SETTLE_MAX_MS}: that storm of lookups would otherwise
   * land on the first riders' requests.
   */
  private async settle (): Promise<void> {
    const started = performance.now()
    let last = -1
    let quietSince = performance.now()
    while (performance.now() - started < SETTLE_MAX_MS) {
      const opened = this.connectionsOpened.driver
      if (opened !== last) {
        last = opened
        quietSince = performance.now()
      } else if (performance.now() - quietSince >= SETTLE_QUIET_MS) {
        break
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    this.log('drivers settled in %d ms, %d connections opened', Math.round(performance.now() - started), this.connectionsOpened.driver)
  }
}

/** `count` addresses of `list`, chosen round-robin by `index` */
function pick (list: readonly string[], index: number, count: number): string[] {
  if (list.length === 0) return []
  const out: string[] = []
  for (let i = 0; i < Math.min(count, list.length); i++) out.push(list[(index + i) % list.length])
  return out
}
