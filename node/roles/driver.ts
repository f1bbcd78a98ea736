import {
  BindingError, Cancel, Decline, DEFAULT_MAX_TTL_MS, MAX_SEATS, MIN_SEATS, TripUpdate, appendTripEvent, cellOf, cellTopic, cellsAround, checkBinding,
  diffSubscriptions, initialDriverState, providerKey, recordHash, rideKey, signRecord, stepDriver,
  tripRecordFromProto, tripRecordToJSON, tripRecordToProto, verifyTripRecord
} from '../../protocol/index.js'
import { completeNextStop, fareModel, fareSoFar, moveVehicle, quoteFare } from '../../matching/index.js'
import { CellEstimator } from './cell-estimate.js'
import { equalBytes, startRecord, withPaymentTerms } from './driver-record.js'
import { RideError } from './errors.js'
import { TypedEvents } from './events.js'
import { RequestIntake } from './request-intake.js'
import type { LatLonPoint, PaymentHooks, RideInfo } from './types.js'
import type { HitchGossip, HitchNode } from '../hitch-node.js'
import type { TimerHandle } from '../clock/index.js'
import type { HeardRequest, RequestIntakeStats } from './request-intake.js'
import type {
  Accept, DriverConfig, DriverEvent, DriverState, HitchMessage, NegotiationAction, OpenedEnvelope, Quote, Reveal, RideRequest,
  TripRecord, TripRecordJSON
} from '../../protocol/index.js'
import type { FareModel, InsertionOptions, VehiclePlan } from '../../matching/index.js'
import { InvalidParametersError } from '@libp2p/interface'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Passenger seats of a vehicle when nobody says otherwise (`hitch drive`, a scenario). */
export const DEFAULT_VEHICLE_SEATS = 4

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
/**
 * Longest a driver holds a quote, clock ms; a quote names the request's own expiry, and the
 * driver may give it up sooner (an accept then gets QUOTE_EXPIRED). @default 60_000
 */
export const DEFAULT_QUOTE_TTL_MS = 60_000
/** @default 250 (metres) */
export const DEFAULT_POSITION_EVERY_M = 250
/** Tries to exchange the trip record with the rider before giving up. */
const RECORD_ATTEMPTS = 3
/** Clock ms before the second try of the record exchange (then twice that). */
const RECORD_RETRY_MS = 1_000
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
  /** passenger seats (MIN_SEATS..MAX_SEATS of the protocol: 1..8) */
  seats: number
  /**
   * The fare model, integer cents.
   *
   * @default DEFAULT_FARE of matching/pricing
   */
  fare?: Partial<FareModel>
  /** @default DEFAULT_CURRENCY ('usd-cent') */
  currency?: string
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
  /** longest a quote is held, clock ms. @default DEFAULT_QUOTE_TTL_MS (60 s) */
  quoteTtlMs?: number
  /**
   * How long a confirmed ride waits for the rider's exact points, clock ms.
   * @default DEFAULT_REVEAL_TIMEOUT_MS of protocol/negotiation (60 s)
   */
  revealTimeoutMs?: number
  /** insertion checks per second of clock on heard requests. @default DEFAULT_CHECKS_PER_S (50) */
  checksPerS?: number
  /** new requests considered per requester per `requesterWindowMs`. @default DEFAULT_REQUESTER_QUOTA (4) */
  requesterQuota?: number
  /** @default DEFAULT_REQUESTER_WINDOW_MS (10 min, clock) */
  requesterWindowMs?: number
  /** quotes held at once. @default DEFAULT_MAX_QUOTED of protocol/negotiation (512) */
  maxQuoted?: number
  /**
   * Refuse a ride whose rider sends no identity binding with its exact points (a missing,
   * expired, malformed or mismatched binding is refused always).
   * @default true when `payments` is given (the binding names the address that pays)
   */
  requireBinding?: boolean
  /** send a position update to riders every this many metres driven. @default DEFAULT_POSITION_EVERY_M (250) */
  positionEveryM?: number
  /** limits of insertion (wait, detour). @default matching's defaults */
  insertion?: InsertionOptions
  /** @default DEFAULT_ESTIMATE_SLACK_S (180) */
  estimateSlackS?: number
  /** seconds the car is assumed to need to reach its cell's centre when estimating. @default DEFAULT_CELL_MARGIN_S (120) */
  cellMarginS?: number
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
  /** a quote was sent (its times are whole minutes, estimated from the car's cell) */
  quote: { requestId: string, rider: string, quoteId: string, price: string, currency: string, pickupMinutes: number, dropoffMinutes: number, pooled: boolean }
  /** an accept was rechecked on cells and confirmed: the seats are reserved, the driver is committed */
  confirmed: { requestId: string, rider: string, quoteId: string, price: string, pickupMinutes: number, pooled: boolean }
  /**
   * the committed ride's exact points arrived and were fitted into the plan: what the rider was
   * told on cells, and the pickup the exact plan promises (seconds from now)
   */
  revealed: { requestId: string, rider: string, quotedPickupMinutes: number, exactPickupS: number, riderAddress?: string }
  /** an accept was declined */
  declined: { requestId: string, rider: string, quoteId: string, reason: string }
  pickup: { requestId: string, rider: string, time: number }
  position: DriverPosition
  dropoff: { requestId: string, rider: string, time: number, distanceM: number, fare: string }
  /** the doubly signed trip record was stored */
  'trip-record': { requestId: string, rider: string, record: TripRecordJSON }
  /**
   * the driver cancelled a confirmed ride and dropped its stops: `non-payment`, or (after the
   * reveal) `exact-points-infeasible`, `points-outside-cells` or a binding error code such as
   * `ERR_BINDING_MISSING`
   */
  cancelled: { requestId: string, rider: string, reason: string }
  error: { requestId?: string, error: Error }
}

