/**
 * What a fleet (`fleet.ts`: the peers of a simulated run, or of one share of a `libp2p`-mode
 * run) keeps of its peers as the roles report it: per driver, its trips, load and distance
 * driven, and what quoting on cells cost; per rider, the outcome of its request and the
 * tallies; per node, its network counters.
 */
import { NoDriverError } from '../node/index.js'
import { servedRideFacts } from './records.js'
import type { RideResult, Rider } from '../node/index.js'
import type { DriverPeer as HitchDriverPeer } from '../node/index.js'
import type { DriverTrip, RiderOutcome } from './share.js'
import type { TripRequest } from './demand.js'
import type { VehicleRecord } from './vehicle.js'
import type { Logger } from '@libp2p/interface'

/** One driver of a share: its peer, and what it did */
export interface DriverPeer {
  index: number
  /** the whole peer (its node, role, channels and payments, when paid), stopped at the end */
  peer: HitchDriverPeer
  /** requests aboard now (a pickup while one is aboard pools both) */
  aboard: Set<string>
  served: number
  /** what this driver saw of each ride, by request id */
  trips: Map<string, DriverTrip>
}

/** What quoting on cells cost the drivers of a fleet */
export interface QuotingTally {
  /** at each reveal, the exact plan's pickup less the quoted minutes, seconds */
  revealDelays: number[]
  /** why each confirmed ride its driver cancelled was cancelled (not for non-payment) */
  cancelledConfirmed: string[]
}

/** The note of what quoting on cells cost, or null when no ride was revealed */
export function quotingNote (q: QuotingTally): string | null {
  if (q.revealDelays.length === 0) return null
  const sorted = [...q.revealDelays].sort((a, b) => a - b)
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length
  const cancelled = q.cancelledConfirmed
  return `quoting on cells: at the reveal, the exact plan picks up ${mean.toFixed(0)} s later than the quoted minutes on average ` +
    `(p50 ${sorted[sorted.length >> 1].toFixed(0)} s, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(0)} s, over ${sorted.length} rides; ` +
    `negative: earlier); ${cancelled.length} confirmed rides cancelled by their driver${cancelled.length > 0 ? ` (${[...new Set(cancelled)].join(', ')})` : ''}`
}

/**
 * Follows `driver`'s events into a new {@link DriverPeer}: its trips (pickup, dropoff,
 * pooling, in simulated seconds from `zero()`), the seats of its requests, the distance
 * it drove empty, occupied and per passenger, and into `quoting` its reveals and cancellations.
 */
export function watchDriver (index: number, hitch: HitchDriverPeer, zero: () => number, quoting: QuotingTally): DriverPeer {
  const { node, driver } = hitch
  const trips = new Map<string, DriverTrip>()
  const peer: DriverPeer = { index, peer: hitch, aboard: new Set(), served: 0, trips }
  const trip = (requestId: string): DriverTrip => {
    let t = trips.get(requestId)
    if (t == null) {
      t = { requestId, driver: node.peerId, pickupTimeS: null, dropoffTimeS: null, pooled: false }
      trips.set(requestId, t)
    }
    return t
  }
  driver.on('pickup', ({ requestId, time }) => {
    trip(requestId).pickupTimeS = (time - zero()) / 1000
    if (peer.aboard.size > 0) {
      for (const other of [...peer.aboard, requestId]) trip(other).pooled = true
    }
    peer.aboard.add(requestId)
  })
  driver.on('dropoff', ({ requestId, time }) => {
    peer.aboard.delete(requestId)
    peer.served++
    trip(requestId).dropoffTimeS = (time - zero()) / 1000
  })
  driver.on('revealed', ({ quotedPickupMinutes, exactPickupS }) => { quoting.revealDelays.push(exactPickupS - quotedPickupMinutes * 60) })
  driver.on('cancelled', ({ reason }) => { if (reason !== 'non-payment') quoting.cancelledConfirmed.push(reason) })
  return peer
}

/** The vehicle record of a driver at the end of the run */
export function vehicleOf (d: DriverPeer): VehicleRecord {
  const { emptyM, occupiedM, passengerM } = d.peer.driver.odometer
  return {
    id: d.peer.node.peerId,
    kmEmpty: emptyM / 1000,
    kmOccupied: occupiedM / 1000,
    passengerKm: passengerM / 1000,
    ridesServed: d.served
  }
}

/** The riders of a share: each request's outcome, and how many finished, were served or gave up */
export class RiderBook {
  readonly outcomes: RiderOutcome[]
  finished = 0
  served = 0
  cancelled = 0

  constructor (requests: readonly TripRequest[]) {
    this.outcomes = requests.map(r => ({
      index: r.index, requestId: null, status: 'cancelled', assignTimeS: null, matchWallMs: null, pickupTimeS: null, dropoffTimeS: null, fareCents: null, vehicle: null
    }))
  }

  /**
   * Follows `rider`'s events into `outcome` (the confirmation, the pickup and dropoff times in
   * simulated seconds from `at.zero()`) and logs the rest of its negotiation.
   */
  watch (rider: Rider, outcome: RiderOutcome, req: TripRequest, at: { asked: number, simS: () => number, zero: () => number }, log: Logger): void {
    rider.on('confirmed', ({ requestId, driver }) => {
      outcome.requestId = requestId
      outcome.assignTimeS = at.simS()
      outcome.matchWallMs = performance.now() - at.asked
      outcome.vehicle = driver
      outcome.status = 'unfinished'
    })
    rider.on('requested', ({ drivers, recipients }) => { log('rider %d: request published, %d drivers in the topic, %d recipients', req.index, drivers, recipients) })
    rider.on('quote', ({ quote }) => { log('rider %d: quote from %s', req.index, quote.driver) })
    rider.on('accepted', ({ driver }) => { log('rider %d: accepted the quote of %s', req.index, driver) })
    rider.on('fallback', ({ from, to }) => { log('rider %d: falling back from %s to %s', req.index, from, to) })
    rider.on('declined', ({ driver, reason }) => { log('rider %d: %s declined (%s)', req.index, driver, reason) })
    rider.on('error', ({ error }) => { log('rider %d: error - %e', req.index, error) })
    rider.on('update', ({ phase, time }) => {
      if (phase === 'picked-up' && outcome.pickupTimeS == null) outcome.pickupTimeS = (time - at.zero()) / 1000
      if (phase === 'dropped-off') outcome.dropoffTimeS = (time - at.zero()) / 1000
    })
  }

  /** The rider's ride was served: `result` is what `requestRide` returned */
  async recordServed (outcome: RiderOutcome, result: RideResult, simS: () => number, paid: boolean): Promise<void> {
    outcome.status = 'served'
    outcome.requestId = result.requestId
    Object.assign(outcome, await servedRideFacts(result, paid))
    outcome.dropoffTimeS ??= simS()
    this.served++
  }

  /** The rider's request failed: no driver took it, or an error ended it (a confirmed ride stays unfinished) */
  recordFailure (outcome: RiderOutcome, req: TripRequest, err: unknown, log: Logger): void {
    if (err instanceof NoDriverError) {
      outcome.status = 'cancelled'
      this.cancelled++
    } else {
      log('rider %d failed - %e', req.index, err)
      if (outcome.status !== 'unfinished') {
        outcome.status = 'cancelled'
        this.cancelled++
      }
    }
  }
}
