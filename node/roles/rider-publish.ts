/**
 * Publishing a ride's request on its pickup cell, and publishing it again (newly signed) while
 * the rider collects quotes, looking the cell's drivers up again while nobody hears it.
 */
import { renewRequest, settledRiderState } from '../../protocol/index.js'
import { findDrivers } from './rider-discovery.js'
import type { DiscoveryInit } from './rider-discovery.js'
import type { TypedEvents } from './events.js'
import type { RiderEvents } from './rider-events.js'
import type { TimerHandle } from '../clock/index.js'
import type { HitchNode } from '../hitch-node.js'
import type { HitchMessage, RiderState } from '../../protocol/index.js'
import type { Logger } from '@libp2p/interface'

/** Re-publish the request this often while collecting quotes, clock ms. @default 2000 */
export const DEFAULT_REPUBLISH_MS = 2_000
/**
 * Once the quote window has passed without a usable quote, the rider keeps asking with the
 * interval doubling up to this, clock ms (each copy also widens the drivers' quoting reach).
 * @default 30_000
 */
export const DEFAULT_MAX_REPUBLISH_MS = 30_000

/** What publishing needs of a ride in progress. */
export interface PublishingRide {
  readonly id: string
  readonly state: RiderState
  readonly done: boolean
  /** drivers found in the DHT by the latest lookup */
  discovered: number
  /** aborted when the ride ends: stops a lookup still running */
  readonly ended: AbortController
  /** the request as first published, to publish again */
  published?: { topic: string, message: HitchMessage }
  republish?: TimerHandle
}

/** Options of {@link RequestPublisher}. */
export interface RequestPublisherInit<R extends PublishingRide> {
  node: Pick<HitchNode, 'clock' | 'network' | 'publish'>
  log: Logger
  discovery: DiscoveryInit
  republishMs: number
  /** at least `republishMs` */
  maxRepublishMs: number
  /** reports `requested` */
  emit: TypedEvents<RiderEvents>['emit']
  /** runs a task after the ride's events before it */
  enqueue: (ride: R, task: () => Promise<void>) => void
}

/** Publishes the rider's messages on cell topics, and the request again until a quote is accepted. */
export class RequestPublisher<R extends PublishingRide> {
  private readonly init: RequestPublisherInit<R>

  constructor (init: RequestPublisherInit<R>) {
    this.init = init
  }

  /** Publishes a message of the machine's; a ride request is kept, to be published again. */
  async request (ride: R, topic: string, message: HitchMessage): Promise<void> {
    await this.publish(ride, topic, message)
    if (message.type === 'ride-request') {
      ride.published = { topic, message }
      this.scheduleRepublish(ride, topic, message)
    }
  }

  /** Every quote failed: ask again (when the request was published), drivers whose plans changed may quote anew. */
  askAgain (ride: R): void {
    if (ride.published != null) {
      this.scheduleRepublish(ride, ride.published.topic, ride.published.message)
    }
  }

  /** Stops publishing the ride's request. */
  stop (ride: R): void {
    if (ride.republish != null) this.init.node.clock.clearTimeout(ride.republish)
  }

  private async publish (ride: R, topic: string, message: HitchMessage): Promise<void> {
    const { node } = this.init
    try {
      const { recipients } = await node.publish(topic, message)
      if (message.type === 'ride-request') {
        this.init.emit('requested', {
          requestId: ride.id, pickupCell: message.body.pickupCell, dropoffCell: message.body.dropoffCell,
          discovered: ride.discovered, drivers: node.network.topicPeers(topic).length, recipients
        })
      }
    } catch (err: any) {
      this.init.log('publishing %s failed - %e', message.type, err)
    }
  }

  /**
   * Meshes form on heartbeats: re-publish (newly signed) while the rider is collecting quotes,
   * every `republishMs` during the quote window, then backing off (doubling up to
   * `maxRepublishMs`) while no usable quote came. While no peer of the pickup cell's topic is
   * known (the first lookup ran before the DHT had peers, or found drivers that left), the
   * drivers are looked up again first.
   */
  private scheduleRepublish (ride: R, topic: string, message: HitchMessage, delayMs: number = this.init.republishMs): void {
    const { node } = this.init
    if (ride.republish != null) {
      node.clock.clearTimeout(ride.republish)
    }
    ride.republish = node.clock.setTimeout(() => {
      ride.republish = undefined
      // until the rider accepts a quote: a driver that missed the first copy (not yet in the
      // topic's mesh) can still quote, and drivers ignore copies of a request they have seen;
      // a ride waiting for the user's pick is asked again after it, if it still asks then
      if (ride.done || settledRiderState(ride.state).phase !== 'requested') {
        return
      }
      this.init.enqueue(ride, async () => {
        if (ride.done || ride.state.phase !== 'requested') {
          return
        }
        if (message.type === 'ride-request' && node.network.topicPeers(topic).length === 0) {
          ride.discovered = await findDrivers(this.init.discovery, message.body.pickupCell, { signal: ride.ended.signal })
          if (ride.done || ride.state.phase !== 'requested') {
            return
          }
        }
        const copy: HitchMessage = message.type === 'ride-request'
          ? { type: 'ride-request', body: renewRequest(message.body, ride.state.ride.deadlineAt, node.clock.now()) }
          : message
        ride.published = { topic, message: copy }
        await this.publish(ride, topic, copy)
        const s = ride.state
        this.scheduleRepublish(ride, topic, copy, s.phase === 'requested' && s.windowClosed ? Math.min(2 * delayMs, this.init.maxRepublishMs) : this.init.republishMs)
      })
    }, delayMs)
  }
}
