/**
 * The fleet of a decentralized run: its drivers and riders, each a Hitch peer from the
 * composition root `createHitchPeer`, over a {@link PeerFactory} that says what a peer's node
 * runs on. The `simulated` mode runs the whole run as one fleet on the discrete-event world
 * (`decentralized.ts`); the `libp2p` mode runs one fleet per process on real libp2p nodes
 * (`libp2p-peers.ts`). Both keep the same books (`fleet-bookkeeping.ts`), derive the same keys
 * ({@link simPeerKey}) and give the same driver the same role options ({@link driverRole}).
 */
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { sha256 } from '@noble/hashes/sha2.js'
import { createHitchPeer } from '../node/index.js'
import { derivePeerKey } from '../node/identity/index.js'
import { VerifyCache } from '../protocol/index.js'
import { RiderBook, quotingNote, vehicleOf, watchDriver } from './fleet-bookkeeping.js'
import { networkRecordOf } from './records.js'
import { countChannelUpdates, emptySharePayments, settleRide, simPeerPayments } from './payments.js'
import { seededRandomSource } from './random.js'
import { SIM_EPOCH_MS } from './share.js'
import { SimulationError } from './errors.js'
import type { DriverPeer, QuotingTally } from './fleet-bookkeeping.js'
import type { SimRoleTimings } from './libp2p-tuning.js'
import type { SharePayments, SimChainAccess } from './payments.js'
import type { NodeNetworkRecord } from './records.js'
import type { DriverTrip, RiderOutcome, ShareDriver, ShareResult, ShareStatus } from './share.js'
import type { TripRequest } from './demand.js'
import type { Scenario, SimKeyType } from './scenario.js'
import type { Clock } from '../node/clock/index.js'
import type { DriverInit, HitchNode, HitchPeer, HitchPeerInit, RiderPeer } from '../node/index.js'
import type { RoutedMap } from '../node/map/index.js'
import type { Logger, Secp256k1PrivateKey } from '@libp2p/interface'

/** A node's network counters: read from its node while it runs, kept as a record once it is let go */
interface FleetNetwork { role: PeerRole, node?: HitchNode, record?: NodeNetworkRecord }

/** A peer's role in a fleet */
export type PeerRole = 'driver' | 'rider'

/**
 * Hitch peers seeded from the scenario's seed, a role and an index, so every
 * process (and every mode) derives the same distinct peer ids and runs repeat
 * with the same DHT layout.
 */
export function simPeerKey (seed: number, role: PeerRole, index: number): Secp256k1PrivateKey {
  for (let attempt = 0; ; attempt++) {
    const raw = sha256(new TextEncoder().encode(`hitch-sim/${seed}/${role}/${index}/${attempt}`))
    try {
      return privateKeyFromRaw(raw) as Secp256k1PrivateKey
    } catch {
      // not a valid scalar (probability about 2^-128): derive again
    }
  }
}

/**
 * The peer-id key types a node takes (`HitchPeerInit.peerKey`). The payment identity stays
 * the secp256k1 key of {@link simPeerKey} whatever the peer id's type, so both key types run the
 * same drivers with the same addresses.
 */
export const NODE_PEER_KEY_TYPES: ReadonlySet<SimKeyType> = new Set<SimKeyType>(['ed25519', 'secp256k1'])

/** The key a node takes for its peer id */
export type NodePeerKey = Exclude<NonNullable<HitchPeerInit['peerKey']>, string>

/** Fails with a clear message when the node cannot take peer ids of `keyType` */
export function checkPeerKeyType (keyType: SimKeyType): void {
  if (!NODE_PEER_KEY_TYPES.has(keyType)) {
    throw new SimulationError(`--key-type ${keyType}: this version's nodes take ${[...NODE_PEER_KEY_TYPES].join(', ')} peer ids only`)
  }
}

/**
 * The peer-id key of peer `(role, index)` for `keyType`: `'ed25519'`, the Ed25519 key a node
 * derives from its payment key ({@link simPeerKey}), as in production; `'secp256k1'`, the
 * payment key itself (the peer ids of Hitch before issue 11, to measure against).
 */
export function simPeerIdKey (seed: number, role: PeerRole, index: number, keyType: SimKeyType): NodePeerKey {
  checkPeerKeyType(keyType)
  const paymentKey = simPeerKey(seed, role, index)
  return keyType === 'secp256k1' ? paymentKey : derivePeerKey(paymentKey)
}

/** Runs `fn` on every item, at most `limit` at a time (lanes start in the items' order) */
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

/** The node options a {@link PeerFactory} gives a peer: its network port and what the mode sets beside it */
export type PeerNodeOptions = Required<Pick<HitchPeerInit, 'network'>> & Pick<HitchPeerInit, 'signatures'>

/**
 * What the peers of a fleet run on: the network of each node, the one clock, the role timings,
 * and how a started node joins the others.
 */
