/**
 * The driver role: composes the car's cell presence (`cell-presence.ts`), the quoting on cells
 * (`driver-quote.ts`), the negotiation machine of `protocol/`, the vehicle runner
 * (`vehicle.ts`) and the trip-record exchange (`trip-record.ts`).
 */
import {
  BindingError, Cancel, Decline, MAX_SEATS, MIN_SEATS, TripUpdate, initialDriverState, rideKey, stepDriver
} from '../../protocol/index.js'
import { fareModel } from '../../matching/index.js'
import { CellEstimator } from './cell-estimate.js'
import { CellPresence, DEFAULT_ANNOUNCE_RING, DEFAULT_OFFER_INTERVAL_MS, DEFAULT_RING } from './cell-presence.js'
import { Quoter, quoterSettings } from './driver-quote.js'
import { OffMapError } from './errors.js'
import { TypedEvents } from './events.js'
import { MachineTimers } from './machine-timers.js'
import { PeerChains } from './peer-sends.js'
import { RequestIntake } from './request-intake.js'
import { fitReveal, riderBinding } from './reveal-fit.js'
import { exchangeRecord } from './trip-record.js'
import { DEFAULT_POSITION_EVERY_M, Vehicle } from './vehicle.js'
import type { DriverEvents } from './driver-events.js'
import type { DriverInit } from './driver-init.js'
import type { QuotingCar } from './driver-quote.js'
import type { LatLonPoint, PaymentHooks, RoleComponents } from './types.js'
import type { Trip } from './vehicle.js'
import type { HitchGossip } from '../hitch-node.js'
import type { HeardRequest, RequestIntakeStats } from './request-intake.js'
import type { Accept, DriverConfig, DriverEvent, DriverState, HitchMessage, NegotiationAction, OpenedEnvelope, Reveal, RideRequest, TripRecord } from '../../protocol/index.js'
import type { FareModel, InsertionOptions, Odometer, VehiclePlan } from '../../matching/index.js'
import { OwnBinding } from '../identity/index.js'
import { InvalidParametersError } from '@libp2p/interface'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Passenger seats of a vehicle when nobody says otherwise (`hitch drive`, a scenario). */
export const DEFAULT_VEHICLE_SEATS = 4

/** @default 'usd-cent' (fares are integer cents, see matching/pricing) */
export const DEFAULT_CURRENCY = 'usd-cent'
/**
 * Extra wait allowed when estimating on cell centres, seconds: the real points (and the car)
 * can lie a cell radius (≈ 1.4 km) from the centres. The exact fit, once committed, uses no
 * slack: it keeps the rider's own limit.
 *
 * @default 180
 */
export const DEFAULT_ESTIMATE_SLACK_S = 180

/**
 * The driver role: listens to ride requests in the cells around the car, quotes the ones it
 * can insert into its plan (pooling several riders when insertion allows), confirms accepts
 * through the `stepDriver` machine, then drives its plan along the road graph in clock time,
 * reporting to each rider and signing a trip record at each dropoff.
 */
export class Driver extends TypedEvents<DriverEvents> {
  private readonly node: RoleComponents
  private readonly log: Logger
  private readonly capacity: number
  private readonly presence: CellPresence
  private readonly quoter: Quoter
  /** the binding of this node's peer id to its payment address, on every quote */
  private readonly binding: OwnBinding
  private readonly vehicle: Vehicle
  private readonly estimator: CellEstimator
  private readonly intake: RequestIntake
  private readonly machine: DriverConfig
  private readonly requireBinding: boolean
  private readonly payments: PaymentHooks
  private readonly sendTimeoutMs?: number

  private state: DriverState
  private readonly timers: MachineTimers
  private readonly sends = new PeerChains()
  private running = false
  private lifetime = new AbortController()
  private driving?: Promise<void>
  private offGossip?: () => void
  private offDirect?: () => void

