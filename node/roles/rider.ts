/**
 * The rider role: asks for a ride and follows it to the end. Composes the discovery of
 * drivers (`rider-discovery.ts`), the request's publishing (`rider-publish.ts`), the ranking
 * and choice of quotes (`rider-quote.ts`), the negotiation machine of `protocol/`, the direct
 * messages to drivers (`rider-sends.ts`) and the trip with its record (`rider-trip.ts`).
 */
import {
  ANY_RIDE, DEFAULT_ACCEPT_TIMEOUT_MS, DEFAULT_QUOTE_WINDOW_MS, DEFAULT_RIDE_DEADLINE_MS, BindingError, Cancel, checkBinding, choiceEvent, initialRiderState,
  settledRiderState, signBinding, stepRider, tripRecordFromProto, tripRecordToProto
} from '../../protocol/index.js'
import { NoTripRecordError, OffMapError, RideAbortedError, RoleNotStartedError } from './errors.js'
import { TypedEvents } from './events.js'
import { MachineTimers } from './machine-timers.js'
import { DEFAULT_DISCOVERY_DIALS, DEFAULT_DISCOVERY_TIMEOUT_MS, findDrivers } from './rider-discovery.js'
import { rideRequest } from './rider-init.js'
import { DEFAULT_MAX_REPUBLISH_MS, DEFAULT_REPUBLISH_MS, RequestPublisher } from './rider-publish.js'
import { pickQuote, quoteRanking } from './rider-quote.js'
import { reportStep, rideFailure } from './rider-report.js'
import { RiderSends } from './rider-sends.js'
import { TripFollower } from './rider-trip.js'
import { answerAgain } from './trip-record.js'
import type { DiscoveryInit } from './rider-discovery.js'
import type { RideResult, RiderEvents } from './rider-events.js'
import type { RideRequestOptions, RiderInit } from './rider-init.js'
import type { RoleComponents } from './types.js'
import type { TimerHandle } from '../clock/index.js'
import type {
  HitchMessage, IdentityBinding, NegotiationAction, OpenedEnvelope, Quote, QuoteRanking, ReceivedQuote, RiderEvent, RiderState, TripRecord, TripRecordPb
} from '../../protocol/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Wait this long after dropoff for the driver's trip record, clock ms. @default 120_000 */
export const DEFAULT_RECORD_TIMEOUT_MS = 120_000

/** One ride in progress. */
interface Run {
  id: string
  options: RideRequestOptions
  state: RiderState
  rank: QuoteRanking
  pickupNode: number
  /** length of the direct route from pickup to dropoff on our map, metres (fare pro rata) */
  routeM: number
  timers: MachineTimers
  republish?: TimerHandle
  /** drivers found in the DHT by the latest lookup */
  discovered: number
  /** aborted when the ride ends: stops a lookup still running */
  ended: AbortController
  /** the request as first published, to publish again */
  published?: { topic: string, message: HitchMessage }
  recordTimer?: TimerHandle
  /** events are handled one at a time (choose may await the user) */
  queue: Promise<void>
  done: boolean
  resolve: (result: RideResult) => void
  reject: (err: Error) => void
  record?: RideResult
  /** the driver that fitted the exact points (its first trip update came): payments started with it */
  paying?: string
}

/**
 * The rider role: finds drivers of the pickup cell, publishes a signed request (cells only),
 * collects and ranks quotes, accepts the best with the exact points over a direct stream,
 * falls back on decline or silence, follows the trip and countersigns the trip record.
 * Negotiation decisions are the `stepRider` machine's; this class runs its actions.
 */
export class Rider extends TypedEvents<RiderEvents> {
  private readonly node: RoleComponents
  private readonly log: Logger
  private readonly discovery: DiscoveryInit
  private readonly publisher: RequestPublisher<Run>
  private readonly sends: RiderSends<Run>
  private readonly trip: TripFollower
  private readonly recordTimeoutMs: number
  private readonly bindIdentity: boolean
  private readonly requireDriverBinding: boolean
  private readonly runs = new Map<string, Run>()
  private running = false
  private offDirect?: () => void