export interface PeerFactory {
  /** the clock of every peer's node and role */
  readonly clock: Clock
  /** the clock of the peers' channel managers (default: real time) */
  readonly paymentsClock?: Clock
  /** the roles' timings, in clock ms */
  readonly timings: SimRoleTimings
  /** peers created, made to listen or stopped at once */
  readonly createLimit: number
  /** drivers joined and started at once */
  readonly startLimit: number
  /** The node options of peer `(role, index)`, whose key is `privateKey` and whose name is `name` */
  node: (role: PeerRole, index: number, privateKey: NodePeerKey, name: string) => Promise<PeerNodeOptions>
  /** Joins peer `(role, index)`'s started node to the network, before its role starts (e.g. dials bootstrap peers) */
  join?: (role: PeerRole, index: number, node: HitchNode) => Promise<void>
}

/** The driver role of a fleet's driver starting at `position`: the scenario's seats, fare and insertion limits, the mode's timings */
export function driverRole (scenario: Scenario, position: { lat: number, lon: number }, timings: SimRoleTimings): DriverInit {
  return {
    position,
    seats: scenario.seats,
    fare: scenario.fare,
    insertion: { maxWaitS: scenario.patienceS, maxDetourFactor: scenario.maxDetourFactor, detourSlackS: scenario.detourSlackS },
    ...timings.driver
  }
}

/** Options of {@link Fleet} */
export interface FleetInit {
  map: RoutedMap
  scenario: Scenario
  /** the drivers of this fleet */
  drivers: readonly ShareDriver[]
  /** the ride requests whose riders this fleet runs */
  requests: readonly TripRequest[]
  factory: PeerFactory
  /** The chain the peers' payment channels settle on; without it rides are not paid */
  chain?: SimChainAccess
  log: Logger
  /** Names this fleet in its notes, when it is one share of several */
  label?: string
}

/** What a fleet counts while it runs (a share adds its network's counters) */
export type FleetStatus = Omit<ShareStatus, 'connections' | 'loopDelayP99Ms'>

/**
 * Drivers and riders of a run, or of one share of a run. Drivers are created first
 * ({@link addDrivers}), may listen before they join ({@link listen}), then join the network
 * and start their role ({@link startDrivers}); each rider's peer is created at its request time
 * after {@link go}, asks once, gives up after the scenario's patience, records its outcome,
 * settles its payment, lingers so its trip record reaches the driver, and leaves.
 * {@link stop} ends what still runs and returns what the fleet saw.
 */
export class Fleet {
  readonly drivers: DriverPeer[] = []
  private readonly init: FleetInit
  private readonly factory: PeerFactory
  private readonly log: Logger
  /** what the fleet saw of each rider's request, and the tallies */
  private readonly riders: RiderBook
  /** every node's network counters: live nodes by reference, stopped riders as a snapshot (their node is let go) */
  private readonly networks: FleetNetwork[] = []
  private readonly quoting: QuotingTally = { revealDelays: [], cancelledConfirmed: [] }
  /** aborts the rides still asking or riding when the fleet stops */
  private readonly lifetime = new AbortController()
  private readonly riderTasks = new Set<Promise<void>>()
  private readonly timers: Array<ReturnType<Clock['setTimeout']>> = []
  private readonly notes = new Set<string>()
  /** one fleet, one cache: each gossip message is verified once, not once per receiver */
  private readonly verifyCache = new VerifyCache({ maxEntries: 65_536 })
  private readonly payments: SharePayments | null
  private readonly live = new Set<HitchNode>()
  private zero = SIM_EPOCH_MS
  private going = false
  private stopping = false
  private peakNodes = 0
  private readonly wallStart = performance.now()
  private readonly cpuStart = process.cpuUsage()
  private peakRss = process.memoryUsage().rss

  constructor (init: FleetInit) {
    this.init = init
    this.factory = init.factory
    this.log = init.log
    this.payments = init.chain != null ? emptySharePayments() : null
    this.riders = new RiderBook(init.requests)
  }

  /** Simulated seconds since time 0 (negative before {@link go}'s instant) */
  simS (): number {
    return (this.factory.clock.now() - this.zero) / 1000
  }

  /** Notes `text` once in the fleet's results */
  note (text: string): void {
    this.notes.add(text)
  }

  /** Creates the driver peers (not started), in the order of their index */
  async addDrivers (): Promise<void> {
    const g = this.init.map.graph
    await eachLimit(this.init.drivers, this.factory.createLimit, async ({ index, vertex }) => {
      const peer = await createHitchPeer({
        ...await this.peerInit('driver', index),
        driver: driverRole(this.init.scenario, { lat: g.lat[vertex], lon: g.lon[vertex] }, this.factory.timings)
      })
      this.networks.push({ role: 'driver', node: peer.node })
      if (this.payments != null) countChannelUpdates(peer, this.payments)
      this.drivers.push(watchDriver(index, peer, () => this.zero, this.quoting))
    })
    this.drivers.sort((a, b) => a.index - b.index)
  }

  /** Starts the drivers' nodes and channel managers (listening, serving the pay protocol), not their roles */
  async listen (): Promise<void> {
    await eachLimit(this.drivers, this.factory.createLimit, async d => {
      await this.startNode(d.peer.node)
      await d.peer.channels?.start()
    })
  }

