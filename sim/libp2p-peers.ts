/**
 * One process's share of a `libp2p`-mode run: `PeerShare` creates, connects, starts and
 * stops its real libp2p nodes and runs the roles on them. What the share keeps of its drivers
 * and riders is `libp2p-bookkeeping.ts`; merging the shares' results is `libp2p-merge.ts`
 * (`mergeShares`, re-exported here).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { prefixLogger } from '@libp2p/logger'
import { sha256 } from '@noble/hashes/sha2.js'
import { createHitchPeer } from '../node/index.js'
import { createNetwork } from '../node/network/index.js'
import { VerifyCache } from '../protocol/index.js'
import { RiderBook, networkRecord, vehicleOf, watchDriver } from './libp2p-bookkeeping.js'
import { simLibp2pOptions, simRoleTimings } from './libp2p-tuning.js'
import { SIM_EPOCH_MS, anchoredClock, simZero } from './share.js'
import type { DriverTrip, RiderOutcome, ShareDriver, ShareResult, ShareStatus, SimTimeBase } from './share.js'
import { seededRandomSource } from './random.js'
import { countChannelUpdates, emptySharePayments, settleRide, simPeerPayments } from './payments.js'
import type { SharePayments, SimChainAccess } from './payments.js'
import type { DriverPeer } from './libp2p-bookkeeping.js'
import type { SimRoleTimings } from './libp2p-tuning.js'
import type { TripRequest } from './demand.js'
import type { NodeNetworkRecord } from './records.js'
import type { Scenario, SimTransport } from './scenario.js'
import type { Clock } from '../node/clock/index.js'
import type { HitchNode, HitchPeer, HitchPeerInit, RiderPeer } from '../node/index.js'
import type { RoutedMap } from '../node/map/index.js'
import type { Secp256k1PrivateKey } from '@libp2p/interface'

export { mergeShares } from './libp2p-merge.js'

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
   * Name of this share in logs, e.g. `w1`.
   *
   * @default 'sim'
   */
  name?: string
  /** The chain the peers' payment channels settle on; without it rides are not paid */
  chain?: SimChainAccess
}

/**
 * Hitch peers seeded from the scenario's seed, a role and an index, so every
 * process derives the same distinct peer ids and runs repeat with the same
 * DHT layout.
 */
export function simPeerKey (seed: number, role: 'driver' | 'rider', index: number): Secp256k1PrivateKey {
  for (let attempt = 0; ; attempt++) {
    const raw = sha256(new TextEncoder().encode(`hitch-sim/${seed}/${role}/${index}/${attempt}`))
    try {
      return privateKeyFromRaw(raw) as Secp256k1PrivateKey
    } catch {
      // not a valid scalar (probability about 2^-128): derive again
    }
  }
}

/** Runs `fn` on every item, at most `limit` at a time */
export async function eachLimit<T> (items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]
      await fn(item)
    }
  })
  await Promise.all(lanes)
}

/** How many of a share's drivers other peers use as bootstrap peers */
export const BOOTSTRAP_PER_SHARE = 3

/** Real ms without a new driver connection after which the drivers count as settled */
const SETTLE_QUIET_MS = 1_500

/** Real ms the drivers are given at most to settle before simulated time 0 */
const SETTLE_MAX_MS = 60_000

/** Nodes started or stopped at once */
const START_STOP_CONCURRENCY = 8

/**
 * One process's share of a `libp2p`-mode run: real libp2p nodes (memory
 * transport, or TCP so that other processes can reach them) running the
 * real `Driver` and `Rider` roles on one sped-up clock. Drivers start before
 * simulated time 0 and stay to the end; each rider's node starts when its
 * request is due, asks once, gives up after the scenario's patience and is
 * stopped as soon as its ride is over, so resources follow the riders
 * actually present.
 *
 * Life cycle: {@link start} (driver nodes listening), {@link connect}
 * (bootstrap, then the driver roles), {@link go} (riders on schedule),
 * {@link status} while it runs, {@link stop} for the results.
 */