/** The names of {@link DriverEvents}, for `onAny`. */
export const DRIVER_EVENTS: ReadonlyArray<keyof DriverEvents> = [
  'listening', 'offer', 'request', 'quote', 'confirmed', 'revealed', 'declined', 'pickup', 'position', 'dropoff', 'trip-record', 'cancelled', 'error'
]

/** What the driver keeps about one ride in its plan beyond the negotiation machine. */
interface Trip {
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
  private readonly estimator: CellEstimator
  private readonly intake: RequestIntake
  private readonly machine: DriverConfig
  private readonly requireBinding: boolean
  private readonly quoteNearS: number
  private readonly quoteWidenMs: number
  private readonly payments: PaymentHooks
  private readonly sendTimeoutMs?: number
  private readonly driveSpeedUp: number

  private state: DriverState
  private plan: VehiclePlan
  /** rides in the plan, by ride key */
  private readonly trips = new Map<string, Trip>()
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
    if (!Number.isInteger(init.seats) || init.seats < MIN_SEATS || init.seats > MAX_SEATS) {
      throw new InvalidParametersError(`seats must be an integer in ${MIN_SEATS}..${MAX_SEATS}`)
    }
    this.capacity = init.seats
    this.fare = fareModel(init.fare)
    this.currency = init.currency ?? DEFAULT_CURRENCY
    this.vehicle = init.vehicle ?? ''
    this.offerIntervalMs = init.offerIntervalMs ?? DEFAULT_OFFER_INTERVAL_MS
    if (!(this.offerIntervalMs >= 0)) {
      throw new RangeError('offerIntervalMs must be >= 0')
    }
    this.ring = init.ring ?? DEFAULT_RING
    this.announceRing = Math.min(this.ring, init.announceRing ?? DEFAULT_ANNOUNCE_RING)
    this.quoteTtlMs = Math.min(init.quoteTtlMs ?? DEFAULT_QUOTE_TTL_MS, DEFAULT_MAX_TTL_MS)
    this.positionEveryM = init.positionEveryM ?? DEFAULT_POSITION_EVERY_M
    const insertion: InsertionOptions = init.insertion ?? {}
    this.estimator = new CellEstimator({ map: this.node.map, insertion, slackS: init.estimateSlackS ?? DEFAULT_ESTIMATE_SLACK_S, marginS: init.cellMarginS })
    this.machine = { revealTimeoutMs: init.revealTimeoutMs, maxQuoted: init.maxQuoted }
    this.requireBinding = init.requireBinding ?? init.payments != null
    this.intake = new RequestIntake({
      clock: this.node.clock,
      checksPerS: init.checksPerS,
      requesterQuota: init.requesterQuota,
      requesterWindowMs: init.requesterWindowMs,
      known: key => this.state.rides[key] != null,
      consider: (rider, request, heard) => { this.considerRequest(rider, request, heard) }
    })
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
    this.intake.stop()
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
      // unknown quotes are declined by the machine itself
      this.step({ type: 'accept', from, accept: message.body, now: this.now() })
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
   * Quote a request heard on gossip (its turn in the intake came), if the car can fit it in.
   * Estimated entirely on cells (`CellEstimator`): the quote says nothing finer about where
   * the car is than its cell.
   */
  private considerRequest (rider: string, request: RideRequest, heard: HeardRequest): void {
    const now = this.now()
    const id = request.requestId
    const key = rideKey(rider, id)
    if (this.state.rides[key] != null) {
      return
    }
    if (heard.checks === 1) {
      this.emit('request', { requestId: id, rider, pickupCell: request.pickupCell, dropoffCell: request.dropoffCell, seats: request.seats })
    }
    if (request.currency !== this.currency) {
      this.log('not quoting %s: currency', id)
      return
    }
    if (request.seats > this.state.freeSeats) {
      // seats free up at dropoffs: a later copy is considered again
      heard.held = true
      this.log('not quoting %s: seats', id)
      return
    }
    const estimate = this.estimator.estimate(this.plan, this.cells[0], key, request, now)
    if (!estimate.ok) {
      // the plan changes as the car drives and serves stops: a later copy may fit
      heard.held = estimate.reason !== 'off-map'
      this.log('cannot fit %s: %s', id, estimate.reason)
      return
    }
    const reachS = this.quoteNearS * 2 ** Math.floor((now - heard.firstHeard) / this.quoteWidenMs)
    if (estimate.fromCentreS > reachS) {
      // nearer cars answer first; if the rider is still asking later, this car's turn comes
      heard.held = true
      this.log('holding back %s: pickup in %d min, reach %ds', id, estimate.pickupMinutes, reachS)
      return
    }
    const price = this.price(request, estimate.insertion.shared, estimate.insertion.directTimeS)
    if (price == null || BigInt(price) > BigInt(request.maxPrice)) {
      this.log('not quoting %s: over the price ceiling', id)
      return
    }
    const quote: Quote = {
      requestId: id,
      quoteId: randomId(this.node),
      price,
      // the rider's own expiry: nothing in a quote reads this driver's clock
      expiresAt: request.expiresAt,
      pooled: estimate.insertion.shared,
      currency: this.currency,
      seats: request.seats,
      pickupMinutes: estimate.pickupMinutes,
      dropoffMinutes: estimate.dropoffMinutes
    }
    this.step({ type: 'quote', rider, request, quote, holdUntil: Math.min(request.expiresAt, now + this.quoteTtlMs), now })
    this.emit('quote', {
      requestId: id, rider, quoteId: quote.quoteId, price, currency: quote.currency,
      pickupMinutes: quote.pickupMinutes, dropoffMinutes: quote.dropoffMinutes, pooled: quote.pooled
    })
  }

