import { rideKey } from '../../protocol/index.js'
import type { Clock, TimerHandle } from '../clock/index.js'
import type { RideRequest } from '../../protocol/index.js'
import { InvalidParametersError } from '@libp2p/interface'

/**
 * Insertion checks a driver runs per second of its clock on the requests it hears. An honest
 * city driver hears a few requests a second; a check costs tens of microseconds, so this bounds
 * the work a flood can cause without slowing honest service. @default 50
 */
export const DEFAULT_CHECKS_PER_S = 50
/** Requesters (peer ids) with a request waiting for a check; beyond, new requesters are dropped. @default 1024 */
export const DEFAULT_MAX_WAITING = 1_024
/** Requests (rider, request id) remembered as heard. @default 8192 */
export const DEFAULT_MAX_SEEN = 8_192
/** Requests remembered per requester; its oldest gives way. @default 8 */
export const DEFAULT_MAX_SEEN_PER_REQUESTER = 8
/**
 * New requests (distinct ids) a driver considers from one requester per window. A rider asks
 * with one id per ride (and a fresh key per ride); more from one key within a few minutes is
 * probing. @default 4
 */
export const DEFAULT_REQUESTER_QUOTA = 4
/** The window of {@link DEFAULT_REQUESTER_QUOTA}, clock ms. @default 600_000 */
export const DEFAULT_REQUESTER_WINDOW_MS = 600_000
/** Requesters whose quota is remembered. @default 8192 */
const MAX_REQUESTERS = 8_192
/** Seen requests are pruned of expired ones at most this often, clock ms. */
const PRUNE_EVERY_MS = 1_000

/** What the driver remembers of a request it heard. */
export interface HeardRequest {
  /** the latest expiry of any copy heard, clock ms */
  expiresAt: number
  /** when the first copy was heard, clock ms (the quoting reach widens from here) */
  firstHeard: number
  /** considered, but neither quoted nor refused for good: a later copy is considered again */
  held: boolean
  /** how many times it was checked (1 on the first check) */
  checks: number
}

/** Options of {@link RequestIntake}. */
export interface RequestIntakeInit {
  clock: Clock
  /** runs the costly check of one request; called at most `checksPerS` times a second */
  consider: (rider: string, request: RideRequest, heard: HeardRequest) => void
  /** whether the driver already has a ride for this key (a quote, or more): then copies are ignored */
  known?: (key: string) => boolean
  /** @default DEFAULT_CHECKS_PER_S */
  checksPerS?: number
  /** @default DEFAULT_MAX_WAITING */
  maxWaiting?: number
  /** @default DEFAULT_MAX_SEEN */
  maxSeen?: number
  /** @default DEFAULT_MAX_SEEN_PER_REQUESTER */
  maxSeenPerRequester?: number
  /** @default DEFAULT_REQUESTER_QUOTA */
  requesterQuota?: number
  /** @default DEFAULT_REQUESTER_WINDOW_MS */
  requesterWindowMs?: number
}

/** Counters of a {@link RequestIntake}. */
export interface RequestIntakeStats {
  /** copies offered */
  heard: number
  /** requests checked (`consider` calls) */
  checked: number
  /** new requests refused: the requester is over its quota */
  overQuota: number
  /** requests dropped: the waiting line was full */
  dropped: number
  /** requesters with a request waiting now */
  waiting: number
  /** requests remembered now */
  seen: number
  /** requesters whose quota is remembered now */
  requesters: number
}

/**
 * What a driver does with the ride requests it hears, before any costly work: it remembers
 * each (rider, request id) once (re-published copies only renew it), refuses a requester's new
 * ids beyond a quota per window, and runs the insertion check of at most `checksPerS` requests
 * per second of its clock. Requests beyond that budget wait in a line with one place per
 * requester (a newer copy replaces the waiting one), served first come first served, so that a
 * flood from one peer or from many fresh keys delays an honest rider by at most one turn of the
 * line, and its re-published request is served when its turn comes. Every map is bounded.
 */
export class RequestIntake {
  private readonly clock: Clock
  private readonly consider: RequestIntakeInit['consider']
  private readonly known: (key: string) => boolean
  private readonly checksPerS: number
  private readonly maxWaiting: number
  private readonly maxSeen: number
  private readonly maxSeenPerRequester: number
  private readonly quota: number
  private readonly windowMs: number
  /** by ride key, oldest first */
  private readonly seen = new Map<string, HeardRequest & { rider: string }>()
  /** requester -> keys it has in `seen` (oldest first) */
  private readonly seenBy = new Map<string, string[]>()
  /** requester -> its new requests in the current window */
  private readonly quotas = new Map<string, { since: number, count: number }>()
  /** requester -> its request waiting for a check, in arrival order */
  private readonly waiting = new Map<string, RideRequest>()
  private tokens: number
  private refilledAt: number
  private lastPrune = -Infinity
  private timer?: TimerHandle
  private readonly counters = { heard: 0, checked: 0, overQuota: 0, dropped: 0 }

