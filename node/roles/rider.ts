/**
 * The rider role: asks for a ride and follows it to the end. Composes the discovery of
 * drivers (`rider-discovery.ts`), the ranking of quotes (`rider-quote.ts`), the negotiation
 * machine of `protocol/` and the trip-record exchange (`trip-record.ts`).
 */
import {
  Decline, DEFAULT_ACCEPT_TIMEOUT_MS, DEFAULT_MAX_TTL_MS, DEFAULT_QUOTE_WINDOW_MS, DEFAULT_RIDE_DEADLINE_MS, TripUpdate,
  Cancel, cellOf, initialRiderState, recordHash, renewRequest, signBinding, stepRider, toHex, tripRecordFromProto, tripRecordToProto
} from '../../protocol/index.js'
import { fareSoFar } from '../../matching/index.js'
import { DEFAULT_CURRENCY } from './driver.js'
import { NoDriverError, RideError } from './errors.js'
import { TypedEvents } from './events.js'
import { MachineTimers } from './machine-timers.js'
import { DEFAULT_DISCOVERY_DIALS, DEFAULT_DISCOVERY_TIMEOUT_MS, findDrivers } from './rider-discovery.js'
import { PHASES } from './rider-events.js'
import { aboutToChoose, quoteRanking, rideInfo, toRiderQuote } from './rider-quote.js'
import { answerAgain, countersignRecord, recordProblem } from './trip-record.js'
import type { DiscoveryInit } from './rider-discovery.js'
import type { RideResult, RiderEvents, RiderUpdate } from './rider-events.js'
import type { RiderQuote } from './rider-quote.js'
import type { LatLonPoint, PaymentHooks } from './types.js'
import type { HitchNode } from '../hitch-node.js'
import type { TimerHandle } from '../clock/index.js'
import type {
  HitchMessage, IdentityBinding, NegotiationAction, OpenedEnvelope, QuoteRanking, RideRequest, RiderEvent, RiderState, TripRecord, TripRecordPb
} from '../../protocol/index.js'
import type { RankingPrefs } from '../../matching/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** @default 600_000 (10 minutes, clock ms) */
export const DEFAULT_MAX_WAIT_MS = 600_000
/** Re-publish the request this often while collecting quotes, clock ms. @default 2000 */
export const DEFAULT_REPUBLISH_MS = 2_000
/**
 * Once the quote window has passed without a usable quote, the rider keeps asking with the
 * interval doubling up to this, clock ms (each copy also widens the drivers' quoting reach).
 * @default 30_000
 */
export const DEFAULT_MAX_REPUBLISH_MS = 30_000
/** Wait this long after dropoff for the driver's trip record, clock ms. @default 120_000 */
export const DEFAULT_RECORD_TIMEOUT_MS = 120_000
/** Tries to deliver the exact points to the driver that confirmed before giving up. */
const REVEAL_ATTEMPTS = 3
/** Clock ms before the second try of the reveal (then twice that). */
const REVEAL_RETRY_MS = 1_000
/** No price ceiling: the largest amount validation accepts is far above any fare. */
const NO_CEILING = '1000000000000000000000000'

/** One ride to ask for. */
export interface RideRequestOptions {
  from: LatLonPoint
  to: LatLonPoint
  /** @default 1 */
  seats?: number
  /** longest wait for pickup, clock ms. @default DEFAULT_MAX_WAIT_MS (10 min) */
  maxWaitMs?: number
  /** price ceiling, integer units of `currency`. @default no ceiling */
  maxPrice?: string | number | bigint
  /** @default DEFAULT_CURRENCY ('usd-cent') */
  currency?: string
  /** collect quotes this long before choosing, clock ms. @default DEFAULT_QUOTE_WINDOW_MS (3 s) */
  quoteWindowMs?: number
  /** how long a driver has to confirm an accept, clock ms. @default DEFAULT_ACCEPT_TIMEOUT_MS (5 s) */
  acceptTimeoutMs?: number
  /** give up with {@link NoDriverError} when no driver confirmed by then, clock ms. @default DEFAULT_RIDE_DEADLINE_MS (30 s) */
  timeoutMs?: number
  /** how quotes are weighed (price, wait). @default matching's DEFAULT_RANKING */
  ranking?: RankingPrefs
  /**
   * Interactive pick among the usable quotes (best first). Return the one to accept, or
   * `undefined` to give up the ride. Called for the first pick and for each fallback.
   *
   * @default the best by `rankQuotes`
   */
  choose?: (quotes: RiderQuote[]) => Promise<RiderQuote | undefined>
}