export class PeerShare {
  readonly clock: Clock
  private readonly map: RoutedMap
  private readonly scenario: Scenario
  private readonly init: PeerShareInit
  private readonly timings: SimRoleTimings
  private readonly log
  private readonly drivers: DriverPeer[] = []
  /** what the share saw of each rider's request, and the tallies */
  private readonly riders: RiderBook
  /** every node's network counters: live nodes by reference, stopped riders as a snapshot (their node is let go) */
  private readonly networks: Array<{ role: 'driver' | 'rider', node?: HitchNode, record?: NodeNetworkRecord }> = []
  /** aborts the rides still asking or riding when the share stops */
  private readonly lifetime = new AbortController()
  private readonly riderTasks = new Set<Promise<void>>()
  private readonly timers: Array<ReturnType<Clock['setTimeout']>> = []
  private readonly notes = new Set<string>()
  private readonly verifyCache = new VerifyCache({ maxEntries: 65_536 })
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 })
  private worstLoopDelayMs = 0
  /** connections opened (each side counts its own), by the role of the node */
  private readonly connectionsOpened = { driver: 0, rider: 0 }
  private bootstrap: string[] = []
  private zero = SIM_EPOCH_MS
  private going = false
  private stopping = false
  private running = 0
  private peakNodes = 0
  private readonly wallStart = performance.now()
  private readonly cpuStart = process.cpuUsage()
  private peakRss = process.memoryUsage().rss
  private readonly payments: SharePayments | null

  constructor (init: PeerShareInit) {
    this.init = init
    this.map = init.map
    this.scenario = init.scenario
    this.clock = anchoredClock(init.time)
    this.timings = simRoleTimings(init.time.speedup, init.scenario)
    this.log = prefixLogger(init.name ?? 'sim').forComponent('hitch:sim:libp2p')
    this.loopDelay.enable()
    this.payments = init.chain != null ? emptySharePayments() : null
    this.riders = new RiderBook(init.requests)
  }

  /** Simulated seconds since time 0 (negative before {@link go}'s instant) */
  simS (): number {
    return (this.clock.now() - this.zero) / 1000
  }

  /** Creates and starts the driver nodes (listening, not yet connected, roles not started) */
  async start (): Promise<void> {
    const s = this.scenario
    const g = this.map.graph
    await eachLimit(this.init.drivers, START_STOP_CONCURRENCY, async ({ index, vertex }) => {
      const peer = await createHitchPeer({
        ...await this.peerInit('driver', index),
        driver: {
          position: { lat: g.lat[vertex], lon: g.lon[vertex] },
          seats: s.seats,
          fare: s.fare,
          insertion: { maxWaitS: s.patienceS, maxDetourFactor: s.maxDetourFactor, detourSlackS: s.detourSlackS },
          ...this.timings.driver
        }
      })
      this.watchNode('driver', peer.node)
      if (this.payments != null) countChannelUpdates(peer, this.payments)
      // listening and serving the pay protocol; the role starts once connected
      await this.startNode(peer.node)
      await peer.channels?.start()
      this.drivers.push(watchDriver(index, peer, () => this.zero))
    })
    this.drivers.sort((a, b) => a.index - b.index)
  }

  /** Addresses of this share's first drivers, for the other peers to bootstrap from */
  bootstrapAddresses (): string[] {
    return this.drivers.slice(0, BOOTSTRAP_PER_SHARE).map(d => d.node.addresses()[0]).filter(a => a != null)
  }

  /**
   * Connects every driver to two bootstrap peers (the bootstrap peers to each
   * other), then starts the driver roles: they subscribe to their cells and
   * announce them in the DHT. libp2p's bootstrap module does not dial memory
   * addresses, so the share dials them itself.
   */
  async connect (bootstrap: readonly string[]): Promise<void> {
    this.bootstrap = [...bootstrap]
    const own = new Set(this.drivers.flatMap(d => d.node.addresses()))
    await eachLimit(this.drivers, START_STOP_CONCURRENCY, async d => {
      const mine = new Set(d.node.addresses())
      const others = this.bootstrap.filter(a => !mine.has(a))
      const isBootstrap = this.bootstrap.some(a => mine.has(a))
      const targets = isBootstrap ? others : pick(others, d.index, 2)
      for (const addr of targets) {
        await d.node.network.dial(addr).catch(err => {
          this.note(`a driver could not dial a bootstrap peer${own.has(addr) ? '' : ' of another process'}`)
          this.log('driver %d: dialing %s failed - %e', d.index, addr, err)
        })
      }
    })
    await eachLimit(this.drivers, START_STOP_CONCURRENCY, async d => { await d.peer.start() })
    await this.settle()
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

  /** Starts every rider at its request time; simulated time 0 is the wall instant `goAtMs` */
  go (goAtMs: number): void {
    this.zero = simZero(this.init.time, goAtMs)
    this.going = true
    for (let i = 0; i < this.init.requests.length; i++) {
      const req = this.init.requests[i]
      const outcome = this.riders.outcomes[i]
      const delay = this.zero + req.timeS * 1000 - this.clock.now()
      this.timers.push(this.clock.setTimeout(() => {
        if (this.stopping) return
        const task = this.runRider(req, outcome)
        this.riderTasks.add(task)
        void task.finally(() => this.riderTasks.delete(task))
      }, Math.max(0, delay)))
    }
  }

  status (): ShareStatus {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss)
    const loopDelayP99Ms = this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0
    this.worstLoopDelayMs = Math.max(this.worstLoopDelayMs, loopDelayP99Ms)
    this.loopDelay.reset()
    return {
      loopDelayP99Ms,
      simS: this.going ? this.simS() : 0,
      riders: this.init.requests.length,
      finished: this.riders.finished,
      served: this.riders.served,
      cancelled: this.riders.cancelled,
      idle: this.drivers.every(d => d.driver.currentPlan.stops.length === 0),
      nodes: this.running,
      connections: { ...this.connectionsOpened }
    }
  }

  /** Stops riders still running, then the drivers, and returns what the share saw */
  async stop (): Promise<ShareResult> {
    const simulatedS = Math.max(0, this.simS())
    this.stopping = true
    for (const t of this.timers) this.clock.clearTimeout(t)
    this.lifetime.abort()
    await Promise.allSettled([...this.riderTasks])
    await eachLimit(this.drivers, START_STOP_CONCURRENCY, async d => { await d.driver.stop().catch(() => {}) })
    await eachLimit(this.drivers, START_STOP_CONCURRENCY, async d => { await this.stopPeer(d.peer) })
    this.status()
    this.loopDelay.disable()
    this.note(`event loop of the process: worst p99 delay over a status interval ${Math.round(this.worstLoopDelayMs)} ms`)
    if (this.worstLoopDelayMs > 1000) {
      this.note(`the event loop of a process lagged by up to ${(this.worstLoopDelayMs / 1000).toFixed(1)} s (p99 over a status interval): at a speed-up of ${this.init.time.speedup} that is ${(this.worstLoopDelayMs * this.init.time.speedup / 1000).toFixed(0)} simulated seconds; use fewer nodes per process, more workers or a lower speed-up`)
    }
    const cpu = process.cpuUsage(this.cpuStart)
    const nodes: NodeNetworkRecord[] = this.networks.map(({ role, node, record }) => record ?? networkRecord(role, node as HitchNode))
    const trips: DriverTrip[] = []
    for (const d of this.drivers) trips.push(...d.trips.values())
    return {
      riders: this.riders.outcomes,
      trips,
      vehicles: this.drivers.map(vehicleOf),
      nodes,
      simulatedS,
      wallMs: performance.now() - this.wallStart,
      cpuUs: cpu.user + cpu.system,
      peakRssBytes: Math.max(this.peakRss, process.memoryUsage().rss),
      peakNodes: this.peakNodes,
      payments: this.payments,
      notes: [...this.notes]
    }
  }

  // ---- peers ---------------------------------------------------------------------------

  /** The options of a peer's node: its seeded key, a libp2p network tuned for the run, its payments. */
  private async peerInit (role: 'driver' | 'rider', index: number): Promise<HitchPeerInit> {
    const privateKey = simPeerKey(this.scenario.seed, role, index)
    const name = `${role}-${index}`
    const transport = this.init.transport
    const network = await createNetwork({
      privateKey,
      transport,
      listen: transport === 'tcp' ? [`/ip4/${this.init.host ?? '127.0.0.1'}/tcp/0`] : undefined,
      bootstrap: [],
      logPrefix: name,
      ...simLibp2pOptions(role)
    })
    network.libp2p.addEventListener('connection:open', () => { this.connectionsOpened[role]++ })
    return {
      privateKey,
      network,
      clock: this.clock,
      map: this.map,
      logPrefix: name,
      messageTtlMs: this.timings.messageTtlMs,
      random: seededRandomSource(this.scenario.seed, name),
      // one process, one cache: each gossip message is verified once, not once per receiver
      verifyCache: this.verifyCache,
      ...simPeerPayments(this.init.chain)
    }
  }

  private watchNode (role: 'driver' | 'rider', node: HitchNode): void {
    this.networks.push({ role, node })
  }

  /** Starts a node, counting the nodes running at once (riders come and go) */
  private async startNode (node: HitchNode): Promise<void> {
    await node.start()
    this.running++
    this.peakNodes = Math.max(this.peakNodes, this.running)
  }

  /** Stops a peer (role, payments, channels, node), counting the nodes running at once */
  private async stopPeer (peer: HitchPeer): Promise<void> {
    await peer.stop().catch(err => { this.log('stopping %s failed - %e', peer.node.peerId, err) })
    this.running--
  }

  private async runRider (req: TripRequest, outcome: RiderOutcome): Promise<void> {
    const s = this.scenario
    const g = this.map.graph
    let peer: RiderPeer | undefined
    let node: HitchNode | undefined
    let up = false
    const asked = performance.now()
    try {
      peer = await createHitchPeer({ ...await this.peerInit('rider', req.index), rider: this.timings.rider })
      node = peer.node
      this.watchNode('rider', node)
      await this.startNode(node)
      up = true
      const targets = pick(this.bootstrap, req.index, 1)
      for (const addr of targets) {
        await node.network.dial(addr).catch(err => {
          this.note('a rider could not dial its bootstrap peer')
          this.log('rider %d: dialing %s failed - %e', req.index, addr, err)
        })
      }
      const { rider, channels, payments } = peer
      this.riders.watch(rider, outcome, req, { asked, simS: () => this.simS(), zero: () => this.zero }, this.log)
      await peer.start()
      if (this.stopping) return
      const patienceMs = s.patienceS * 1000
      const result = await rider.requestRide({
        from: { lat: g.lat[req.pickup], lon: g.lon[req.pickup] },
        to: { lat: g.lat[req.dropoff], lon: g.lon[req.dropoff] },
        seats: req.seats,
        maxWaitMs: patienceMs,
        timeoutMs: patienceMs,
        ...this.timings.request
      }, { signal: this.lifetime.signal })
      await this.riders.recordServed(outcome, result, () => this.simS(), payments != null)
      if (payments != null && channels != null && this.payments != null) {
        outcome.paidWei = await settleRide(result.requestId, { channels, payments }, this.payments, text => { this.note(text) }, this.log)
      }
    } catch (err) {
      this.riders.recordFailure(outcome, req, err, this.log)
    } finally {
      this.riders.finished++
      if (up && !this.stopping) {
        // the countersigned trip record is still on its way back to the driver: linger a moment
        await this.clock.sleep(this.timings.lingerMs, { signal: this.lifetime.signal }).catch(() => {})
      }
      // a finished rider leaves the network: its node's resources are freed
      if (peer != null && up) await this.stopPeer(peer)
      else await peer?.stop().catch(() => {})
      if (node != null) {
        // keep the rider's counters, not its node: a finished rider's libp2p stack can be freed
        const entry = this.networks.find(e => e.node === node)
        if (entry != null) {
          entry.record = networkRecord('rider', node)
          entry.node = undefined
        }
      }
    }
  }

  private note (text: string): void {
    this.notes.add(text)
  }
}

/** `count` addresses of `list`, chosen round-robin by `index` */
function pick (list: readonly string[], index: number, count: number): string[] {
  if (list.length === 0) return []
  const out: string[] = []
  for (let i = 0; i < Math.min(count, list.length); i++) out.push(list[(index + i) % list.length])
  return out
}
