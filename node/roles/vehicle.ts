/**
 * The vehicle runner: moves the car along its plan over the road graph in the node's clock
 * time (matching's pure `VehicleModel` says which edge, when it gets where and which stops it
 * reaches), serves its stops (pickups and dropoffs, written into each ride's trip record) and
 * reports where it is, in the driver's events, to each rider in the plan and to the payments.
 */
import { TripUpdate, appendTripEvent } from '../../protocol/index.js'
import { InvalidPlanError, VehicleModel, fareSoFar } from '../../matching/index.js'
import type { DriverEvents } from './driver-events.js'
import type { TypedEvents } from './events.js'
import type { LatLonPoint, PaymentHooks, RideInfo } from './types.js'
import type { HitchNode } from '../hitch-node.js'
import type { HitchMessage, RideRequest, TripRecord } from '../../protocol/index.js'
import type { ServedStop, VehiclePlan, Odometer } from '../../matching/index.js'
import { InvalidParametersError } from '@libp2p/interface'
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
  /** the car on the road graph, in the clock's seconds */
  private readonly model: VehicleModel
  /** the vertex the car is at, or the one it drives to */
  private at: number
  /** rides in the plan, by ride key */
  readonly trips = new Map<string, Trip>()
  /** rides whose stops cannot be reached: dropped by the driving loop */
  private readonly unreachable: string[] = []
  private odometerM = 0
  private lastUpdateAtM = 0
  private waking?: () => void

  constructor (init: VehicleInit) {
    if (!(Number.isFinite(init.driveSpeedUp) && init.driveSpeedUp > 0)) {
      throw new InvalidParametersError('driveSpeedUp must be a finite number > 0')
    }
    this.init = init
    this.node = init.node
    this.log = init.log
    this.rides = init.rides
    this.at = init.start
    this.model = new VehicleModel({
      graph: init.node.map.graph, router: init.node.map.router, position: init.start, capacity: init.capacity, time: this.nowS(), speedUp: init.driveSpeedUp
    })
  }

  /** The plan the car follows, from the vertex it is at or committed to. */
  /** Metres the car drove since start, by what it carried (edges finished so far). */
  get odometer (): Odometer {
    return this.model.odometer()
  }

  get plan (): VehiclePlan {
    return this.model.planAt(this.nowS())
  }

  /** The car's current vertex position. */
  get position (): LatLonPoint {
    const g = this.node.map.graph
    return { lat: g.lat[this.at], lon: g.lon[this.at] }
  }

  /** Takes on a ride whose stops `plan` (fitted on the current plan) has. */
  insert (trip: Trip, plan: VehiclePlan): void {
    this.trips.set(trip.key, trip)
    if (!this.follow(plan)) {
      this.unreachable.push(trip.key)
    }
  }

  /** Removes a ride's stops from the plan (rider cancelled, stop unreachable) and frees its seats. */
  remove (key: string): void {
    const current = this.plan
    const stops = current.stops.filter(s => s.requestId !== key)
    const trip = this.trips.get(key)
    const onboard = trip?.onboard === true ? current.onboard - trip.info.seats : current.onboard
    if (!this.follow({ ...current, stops, onboard: Math.max(0, onboard) })) {
      // stops are keyed by ride key (rider and request id): the driving loop drops each ride
      // left until the plan can be followed (one with no stop always can)
      for (const stop of stops) {
        if (!this.unreachable.includes(stop.requestId)) this.unreachable.push(stop.requestId)
      }
    }
    if (trip != null) {
      trip.done = true
      this.trips.delete(key)
    }
  }

  /** Follows a plan from the vertex the car is at or committed to; false when a stop cannot be reached. */
  private follow (plan: VehiclePlan): boolean {
    try {
      this.model.setPlan(plan)
      return true
    } catch (err) {
      if (!(err instanceof InvalidPlanError)) throw err
      this.log.error('a stop of the new plan cannot be reached - %e', err)
      return false
    }
  }

  /** An idle car looks at its plan again (a ride was added, or the driver stops). */
  wake (): void {
    this.waking?.()
  }

  /** Follows the plan along the road graph in clock time until stopped. */
  async drive (signal: AbortSignal): Promise<void> {
    while (this.init.running()) {
      for (const key of this.unreachable.splice(0)) {
        this.log.error('stop of %s unreachable; dropping the ride', key)
        this.rides.drop(key)
      }
      for (const served of this.model.stopsHere()) {
        this.serveStop(served)
      }
      if (this.model.isIdle()) {
        // idle: the car waits where it is until a ride is confirmed
        await new Promise<void>(resolve => { this.waking = resolve })
        this.waking = undefined
        this.model.retime(this.nowS())
        continue
      }
      const edge = this.model.nextEdge()
      if (edge == null) {
        // the model makes every stop by the end of its path
        throw new InvalidPlanError('the plan has stops past the end of its path')
      }
      // the car is committed to this edge: plan from its far end, at the time it gets there
      this.at = edge.to
      try {
        await this.node.clock.sleep(edge.ms, { signal })
      } catch {
        return
      }
      this.model.driveEdge()
      this.model.retime(this.nowS())
      this.advanced(edge.metres)
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
      const plan = this.model.plan
      this.rides.emit('position', { lat, lon, time, onboard: plan.onboard, stops: plan.stops.length, odometerM: Math.round(this.odometerM) })
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

  /** The car made its next stop: pick up or drop off. */
  private serveStop (served: ServedStop): void {
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
