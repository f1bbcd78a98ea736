/**
 * The vehicle runner: moves the car along its plan over the road graph in the node's clock
 * time, serves its stops (pickups and dropoffs, written into each ride's trip record) and
 * reports where it is, in the driver's events, to each rider in the plan and to the payments.
 */
import { TripUpdate, appendTripEvent } from '../../protocol/index.js'
import { completeNextStop, fareSoFar, moveVehicle } from '../../matching/index.js'
import type { DriverEvents } from './driver-events.js'
import type { TypedEvents } from './events.js'
import type { LatLonPoint, PaymentHooks, RideInfo } from './types.js'
import type { HitchNode } from '../hitch-node.js'
import type { HitchMessage, RideRequest, TripRecord } from '../../protocol/index.js'
import type { VehiclePlan } from '../../matching/index.js'
import type { Logger } from '@libp2p/interface'

/** @default 250 (metres) */
export const DEFAULT_POSITION_EVERY_M = 250

/** What the driver keeps about one ride in its plan beyond the negotiation machine. */
export interface Trip {
  /** the ride's key (rider and request id) */
  key: string
  info: RideInfo
  request: RideRequest
  record?: TripRecord
  onboard: boolean
  /** metres driven with the rider aboard */
  distanceM: number
  /** length of the rider's direct route, metres (for fare-so-far) */
  routeM: number
  done: boolean
}

/** What the vehicle asks of the driver as it drives. */
export interface VehicleRides {
  /** reports `position` and `pickup` */
  emit: TypedEvents<DriverEvents>['emit']
  /** sends to a rider after what was sent to it before */
  send: (peer: string, message: HitchMessage, requestId?: string) => void
  /** runs a payment hook; its failure is an `error` event */
  hook: (fn: () => void | Promise<void>, requestId: string) => void
  /** cancels a ride in progress: its rider fell too far behind with its payments */
  cancel: (trip: Trip, reason: string) => void
  /** the rider of a ride was dropped off (its record ends with the fare) */
  droppedOff: (trip: Trip, time: number, distanceM: number) => void
  /** the next stop cannot be reached: the ride of this key is to be dropped */
  drop: (key: string) => void
  /** the car drove an edge */
  moved: () => void
}

/** Options of {@link Vehicle}. */
export interface VehicleInit {
  node: Pick<HitchNode, 'map' | 'clock'>
  log: Logger
  /** the vertex the car is at */
  start: number
  /** passenger seats */
  capacity: number
  /** send a position update to riders every this many metres driven */
  positionEveryM: number
  /** the car drives this many times faster than the road graph's travel times */
  driveSpeedUp: number
  payments: PaymentHooks
  /** whether the driver runs: the car drives on while it does */
  running: () => boolean
  rides: VehicleRides
}

/** The car: its plan, the rides in it, and the loop that drives it. */
export class Vehicle {
  private readonly node: VehicleInit['node']
  private readonly log: Logger
  private readonly init: VehicleInit
  private readonly rides: VehicleRides
  private current: VehiclePlan
  /** rides in the plan, by ride key */
  readonly trips = new Map<string, Trip>()
  private odometerM = 0
  private lastUpdateAtM = 0
  private waking?: () => void

  constructor (init: VehicleInit) {
    this.init = init
    this.node = init.node
    this.log = init.log
    this.rides = init.rides
    this.current = { position: init.start, time: this.nowS(), capacity: init.capacity, onboard: 0, stops: [] }
  }

  /** The plan the car follows. */
  get plan (): VehiclePlan {
    return this.current
  }

  /** The car's current vertex position. */
  get position (): LatLonPoint {
    const g = this.node.map.graph
    return { lat: g.lat[this.current.position], lon: g.lon[this.current.position] }
  }

  /** Takes on a ride whose stops `plan` (fitted on the current plan) has. */
  insert (trip: Trip, plan: VehiclePlan): void {
    this.current = plan
    this.trips.set(trip.key, trip)
  }

  /** Removes a ride's stops from the plan (rider cancelled, stop unreachable) and frees its seats. */
  remove (key: string): void {
    const stops = this.current.stops.filter(s => s.requestId !== key)
    const trip = this.trips.get(key)
    const onboard = trip?.onboard === true ? this.current.onboard - trip.info.seats : this.current.onboard
    this.current = { ...this.current, stops, onboard: Math.max(0, onboard) }
    if (trip != null) {
      trip.done = true
      this.trips.delete(key)
    }
  }

  /** An idle car looks at its plan again (a ride was added, or the driver stops). */
  wake (): void {
    this.waking?.()
  }