  /** Joins every driver's node to the network, then starts the drivers (node, channels and role, as far as not yet running) */
  async startDrivers (): Promise<void> {
    const { startLimit } = this.factory
    await eachLimit(this.drivers, startLimit, async d => {
      await this.startNode(d.peer.node)
      await this.factory.join?.('driver', d.index, d.peer.node)
    })
    await eachLimit(this.drivers, startLimit, async d => { await d.peer.start() })
  }

  /** Starts every rider at its request time; simulated time 0 is clock time `zero` */
  go (zero: number): void {
    this.zero = zero
    this.going = true
    const { clock } = this.factory
    for (let i = 0; i < this.init.requests.length; i++) {
      const req = this.init.requests[i]
      const outcome = this.riders.outcomes[i]
      const delay = this.zero + req.timeS * 1000 - clock.now()
      this.timers.push(clock.setTimeout(() => {
        if (this.stopping) return
        const task = this.runRider(req, outcome)
        this.riderTasks.add(task)
        void task.finally(() => this.riderTasks.delete(task))
      }, Math.max(0, delay)))
    }
  }

  status (): FleetStatus {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage().rss)
    return {
      simS: this.going ? this.simS() : 0,
      riders: this.init.requests.length,
      finished: this.riders.finished,
      served: this.riders.served,
      cancelled: this.riders.cancelled,
      idle: this.drivers.every(d => d.peer.driver.currentPlan.stops.length === 0),
      nodes: this.live.size
    }
  }

  /** Stops riders still running, then the drivers, and returns what the fleet saw */
  async stop (): Promise<ShareResult> {
    const simulatedS = Math.max(0, this.simS())
    this.stopping = true
    for (const t of this.timers) this.factory.clock.clearTimeout(t)
    this.lifetime.abort()
    await Promise.allSettled([...this.riderTasks])
    const limit = this.factory.createLimit
    await eachLimit(this.drivers, limit, async d => { await d.peer.driver.stop().catch(() => {}) })
    await eachLimit(this.drivers, limit, async d => { await this.stopPeer(d.peer) })
    this.status()
    const quoting = quotingNote(this.quoting)
    if (quoting != null) this.note(this.init.label != null ? `${this.init.label}: ${quoting}` : quoting)
    const cpu = process.cpuUsage(this.cpuStart)
    const trips: DriverTrip[] = []
    for (const d of this.drivers) trips.push(...d.trips.values())
    return {
      riders: this.riders.outcomes,
      trips,
      vehicles: this.drivers.map(vehicleOf),
      nodes: this.networks.map(({ role, node, record }) => record ?? networkRecordOf(role, (node as HitchNode).network)),
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

  /** The options of a peer's node: its seeded key, the factory's network, its payments */
  private async peerInit (role: PeerRole, index: number): Promise<HitchPeerInit> {
    const { scenario, map, chain } = this.init
    const privateKey = simPeerKey(scenario.seed, role, index)
    const peerKey = simPeerIdKey(scenario.seed, role, index, scenario.network.keyType)
    const name = `${role}-${index}`
    return {
      privateKey,
      peerKey,
      ...await this.factory.node(role, index, peerKey, name),
      clock: this.factory.clock,
      map,
      logPrefix: name,
      messageTtlMs: this.factory.timings.messageTtlMs,
      random: seededRandomSource(scenario.seed, name),
      verifyCache: this.verifyCache,
      ...simPeerPayments(chain, this.factory.paymentsClock)
    }
  }

  /** Starts a node, counting the nodes running at once (riders come and go) */
  private async startNode (node: HitchNode): Promise<void> {
    if (this.live.has(node)) return
    await node.start()
    this.live.add(node)
    this.peakNodes = Math.max(this.peakNodes, this.live.size)
  }

  /** Stops a peer (role, payments, channels, node) */
  private async stopPeer (peer: HitchPeer): Promise<void> {
    await peer.stop().catch(err => { this.log('stopping %s failed - %e', peer.node.peerId, err) })
    this.live.delete(peer.node)
  }

  private async runRider (req: TripRequest, outcome: RiderOutcome): Promise<void> {
    const s = this.init.scenario
    const g = this.init.map.graph
    const { clock, timings } = this.factory
    let peer: RiderPeer | undefined
    let entry: FleetNetwork | undefined
    let up = false
    const asked = performance.now()
    try {
      peer = await createHitchPeer({ ...await this.peerInit('rider', req.index), rider: timings.rider })
      entry = { role: 'rider', node: peer.node }
      this.networks.push(entry)
      await this.startNode(peer.node)
      up = true
      await this.factory.join?.('rider', req.index, peer.node)
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
        ...timings.request
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
        await clock.sleep(timings.lingerMs, { signal: this.lifetime.signal }).catch(() => {})
      }
      if (peer != null) {
        // a finished rider leaves the network: keep its counters, not its node, whose resources are freed
        await this.stopPeer(peer)
        if (entry != null) {
          entry.record = networkRecordOf('rider', peer.node.network)
          entry.node = undefined
        }
      }
    }
  }
}
