import { WallClock } from '../../node/clock/index.js'
import { DEFAULT_MAX_WAIT_MS, createHitchPeer } from '../../node/index.js'
import { openRoutedMap } from '../../node/map/index.js'
import { simRoleTimings } from '../../sim/libp2p-tuning.js'
import type { Clock } from '../../node/clock/index.js'
import type { Driver, DriverInit, DriverPeer, HitchNode, HitchNodeInit, HitchPeer, HitchPeerInit, LatLonPoint, Rider, RideRequestOptions, RiderInit, RiderPeer } from '../../node/index.js'
import type { RoutedMap } from '../../node/map/index.js'
import type { ScaledRoleTimings } from '../../sim/libp2p-tuning.js'

/**
 * Clock speed-up of the role tests: a ride of a few km (a few minutes of clock time) takes a
 * few seconds. Every protocol timeout is in clock ms, so it is scaled up to stay a comfortable
 * real-time margin above loopback latencies on a loaded 2-core machine: the role timings of
 * the simulator's libp2p mode at the same speed-up (`simRoleTimings` of sim/libp2p-tuning.ts),
 * whose nodes are in the same position.
 */
export const SPEED_UP = 60

/** `realMs` of real time, in clock ms of a clock `speedUp` times faster. */
export const real = (realMs: number, speedUp = SPEED_UP): number => realMs * speedUp

/** Points of the synthetic default city (≈ 3.8 km square around 40.75, -73.98). */
export const CITY = {
  center: { lat: 40.750, lon: -73.980 },
  north: { lat: 40.758, lon: -73.979 },
  south: { lat: 40.741, lon: -73.981 },
  east: { lat: 40.751, lon: -73.968 },
  west: { lat: 40.749, lon: -73.992 }
} satisfies Record<string, LatLonPoint>

/**
 * A ride's timings (clock ms) at the speed-up: the quote window and accept timeout of
 * `simRoleTimings`; a deadline that leaves room for the quote window, one accept timing out and
 * one more request at the longest re-publish interval; and the default patience for the car
 * plus that deadline, since every real second of negotiation (a driver in the next cell holds
 * its quote back for a few re-published copies) is `speedUp` seconds of the rider's wait.
 */
export function rideTimings (speedUp = SPEED_UP): Pick<RideRequestOptions, 'quoteWindowMs' | 'acceptTimeoutMs' | 'timeoutMs' | 'maxWaitMs'> {
  const { request, rider } = simRoleTimings(speedUp)
  const timeoutMs = request.quoteWindowMs + request.acceptTimeoutMs + rider.maxRepublishMs
  return { ...request, timeoutMs, maxWaitMs: DEFAULT_MAX_WAIT_MS + timeoutMs }
}

/** Nodes of one test: one shared clock and map, a hub everyone bootstraps from, all stopped by `stop()`. */
export class Swarm {
  readonly clock: Clock
  map!: RoutedMap
  readonly nodes: HitchNode[] = []
  readonly drivers: Driver[] = []
  readonly riders: Rider[] = []
  readonly peers: HitchPeer[] = []
  private readonly nodesByRole = new Map<Driver | Rider, HitchNode>()
  hub!: HitchNode
  readonly speedUp: number
  /** the role timings of its nodes, clock ms: `simRoleTimings` at its speed-up */
  readonly timings: ScaledRoleTimings
  private readonly transport: 'tcp' | 'memory'

  constructor (transport: 'tcp' | 'memory' = 'tcp', speedUp = SPEED_UP) {
    this.transport = transport
    this.speedUp = speedUp
    this.timings = simRoleTimings(speedUp)
    this.clock = new WallClock({ speedUp })
  }

  async init (map?: RoutedMap): Promise<this> {
    this.map = map ?? await openRoutedMap()
    this.hub = await this.node({ bootstrap: [] })
    return this
  }

  /** A started node on the swarm's clock and map, bootstrapped from the hub. */
  async node (extra: Partial<HitchNodeInit> = {}): Promise<HitchNode> {
    return (await this.peer(extra)).node
  }

  /**
   * A peer (`createHitchPeer`) on the swarm's clock and map, bootstrapped from the hub, its node
   * started (and the hub dialled); its role, if any, is left for the caller to start.
   */
  async peer<P extends HitchPeer> (init: HitchPeerInit = {}): Promise<P> {
    const peer = await createHitchPeer({
      transport: this.transport,
      listen: this.transport === 'tcp' ? ['/ip4/127.0.0.1/tcp/0'] : undefined,
      loopbackFriendly: true,
      clock: this.clock,
      map: this.map,
      messageTtlMs: this.timings.messageTtlMs,
      bootstrap: this.hub != null ? this.hub.addresses() : [],
      ...init
    })
    this.peers.push(peer)
    this.nodes.push(peer.node)
    const role = peer.driver ?? peer.rider
    if (role != null) this.nodesByRole.set(role, peer.node)
    await peer.node.start()
    await peer.channels?.start()
    if (this.hub != null && init.bootstrap == null) {
      // the bootstrap module does not dial memory addresses: dial the hub ourselves
      await peer.node.network.dial(this.hub.addresses()[0])
    }
    return peer as P
  }

  /** The node a role of this swarm runs on. */
  nodeOf (role: Driver | Rider): HitchNode {
    const node = this.nodesByRole.get(role)
    if (node == null) throw new Error('not a role of this swarm')
    return node
  }

  /** A started driver (its own peer), with the swarm's timings unless `init` sets them. */
  async driver (init: DriverInit, extra: HitchPeerInit = {}): Promise<Driver> {
    const { driver } = await this.peer<DriverPeer>({ ...extra, driver: { ...this.timings.driver, ...init } })
    this.drivers.push(driver)
    await driver.start()
    return driver
  }

  /** A started rider (its own peer), with the swarm's timings unless `init` sets them. */
  async rider (init: RiderInit = {}, extra: HitchPeerInit = {}): Promise<Rider> {
    const { rider } = await this.peer<RiderPeer>({ ...extra, rider: { ...this.timings.rider, ...init } })
    this.riders.push(rider)
    await rider.start()
    return rider
  }

  /** Stops roles, then nodes, in reverse order of creation. */
  async stop (): Promise<void> {
    for (const r of [...this.riders].reverse()) await r.stop()
    for (const d of [...this.drivers].reverse()) await d.stop()
    await Promise.all([...this.peers].reverse().map(async p => await p.stop()))
  }
}
