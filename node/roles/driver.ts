import { cellToLatLng } from 'h3-js'
import {
  Cancel, Decline, DEFAULT_MAX_TTL_MS, TripUpdate, appendTripEvent, cellOf, cellTopic, cellsAround, createTripRecord,
  diffSubscriptions, initialDriverState, providerKey, recordHash, signRecord, stepDriver,
  tripRecordFromProto, tripRecordToJSON, tripRecordToProto, verifyTripRecord
} from '../../protocol/index.js'
import {
  completeNextStop, fareModel, fareSoFar, insertRequest, moveVehicle, quoteFare
} from '../../matching/index.js'
import { RideError } from './errors.js'
import { TypedEvents } from './events.js'
import { ethAddressOfPeer } from './peer-address.js'
import type { LatLonPoint, PaymentHooks, PaymentTerms, RideInfo } from './types.js'
import type { HitchGossip, HitchNode } from '../hitch-node.js'
import type { TimerHandle } from '../clock/index.js'
import type {
  Accept, DriverEvent, DriverState, HitchMessage, NegotiationAction, OpenedEnvelope, Quote, RideRequest, TripRecord,
  TripRecordJSON
} from '../../protocol/index.js'
import type { FareModel, Insertion, InsertionOptions, VehiclePlan } from '../../matching/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

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
/** @default 60_000 (clock ms) */
export const DEFAULT_QUOTE_TTL_MS = 60_000
/** @default 250 (metres) */
export const DEFAULT_POSITION_EVERY_M = 250
/** Tries to exchange the trip record with the rider before giving up. */
const RECORD_ATTEMPTS = 3
/** Clock ms before the second try of the record exchange (then twice that). */
const RECORD_RETRY_MS = 1_000
/** @default 4 (the neutral rating of matching/ranking) */
export const DEFAULT_DRIVER_RATING = 4
/** @default 'usd-cent' (fares are integer cents, see matching/pricing) */
export const DEFAULT_CURRENCY = 'usd-cent'
/**
 * Extra wait allowed when quoting from cell centres, seconds: the real points can lie a cell
 * radius (≈ 1.4 km) from the centre. The exact recheck at accept uses no slack.
 *
 * @default 180
 */
export const DEFAULT_ESTIMATE_SLACK_S = 180
/** Farthest a cell centre may lie from the map and still be estimated on it, metres. @default 5000 */
export const DEFAULT_ESTIMATE_SNAP_M = 5_000
/**
 * A driver quotes a request at once only when it can be at the pickup within this many seconds
 * (estimated); a farther driver holds back, so a busy cell does not answer every request with
 * every car in it. @default 120
 */
export const DEFAULT_QUOTE_NEAR_S = 120
/**
 * The reach of a held-back request doubles for every this many clock ms that the rider keeps
 * asking (counted from the first copy this driver heard): nobody near took it, so farther cars
 * quote on a later copy (an expanding ring search). @default 4000
 */
export const DEFAULT_QUOTE_WIDEN_MS = 4_000

/** Options of {@link Driver}. */
export interface DriverInit {
  /** the started (or to be started) node this driver runs on */
  node: HitchNode
  /** where the car is now (snapped to the road graph) */
  position: LatLonPoint
  /** passenger seats (1..8) */
  seats: number
  /**
   * The fare model, integer cents.
   *
   * @default DEFAULT_FARE of matching/pricing
   */
  fare?: Partial<FareModel>
  /** @default DEFAULT_CURRENCY ('usd-cent') */
  currency?: string
  /** the rating put in quotes, 0..5. @default DEFAULT_DRIVER_RATING (4) */
  rating?: number
  /** a short description of the car, in offers. @default '' */
  vehicle?: string
  /** publish a vehicle offer this often, clock ms; 0: never. @default DEFAULT_OFFER_INTERVAL_MS (10 s) */
  offerIntervalMs?: number
  /** subscribe to cells within this many rings of the car's cell. @default DEFAULT_RING (1) */
  ring?: number
  /**
   * announce cells within this many rings of the car's cell in the DHT (at most `ring`).
   * @default DEFAULT_ANNOUNCE_RING (0)
   */
  announceRing?: number
  /** how long a quote holds, clock ms. @default DEFAULT_QUOTE_TTL_MS (60 s) */
  quoteTtlMs?: number
  /** send a position update to riders every this many metres driven. @default DEFAULT_POSITION_EVERY_M (250) */
  positionEveryM?: number
  /** limits of insertion (wait, detour). @default matching's defaults */
  insertion?: InsertionOptions
  /** @default DEFAULT_ESTIMATE_SLACK_S (180) */
  estimateSlackS?: number
  /** quote at once only within this pickup wait, seconds; Infinity: always. @default DEFAULT_QUOTE_NEAR_S (120) */
  quoteNearS?: number
  /** the quoting reach doubles every this long the rider keeps asking, clock ms. @default DEFAULT_QUOTE_WIDEN_MS (4 s) */
  quoteWidenMs?: number
  /** payment hooks (`node/payments`: `DriverPayments`). @default none (rides are not paid) */
  payments?: PaymentHooks
  /** timeout of each direct message to a rider, real ms. @default the network's (10 s) */
  sendTimeoutMs?: number
  /**
   * The car drives this many times faster than the road graph's travel times, in the node's
   * clock (a demo knob for `hitch drive --speedup` that leaves protocol time real). Quotes
   * still promise the graph's times, so they stay upper bounds.
   *
   * @default 1
   */
  driveSpeedUp?: number
}