/** Options of {@link Rider}. */
export interface RiderInit {
  node: HitchNode
  /** @default none */
  payments?: PaymentHooks
  /** @default DEFAULT_REPUBLISH_MS (2 s, clock) */
  republishMs?: number
  /** longest re-publish interval after the quote window, clock ms. @default DEFAULT_MAX_REPUBLISH_MS (30 s) */
  maxRepublishMs?: number
  /** @default DEFAULT_DISCOVERY_TIMEOUT_MS (5 s, clock) */
  discoveryTimeoutMs?: number
  /** most drivers of the pickup cell to connect to. @default DEFAULT_DISCOVERY_DIALS (16) */
  discoveryDials?: number
  /** @default DEFAULT_RECORD_TIMEOUT_MS (2 min, clock) */
  recordTimeoutMs?: number
  /** timeout of each direct message to a driver, real ms. @default the network's (10 s) */
  sendTimeoutMs?: number
  /**
   * Send the driver that confirmed an identity binding with the exact points: the node's
   * payment key (`node.identity`) signs that it stands behind this ride's peer id, so the trip
   * record names the rider's address and the driver can match the rider's channel to the ride.
   * Paying riders need it; a rider that does not pay may leave it out, and its record names no
   * address.
   *
   * @default true
   */
  bindIdentity?: boolean
}

/** One ride in progress. */
interface Run {
  id: string
  options: RideRequestOptions
  state: RiderState
  rank: QuoteRanking
  /** the quote `choose` picked, put first by `rank` */
  preferred?: string
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
  readonly node: HitchNode
  private readonly log: Logger
  private readonly payments: PaymentHooks
  private readonly republishMs: number
  private readonly maxRepublishMs: number
  private readonly discovery: DiscoveryInit
  private readonly recordTimeoutMs: number
  private readonly sendTimeoutMs?: number
  private readonly bindIdentity: boolean
  private readonly runs = new Map<string, Run>()
  private running = false
  private offDirect?: () => void

  constructor (init: RiderInit) {
    super()
    this.node = init.node
    this.log = init.node.logger('hitch:rider')
    this.payments = init.payments ?? {}
    this.republishMs = init.republishMs ?? DEFAULT_REPUBLISH_MS
    this.maxRepublishMs = Math.max(this.republishMs, init.maxRepublishMs ?? DEFAULT_MAX_REPUBLISH_MS)
    this.discovery = {
      node: this.node,
      log: this.log,
      timeoutMs: init.discoveryTimeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS,
      dials: init.discoveryDials ?? DEFAULT_DISCOVERY_DIALS
    }
    this.recordTimeoutMs = init.recordTimeoutMs ?? DEFAULT_RECORD_TIMEOUT_MS
    this.sendTimeoutMs = init.sendTimeoutMs
    this.bindIdentity = init.bindIdentity ?? true
  }

  /** Listen for drivers' messages. Idempotent; starts the node if needed. */
  async start (): Promise<void> {
    if (this.running) {
      return
    }
    await this.node.start()
    this.running = true
    this.offDirect = this.node.onDirect(this.onDirect)
  }

