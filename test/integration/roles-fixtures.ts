import { WallClock } from '../../node/clock/index.js'
import { createHitchNode, Driver, Rider } from '../../node/index.js'
import { openRoutedMap } from '../../node/map/index.js'
import type { Clock } from '../../node/clock/index.js'
import type { DriverInit, HitchNode, HitchNodeInit, LatLonPoint, RideRequestOptions, RiderInit } from '../../node/index.js'
import type { RoutedMap } from '../../node/map/index.js'

/**
 * Clock speed-up of the role tests: a ride of a few km (a few minutes of clock time) takes a
 * few seconds. Every protocol timeout below is in clock ms, so it is scaled up to stay a
 * comfortable real-time margin above loopback latencies on a loaded 2-core machine.
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

/** Timings (clock ms) for riders, scaled to real margins. */
export function rideTimings (speedUp = SPEED_UP): Pick<RideRequestOptions, 'quoteWindowMs' | 'acceptTimeoutMs' | 'timeoutMs'> {
  return { quoteWindowMs: real(800, speedUp), acceptTimeoutMs: real(3_000, speedUp), timeoutMs: real(9_000, speedUp) }
}

/** Driver options scaled to the speed-up. */
export function driverTimings (speedUp = SPEED_UP): Pick<DriverInit, 'offerIntervalMs' | 'quoteTtlMs' | 'revealTimeoutMs'> {
  return { offerIntervalMs: real(2_000, speedUp), quoteTtlMs: real(8_000, speedUp), revealTimeoutMs: real(8_000, speedUp) }
}

/** Rider options scaled to the speed-up. */
export function riderTimings (speedUp = SPEED_UP): Pick<RiderInit, 'republishMs' | 'discoveryTimeoutMs' | 'recordTimeoutMs'> {
  // discovery is a DHT lookup and dials: real-time work, bounded on the (sped-up) clock
  return { republishMs: real(400, speedUp), discoveryTimeoutMs: real(3_000, speedUp), recordTimeoutMs: real(8_000, speedUp) }
}

/** Nodes of one test: one shared clock and map, a hub everyone bootstraps from, all stopped by `stop()`. */
export class Swarm {
  readonly clock: Clock
  map!: RoutedMap
  readonly nodes: HitchNode[] = []
  readonly drivers: Driver[] = []
  readonly riders: Rider[] = []
  hub!: HitchNode
  readonly speedUp: number
  private readonly transport: 'tcp' | 'memory'

  constructor (transport: 'tcp' | 'memory' = 'tcp', speedUp = SPEED_UP) {
    this.transport = transport
    this.speedUp = speedUp
    this.clock = new WallClock({ speedUp })
  }

  async init (map?: RoutedMap): Promise<this> {
    this.map = map ?? await openRoutedMap()
    this.hub = await this.node({ bootstrap: [] })
    return this
  }

  async node (extra: Partial<HitchNodeInit> = {}): Promise<HitchNode> {
    const node = await createHitchNode({
      transport: this.transport,
      listen: this.transport === 'tcp' ? ['/ip4/127.0.0.1/tcp/0'] : undefined,
      loopbackFriendly: true,
      clock: this.clock,
      map: this.map,
      messageTtlMs: real(9_000, this.speedUp),
      bootstrap: this.hub != null ? this.hub.addresses() : [],
      ...extra
    })
    this.nodes.push(node)
    await node.start()
    if (this.hub != null && extra.bootstrap == null) {
      // the bootstrap module does not dial memory addresses: dial the hub ourselves
      await node.network.dial(this.hub.addresses()[0])
    }
    return node
  }

  async driver (init: Omit<DriverInit, 'node'>): Promise<Driver> {
    const driver = new Driver({ node: await this.node(), ...driverTimings(this.speedUp), ...init })
    this.drivers.push(driver)
    await driver.start()
    return driver
  }

  async rider (init: Omit<RiderInit, 'node'> = {}): Promise<Rider> {
    const rider = new Rider({ node: await this.node(), ...riderTimings(this.speedUp), ...init })
    this.riders.push(rider)
    await rider.start()
    return rider
  }

  /** Stops roles, then nodes, in reverse order of creation. */
  async stop (): Promise<void> {
    for (const r of [...this.riders].reverse()) await r.stop()
    for (const d of [...this.drivers].reverse()) await d.stop()
    await Promise.all([...this.nodes].reverse().map(async n => n.stop()))
  }
}