  constructor (components: RoleComponents, init: DriverInit) {
    super()
    this.node = components
    this.log = components.logger('hitch:driver')
    if (!Number.isInteger(init.seats) || init.seats < MIN_SEATS || init.seats > MAX_SEATS) {
      throw new InvalidParametersError(`seats must be an integer in ${MIN_SEATS}..${MAX_SEATS}`)
    }
    this.capacity = init.seats
    const fare: FareModel = fareModel(init.fare)
    const currency = init.currency ?? DEFAULT_CURRENCY
    const ring = init.ring ?? DEFAULT_RING
    this.presence = new CellPresence({
      node: this.node,
      log: this.log,
      emit: this.emit.bind(this),
      ring,
      announceRing: Math.min(ring, init.announceRing ?? DEFAULT_ANNOUNCE_RING),
      offerIntervalMs: init.offerIntervalMs ?? DEFAULT_OFFER_INTERVAL_MS,
      capacity: this.capacity,
      fare,
      currency,
      vehicle: init.vehicle ?? '',
      freeSeats: () => this.state.freeSeats
    })
    const insertion: InsertionOptions = init.insertion ?? {}
    this.estimator = new CellEstimator({ map: this.node.map, insertion, slackS: init.estimateSlackS ?? DEFAULT_ESTIMATE_SLACK_S, marginS: init.cellMarginS })
    this.machine = { revealTimeoutMs: init.revealTimeoutMs, maxQuoted: init.maxQuoted }
    this.requireBinding = init.requireBinding ?? components.payments != null
    this.intake = new RequestIntake({
      clock: this.node.clock,
      checksPerS: init.checksPerS,
      requesterQuota: init.requesterQuota,
      requesterWindowMs: init.requesterWindowMs,
      known: key => this.state.rides[key] != null,
      consider: (rider, request, heard) => { this.considerRequest(rider, request, heard) }
    })
    this.binding = new OwnBinding(this.node, this.log)
    this.quoter = new Quoter({ node: this.node, log: this.log, estimator: this.estimator, fare, currency, binding: this.binding, ...quoterSettings(init) })
    this.payments = components.payments ?? {}
    this.sendTimeoutMs = init.sendTimeoutMs
    const snap = this.node.map.snap(init.position.lat, init.position.lon)
    if (snap == null) {
      throw new OffMapError('the driver position is off the map')
    }
    this.state = initialDriverState(this.capacity)
    this.timers = new MachineTimers(this.node.clock)
    this.vehicle = new Vehicle({
      node: this.node,
      log: this.log,
      start: snap.node,
      capacity: this.capacity,
      positionEveryM: init.positionEveryM ?? DEFAULT_POSITION_EVERY_M,
      driveSpeedUp: init.driveSpeedUp ?? 1,
      payments: this.payments,
      running: () => this.running,
      rides: {
        emit: this.emit.bind(this),
        send: (peer, message, requestId) => { this.sendTo(peer, message, requestId) },
        hook: (fn, requestId) => { this.hook(fn, requestId) },
        cancel: (trip, reason) => { this.cancelTrip(trip, reason) },
        droppedOff: (trip, time, distanceM) => { this.droppedOff(trip, time, distanceM) },
        drop: key => { this.dropTrip(key) },
        moved: () => { this.presence.follow(this.vehicle.position) }
      }
    })
  }

  /** The car's current vertex position. */
  get position (): LatLonPoint {
    return this.vehicle.position
  }

  /** Seats not promised to any confirmed ride. */
  get freeSeats (): number {
    return this.state.freeSeats
  }

  /** The plan the car follows (read-only view). */
  get currentPlan (): VehiclePlan {
    return this.vehicle.plan
  }

  /** Metres the car drove since the driver started, empty, occupied and per seat occupied (exact, from the vehicle model). */
  get odometer (): Odometer {
    return this.vehicle.odometer
  }

  /** The peer id the driver quotes and signs with. */
  get peerId (): string {
    return this.node.peerId
  }

  /** Subscribe to the cells around the car, announce them, start offering and driving. Idempotent; its node must be started. */
  async start (options?: AbortOptions): Promise<void> {
    if (this.running) {
      return
    }
    options?.signal?.throwIfAborted()
    this.running = true
    this.lifetime = new AbortController()
    // every quote carries it: sign it before the first request is heard
    await this.binding.start()
    this.offGossip = this.node.onGossip(this.onGossip)
    this.offDirect = this.node.onDirect(this.onDirect)
    this.presence.start(this.position)
    this.driving = this.vehicle.drive(this.lifetime.signal).catch(err => {
      if (this.running) {
        this.log.error('driving stopped - %e', err)
        this.emit('error', { error: err })
      }
    })
    this.presence.offer()
  }