  constructor (components: RoleComponents, init: RiderInit = {}) {
    super()
    this.node = components
    this.log = components.logger('hitch:rider')
    const republishMs = init.republishMs ?? DEFAULT_REPUBLISH_MS
    this.discovery = {
      node: this.node,
      log: this.log,
      timeoutMs: init.discoveryTimeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS,
      dials: init.discoveryDials ?? DEFAULT_DISCOVERY_DIALS
    }
    this.publisher = new RequestPublisher<Run>({
      node: this.node,
      log: this.log,
      discovery: this.discovery,
      republishMs,
      maxRepublishMs: Math.max(republishMs, init.maxRepublishMs ?? DEFAULT_MAX_REPUBLISH_MS),
      emit: this.emit.bind(this),
      enqueue: (run, task) => { this.enqueue(run, task) }
    })
    this.sends = new RiderSends<Run>({
      node: this.node,
      log: this.log,
      sendTimeoutMs: init.sendTimeoutMs,
      feedLater: (run, event) => { this.feedLater(run, event) }
    })
    this.trip = new TripFollower({
      node: this.node,
      log: this.log,
      payments: components.payments ?? {},
      emit: this.emit.bind(this),
      hook: (requestId, fn) => { this.hook(requestId, fn) }
    })
    this.recordTimeoutMs = init.recordTimeoutMs ?? DEFAULT_RECORD_TIMEOUT_MS
    this.bindIdentity = init.bindIdentity ?? true
    this.requireDriverBinding = init.requireDriverBinding ?? components.payments != null
  }

  /** The peer id this rider asks and signs with (a fresh one per ride with `peerKey: 'fresh'`). */
  get peerId (): string {
    return this.node.peerId
  }

  /** Listen for drivers' messages. Idempotent; its node must be started. */
  async start (options?: AbortOptions): Promise<void> {
    if (this.running) {
      return
    }
    options?.signal?.throwIfAborted()
    this.running = true
    this.offDirect = this.node.onDirect(this.onDirect)
  }

  /** Abandon every ride in progress (telling the drivers) and stop listening. Idempotent; does not stop the node. */
  async stop (_options?: AbortOptions): Promise<void> {
    if (!this.running) {
      return
    }
    for (const run of [...this.runs.values()]) {
      this.finish(run, new RideAbortedError('the rider stopped'), true)
    }
    this.running = false
    this.offDirect?.()
  }