  constructor (init: RequestIntakeInit) {
    this.clock = init.clock
    this.consider = init.consider
    this.known = init.known ?? (() => false)
    this.checksPerS = init.checksPerS ?? DEFAULT_CHECKS_PER_S
    this.maxWaiting = init.maxWaiting ?? DEFAULT_MAX_WAITING
    this.maxSeen = init.maxSeen ?? DEFAULT_MAX_SEEN
    this.maxSeenPerRequester = init.maxSeenPerRequester ?? DEFAULT_MAX_SEEN_PER_REQUESTER
    this.quota = init.requesterQuota ?? DEFAULT_REQUESTER_QUOTA
    this.windowMs = init.requesterWindowMs ?? DEFAULT_REQUESTER_WINDOW_MS
    if (!(this.checksPerS > 0) || !(this.maxWaiting >= 1) || !(this.maxSeen >= 1) || !(this.maxSeenPerRequester >= 1) || !(this.quota >= 1)) {
      throw new InvalidParametersError('checksPerS, maxWaiting, maxSeen, maxSeenPerRequester and requesterQuota must be positive')
    }
    this.tokens = this.checksPerS
    this.refilledAt = this.clock.now()
  }

  /** A request heard on gossip (already validated). */
  offer (rider: string, request: RideRequest): void {
    this.counters.heard++
    const now = this.clock.now()
    this.prune(now)
    const key = rideKey(rider, request.requestId)
    let heard = this.seen.get(key)
    if (heard != null) {
      // a rider still asking renews its request's expiry: remember the request as long, so the
      // copy is not taken for a new one (nor its quoting reach started again)
      heard.expiresAt = Math.max(heard.expiresAt, request.expiresAt)
      if (!heard.held || this.known(key)) return
    } else {
      if (this.known(key)) return
      if (!this.withinQuota(rider, now)) {
        this.counters.overQuota++
        return
      }
      heard = { rider, expiresAt: request.expiresAt, firstHeard: now, held: false, checks: 0 }
      this.remember(key, heard)
    }
    if (this.waiting.has(rider)) {
      // its place in the line is kept; the newer copy (or request) is the one checked
      this.waiting.set(rider, request)
    } else if (this.waiting.size >= this.maxWaiting) {
      this.counters.dropped++
      return
    } else {
      this.waiting.set(rider, request)
    }
    this.pump()
  }

  /** Forget a request (declined: if its rider asks again, it is considered afresh). */
  forget (rider: string, requestId: string): void {
    const key = rideKey(rider, requestId)
    if (this.seen.delete(key)) {
      const keys = this.seenBy.get(rider)
      if (keys != null) {
        const i = keys.indexOf(key)
        if (i >= 0) keys.splice(i, 1)
        if (keys.length === 0) this.seenBy.delete(rider)
      }
    }
  }

  /** Stops the pending pump timer and forgets the waiting line. */
  stop (): void {
    if (this.timer != null) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.waiting.clear()
  }

  stats (): RequestIntakeStats {
    return { ...this.counters, waiting: this.waiting.size, seen: this.seen.size, requesters: this.quotas.size }
  }

  /** Checks waiting requests while the budget lasts; wakes up when the next check is due. */
  private pump (): void {
    this.refill()
    while (this.tokens >= 1 && this.waiting.size > 0) {
      const [rider, request] = this.waiting.entries().next().value as [string, RideRequest]
      this.waiting.delete(rider)
      const heard = this.seen.get(rideKey(rider, request.requestId))
      if (heard == null || this.known(rideKey(rider, request.requestId))) continue
      this.tokens--
      this.counters.checked++
      heard.held = false
      heard.checks++
      this.consider(rider, request, heard)
    }
    if (this.waiting.size > 0 && this.timer == null) {
      const waitMs = Math.max(1, Math.ceil((1 - this.tokens) * 1000 / this.checksPerS))
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined
        this.pump()
      }, waitMs)
    }
  }

  private refill (): void {
    const now = this.clock.now()
    const elapsed = now - this.refilledAt
    if (elapsed > 0) {
      this.tokens = Math.min(this.checksPerS, this.tokens + elapsed * this.checksPerS / 1000)
      this.refilledAt = now
    }
  }

  private withinQuota (rider: string, now: number): boolean {
    let q = this.quotas.get(rider)
    if (q == null || now - q.since >= this.windowMs) {
      this.quotas.delete(rider)
      q = { since: now, count: 0 }
      this.quotas.set(rider, q)
      while (this.quotas.size > MAX_REQUESTERS) this.quotas.delete(this.quotas.keys().next().value!)
    }
    if (q.count >= this.quota) return false
    q.count++
    return true
  }

  private remember (key: string, heard: HeardRequest & { rider: string }): void {
    this.seen.set(key, heard)
    let keys = this.seenBy.get(heard.rider)
    if (keys == null) {
      keys = []
      this.seenBy.set(heard.rider, keys)
    }
    keys.push(key)
    while (keys.length > this.maxSeenPerRequester) this.forgetKey(keys[0])
    while (this.seen.size > this.maxSeen) this.forgetKey(this.seen.keys().next().value!)
  }

  private forgetKey (key: string): void {
    const heard = this.seen.get(key)
    if (heard == null) return
    const requestId = key.slice(heard.rider.length + 1)
    this.forget(heard.rider, requestId)
  }

  /** Drops requests whose every copy expired (at most once a second: a flood must not make this O(n) per message). */
  private prune (now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return
    this.lastPrune = now
    for (const [key, heard] of this.seen) {
      if (heard.expiresAt < now) this.forgetKey(key)
    }
  }
}