  /** Stop driving, offering and listening, in reverse order of start. Idempotent; does not stop the node. */
  async stop (_options?: AbortOptions): Promise<void> {
    if (!this.running) {
      return
    }
    this.running = false
    this.lifetime.abort()
    this.intake.stop()
    this.presence.stop()
    this.vehicle.wake()
    await this.driving
    this.timers.clearAll()
    this.offDirect?.()
    this.offGossip?.()
    this.presence.leave()
  }

  // ---- gossip and direct messages --------------------------------------------------------

  private readonly onGossip = (gossip: HitchGossip): void => {
    const { envelope } = gossip
    const from = envelope.sender.toString()
    if (from === this.node.peerId || !this.running) {
      return
    }
    if (envelope.message.type === 'ride-request') {
      // no costly work here: the intake bounds it, fairly across requesters
      this.intake.offer(from, envelope.message.body)
    } else if (envelope.message.type === 'cancel') {
      this.step({ type: 'cancel', from, cancel: envelope.message.body, now: this.now() })
    }
  }

  private readonly onDirect = (from: string, envelope: OpenedEnvelope): HitchMessage | undefined => {
    const message = envelope.message
    if (!this.running) {
      return undefined
    }
    if (message.type === 'accept') {
      // unknown quotes are declined by the machine itself; the rider's binding is checked first
      void this.acceptBound(from, message.body).catch(err => { this.emit('error', { requestId: message.body.requestId, error: err }) })
    } else if (message.type === 'reveal') {
      this.step({ type: 'reveal', from, reveal: message.body, now: this.now() })
    } else if (message.type === 'cancel') {
      // matched to a ride by sender and request id together: nobody cancels another's ride
      this.step({ type: 'cancel', from, cancel: message.body, now: this.now() })
    }
    return undefined
  }

  /** Counters of the request intake (heard, checked, refused, waiting) and of held quotes. */
  stats (): RequestIntakeStats & { quoted: number, rides: number } {
    const rides = Object.values(this.state.rides)
    return { ...this.intake.stats(), quoted: rides.filter(r => r.phase === 'quoted').length, rides: rides.length }
  }

  /**
   * Quote a request heard on gossip (its turn in the intake came), if the car can fit it in
   * (`Quoter`, on cells only).
   */
  private considerRequest (rider: string, request: RideRequest, heard: HeardRequest): void {
    const now = this.now()
    const id = request.requestId
    if (this.state.rides[rideKey(rider, id)] != null) {
      return
    }
    if (heard.checks === 1) {
      this.emit('request', { requestId: id, rider, pickupCell: request.pickupCell, dropoffCell: request.dropoffCell, seats: request.seats })
    }
    const quoted = this.quoter.quote(this.car(), rider, request, heard, now)
    if (quoted == null) {
      return
    }
    const { quote, holdUntil } = quoted
    this.step({ type: 'quote', rider, request, quote, holdUntil, now })
    this.emit('quote', {
      requestId: id, rider, quoteId: quote.quoteId, price: quote.price, currency: quote.currency,
      pickupMinutes: quote.pickupMinutes, dropoffMinutes: quote.dropoffMinutes, pooled: quote.pooled
    })
  }

  /** The car as the quoter sees it. */
  private car (): QuotingCar {
    return { plan: this.vehicle.plan, cell: this.presence.cell, freeSeats: this.state.freeSeats }
  }

  // ---- the machine and its actions -------------------------------------------------------

  private step (event: DriverEvent): void {
    const before = this.state
    const t = stepDriver(before, event, this.machine)
    this.state = t.state
    this.execute(t.actions)
    // this step's own transition: an action may have stepped the machine again (a recheck), and
    // that nested step announces its own
    this.afterStep(before, t.state)
  }

  /** Notices rides a step confirmed, and runs their effects. */
  private afterStep (before: DriverState, after: DriverState): void {
    for (const [key, ride] of Object.entries(after.rides)) {
      if (ride.phase === 'confirmed' && before.rides[key]?.phase !== 'confirmed') {
        this.emit('confirmed', {
          requestId: ride.request.requestId, rider: ride.rider, quoteId: ride.quote.quoteId, price: ride.quote.price,
          pickupMinutes: ride.quote.pickupMinutes, pooled: ride.quote.pooled
        })
      }
    }
  }