  /**
   * Ask for a ride and follow it to the end: resolves with the doubly signed trip record once
   * the driver dropped the rider off, rejects with {@link NoDriverError} when no driver
   * confirmed within `timeoutMs`, or a {@link RideError} otherwise.
   *
   * One ride per peer id, as `hitch ride` does (`createHitchNode({ peerKey: 'fresh' })`): a
   * driver considers at most a few new requests of one requester in ten minutes
   * (`DEFAULT_REQUESTER_QUOTA`), since more from one key is how a position is probed, so a node
   * that asks for ride after ride under one peer id stops hearing quotes.
   */
  async requestRide (options: RideRequestOptions, abort: AbortOptions = {}): Promise<RideResult> {
    if (!this.running) {
      throw new RoleNotStartedError('start the rider first')
    }
    abort.signal?.throwIfAborted()
    const map = this.node.map
    const pickupSnap = map.snap(options.from.lat, options.from.lon)
    const dropoffSnap = map.snap(options.to.lat, options.to.lon)
    if (pickupSnap == null || dropoffSnap == null) {
      throw new OffMapError('pickup or dropoff is off the map')
    }
    const now = Math.floor(this.now())
    const request = rideRequest(options, Buffer.from(this.node.random(12)).toString('base64url'), now)
    const id = request.requestId
    this.log('ride %s from cell %s to cell %s', id, request.pickupCell, request.dropoffCell)
    this.log.trace('ride %s from %f,%f to %f,%f', id, options.from.lat, options.from.lon, options.to.lat, options.to.lon)

    let resolve!: (result: RideResult) => void
    let reject!: (err: Error) => void
    const promise = new Promise<RideResult>((res, rej) => { resolve = res; reject = rej })
    // the ride may end (stop(), abort) while discovery is still running, before anything awaits
    // the promise: mark it handled now; `return await promise` below still sees the outcome
    promise.catch(() => {})
    const run: Run = {
      id,
      options,
      state: initialRiderState(),
      rank: quoteRanking(options.ranking),
      pickupNode: pickupSnap.node,
      // the driver snaps the same exact points on its map: the same route, the same fare-so-far
      routeM: map.router.route(pickupSnap.node, dropoffSnap.node)?.distanceM ?? 0,
      timers: new MachineTimers(this.node.clock),
      discovered: 0,
      ended: new AbortController(),
      queue: Promise.resolve(),
      done: false,
      resolve,
      reject
    }
    this.runs.set(id, run)
    const onAbort = (): void => { this.feedLater(run, now => ({ type: 'user-cancel', now })) }
    abort.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      // drivers of the cell announce it in the DHT: connect to them so gossip has a path
      // signed now, sent only with the exact points to the driver that confirms
      const binding: IdentityBinding | undefined = this.bindIdentity
        ? await signBinding({ peerId: this.node.peerId, requestId: id, issuedAt: now }, this.node.identity.ethPrivateKeyHex)
        : undefined
      run.discovered = await findDrivers(this.discovery, request.pickupCell, abort)
      if (run.done) return await promise
      this.feedLater(run, now => ({ type: 'request', request, pickup: options.from, dropoff: options.to, ...(binding != null ? { binding } : {}), now }))
      return await promise
    } finally {
      abort.signal?.removeEventListener('abort', onAbort)
      this.runs.delete(id)
    }
  }

  // ---- the machine and its actions -------------------------------------------------------

  private enqueue (run: Run, task: () => Promise<void>): void {
    run.queue = run.queue.then(task).catch(err => {
      this.log.error('ride %s: %e', run.id, err)
      this.emit('error', { requestId: run.id, error: err })
    })
  }

  /** Feeds the machine an event, made with the clock's time when the events before it are handled. */
  private feedLater (run: Run, event: (now: number) => RiderEvent): void {
    this.enqueue(run, async () => { await this.feed(run, event(this.now())) })
  }

  /** Feeds one event to the machine, and runs its actions. */
  private async feed (run: Run, event: RiderEvent): Promise<void> {
    if (run.done) {
      return
    }
    const before = run.state
    const t = stepRider(before, event, {
      quoteWindowMs: run.options.quoteWindowMs ?? DEFAULT_QUOTE_WINDOW_MS,
      acceptTimeoutMs: run.options.acceptTimeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS,
      deadlineMs: run.options.timeoutMs ?? DEFAULT_RIDE_DEADLINE_MS,
      rank: run.rank,
      choose: run.options.choose != null
    })
    run.state = t.state
    if (t.state.phase !== 'choosing') {
      // a pick made: report the step it completed, from the state it was asked in
      if (before.phase === 'choosing' && (event.type === 'chosen' || event.type === 'user-cancel')) {
        this.observe(run, before.prior, t.state, choiceEvent(before, event))
      } else {
        this.observe(run, before, t.state, event)
      }
    }
    await this.execute(run, t.actions)
  }

  /**
   * Asks `choose` among the usable quotes (best first) and feeds the pick back. Events that
   * come meanwhile wait in the ride's queue.
   */
  private async choose (run: Run, quotes: ReceivedQuote[]): Promise<void> {
    const choose = run.options.choose
    const picked = choose != null
      ? await pickQuote(choose, quotes, error => { this.emit('error', { requestId: run.id, error }) })
      : { quoteId: quotes[0].quote.quoteId }
    if (run.done) {
      return
    }
    await this.feed(run, { type: 'chosen', ...(picked != null ? { quoteId: picked.quoteId } : {}), now: this.now() })
  }

  /**
   * Sets the machine's timer `id`. Its event waits its turn in the ride's queue, behind a pick
   * the user takes a while over, say; if the machine set that timer again or cleared it
   * meanwhile, the event is dropped: the timeout of an accept a driver declined must not time
   * out the accept the pick sent next.
   */
  private setTimer (run: Run, id: string, afterMs: number): void {
    run.timers.set(id, afterMs, take => {
      this.enqueue(run, async () => {
        if (take()) await this.feed(run, { type: 'timer', id, now: this.now() })
      })
    })
  }

  /** Events for what a step changed, and the ride's end when it ended. */
  private observe (run: Run, before: RiderState, after: RiderState, event: RiderEvent): void {
    if (reportStep(this, run.id, before, after, event)) {
      // every quote failed: ask again, drivers whose plans changed may quote anew
      this.publisher.askAgain(run)
    }
    const failure = rideFailure(after)
    if (failure != null) {
      this.finish(run, failure)
    }
    if (after.phase === 'completed' && before.phase !== 'completed') {
      // the record follows the dropoff: wait for it, not forever
      run.recordTimer = this.node.clock.setTimeout(() => {
        if (run.record == null) {
          this.finish(run, new NoTripRecordError('no trip record arrived after the dropoff'))
        }
      }, this.recordTimeoutMs)
    }
  }

  private async execute (run: Run, actions: NegotiationAction[]): Promise<void> {
    for (const action of actions) {
      switch (action.type) {
        case 'publish':
          await this.publisher.request(run, action.topic, action.message)
          break
        case 'send':
          if (action.message.type === 'accept') {
            this.emit('accepted', { requestId: run.id, driver: action.to, quoteId: action.message.body.quoteId })
            this.sends.accept(run, action.to, action.message)
          } else if (action.message.type === 'reveal') {
            this.sends.reveal(run, action.to, action.message)
          } else {
            this.sends.send(action.to, action.message)
              .catch(err => { this.log('sending %s to %s failed - %e', action.message.type, action.to, err) })
          }
          break
        case 'set-timer':
          this.setTimer(run, action.id, action.afterMs)
          break
        case 'clear-timer':
          run.timers.clear(action.id)
          break
        case 'choose':
          await this.choose(run, action.quotes)
          break
        case 'pick-lost':
          this.emit('pick-lost', { requestId: run.id, quoteId: action.quoteId, reason: action.reason, askAgain: action.askAgain })
          break
        default:
          // driver-only actions
          break
      }
    }
  }

  // ---- direct messages -------------------------------------------------------------------

  private readonly onDirect = async (from: string, envelope: OpenedEnvelope): Promise<HitchMessage | undefined> => {
    const message = envelope.message
    const now = this.now()
    switch (message.type) {
      case 'quote':
        this.route(message.body.requestId, async run => {
          if (await this.driverBindingHolds(run, from, message.body)) {
            await this.feed(run, { type: 'quote', from, quote: message.body, now: this.now() })
          }
        })
        return undefined
      case 'confirm':
        this.route(message.body.requestId, run => this.feed(run, { type: 'confirm', from, confirm: message.body, now }))
        return undefined
      case 'decline':
        this.route(message.body.requestId, run => this.feed(run, { type: 'decline', from, decline: message.body, now }))
        return undefined
      case 'cancel':
        this.route(message.body.requestId, run => this.feed(run, { type: 'cancel', from, cancel: message.body, now }))
        return undefined
      case 'trip-update':
        this.route(message.body.requestId, async run => {
          this.trip.update(run, from, message.body)
          await this.feed(run, { type: 'trip-update', from, update: message.body, now })
        })
        return undefined
      case 'trip-record':
        return this.onRecord(from, message.body)
      default:
        return undefined
    }
  }

  /**
   * Whether a quote's driver binding holds (or the rider does not need one): it names the
   * quote's sender, for every ride, signed by the address it names, within its lifetime.
   */
  private async driverBindingHolds (run: Run, from: string, quote: Quote): Promise<boolean> {
    if (quote.binding == null && !this.requireDriverBinding) return true
    try {
      await checkBinding(quote.binding, { peerId: from, requestId: ANY_RIDE, now: this.now() })
      return true
    } catch (err: any) {
      if (!(err instanceof BindingError)) throw err
      this.log('refusing the quote %s of %s: %s', quote.quoteId, from, err.code)
      this.emit('quote-refused', { requestId: run.id, driver: from, quoteId: quote.quoteId, reason: err.code })
      return false
    }
  }

  private route (requestId: string, task: (run: Run) => Promise<void>): void {
    const run = this.runs.get(requestId)
    if (run != null && !run.done) {
      this.enqueue(run, async () => { await task(run) })
    }
  }

  /** Verifies the driver's record against the ride, countersigns and stores it; answers with it. */
  private async onRecord (from: string, pb: TripRecordPb): Promise<HitchMessage | undefined> {
    let record: TripRecord
    try {
      record = tripRecordFromProto(pb)
    } catch {
      return undefined
    }
    const run = this.runs.get(record.header.rideId)
    if (run == null || run.done) {
      return await answerAgain(this.node, from, record)
    }
    const result = await this.trip.record(run, from, record)
    if (result == null) {
      return undefined
    }
    this.finish(run, result)
    return { type: 'trip-record', body: tripRecordToProto(result.record) }
  }

  // ---- helpers ---------------------------------------------------------------------------

  private finish (run: Run, outcome: RideResult | Error, cancel = false): void {
    if (run.done) {
      return
    }
    if (cancel && run.state.phase !== 'completed') {
      const s = settledRiderState(run.state)
      const driver = s.phase === 'accepting' ? s.current.from : s.phase === 'confirmed' || s.phase === 'in-trip' ? s.driver.from : undefined
      if (driver != null) {
        this.sends.send(driver, { type: 'cancel', body: { requestId: run.id, reason: Cancel.Reason.RIDER_CANCELLED, note: '' } }).catch(() => {})
      }
    }
    run.done = true
    run.ended.abort()
    run.timers.clearAll()
    this.publisher.stop(run)
    if (run.recordTimer != null) this.node.clock.clearTimeout(run.recordTimer)
    if (outcome instanceof Error) {
      run.reject(outcome)
    } else {
      run.resolve(outcome)
    }
  }

  private hook (requestId: string, fn: () => void | Promise<void>): void {
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