/** A trip update as the driver's events report it. */
export interface DriverPosition {
  lat: number
  lon: number
  /** clock ms */
  time: number
  /** seats occupied */
  onboard: number
  /** stops left in the plan */
  stops: number
  /** metres driven since start */
  odometerM: number
}

/** The driver's events (`--json` lines of `hitch drive`). */
export interface DriverEvents {
  /** subscribed to these cells and announced them in the DHT */
  listening: { cells: string[], peerId: string }
  /** a vehicle offer was published */
  offer: { cell: string, freeSeats: number, recipients: number }
  /** a ride request was heard on gossip */
  request: { requestId: string, rider: string, pickupCell: string, dropoffCell: string, seats: number }
  /** a quote was sent */
  quote: { requestId: string, rider: string, quoteId: string, price: string, currency: string, pickupEta: number, dropoffEta: number, pooled: boolean }
  /** an accept was rechecked and confirmed: the seats are reserved */
  confirmed: { requestId: string, rider: string, quoteId: string, price: string, pickupEta: number, pooled: boolean }
  /** an accept was declined */
  declined: { requestId: string, rider: string, quoteId: string, reason: string }
  pickup: { requestId: string, rider: string, time: number }
  position: DriverPosition
  dropoff: { requestId: string, rider: string, time: number, distanceM: number, fare: string }
  /** the doubly signed trip record was stored */
  'trip-record': { requestId: string, rider: string, record: TripRecordJSON }
  /** the driver cancelled a confirmed ride (e.g. `non-payment`) and dropped its stops */
  cancelled: { requestId: string, rider: string, reason: string }
  error: { requestId?: string, error: Error }
}

/** The names of {@link DriverEvents}, for `onAny`. */
export const DRIVER_EVENTS: ReadonlyArray<keyof DriverEvents> = [
  'listening', 'offer', 'request', 'quote', 'confirmed', 'declined', 'pickup', 'position', 'dropoff', 'trip-record', 'cancelled', 'error'
]

/** What the driver keeps about one ride beyond the negotiation machine. */
interface Trip {
  info: RideInfo
  request: RideRequest
  /** the insertion the recheck found, applied to the plan on confirm */
  insertion?: Insertion
  record?: TripRecord
  onboard: boolean
  /** metres driven with the rider aboard */
  distanceM: number
  /** length of the rider's direct route, metres (for fare-so-far) */
  routeM: number
  done: boolean
}

/**
 * The driver role: listens to ride requests in the cells around the car, quotes the ones it
 * can insert into its plan (pooling several riders when insertion allows), confirms accepts
 * through the `stepDriver` machine, then drives its plan along the road graph in clock time,
 * reporting to each rider and signing a trip record at each dropoff.
 */
export class Driver extends TypedEvents<DriverEvents> {
  readonly node: HitchNode
  private readonly log: Logger
  private readonly capacity: number
  private readonly fare: FareModel
  private readonly currency: string
  private readonly rating: number
  private readonly vehicle: string
  private readonly offerIntervalMs: number
  private readonly ring: number
  private readonly announceRing: number
  /** the cells announced in the DHT for the car's current cell */
  private announced: string[] = []
  /** cell -> its pending re-announcement */
  private readonly announceRetries = new Map<string, TimerHandle>()
  private readonly quoteTtlMs: number
  private readonly positionEveryM: number
  private readonly insertionOptions: InsertionOptions
  private readonly estimateSlackS: number
  private readonly quoteNearS: number
  private readonly quoteWidenMs: number
  private readonly payments: PaymentHooks
  private readonly sendTimeoutMs?: number
  private readonly driveSpeedUp: number

  private state: DriverState
  private plan: VehiclePlan
  private readonly trips = new Map<string, Trip>()
  /** request ids already considered (re-published requests are not quoted twice), unless held back (too far, or not fitting yet) */
  private readonly seen = new Map<string, { expiresAt: number, firstHeard: number, held: boolean }>()
  private readonly timers = new Map<string, TimerHandle>()
  private readonly sendChains = new Map<string, Promise<unknown>>()
  private cells: string[] = []
  private odometerM = 0
  private lastUpdateAtM = 0
  private running = false
  private lifetime = new AbortController()
  private wake?: () => void
  private driving?: Promise<void>
  private offerTimer?: TimerHandle
  private offGossip?: () => void
  private offDirect?: () => void