  private execute (actions: NegotiationAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case 'send':
          if (action.message.type === 'decline') {
            const d = action.message.body
            // the rider may ask again; by then the plan may fit it, so a new copy is considered afresh
            this.intake.forget(action.to, d.requestId)
            this.emit('declined', { requestId: d.requestId, rider: action.to, quoteId: d.quoteId, reason: String(d.reason) })
          } else if (action.message.type === 'cancel') {
            const c = action.message.body
            this.emit('cancelled', { requestId: c.requestId, rider: action.to, reason: c.note })
          }
          this.sendTo(action.to, action.message, (action.message.body as { requestId?: string }).requestId)
          break
        case 'publish':
          this.node.publish(action.topic, action.message).catch(err => { this.log('publish failed - %e', err) })
          break
        case 'set-timer': {
          const id = action.id
          this.timers.set(id, action.afterMs, take => {
            if (this.running && take()) {
              this.step({ type: 'timer', id, now: this.now() })
            }
          })
          break
        }
        case 'clear-timer':
          this.timers.clear(action.id)
          break
        case 'recheck':
          this.step(this.quoter.recheck(this.car(), action.key, this.state.rides[action.key]?.request, action.accept, this.now()))
          break
        case 'fit':
          this.fit(action.key, action.rider, action.reveal).catch(err => {
            this.log.error('fitting %s failed - %e', action.key, err)
            this.step({ type: 'fit-result', key: action.key, ok: false, note: 'failed', now: this.now() })
          })
          break
        case 'drop':
          this.dropTrip(action.key)
          break
      }
    }
  }

  /**
   * The committed ride's exact points arrived: fits them (`fitReveal`). When they do not fit,
   * the rider gets a Cancel `DRIVER_CANCELLED` naming why, after it sent the points, sees it as
   * such, and tries another driver.
   */
  private async fit (key: string, rider: string, reveal: Reveal): Promise<void> {
    const ride = this.state.rides[key]
    if (ride?.phase !== 'fitting' || ride.accept == null) return
    const requestId = ride.request.requestId
    const fit = await fitReveal({
      node: this.node,
      log: this.log,
      estimator: this.estimator,
      requireBinding: this.requireBinding,
      plan: () => this.vehicle.plan,
      fitting: () => this.running && this.state.rides[key]?.phase === 'fitting'
    }, key, rider, ride, reveal)
    if (fit == null) return
    if (!fit.ok) {
      if (fit.error != null) this.emit('error', { requestId, error: fit.error })
      this.step({ type: 'fit-result', key, ok: false, note: fit.note, now: fit.now })
      return
    }
    const { trip, now, riderAddress } = fit
    // fitted synchronously on the current plan, so its plan is still current
    this.vehicle.insert(trip, fit.plan)
    this.step({ type: 'fit-result', key, ok: true, now })
    this.emit('revealed', {
      requestId, rider, quotedPickupMinutes: ride.quote.pickupMinutes, exactPickupS: fit.exactPickupS,
      ...(riderAddress != null ? { riderAddress } : {})
    })
    this.hook(() => this.payments.onAccepted?.(trip.info), requestId)
    this.vehicle.update(trip, TripUpdate.Phase.EN_ROUTE)
    this.vehicle.wake()
  }

  /**
   * Steps an accept once its binding of the rider's peer id to its payment address holds (or the
   * driver needs none); otherwise declines it (`BAD_BINDING`) before committing anything.
   */
  private async acceptBound (from: string, accept: Accept): Promise<void> {
    const bound = await riderBinding(accept.binding, this.requireBinding, from, accept.requestId, this.now())
    if (!this.running) return
    if (bound instanceof BindingError) {
      this.log('declining the accept of %s/%s: %s', from, accept.requestId, bound.code)
      this.emit('error', { requestId: accept.requestId, error: bound })
      // as the machine declines: the same event and message
      this.execute([{ type: 'send', to: from, message: { type: 'decline', body: { requestId: accept.requestId, quoteId: accept.quoteId, reason: Decline.Reason.BAD_BINDING } } }])
      return
    }
    this.step({ type: 'accept', from, accept, now: this.now() })
  }

  // ---- the end of a ride -----------------------------------------------------------------

  /** The car dropped a rider off: the ride is complete, its seats free; the record is exchanged. */
  private droppedOff (trip: Trip, time: number, distanceM: number): void {
    this.step({ type: 'complete', key: trip.key, now: this.now() })
    this.emit('dropoff', { requestId: trip.info.requestId, rider: trip.info.rider, time, distanceM, fare: trip.info.price })
    this.hook(() => this.payments.onDropoff?.(trip.info, trip.info.price), trip.info.requestId)
    const record = trip.record!
    this.sends.enqueue(trip.info.rider, async () => this.exchangeRecord(trip, record))
  }

  /** Has the rider countersign the ride's record (`exchangeRecord` of trip-record.ts) and reports it. */
  private async exchangeRecord (trip: Trip, record: TripRecord): Promise<void> {
    const requestId = trip.info.requestId
    try {
      const terms = await this.payments.recordTerms?.(trip.info)
      const json = await exchangeRecord({
        node: this.node,
        log: this.log,
        sendOptions: this.sendOptions(),
        signal: () => this.lifetime.signal,
        running: () => this.running
      }, trip.key, trip.info, record, terms)
      this.emit('trip-record', { requestId, rider: trip.info.rider, record: json })
    } catch (err: any) {
      this.log('trip record of %s failed - %e', requestId, err)
      this.emit('error', { requestId, error: err })
    } finally {
      this.vehicle.trips.delete(trip.key)
    }
  }

  /**
   * Cancels a ride in the plan that is not over: tells the rider (Cancel, `DRIVER_CANCELLED`,
   * `reason` as its note), drops its stops from the plan and frees its seats. Returns false
   * when there is no such ride in progress (`rider` picks among rides of several riders that
   * share a request id).
   */
  cancelRide (requestId: string, reason: string, rider?: string): boolean {
    const trips = this.vehicle.trips
    const trip = rider != null
      ? trips.get(rideKey(rider, requestId))
      : [...trips.values()].find(t => t.info.requestId === requestId && !t.done)
    return trip != null && this.cancelTrip(trip, reason)
  }

  private cancelTrip (trip: Trip, reason: string): boolean {
    if (trip.done || this.vehicle.trips.get(trip.key) !== trip) {
      return false
    }
    const { requestId, rider } = trip.info
    this.log('cancelling ride %s of %s: %s', requestId, rider, reason)
    this.sendTo(rider, { type: 'cancel', body: { requestId, reason: Cancel.Reason.DRIVER_CANCELLED, note: reason } }, requestId)
    this.dropTrip(trip.key)
    this.emit('cancelled', { requestId, rider, reason })
    this.vehicle.wake()
    return true
  }

  /** Removes a ride's stops from the plan (rider cancelled, stop unreachable), frees its seats and ends it in the machine. */
  private dropTrip (key: string): void {
    this.vehicle.remove(key)
    const phase = this.state.rides[key]?.phase
    if (phase === 'confirmed' || phase === 'fitting' || phase === 'riding') {
      this.step({ type: 'complete', key, now: this.now() })
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** Sends in order per peer: a rider must see the quote before the confirm, the pickup before the dropoff. */
  private sendTo (peer: string, message: HitchMessage, requestId?: string): void {
    this.sends.enqueue(peer, async () => {
      try {
        await this.node.send(peer, message, this.sendOptions())
      } catch (err: any) {
        this.log('sending %s to %s failed - %e', message.type, peer, err)
        this.emit('error', { requestId, error: err })
      }
    })
  }

  private sendOptions (): AbortOptions & { timeoutMs?: number } {
    return this.sendTimeoutMs != null ? { timeoutMs: this.sendTimeoutMs } : {}
  }

  private hook (fn: () => void | Promise<void>, requestId: string): void {
    try {
      Promise.resolve(fn()).catch(err => { this.emit('error', { requestId, error: err }) })
    } catch (err: any) {
      this.emit('error', { requestId, error: err })
    }
  }

  private now (): number {
    return this.node.clock.now()
  }
}