  /** Abandon every ride in progress (telling the drivers) and stop listening. Idempotent; does not stop the node. */
  async stop (): Promise<void> {
    if (!this.running) {
      return
    }
    for (const run of [...this.runs.values()]) {
      this.finish(run, new RideError('ERR_RIDE_ABORTED', 'the rider stopped'), true)
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
      throw new RideError('ERR_NOT_STARTED', 'start the rider first')
    }
    abort.signal?.throwIfAborted()
    const map = this.node.map
    const pickupSnap = map.snap(options.from.lat, options.from.lon)
    const dropoffSnap = map.snap(options.to.lat, options.to.lon)
    if (pickupSnap == null || dropoffSnap == null) {
      throw new RideError('ERR_OFF_MAP', 'pickup or dropoff is off the map')
    }
    const now = Math.floor(this.now())
    const timeoutMs = options.timeoutMs ?? DEFAULT_RIDE_DEADLINE_MS
    const request: RideRequest = {
      requestId: Buffer.from(this.node.random(12)).toString('base64url'),
      pickupCell: cellOf(options.from.lat, options.from.lon),
      dropoffCell: cellOf(options.to.lat, options.to.lon),
      seats: options.seats ?? 1,
      latestPickupAt: now + (options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS),
      maxPrice: options.maxPrice != null ? String(options.maxPrice) : NO_CEILING,
      expiresAt: now + Math.min(timeoutMs, DEFAULT_MAX_TTL_MS),
      currency: options.currency ?? DEFAULT_CURRENCY
    }
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
    run.rank = quoteRanking(options.ranking, () => run.preferred)
    this.runs.set(id, run)
    const onAbort = (): void => { this.enqueue(run, async () => { await this.feed(run, { type: 'user-cancel', now: this.now() }) }) }
    abort.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      // drivers of the cell announce it in the DHT: connect to them so gossip has a path
      // signed now, sent only with the exact points to the driver that confirms
      const binding: IdentityBinding | undefined = this.bindIdentity
        ? await signBinding({ peerId: this.node.peerId, requestId: id, issuedAt: now }, this.node.identity.ethPrivateKeyHex)
        : undefined
      run.discovered = await findDrivers(this.discovery, request.pickupCell, abort)
      if (run.done) return await promise
      this.enqueue(run, async () => {
        await this.feed(run, { type: 'request', request, pickup: options.from, dropoff: options.to, ...(binding != null ? { binding } : {}), now: this.now() })
      })
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

  /** Feeds one event to the machine (asking `choose` first when it is about to pick a quote). */
  private async feed (run: Run, event: RiderEvent): Promise<void> {
    if (run.done) {
      return
    }
    if (run.options.choose != null) {
      const candidates = aboutToChoose(run.state, run.id, event, quoteRanking(run.options.ranking))
      if (candidates != null && candidates.length > 0) {
        let picked: RiderQuote | undefined | null
        try {
          picked = await run.options.choose(candidates.map(q => toRiderQuote(q)))
        } catch (err: any) {
          // a failing chooser must not stall the ride: fall back to the ranking
          this.emit('error', { requestId: run.id, error: err })
          picked = toRiderQuote(candidates[0])
        }
        if (run.done) {
          return
        }
        if (picked == null) {
          event = { type: 'user-cancel', now: this.now() }
        } else {
          run.preferred = picked.quoteId
        }
        event = { ...event, now: this.now() }
      }
    }
    const before = run.state
    const t = stepRider(before, event, {
      quoteWindowMs: run.options.quoteWindowMs ?? DEFAULT_QUOTE_WINDOW_MS,
      acceptTimeoutMs: run.options.acceptTimeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS,
      deadlineMs: run.options.timeoutMs ?? DEFAULT_RIDE_DEADLINE_MS,
      rank: run.rank
    })
    run.state = t.state
    this.observe(run, before, t.state, event)
    await this.execute(run, t.actions)
  }

  /** Events for what a step changed. */
  private observe (run: Run, before: RiderState, after: RiderState, event: RiderEvent): void {
    const id = run.id
    if (event.type === 'quote' && (after.phase === 'requested' || after.phase === 'accepting') && after !== before) {
      this.emit('quote', { requestId: id, quote: toRiderQuote({ from: event.from, quote: event.quote, at: event.now }) })
    }
    if (event.type === 'decline' && before.phase === 'accepting' && event.from === before.current.from) {
      this.emit('declined', { requestId: id, driver: event.from, reason: String(event.decline.reason) })
    }
    const driverBefore = before.phase === 'accepting' ? before.current.from : before.phase === 'confirmed' ? before.driver.from : undefined
    if ((before.phase === 'confirmed' || before.phase === 'in-trip') && event.type === 'cancel' && event.from === before.driver.from) {
      // the driver had the exact points when it cancelled: say so
      this.emit('cancelled', { requestId: id, driver: event.from, note: event.cancel.note, afterReveal: true })
    }
    if (driverBefore != null && (after.phase === 'accepting' || after.phase === 'requested') &&
      (after.phase === 'requested' || after.current.from !== driverBefore)) {
      this.emit('fallback', { requestId: id, from: driverBefore, to: after.phase === 'accepting' ? after.current.from : undefined })
      if (after.phase === 'requested' && run.published != null) {
        // every quote failed: ask again, drivers whose plans changed may quote anew
        this.scheduleRepublish(run, run.published.topic, run.published.message)
      }
    }
    if (after.phase === 'confirmed' && before.phase !== 'confirmed') {
      this.emit('confirmed', { requestId: id, driver: after.driver.from, pickupEta: after.pickupEta, pickupMinutes: Math.max(0, Math.round((after.pickupEta - event.now) / 60_000)) })
    }
    if (after.phase === 'failed') {
      this.finish(run, after.reason === 'no-driver'
        ? new NoDriverError()
        : after.reason === 'driver-unreachable'
          ? new RideError('ERR_DRIVER_UNREACHABLE', 'the exact points could not be delivered to the driver that confirmed')
          : new RideError('ERR_DRIVER_CANCELLED', `the driver cancelled the ride after it was sent the exact points${after.note != null && after.note !== '' ? ` (${after.note})` : ''}`))
    }
    if (after.phase === 'cancelled') {
      this.finish(run, new RideError('ERR_RIDE_ABORTED', 'the ride was cancelled'))
    }
    if (after.phase === 'completed' && before.phase !== 'completed') {
      // the record follows the dropoff: wait for it, not forever
      run.recordTimer = this.node.clock.setTimeout(() => {
        if (run.record == null) {
          this.finish(run, new RideError('ERR_NO_TRIP_RECORD', 'no trip record arrived after the dropoff'))
        }
      }, this.recordTimeoutMs)
    }
  }

  private async execute (run: Run, actions: NegotiationAction[]): Promise<void> {
    for (const action of actions) {
      switch (action.type) {
        case 'publish':
          await this.publish(run, action.topic, action.message)
          if (action.message.type === 'ride-request') {
            run.published = { topic: action.topic, message: action.message }
            this.scheduleRepublish(run, action.topic, action.message)
          }
          break
        case 'send':
          if (action.message.type === 'accept') {
            this.emit('accepted', { requestId: run.id, driver: action.to, quoteId: action.message.body.quoteId })
            this.sendAccept(run, action.to, action.message)
          } else if (action.message.type === 'reveal') {
            this.sendReveal(run, action.to, action.message)
          } else {
            this.node.send(action.to, action.message, this.sendOptions())
              .catch(err => { this.log('sending %s to %s failed - %e', action.message.type, action.to, err) })
          }
          break
        case 'set-timer': {
          const id = action.id
          run.timers.set(id, action.afterMs, () => {
            this.enqueue(run, async () => { await this.feed(run, { type: 'timer', id, now: this.now() }) })
          })
          break
        }
        case 'clear-timer':
          run.timers.clear(action.id)
          break
        case 'recheck':
          // a driver-only action
          break
      }
    }
  }

  /**
   * Sends an accept. The answer comes later as a confirm or decline; a driver that cannot be
   * reached counts as a decline, so the rider falls back at once instead of waiting out the
   * accept timeout.
   */
  private sendAccept (run: Run, driver: string, message: HitchMessage): void {
    if (message.type !== 'accept') {
      return
    }
    const { requestId, quoteId } = message.body
    this.node.send(driver, message, this.sendOptions()).catch(err => {
      this.log('accept to %s failed, falling back - %e', driver, err)
      this.enqueue(run, async () => {
        await this.feed(run, { type: 'decline', from: driver, decline: { requestId, quoteId, reason: Decline.Reason.OTHER }, now: this.now() })
      })
    })
  }

  /**
   * Sends the exact points to the driver that confirmed, again when a send fails, up to
   * {@link REVEAL_ATTEMPTS} times; then the ride fails as `driver-unreachable`.
   */
  private sendReveal (run: Run, driver: string, message: HitchMessage): void {
    void (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.node.send(driver, message, this.sendOptions())
          return
        } catch (err) {
          if (run.done) return
          if (attempt >= REVEAL_ATTEMPTS) {
            this.log('the exact points did not reach %s - %e', driver, err)
            this.enqueue(run, async () => { await this.feed(run, { type: 'unreachable', from: driver, now: this.now() }) })
            return
          }
        }
        try {
          await this.node.clock.sleep(REVEAL_RETRY_MS * attempt, { signal: run.ended.signal })
        } catch {
          return
        }
      }
    })()
  }

  private async publish (run: Run, topic: string, message: HitchMessage): Promise<void> {
    try {
      const { recipients } = await this.node.publish(topic, message)
      if (message.type === 'ride-request') {
        this.emit('requested', {
          requestId: run.id, pickupCell: message.body.pickupCell, dropoffCell: message.body.dropoffCell,
          discovered: run.discovered, drivers: this.node.network.topicPeers(topic).length, recipients
        })
      }
    } catch (err: any) {
      this.log('publishing %s failed - %e', message.type, err)
    }
  }

  /**
   * Meshes form on heartbeats: re-publish (newly signed) while the rider is collecting quotes,
   * every `republishMs` during the quote window, then backing off (doubling up to
   * `maxRepublishMs`) while no usable quote came. While no peer of the pickup cell's topic is
   * known (the first lookup ran before the DHT had peers, or found drivers that left), the
   * drivers are looked up again first.
   */
  private scheduleRepublish (run: Run, topic: string, message: HitchMessage, delayMs: number = this.republishMs): void {
    if (run.republish != null) {
      this.node.clock.clearTimeout(run.republish)
    }
    run.republish = this.node.clock.setTimeout(() => {
      run.republish = undefined
      // until the rider accepts a quote: a driver that missed the first copy (not yet in the
      // topic's mesh) can still quote, and drivers ignore copies of a request they have seen
      if (run.done || run.state.phase !== 'requested') {
        return
      }
      this.enqueue(run, async () => {
        if (run.done || run.state.phase !== 'requested') {
          return
        }
        if (message.type === 'ride-request' && this.node.network.topicPeers(topic).length === 0) {
          run.discovered = await findDrivers(this.discovery, message.body.pickupCell, { signal: run.ended.signal })
          if (run.done || run.state.phase !== 'requested') {
            return
          }
        }
        const copy: HitchMessage = message.type === 'ride-request'
          ? { type: 'ride-request', body: renewRequest(message.body, run.state.ride.deadlineAt, this.now()) }
          : message
        run.published = { topic, message: copy }
        await this.publish(run, topic, copy)
        const s = run.state
        this.scheduleRepublish(run, topic, copy, s.phase === 'requested' && s.windowClosed ? Math.min(2 * delayMs, this.maxRepublishMs) : this.republishMs)
      })
    }, delayMs)
  }

  // ---- direct messages -------------------------------------------------------------------

  private readonly onDirect = async (from: string, envelope: OpenedEnvelope): Promise<HitchMessage | undefined> => {
    const message = envelope.message
    const now = this.now()
    switch (message.type) {
      case 'quote':
        this.route(message.body.requestId, run => this.feed(run, { type: 'quote', from, quote: message.body, now }))
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
          this.onUpdate(run, from, message.body)
          await this.feed(run, { type: 'trip-update', from, update: message.body, now })
        })
        return undefined
      case 'trip-record':
        return this.onRecord(from, message.body)
      default:
        return undefined
    }
  }

  private route (requestId: string, task: (run: Run) => Promise<void>): void {
    const run = this.runs.get(requestId)
    if (run != null && !run.done) {
      this.enqueue(run, async () => { await task(run) })
    }
  }

  private onUpdate (run: Run, from: string, update: TripUpdate): void {
    const s = run.state
    if ((s.phase !== 'confirmed' && s.phase !== 'in-trip') || s.driver.from !== from || update.position == null) {
      return
    }
    if (run.paying !== from) {
      // the driver fitted the exact points (it cancels instead when they do not fit): only now
      // is a channel opened or topped up, not for a driver that gives up at the reveal
      run.paying = from
      this.hook(run, () => this.payments.onAccepted?.(rideInfo(s.driver, this.node.peerId, s.ride.request.seats, run.routeM)))
    }
    const detail: RiderUpdate = {
      requestId: run.id,
      driver: from,
      phase: PHASES[update.phase] ?? 'position',
      position: { lat: update.position.lat, lon: update.position.lon },
      time: update.time,
      distanceM: update.distanceM
    }
    if (s.phase === 'confirmed') {
      const at = this.node.map.snap(update.position.lat, update.position.lon)
      const seconds = at == null ? Infinity : this.node.map.router.time(at.node, run.pickupNode)
      if (Number.isFinite(seconds)) {
        detail.pickupEta = Math.round(this.now() + seconds * 1000)
      }
    }
    this.log.trace('update %s %s at %f,%f', run.id, detail.phase, detail.position.lat, detail.position.lon)
    this.emit('update', detail)
    if (s.phase === 'in-trip' && update.phase === TripUpdate.Phase.POSITION) {
      // pay for the distance the driver reports: both sides derive the same fare-so-far from it
      // (a timer would pay for time, and go on paying for a car that stopped); the amount is
      // capped at the fare, so an inflated distance cannot cost more than the quote
      const soFar = fareSoFar(Number(s.driver.quote.price), update.distanceM, run.routeM)
      this.hook(run, () => this.payments.onProgress?.(rideInfo(s.driver, this.node.peerId, s.ride.request.seats, run.routeM), update.distanceM, String(soFar)))
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
    const s = run.state
    if (s.phase !== 'completed' && s.phase !== 'in-trip') {
      this.emit('error', { requestId: run.id, error: new RideError('ERR_BAD_TRIP_RECORD', `no trip in progress (${s.phase})`) })
      return undefined
    }
    const driver = s.driver
    const info = rideInfo(driver, this.node.peerId, s.ride.request.seats, run.routeM)
    const problem = await recordProblem(record, from, {
      driver: driver.from,
      rider: this.node.peerId,
      riderAddress: this.node.ethAddress,
      quote: driver.quote,
      terms: async () => await this.payments.recordTerms?.(info)
    })
    if (problem != null) {
      this.emit('error', { requestId: run.id, error: new RideError('ERR_BAD_TRIP_RECORD', problem) })
      return undefined
    }
    const countersigned = await countersignRecord(this.node, run.id, from, record, driver.quote)
    if (countersigned == null) {
      return undefined
    }
    const { signed, json } = countersigned
    const result: RideResult = { requestId: run.id, driver: from, quote: toRiderQuote(driver), record: signed, json }
    run.record = result
    const hash: `0x${string}` = `0x${toHex(recordHash(signed))}`
    this.hook(run, () => this.payments.onDropoff?.(info, driver.quote.price, hash))
    this.emit('completed', result)
    this.finish(run, result)
    return { type: 'trip-record', body: tripRecordToProto(signed) }
  }

  // ---- helpers ---------------------------------------------------------------------------

  private finish (run: Run, outcome: RideResult | Error, cancel = false): void {
    if (run.done) {
      return
    }
    if (cancel && run.state.phase !== 'completed') {
      const s = run.state
      const driver = s.phase === 'accepting' ? s.current.from : s.phase === 'confirmed' || s.phase === 'in-trip' ? s.driver.from : undefined
      if (driver != null) {
        this.node.send(driver, { type: 'cancel', body: { requestId: run.id, reason: Cancel.Reason.RIDER_CANCELLED, note: '' } }, this.sendOptions()).catch(() => {})
      }
    }
    run.done = true
    run.ended.abort()
    run.timers.clearAll()
    if (run.republish != null) this.node.clock.clearTimeout(run.republish)
    if (run.recordTimer != null) this.node.clock.clearTimeout(run.recordTimer)
    if (outcome instanceof Error) {
      run.reject(outcome)
    } else {
      run.resolve(outcome)
    }
  }

  private hook (run: Run, fn: () => void | Promise<void>): void {
    try {
      Promise.resolve(fn()).catch(err => { this.emit('error', { requestId: run.id, error: err }) })
    } catch (err: any) {
      this.emit('error', { requestId: run.id, error: err })
    }
  }

  private sendOptions (): { timeoutMs?: number } {
    return this.sendTimeoutMs != null ? { timeoutMs: this.sendTimeoutMs } : {}
  }

  private now (): number {
    return this.node.clock.now()
  }
}