  constructor (init: DriverInit) {
    super()
    this.node = init.node
    this.log = init.node.logger('hitch:driver')
    if (!Number.isInteger(init.seats) || init.seats < 1 || init.seats > 8) {
      throw new RangeError('seats must be an integer in 1..8')
    }
    this.capacity = init.seats
    this.fare = fareModel(init.fare)
    this.currency = init.currency ?? DEFAULT_CURRENCY
    this.rating = init.rating ?? DEFAULT_DRIVER_RATING
    this.vehicle = init.vehicle ?? ''
    this.offerIntervalMs = init.offerIntervalMs ?? DEFAULT_OFFER_INTERVAL_MS
    if (!(this.offerIntervalMs >= 0)) {
      throw new RangeError('offerIntervalMs must be >= 0')
    }
    this.ring = init.ring ?? DEFAULT_RING
    this.announceRing = Math.min(this.ring, init.announceRing ?? DEFAULT_ANNOUNCE_RING)
    this.quoteTtlMs = Math.min(init.quoteTtlMs ?? DEFAULT_QUOTE_TTL_MS, DEFAULT_MAX_TTL_MS)
    this.positionEveryM = init.positionEveryM ?? DEFAULT_POSITION_EVERY_M
    this.insertionOptions = init.insertion ?? {}
    this.estimateSlackS = init.estimateSlackS ?? DEFAULT_ESTIMATE_SLACK_S
    this.quoteNearS = init.quoteNearS ?? DEFAULT_QUOTE_NEAR_S
    this.quoteWidenMs = init.quoteWidenMs ?? DEFAULT_QUOTE_WIDEN_MS
    if (!(this.quoteNearS > 0) || !(this.quoteWidenMs > 0)) {
      throw new RangeError('quoteNearS and quoteWidenMs must be > 0')
    }
    this.payments = init.payments ?? {}
    this.sendTimeoutMs = init.sendTimeoutMs
    this.driveSpeedUp = init.driveSpeedUp ?? 1
    if (!(Number.isFinite(this.driveSpeedUp) && this.driveSpeedUp > 0)) {
      throw new RangeError('driveSpeedUp must be a finite number > 0')
    }
    const snap = this.node.map.snap(init.position.lat, init.position.lon)
    if (snap == null) {
      throw new RideError('ERR_OFF_MAP', 'the driver position is off the map')
    }
    this.state = initialDriverState(this.capacity)
    this.plan = { position: snap.node, time: this.nowS(), capacity: this.capacity, onboard: 0, stops: [] }
  }

  /** The car's current vertex position. */
  get position (): LatLonPoint {
    const g = this.node.map.graph
    return { lat: g.lat[this.plan.position], lon: g.lon[this.plan.position] }
  }

  /** Seats not promised to any confirmed ride. */
  get freeSeats (): number {
    return this.state.freeSeats
  }

  /** The plan the car follows (read-only view). */
  get currentPlan (): VehiclePlan {
    return this.plan
  }

  /** Subscribe to the cells around the car, announce them, start offering and driving. Idempotent; starts the node if needed. */
  async start (): Promise<void> {
    if (this.running) {
      return
    }
    await this.node.start()
    this.running = true
    this.lifetime = new AbortController()
    this.offGossip = this.node.onGossip(this.onGossip)
    this.offDirect = this.node.onDirect(this.onDirect)
    this.updateCells()
    this.driving = this.drive().catch(err => {
      if (this.running) {
        this.log.error('driving stopped - %e', err)
        this.emit('error', { error: err })
      }
    })
    this.publishOffer()
  }

  /** Stop driving, offering and listening, in reverse order of start. Idempotent; does not stop the node. */
  async stop (): Promise<void> {
    if (!this.running) {
      return
    }
    this.running = false
    this.lifetime.abort()
    if (this.offerTimer != null) {
      this.node.clock.clearTimeout(this.offerTimer)
    }
    this.wake?.()
    await this.driving
    for (const handle of this.timers.values()) {
      this.node.clock.clearTimeout(handle)
    }
    this.timers.clear()
    this.offDirect?.()
    this.offGossip?.()
    for (const cell of this.cells) {
      try {
        this.node.network.unsubscribe(cellTopic(cell))
      } catch {}
    }
    this.cells = []
    this.announced = []
    for (const handle of this.announceRetries.values()) {
      this.node.clock.clearTimeout(handle)
    }
    this.announceRetries.clear()
  }

  // ---- gossip and direct messages --------------------------------------------------------

