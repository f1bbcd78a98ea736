/**
 * The driver's presence in the cells around its car: the gossip subscriptions to the ring of
 * cells around it, the provider records of the car's cell in the DHT (tried again while nobody
 * stored them), and the vehicle offers it publishes on its cell.
 */
import { DEFAULT_MAX_TTL_MS, cellOf, cellTopic, cellsAround, diffSubscriptions, providerKey } from '../../protocol/index.js'
import type { DriverEvents } from './driver-events.js'
import type { TypedEvents } from './events.js'
import type { LatLonPoint } from './types.js'
import type { HitchNode } from '../hitch-node.js'
import type { TimerHandle } from '../clock/index.js'
import type { HitchMessage } from '../../protocol/index.js'
import type { FareModel } from '../../matching/index.js'
import { InvalidParametersError } from '@libp2p/interface'
import type { Logger } from '@libp2p/interface'

/** @default 10_000 (clock ms) */
export const DEFAULT_OFFER_INTERVAL_MS = 10_000
/** @default 1 (the driver's cell and the ring around it: 7 cells) */
export const DEFAULT_RING = 1
/**
 * Rings of cells around the car announced in the DHT as provider records. The car's own cell
 * is enough: a rider looks its pickup cell up first and widens to the ring around it only when
 * that cell has too few drivers. Announcing the whole subscribed ring cost seven DHT writes at
 * start and about three per cell the car enters, each a lookup and k `ADD_PROVIDER` messages:
 * with 200 drivers in one process that traffic, and the connections it opened, was what kept
 * the simulator from keeping up. @default 0 (the car's cell)
 */
export const DEFAULT_ANNOUNCE_RING = 0
/**
 * A cell announcement that no DHT peer stored (a node whose routing table is still empty, or
 * a lookup that failed) is tried again after this long, doubling up to
 * {@link ANNOUNCE_RETRY_MAX_MS}, for as long as the car is in the cell. Clock ms. @default 2000
 */
export const ANNOUNCE_RETRY_MS = 2_000
/** @default 60_000 (clock ms) */
export const ANNOUNCE_RETRY_MAX_MS = 60_000

/** Options of {@link CellPresence}. */
export interface CellPresenceInit {
  node: Pick<HitchNode, 'network' | 'clock' | 'publish' | 'peerId'>
  log: Logger
  /** reports `listening` and `offer` */
  emit: TypedEvents<DriverEvents>['emit']
  /** subscribe to cells within this many rings of the car's cell */
  ring: number
  /** announce cells within this many rings of the car's cell in the DHT (at most `ring`) */
  announceRing: number
  /** publish a vehicle offer this often, clock ms; 0: never */
  offerIntervalMs: number
  /** passenger seats */
  capacity: number
  fare: FareModel
  currency: string
  /** a short description of the car */
  vehicle: string
  /** seats not promised to any confirmed ride, as offers state them */
  freeSeats: () => number
}

/** Follows the car with cell subscriptions and DHT announcements, and offers it on its cell. */
export class CellPresence {
  private readonly init: CellPresenceInit
  private readonly node: CellPresenceInit['node']
  private readonly log: Logger
  /** the subscribed cells, the car's cell first */
  private cells: string[] = []
  /** the cells announced in the DHT for the car's current cell */
  private announced: string[] = []
  /** cell -> its pending re-announcement */
  private readonly announceRetries = new Map<string, TimerHandle>()
  private offerTimer?: TimerHandle
  private active = false
  private lifetime = new AbortController()

  constructor (init: CellPresenceInit) {
    if (!(init.offerIntervalMs >= 0)) {
      throw new InvalidParametersError('offerIntervalMs must be >= 0')
    }
    this.init = init
    this.node = init.node
    this.log = init.log
  }

  /** The car's cell (the centre of the subscribed ring). */
  get cell (): string {
    return this.cells[0]
  }

  /** Subscribe to the cells around `position` and announce the car's cell. */
  start (position: LatLonPoint): void {
    this.active = true
    this.lifetime = new AbortController()
    this.follow(position)
  }

  /** Stop offering and announcing (the subscriptions stay until {@link leave}). */
  stop (): void {
    this.active = false
    this.lifetime.abort()
    if (this.offerTimer != null) {
      this.node.clock.clearTimeout(this.offerTimer)
    }
    for (const handle of this.announceRetries.values()) {
      this.node.clock.clearTimeout(handle)
    }
    this.announceRetries.clear()
  }

  /** Unsubscribe from every cell. */
  leave (): void {
    for (const cell of this.cells) {
      try {
        this.node.network.unsubscribe(cellTopic(cell))
      } catch {}
    }
    this.cells = []
    this.announced = []
  }

  /** Follows the car with its cell subscriptions and DHT announcements. */
  follow (position: LatLonPoint): void {
    const { lat, lon } = position
    const center = cellOf(lat, lon)
    if (this.cells[0] === center) {
      return
    }
    const next = cellsAround(lat, lon, this.init.ring)
    const diff = diffSubscriptions(this.cells, next)
    for (const cell of diff.unsubscribe) {
      this.node.network.unsubscribe(cellTopic(cell))
    }
    for (const cell of diff.subscribe) {
      this.node.network.subscribe(cellTopic(cell))
    }
    const announce = cellsAround(lat, lon, this.init.announceRing)
    this.cells = next
    const fresh = diffSubscriptions(this.announced, announce).subscribe
    this.announced = announce
    for (const cell of fresh) {
      this.announce(cell, 0)
    }
    this.init.emit('listening', { cells: [...next], peerId: this.node.peerId })
  }

  /** Announces a cell in the DHT; tries again later while the car is still there if no peer stored it. */
  private announce (cell: string, attempt: number): void {
    this.node.network.provide(providerKey(cell), { signal: this.lifetime.signal })
      .catch(err => {
        if (!this.active || !this.announced.includes(cell) || this.announceRetries.has(cell)) {
          return
        }
        const delay = Math.min(ANNOUNCE_RETRY_MAX_MS, ANNOUNCE_RETRY_MS * 2 ** attempt)
        this.log('announcing cell %s failed, again in %d ms - %e', cell, delay, err)
        this.announceRetries.set(cell, this.node.clock.setTimeout(() => {
          this.announceRetries.delete(cell)
          if (this.active && this.announced.includes(cell)) {
            this.announce(cell, attempt + 1)
          }
        }, delay))
      })
  }

  /** Publishes a vehicle offer on the car's cell, and again every `offerIntervalMs`. */
  offer (): void {
    if (!this.active || this.init.offerIntervalMs === 0) {
      return
    }
    const { fare, offerIntervalMs } = this.init
    const now = this.node.clock.now()
    const cell = this.cells[0]
    const message: HitchMessage = {
      type: 'vehicle-offer',
      body: {
        cell,
        freeSeats: this.init.freeSeats(),
        capacity: this.init.capacity,
        fare: {
          currency: this.init.currency,
          base: String(fare.baseCents),
          perKm: String(fare.perKmCents),
          perMinute: String(fare.perMinuteCents)
        },
        vehicle: this.init.vehicle,
        expiresAt: Math.floor(now + Math.min(2 * offerIntervalMs, DEFAULT_MAX_TTL_MS))
      }
    }
    const freeSeats = this.init.freeSeats()
    this.node.publish(cellTopic(cell), message)
      .then(({ recipients }) => { this.init.emit('offer', { cell, freeSeats, recipients }) })
      .catch(err => { this.log('offer failed - %e', err) })
    this.offerTimer = this.node.clock.setTimeout(() => { this.offer() }, offerIntervalMs)
  }
}