  /** Follows the plan along the road graph in clock time until stopped. */
  async drive (signal: AbortSignal): Promise<void> {
    const { graph, router } = this.node.map
    while (this.init.running()) {
      const next = this.current.stops[0]
      if (next == null) {
        // idle: the car waits where it is until a ride is confirmed
        await new Promise<void>(resolve => { this.waking = resolve })
        this.waking = undefined
        this.current = moveVehicle(this.current, this.current.position, this.nowS())
        continue
      }
      if (next.location === this.current.position) {
        this.serveStop()
        continue
      }
      const route = router.route(this.current.position, next.location)
      if (route == null || route.nodes.length < 2) {
        this.log.error('stop of %s unreachable; dropping the ride', next.requestId)
        // stops are keyed by ride key (rider and request id)
        this.rides.drop(next.requestId)
        continue
      }
      const from = route.nodes[0]
      const to = route.nodes[1]
      const edge = edgeBetween(graph, from, to)
      // the car is committed to this edge: plan from its far end, at the time it gets there
      const edgeMs = edge.timeMs / this.init.driveSpeedUp
      this.current = moveVehicle(this.current, to, this.nowS() + edgeMs / 1000)
      try {
        await this.node.clock.sleep(edgeMs, { signal })
      } catch {
        return
      }
      this.current = moveVehicle(this.current, to, Math.max(this.current.time, this.nowS()))
      this.advanced(edge.distCm / 100)
    }
  }

  /** Tells the rider of a ride where the car is, and what phase the ride is in. */
  update (trip: Trip, phase: TripUpdate.Phase): void {
    const { lat, lon } = this.position
    const message: HitchMessage = {
      type: 'trip-update',
      body: { requestId: trip.info.requestId, phase, position: { lat, lon }, time: Math.floor(this.node.clock.now()), distanceM: Math.round(trip.distanceM) }
    }
    this.rides.send(trip.info.rider, message, trip.info.requestId)
  }

  /** Bookkeeping after one edge: distances, position updates, cell subscriptions. */
  private advanced (metres: number): void {
    this.odometerM += metres
    for (const trip of this.trips.values()) {
      if (trip.onboard && !trip.done) {
        trip.distanceM += metres
      }
    }
    if (this.odometerM - this.lastUpdateAtM >= this.init.positionEveryM) {
      this.lastUpdateAtM = this.odometerM
      const { lat, lon } = this.position
      const time = Math.floor(this.node.clock.now())
      this.log.trace('at %f,%f', lat, lon)
      this.rides.emit('position', { lat, lon, time, onboard: this.current.onboard, stops: this.current.stops.length, odometerM: Math.round(this.odometerM) })
      const payments = this.init.payments
      for (const trip of this.trips.values()) {
        if (trip.done) continue
        if (trip.onboard && trip.record != null) {
          trip.record = appendTripEvent(trip.record, { type: 'position', time, lat, lon, distanceM: Math.round(trip.distanceM) })
          const soFar = fareSoFar(Number(trip.info.price), trip.distanceM, trip.routeM)
          const distanceM = Math.round(trip.distanceM)
          this.rides.hook(async () => {
            await payments.onProgress?.(trip.info, distanceM, String(soFar))
            // a rider too far behind with its payments is not driven any further
            if (payments.isBehind?.(trip.info) === true) this.rides.cancel(trip, 'non-payment')
          }, trip.info.requestId)
        }
        this.update(trip, TripUpdate.Phase.POSITION)
      }
    }
    this.rides.moved()
  }

  /** The car is at its next stop: pick up or drop off. */
  private serveStop (): void {
    const { plan, served } = completeNextStop(this.current, this.nowS())
    this.current = plan
    const trip = this.trips.get(served.stop.requestId)
    if (trip == null || trip.done || trip.record == null) {
      return
    }
    const { lat, lon } = this.position
    const time = Math.floor(this.node.clock.now())
    if (served.stop.kind === 'pickup') {
      trip.onboard = true
      trip.record = appendTripEvent(trip.record, { type: 'picked-up', time, lat, lon })
      this.update(trip, TripUpdate.Phase.ARRIVED)
      this.update(trip, TripUpdate.Phase.PICKED_UP)
      this.rides.emit('pickup', { requestId: trip.info.requestId, rider: trip.info.rider, time })
      return
    }
    trip.onboard = false
    trip.done = true
    const distanceM = Math.round(trip.distanceM)
    trip.record = appendTripEvent(trip.record, { type: 'dropped-off', time, lat, lon, distanceM })
    trip.record = appendTripEvent(trip.record, { type: 'fare', time, amount: trip.info.price })
    this.update(trip, TripUpdate.Phase.DROPPED_OFF)
    this.rides.droppedOff(trip, time, distanceM)
  }

  private nowS (): number {
    return this.node.clock.now() / 1000
  }
}

/** The fastest edge from `from` to `to`. */
function edgeBetween (graph: HitchNode['map']['graph'], from: number, to: number): { timeMs: number, distCm: number } {
  let best: { timeMs: number, distCm: number } | undefined
  for (let e = graph.firstOut[from]; e < graph.firstOut[from + 1]; e++) {
    if (graph.head[e] === to && (best == null || graph.timeMs[e] < best.timeMs)) {
      best = { timeMs: graph.timeMs[e], distCm: graph.distCm[e] }
    }
  }
  if (best == null) {
    throw new RangeError(`no edge ${from} -> ${to}`)
  }
  return best
}