  private readonly onGossip = (gossip: HitchGossip): void => {
    const { envelope } = gossip
    const from = envelope.sender.toString()
    if (from === this.node.peerId) {
      return
    }
    if (envelope.message.type === 'ride-request') {
      this.onRequest(from, envelope.message.body)
    } else if (envelope.message.type === 'cancel') {
      this.step({ type: 'cancel', from, cancel: envelope.message.body, now: this.now() })
    }
  }

  private readonly onDirect = (from: string, envelope: OpenedEnvelope): HitchMessage | undefined => {
    const message = envelope.message
    if (message.type === 'accept') {
      // unknown quotes are declined by the machine itself
      this.step({ type: 'accept', from, accept: message.body, now: this.now() })
    } else if (message.type === 'cancel' && this.state.rides[message.body.requestId]?.rider === from) {
      const trip = this.trips.get(message.body.requestId)
      this.step({ type: 'cancel', from, cancel: message.body, now: this.now() })
      if (trip != null && !trip.done) {
        this.dropTrip(message.body.requestId)
      }
    }
    return undefined
  }

  /** Quote a request heard on gossip, if the car can fit it in (estimated from cell centres). */
  private onRequest (rider: string, request: RideRequest): void {
    if (!this.running) {
      return
    }
    const now = this.now()
    this.pruneSeen(now)
    let heard = this.seen.get(request.requestId)
    if (heard != null) {
      // a rider still asking renews its request's expiry: remember the request as long, so the
      // copy is not taken for a new one (nor its quoting reach started again)
      heard.expiresAt = Math.max(heard.expiresAt, request.expiresAt)
    }
    if ((heard != null && !heard.held) || this.state.rides[request.requestId] != null) {
      return
    }
    if (heard == null) {
      heard = { expiresAt: request.expiresAt, firstHeard: now, held: false }
      this.seen.set(request.requestId, heard)
      this.emit('request', { requestId: request.requestId, rider, pickupCell: request.pickupCell, dropoffCell: request.dropoffCell, seats: request.seats })
    }
    heard.held = false
    if (request.currency !== this.currency) {
      this.log('not quoting %s: currency', request.requestId)
      return
    }
    if (request.seats > this.state.freeSeats) {
      // seats free up at dropoffs: a later copy is considered again
      heard.held = true
      this.log('not quoting %s: seats', request.requestId)
      return
    }
    const pickup = this.snapCell(request.pickupCell)
    const dropoff = this.snapCell(request.dropoffCell)
    if (pickup == null || dropoff == null) {
      this.log('not quoting %s: cells off the map', request.requestId)
      return
    }
    const waitS = (request.latestPickupAt - now) / 1000
    const insertion = this.insert(request.requestId, pickup, dropoff, request.seats, Math.max(0, waitS) + this.estimateSlackS)
    if (insertion == null) {
      // the plan changes as the car drives and serves stops: a later copy may fit
      heard.held = true
      return
    }
    const reachS = this.quoteNearS * 2 ** Math.floor((now - heard.firstHeard) / this.quoteWidenMs)
    if (insertion.pickupTime - now / 1000 > reachS) {
      // nearer cars answer first; if the rider is still asking later, this car's turn comes
      heard.held = true
      this.log('holding back %s: pickup in %ds, reach %ds', request.requestId, Math.round(insertion.pickupTime - now / 1000), reachS)
      return
    }
    const price = this.price(pickup, dropoff, insertion)
    if (price == null || BigInt(price) > BigInt(request.maxPrice)) {
      this.log('not quoting %s: over the price ceiling', request.requestId)
      return
    }
    const quote: Quote = {
      requestId: request.requestId,
      quoteId: randomId(this.node),
      price,
      pickupEta: Math.ceil(insertion.pickupTime * 1000),
      dropoffEta: Math.ceil(insertion.dropoffTime * 1000),
      driverRating: this.rating,
      expiresAt: Math.floor(now + this.quoteTtlMs),
      pooled: insertion.shared,
      currency: this.currency,
      seats: request.seats
    }
    this.step({ type: 'quote', rider, request, quote, now })
    this.emit('quote', {
      requestId: request.requestId, rider, quoteId: quote.quoteId, price, currency: quote.currency,
      pickupEta: quote.pickupEta, dropoffEta: quote.dropoffEta, pooled: quote.pooled
    })
  }

  // ---- the machine and its actions -------------------------------------------------------

  private step (event: DriverEvent): void {
    const before = this.state
    const t = stepDriver(before, event)
    this.state = t.state
    this.execute(t.actions)
    this.afterStep(before)
  }