  // ---- the machine and its actions -------------------------------------------------------

  private step (event: DriverEvent): void {
    const before = this.state
    const t = stepDriver(before, event, this.machine)
    this.state = t.state
    this.execute(t.actions)
    this.afterStep(before)
  }

  /** Notices rides the last step confirmed, and runs their effects. */
  private afterStep (before: DriverState): void {
    for (const [key, ride] of Object.entries(this.state.rides)) {
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
          this.recheck(action.key, action.accept)
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

  /** Re-runs the estimate on cells for an accepted quote (the accept carries no exact point) and answers the machine. */
  private recheck (key: string, accept: Accept): void {
    const now = this.now()
    const ride = this.state.rides[key]
    if (ride == null || accept.seats !== ride.request.seats || ride.request.latestPickupAt < now) {
      this.step({ type: 'recheck-result', key, ok: false, reason: Decline.Reason.INFEASIBLE, now })
      return
    }
    const estimate = this.estimator.estimate(this.plan, this.cells[0], key, ride.request, now)
    if (!estimate.ok) {
      this.step({ type: 'recheck-result', key, ok: false, reason: Decline.Reason.INFEASIBLE, now })
      return
    }
    this.step({ type: 'recheck-result', key, ok: true, pickupMinutes: estimate.pickupMinutes, dropoffMinutes: estimate.dropoffMinutes, now })
  }

  /**
   * The committed ride's exact points arrived: checks the rider's identity binding, then fits
   * the points into the plan from the car's real position. A committed driver may still refuse
   * here, and only here: when the binding is refused, when the points lie outside the cells the
   * rider asked from, or when they cannot be fitted without breaking a promise made to a rider
   * already in the plan (the rider's own limits are kept as confirmed, with the estimate's slack:
   * {@link CellEstimator.fitExact}). The rider then gets a Cancel `DRIVER_CANCELLED` naming why,
   * after it sent the points, sees it as such, and tries another driver.
   */
  private async fit (key: string, rider: string, reveal: Reveal): Promise<void> {
    const ride = this.state.rides[key]
    if (ride?.phase !== 'fitting' || ride.accept == null) return
    const requestId = ride.request.requestId
    let riderAddress: string | undefined
    if (reveal.binding != null || this.requireBinding) {
      try {
        riderAddress = await checkBinding(reveal.binding, { peerId: rider, requestId, now: this.now() })
      } catch (err) {
        if (!(err instanceof BindingError)) throw err
        this.log('refusing the binding of %s: %s', key, err.code)
        this.emit('error', { requestId, error: err })
        this.step({ type: 'fit-result', key, ok: false, note: err.code, now: this.now() })
        return
      }
    }
    // the binding check awaited: the ride may have been cancelled meanwhile
    if (!this.running || this.state.rides[key]?.phase !== 'fitting') return
    const now = this.now()
    const seats = ride.accept.seats
    const fit = this.estimator.fitExact(this.plan, key, { pickup: reveal.pickup!, dropoff: reveal.dropoff! }, ride.request, seats, now, ride.commitment)
    if (!fit.ok) {
      this.log('the exact points of %s do not fit: %s', key, fit.reason)
      this.step({ type: 'fit-result', key, ok: false, note: fit.reason === 'outside-cells' ? 'points-outside-cells' : 'exact-points-infeasible', now })
      return
    }
    const routeM = this.node.map.router.route(fit.pickup, fit.dropoff)?.distanceM ?? 0
    const info: RideInfo = {
      requestId, rider, driver: this.node.peerId, quoteId: ride.quote.quoteId, price: ride.quote.price,
      currency: ride.quote.currency, seats, pooled: ride.quote.pooled, routeM,
      ...(riderAddress != null ? { riderAddress } : {})
    }
    // fitted synchronously on the current plan, so its plan is still current
    this.plan = fit.insertion.plan
    const record = startRecord(info, this.node.ethAddress, now)
    const trip: Trip = { key, info, request: ride.request, record, onboard: false, distanceM: 0, routeM, done: false }
    this.trips.set(key, trip)
    this.step({ type: 'fit-result', key, ok: true, now })
    this.emit('revealed', {
      requestId, rider, quotedPickupMinutes: ride.quote.pickupMinutes, exactPickupS: Math.max(0, fit.insertion.pickupTime - now / 1000),
      ...(riderAddress != null ? { riderAddress } : {})
    })
    this.hook(() => this.payments.onAccepted?.(info), requestId)
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
        // stops are keyed by ride key (rider and request id)
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
            if (this.payments.isBehind?.(trip.info) === true) this.cancelTrip(trip, 'non-payment')
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
    this.step({ type: 'complete', key: trip.key, now: this.now() })
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
      const signed = await signRecord(terms != null ? withPaymentTerms(record, terms) : record, this.node.peerKey, 'driver')
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
      // stored by ride key: another rider naming the same request id cannot overwrite it
      await this.node.store.rides.putTrip({ id: trip.key, ...json })
      const now = Math.floor(this.now())
      await this.node.store.rides.putRide({
        id: trip.key, role: 'driver', counterparty: trip.info.rider, status: 'completed',
        createdAt: record.events[0]?.time ?? now, updatedAt: now, price: trip.info.price, currency: trip.info.currency
      })
      this.emit('trip-record', { requestId, rider: trip.info.rider, record: json })
    } catch (err: any) {
      this.log('trip record of %s failed - %e', requestId, err)
      this.emit('error', { requestId, error: err })
    } finally {
      this.trips.delete(trip.key)
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
   * Cancels a ride in the plan that is not over: tells the rider (Cancel, `DRIVER_CANCELLED`,
   * `reason` as its note), drops its stops from the plan and frees its seats. Returns false
   * when there is no such ride in progress (`rider` picks among rides of several riders that
   * share a request id).
   */
  cancelRide (requestId: string, reason: string, rider?: string): boolean {
    const trip = rider != null
      ? this.trips.get(rideKey(rider, requestId))
      : [...this.trips.values()].find(t => t.info.requestId === requestId && !t.done)
    return trip != null && this.cancelTrip(trip, reason)
  }

  private cancelTrip (trip: Trip, reason: string): boolean {
    if (trip.done || this.trips.get(trip.key) !== trip) {
      return false
    }
    const { requestId, rider } = trip.info
    this.log('cancelling ride %s of %s: %s', requestId, rider, reason)
    this.sendTo(rider, { type: 'cancel', body: { requestId, reason: Cancel.Reason.DRIVER_CANCELLED, note: reason } }, requestId)
    this.dropTrip(trip.key)
    this.emit('cancelled', { requestId, rider, reason })
    this.wake?.()
    return true
  }

  /** Removes a ride's stops from the plan (rider cancelled, stop unreachable) and frees its seats. */
  private dropTrip (key: string): void {
    const stops = this.plan.stops.filter(s => s.requestId !== key)
    const trip = this.trips.get(key)
    const onboard = trip?.onboard === true ? this.plan.onboard - trip.info.seats : this.plan.onboard
    this.plan = { ...this.plan, stops, onboard: Math.max(0, onboard) }
    if (trip != null) {
      trip.done = true
      this.trips.delete(key)
    }
    const phase = this.state.rides[key]?.phase
    if (phase === 'confirmed' || phase === 'fitting' || phase === 'riding') {
      this.step({ type: 'complete', key, now: this.now() })
    }
  }

  // ---- helpers ---------------------------------------------------------------------------

  /** The fare of a request, on its cells' vertices (the exact points are not known when quoting). */
  private price (request: RideRequest, pooled: boolean, directTimeS: number): string | undefined {
    const pickup = this.estimator.vertexOf(request.pickupCell)
    const dropoff = this.estimator.vertexOf(request.dropoffCell)
    if (pickup == null || dropoff == null) return undefined
    const route = this.node.map.router.route(pickup, dropoff)
    return String(quoteFare(this.fare, { directDistanceM: route?.distanceM ?? 0, directDurationS: route?.durationS ?? directTimeS, pooled }))
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
