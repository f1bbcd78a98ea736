/**
 * Following a ride a driver confirmed: the driver's trip updates as the rider's events and
 * payments, and the trip record the driver signs at the dropoff, checked and countersigned.
 */
import { TripUpdate, recordHash, toHex } from '../../protocol/index.js'
import { fareSoFar } from '../../matching/index.js'
import { BadTripRecordError } from './errors.js'
import { PHASES } from './rider-events.js'
import { rideInfo, toRiderQuote } from './rider-quote.js'
import { countersignRecord, recordProblem } from './trip-record.js'
import type { TypedEvents } from './events.js'
import type { RideResult, RiderEvents, RiderUpdate } from './rider-events.js'
import type { PaymentHooks } from './types.js'
import type { HitchNode } from '../hitch-node.js'
import type { RiderState, TripRecord } from '../../protocol/index.js'
import type { Logger } from '@libp2p/interface'

/** What following the trip needs of a ride in progress. */
export interface FollowedRide {
  readonly id: string
  readonly state: RiderState
  readonly pickupNode: number
  /** length of the direct route from pickup to dropoff on our map, metres (fare pro rata) */
  readonly routeM: number
  record?: RideResult
  /** the driver that fitted the exact points (its first trip update came): payments started with it */
  paying?: string
}

/** Options of {@link TripFollower}. */
export interface TripFollowerInit {
  node: Pick<HitchNode, 'map' | 'clock' | 'peerId' | 'ethAddress' | 'peerKey' | 'store'>
  log: Logger
  payments: PaymentHooks
  /** reports `update`, `completed` and a bad record's `error` */
  emit: TypedEvents<RiderEvents>['emit']
  /** runs a payment hook; its failure is an `error` event */
  hook: (requestId: string, fn: () => void | Promise<void>) => void
}

/** Reports the trip of a confirmed ride, pays for it as it goes, and countersigns its record. */
export class TripFollower {
  private readonly init: TripFollowerInit

  constructor (init: TripFollowerInit) {
    this.init = init
  }

  /** A trip update of the ride's driver: an `update` event, and the payment it calls for. */
  update (run: FollowedRide, from: string, update: TripUpdate): void {
    const { node, payments } = this.init
    const s = run.state
    if ((s.phase !== 'confirmed' && s.phase !== 'in-trip') || s.driver.from !== from || update.position == null) {
      return
    }
    if (run.paying !== from) {
      // the driver fitted the exact points (it cancels instead when they do not fit): only now
      // is a channel opened or topped up, not for a driver that gives up at the reveal
      run.paying = from
      this.init.hook(run.id, () => payments.onAccepted?.(rideInfo(s.driver, node.peerId, s.ride.request.seats, run.routeM)))
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
      const at = node.map.snap(update.position.lat, update.position.lon)
      const seconds = at == null ? Infinity : node.map.router.time(at.node, run.pickupNode)
      if (Number.isFinite(seconds)) {
        detail.pickupEta = Math.round(node.clock.now() + seconds * 1000)
      }
    }
    this.init.log.trace('update %s %s at %f,%f', run.id, detail.phase, detail.position.lat, detail.position.lon)
    this.init.emit('update', detail)
    if (s.phase === 'in-trip' && update.phase === TripUpdate.Phase.POSITION) {
      // pay for the distance the driver reports: both sides derive the same fare-so-far from it
      // (a timer would pay for time, and go on paying for a car that stopped); the amount is
      // capped at the fare, so an inflated distance cannot cost more than the quote
      const soFar = fareSoFar(Number(s.driver.quote.price), update.distanceM, run.routeM)
      this.init.hook(run.id, () => payments.onProgress?.(rideInfo(s.driver, node.peerId, s.ride.request.seats, run.routeM), update.distanceM, String(soFar)))
    }
  }

  /**
   * Verifies the driver's record against the ride, countersigns and stores it, and reports the
   * ride `completed` (and the dropoff to the payments): resolves with the ride's result, or
   * `undefined` when the record is not one to sign.
   */
  async record (run: FollowedRide, from: string, record: TripRecord): Promise<RideResult | undefined> {
    const { node, payments } = this.init
    const s = run.state
    if (s.phase !== 'completed' && s.phase !== 'in-trip') {
      this.init.emit('error', { requestId: run.id, error: new BadTripRecordError(`no trip in progress (${s.phase})`) })
      return undefined
    }
    const driver = s.driver
    const info = rideInfo(driver, node.peerId, s.ride.request.seats, run.routeM)
    const problem = await recordProblem(record, from, {
      rideId: run.id,
      driver: driver.from,
      rider: node.peerId,
      riderAddress: node.ethAddress,
      ...(info.driverAddress != null ? { driverAddress: info.driverAddress } : {}),
      quote: driver.quote,
      terms: async () => await payments.recordTerms?.(info)
    })
    if (problem != null) {
      this.init.emit('error', { requestId: run.id, error: new BadTripRecordError(problem) })
      return undefined
    }
    const countersigned = await countersignRecord(node, run.id, from, record, driver.quote)
    if (countersigned == null) {
      return undefined
    }
    const { signed, json } = countersigned
    const result: RideResult = { requestId: run.id, driver: from, quote: toRiderQuote(driver), record: signed, json }
    run.record = result
    const hash: `0x${string}` = `0x${toHex(recordHash(signed))}`
    this.init.hook(run.id, () => payments.onDropoff?.(info, driver.quote.price, hash))
    this.init.emit('completed', result)
    return result
  }
}