  /** Notices rides the last step confirmed or dropped, and runs their effects. */
  private afterStep (before: DriverState): void {
    for (const [id, ride] of Object.entries(this.state.rides)) {
      if (ride.phase === 'confirmed' && before.rides[id]?.phase !== 'confirmed') {
        this.onConfirmed(id)
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
            this.seen.delete(d.requestId)
            this.emit('declined', { requestId: d.requestId, rider: action.to, quoteId: d.quoteId, reason: String(d.reason) })
          }
          this.sendTo(action.to, action.message, (action.message.body as { requestId?: string }).requestId)
          break
        case 'publish':
          this.node.publish(action.topic, action.message).catch(err => { this.log('publish failed - %e', err) })
          break
        case 'set-timer': {
          this.clearTimer(action.id)
          const id = action.id
          this.timers.set(id, this.node.clock.setTimeout(() => {
            this.timers.delete(id)
            if (this.running) {
              this.step({ type: 'timer', id, now: this.now() })
            }
          }, action.afterMs))
          break
        }
        case 'clear-timer':
          this.clearTimer(action.id)
          break
        case 'recheck':
          this.recheck(action.requestId, action.rider, action.accept)
          break
      }
    }
  }

  /** Re-runs insertion with the exact points and answers the machine. */
  private recheck (requestId: string, rider: string, accept: Accept): void {
    const now = this.now()
    const ride = this.state.rides[requestId]
    const pickup = accept.pickup == null ? null : this.node.map.snap(accept.pickup.lat, accept.pickup.lon)
    const dropoff = accept.dropoff == null ? null : this.node.map.snap(accept.dropoff.lat, accept.dropoff.lon)
    if (ride == null || pickup == null || dropoff == null || accept.seats !== ride.request.seats) {
      this.step({ type: 'recheck-result', requestId, ok: false, reason: Decline.Reason.INFEASIBLE, now })
      return
    }
    const waitS = (ride.request.latestPickupAt - now) / 1000
    const insertion = waitS < 0 ? undefined : this.insert(requestId, pickup.node, dropoff.node, accept.seats, waitS)
    if (insertion == null) {
      this.step({ type: 'recheck-result', requestId, ok: false, reason: Decline.Reason.INFEASIBLE, now })
      return
    }
    const route = this.node.map.router.route(pickup.node, dropoff.node)
    const routeM = route?.distanceM ?? 0
    this.trips.set(requestId, {
      info: {
        requestId,
        rider,
        driver: this.node.peerId,
        quoteId: ride.quote.quoteId,
        price: ride.quote.price,
        currency: ride.quote.currency,
        seats: accept.seats,
        pooled: ride.quote.pooled,
        routeM
      },
      request: ride.request,
      insertion,
      onboard: false,
      distanceM: 0,
      routeM,
      done: false
    })
    this.step({ type: 'recheck-result', requestId, ok: true, pickupEta: Math.ceil(insertion.pickupTime * 1000), now })
    if (this.state.rides[requestId]?.phase !== 'confirmed') {
      this.trips.delete(requestId)
    }
  }

  private onConfirmed (requestId: string): void {
    const trip = this.trips.get(requestId)
    const ride = this.state.rides[requestId]
    if (trip?.insertion == null || ride == null) {
      return
    }
    // the recheck ran synchronously on the current plan, so its plan is still current
    this.plan = trip.insertion.plan
    const now = this.now()
    trip.record = appendTripEvent(createTripRecord({
      rideId: requestId,
      driver: this.node.peerId,
      rider: trip.info.rider,
      driverAddress: this.node.ethAddress.toLowerCase(),
      riderAddress: ethAddressOfPeer(trip.info.rider),
      fare: trip.info.price,
      currency: trip.info.currency
    }), { type: 'accepted', time: Math.floor(now), quoteId: trip.info.quoteId, price: trip.info.price })
    this.emit('confirmed', {
      requestId, rider: trip.info.rider, quoteId: trip.info.quoteId, price: trip.info.price,
      pickupEta: Math.ceil(trip.insertion.pickupTime * 1000), pooled: trip.info.pooled
    })
    this.hook(() => this.payments.onAccepted?.(trip.info), requestId)
    this.update(trip, TripUpdate.Phase.EN_ROUTE)
    this.wake?.()
  }

  private clearTimer (id: string): void {
    const handle = this.timers.get(id)
    if (handle != null) {
      this.node.clock.clearTimeout(handle)
      this.timers.delete(id)
    }
  }

  // ---- driving ---------------------------------------------------------------------------

  /** Follows the plan along the road graph in clock time until stopped. */
  private async drive (): Promise<void> {
    const { graph, router } = this.node.map
    const signal = this.lifetime.signal
    while (this.running) {
      const next = this.plan.stops[0]
      if (next == null) {
        // idle: the car waits where it is until a ride is confirmed
        await new Promise<void>(resolve => { this.wake = resolve })
        this.wake = undefined
        this.plan = moveVehicle(this.plan, this.plan.position, this.nowS())
        continue
      }
      if (next.location === this.plan.position) {
        this.serveStop()
        continue
      }
      const route = router.route(this.plan.position, next.location)
      if (route == null || route.nodes.length < 2) {
        this.log.error('stop of %s unreachable; dropping the ride', next.requestId)
        this.dropTrip(next.requestId)
        continue
      }
      const from = route.nodes[0]
      const to = route.nodes[1]
      const edge = edgeBetween(graph, from, to)
      // the car is committed to this edge: plan from its far end, at the time it gets there
      const edgeMs = edge.timeMs / this.driveSpeedUp
      this.plan = moveVehicle(this.plan, to, this.nowS() + edgeMs / 1000)
      try {
        await this.node.clock.sleep(edgeMs, { signal })
      } catch {
        return
      }
      this.plan = moveVehicle(this.plan, to, Math.max(this.plan.time, this.nowS()))
      this.advanced(edge.distCm / 100)
    }
  }

  /** Bookkeeping after one edge: distances, position updates, cell subscriptions. */
  private advanced (metres: number): void {
    this.odometerM += metres
    for (const trip of this.trips.values()) {
      if (trip.onboard && !trip.done) {
        trip.distanceM += metres
      }
    }
    if (this.odometerM - this.lastUpdateAtM >= this.positionEveryM) {
      this.lastUpdateAtM = this.odometerM
      const { lat, lon } = this.position
      const time = Math.floor(this.now())
      this.log.trace('at %f,%f', lat, lon)
      this.emit('position', { lat, lon, time, onboard: this.plan.onboard, stops: this.plan.stops.length, odometerM: Math.round(this.odometerM) })
      for (const trip of this.trips.values()) {
        if (trip.done) continue
        if (trip.onboard && trip.record != null) {
          trip.record = appendTripEvent(trip.record, { type: 'position', time, lat, lon, distanceM: Math.round(trip.distanceM) })
          const soFar = fareSoFar(Number(trip.info.price), trip.distanceM, trip.routeM)
          const distanceM = Math.round(trip.distanceM)
          this.hook(async () => {
            await this.payments.onProgress?.(trip.info, distanceM, String(soFar))
            // a rider too far behind with its payments is not driven any further
            if (this.payments.isBehind?.(trip.info) === true) this.cancelRide(trip.info.requestId, 'non-payment')
          }, trip.info.requestId)
        }
        this.update(trip, TripUpdate.Phase.POSITION)
      }
    }
    this.updateCells()
  }

  /** The car is at its next stop: pick up or drop off. */
  private serveStop (): void {
    const { plan, served } = completeNextStop(this.plan, this.nowS())
    this.plan = plan
    const trip = this.trips.get(served.stop.requestId)
    if (trip == null || trip.done || trip.record == null) {
      return
    }
    const { lat, lon } = this.position
    const time = Math.floor(this.now())
    if (served.stop.kind === 'pickup') {
      trip.onboard = true
      trip.record = appendTripEvent(trip.record, { type: 'picked-up', time, lat, lon })
      this.update(trip, TripUpdate.Phase.ARRIVED)
      this.update(trip, TripUpdate.Phase.PICKED_UP)
      this.emit('pickup', { requestId: trip.info.requestId, rider: trip.info.rider, time })
      return
    }
    trip.onboard = false
    trip.done = true
    const distanceM = Math.round(trip.distanceM)
    trip.record = appendTripEvent(trip.record, { type: 'dropped-off', time, lat, lon, distanceM })
    trip.record = appendTripEvent(trip.record, { type: 'fare', time, amount: trip.info.price })
    this.update(trip, TripUpdate.Phase.DROPPED_OFF)
    this.step({ type: 'complete', requestId: trip.info.requestId, now: this.now() })
    this.emit('dropoff', { requestId: trip.info.requestId, rider: trip.info.rider, time, distanceM, fare: trip.info.price })
    this.hook(() => this.payments.onDropoff?.(trip.info, trip.info.price), trip.info.requestId)
    const record = trip.record
    this.enqueue(trip.info.rider, async () => this.exchangeRecord(trip, record))
  }

  /** Signs the record, has the rider countersign it, verifies and stores it. */
  private async exchangeRecord (trip: Trip, record: TripRecord): Promise<void> {
    const requestId = trip.info.requestId
    try {
      const terms = await this.payments.recordTerms?.(trip.info)
      const signed = await signRecord(terms != null ? withPaymentTerms(record, terms) : record, this.node.identity.privateKey, 'driver')
      const answer = await this.sendRecord(trip.info.rider, signed)
      if (answer?.message.type !== 'trip-record') {
        throw new RideError('ERR_BAD_TRIP_RECORD', 'the rider did not return the countersigned record')
      }
      const both = tripRecordFromProto(answer.message.body)
      const check = await verifyTripRecord(both)
      if (!check.ok || !equalBytes(check.hash, recordHash(signed))) {
        throw new RideError('ERR_BAD_TRIP_RECORD', `the countersigned record does not verify: ${check.ok ? 'other events' : check.problems.map(p => p.code).join(', ')}`)
      }
      const json = tripRecordToJSON(both)
      await this.node.store.rides.putTrip({ id: requestId, ...json })
      const now = Math.floor(this.now())
      await this.node.store.rides.putRide({
        id: requestId, role: 'driver', counterparty: trip.info.rider, status: 'completed',
        createdAt: record.events[0]?.time ?? now, updatedAt: now, price: trip.info.price, currency: trip.info.currency
      })
      this.emit('trip-record', { requestId, rider: trip.info.rider, record: json })
    } catch (err: any) {
      this.log('trip record of %s failed - %e', requestId, err)
      this.emit('error', { requestId, error: err })
    } finally {
      this.trips.delete(requestId)
    }
  }

  /**
   * Sends the signed record to the rider, again when the exchange fails on the way (the rider
   * answers a repeat with the copy it countersigned), up to {@link RECORD_ATTEMPTS} times.
   */
  private async sendRecord (rider: string, signed: TripRecord): Promise<OpenedEnvelope | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await this.node.send(rider, { type: 'trip-record', body: tripRecordToProto(signed) }, this.sendOptions())
        if (answer != null || attempt >= RECORD_ATTEMPTS) return answer
      } catch (err) {
        if (attempt >= RECORD_ATTEMPTS || !this.running) throw err
        this.log('sending the trip record to %s failed (attempt %d) - %e', rider, attempt, err)
      }
      await this.node.clock.sleep(RECORD_RETRY_MS * attempt, { signal: this.lifetime.signal })
    }
  }

  /**
   * Cancels a confirmed ride that is not over: tells the rider (Cancel, `DRIVER_CANCELLED`,
   * `reason` as its note), drops its stops from the plan and frees its seats. Returns false
   * when there is no such ride in progress.
   */
  cancelRide (requestId: string, reason: string): boolean {
    const trip = this.trips.get(requestId)
    if (trip == null || trip.done) {
      return false
    }
    this.log('cancelling ride %s of %s: %s', requestId, trip.info.rider, reason)
    this.sendTo(trip.info.rider, { type: 'cancel', body: { requestId, reason: Cancel.Reason.DRIVER_CANCELLED, note: reason } }, requestId)
    this.dropTrip(requestId)
    this.emit('cancelled', { requestId, rider: trip.info.rider, reason })
    this.wake?.()
    return true
  }

  /** Removes a ride's stops from the plan (rider cancelled, stop unreachable). */
  private dropTrip (requestId: string): void {
    const stops = this.plan.stops.filter(s => s.requestId !== requestId)
    const trip = this.trips.get(requestId)
    const onboard = trip?.onboard === true ? this.plan.onboard - trip.info.seats : this.plan.onboard
    this.plan = { ...this.plan, stops, onboard: Math.max(0, onboard) }
    if (trip != null) {
      trip.done = true
      this.trips.delete(requestId)
    }
    if (this.state.rides[requestId]?.phase === 'confirmed') {
      this.step({ type: 'complete', requestId, now: this.now() })
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  private insert (id: string, pickup: number, dropoff: number, seats: number, maxWaitS: number): Insertion | undefined {
    const nowS = this.nowS()
    // keep the plan's clock current: an idle car's plan time is "now"
    const base = this.plan.time < nowS ? moveVehicle(this.plan, this.plan.position, nowS) : this.plan
    try {
      const result = insertRequest(base, { id, pickup, dropoff, seats, requestTime: nowS, maxWaitS }, this.node.map.router, this.insertionOptions)
      if (!result.ok) {
        this.log('cannot fit %s: %s', id, result.reason)
        return undefined
      }
      return result.insertion
    } catch (err: any) {
      this.log('insertion of %s failed - %e', id, err)
      return undefined
    }
  }

  private price (pickup: number, dropoff: number, insertion: Insertion): string | undefined {
    const route = this.node.map.router.route(pickup, dropoff)
    const distanceM = route?.distanceM ?? 0
    const durationS = route?.durationS ?? insertion.directTimeS
    return String(quoteFare(this.fare, { directDistanceM: distanceM, directDurationS: durationS, pooled: insertion.shared }))
  }

  private snapCell (cell: string): number | undefined {
    const [lat, lon] = cellToLatLng(cell)
    return this.node.map.snap(lat, lon) == null
      ? this.node.map.index.snap(lat, lon, DEFAULT_ESTIMATE_SNAP_M)?.node
      : this.node.map.snap(lat, lon)?.node
  }

  private update (trip: Trip, phase: TripUpdate.Phase): void {
    const { lat, lon } = this.position
    const message: HitchMessage = {
      type: 'trip-update',
      body: { requestId: trip.info.requestId, phase, position: { lat, lon }, time: Math.floor(this.now()), distanceM: Math.round(trip.distanceM) }
    }
    this.sendTo(trip.info.rider, message, trip.info.requestId)
  }

  /** Sends in order per peer: a rider must see the quote before the confirm, the pickup before the dropoff. */
  private sendTo (peer: string, message: HitchMessage, requestId?: string): void {
    this.enqueue(peer, async () => {
      try {
        await this.node.send(peer, message, this.sendOptions())
      } catch (err: any) {
        this.log('sending %s to %s failed - %e', message.type, peer, err)
        this.emit('error', { requestId, error: err })
      }
    })
  }

  private enqueue (peer: string, task: () => Promise<void>): void {
    const chain = (this.sendChains.get(peer) ?? Promise.resolve()).then(task)
    this.sendChains.set(peer, chain)
    void chain.finally(() => {
      if (this.sendChains.get(peer) === chain) {
        this.sendChains.delete(peer)
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

  /** Follows the car with its cell subscriptions and DHT announcements. */
  private updateCells (): void {
    const { lat, lon } = this.position
    const center = cellOf(lat, lon)
    if (this.cells[0] === center) {
      return
    }
    const next = cellsAround(lat, lon, this.ring)
    const diff = diffSubscriptions(this.cells, next)
    for (const cell of diff.unsubscribe) {
      this.node.network.unsubscribe(cellTopic(cell))
    }
    for (const cell of diff.subscribe) {
      this.node.network.subscribe(cellTopic(cell))
    }
    const announce = cellsAround(lat, lon, this.announceRing)
    this.cells = next
    const fresh = diffSubscriptions(this.announced, announce).subscribe
    this.announced = announce
    for (const cell of fresh) {
      this.announce(cell, 0)
    }
    this.emit('listening', { cells: [...next], peerId: this.node.peerId })
  }

  /** Announces a cell in the DHT; tries again later while the car is still there if no peer stored it. */
  private announce (cell: string, attempt: number): void {
    this.node.network.provide(providerKey(cell), { signal: this.lifetime.signal })
      .catch(err => {
        if (!this.running || !this.announced.includes(cell) || this.announceRetries.has(cell)) {
          return
        }
        const delay = Math.min(ANNOUNCE_RETRY_MAX_MS, ANNOUNCE_RETRY_MS * 2 ** attempt)
        this.log('announcing cell %s failed, again in %d ms - %e', cell, delay, err)
        this.announceRetries.set(cell, this.node.clock.setTimeout(() => {
          this.announceRetries.delete(cell)
          if (this.running && this.announced.includes(cell)) {
            this.announce(cell, attempt + 1)
          }
        }, delay))
      })
  }

  private publishOffer (): void {
    if (!this.running || this.offerIntervalMs === 0) {
      return
    }
    const now = this.now()
    const cell = this.cells[0]
    const message: HitchMessage = {
      type: 'vehicle-offer',
      body: {
        cell,
        freeSeats: this.state.freeSeats,
        capacity: this.capacity,
        fare: {
          currency: this.currency,
          base: String(this.fare.baseCents),
          perKm: String(this.fare.perKmCents),
          perMinute: String(this.fare.perMinuteCents)
        },
        vehicle: this.vehicle,
        expiresAt: Math.floor(now + Math.min(2 * this.offerIntervalMs, DEFAULT_MAX_TTL_MS))
      }
    }
    const freeSeats = this.state.freeSeats
    this.node.publish(cellTopic(cell), message)
      .then(({ recipients }) => { this.emit('offer', { cell, freeSeats, recipients }) })
      .catch(err => { this.log('offer failed - %e', err) })
    this.offerTimer = this.node.clock.setTimeout(() => { this.publishOffer() }, this.offerIntervalMs)
  }

  private pruneSeen (now: number): void {
    for (const [id, { expiresAt }] of this.seen) {
      if (expiresAt < now) {
        this.seen.delete(id)
      }
    }
  }

  private now (): number {
    return this.node.clock.now()
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

/** 12 random bytes of the node's random source, base64url (16 characters). */
function randomId (node: HitchNode): string {
  return Buffer.from(node.random(12)).toString('base64url')
}

/**
 * The record with the payment terms in its header. The header is the root of the hash chain,
 * so the events are linked again from it; nobody has signed the record yet.
 */
function withPaymentTerms (record: TripRecord, terms: PaymentTerms): TripRecord {
  const { version: _version, ...header } = record.header
  let next = createTripRecord({ ...header, channelId: terms.channelId.toLowerCase(), amountPaid: terms.amountPaid })
  for (const event of record.events) {
    next = { ...next, events: [...next.events, { ...event, prevHash: recordHash(next) }] }
  }
  return next
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i])
}

