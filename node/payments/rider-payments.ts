/**
 * The rider's side of paying for rides through a `ChannelManager`.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { TypedEvents, ethAddressOfPeer } from '../roles/index.js'
import { NoChannelError, UnknownRideError } from './errors.js'
import { toWei } from './units.js'
import type { PaymentEvents } from './events.js'
import type { ChannelManager } from '../channel/index.js'
import type { PaymentHooks, PaymentTerms, RideInfo } from '../roles/index.js'
import type { CoSignedState } from '../../protocol/channel/index.js'
import type { Hex } from 'viem'

/**
 * Pay a step every this many metres driven with the rider aboard.
 * @default 250
 */
export const DEFAULT_PAY_EVERY_M = 250

/** Options of {@link RiderPayments}. */
export interface RiderPaymentsInit {
  /** the rider node's channel manager (started) */
  manager: ChannelManager
  /**
   * Sign a state for the distance covered every this many metres aboard.
   * @default DEFAULT_PAY_EVERY_M (250)
   */
  payEveryM?: number
}

/** The outcome of a ride's payment: the last co-signed state, paying the whole fare. */
export interface RidePayment {
  requestId: string
  channelId: Hex
  /** wei the channel paid the driver before this ride */
  baseWei: bigint
  /** wei of this ride's fare */
  fareWei: bigint
  /** the co-signed state that settles the ride (carries the trip record hash) */
  final: CoSignedState
}

interface PaidRide {
  info: RideInfo
  fareWei: bigint
  /** resolves once the channel is open and the driver acknowledged it */
  ready: Promise<{ channelId: Hex, baseWei: bigint }>
  /** payments of this ride, one after the other */
  queue: Promise<unknown>
  /** the last distance step paid for */
  step: number
  /** the highest total paid for this ride so far, wei */
  paidWei: bigint
  settled: Promise<RidePayment>
  resolve: (p: RidePayment) => void
  reject: (err: unknown) => void
}

/**
 * The rider's `PaymentHooks`: at confirm, reuses the open channel with the driver (topping it
 * up) or opens one with a deposit covering the fare, and signs a first state that pays nothing
 * new, so the driver learns the channel before the car moves; while aboard, pays the fare due
 * for the distance covered every `payEveryM` metres; after dropoff, the final state pays the
 * whole fare and carries the trip record's hash. Amounts on a channel are cumulative across
 * rides: a ride's states pay what earlier rides paid plus this ride's fare so far.
 */
export class RiderPayments extends TypedEvents<PaymentEvents> implements PaymentHooks {
  readonly manager: ChannelManager
  private readonly payEveryM: number
  private readonly rides = new Map<string, PaidRide>()

  constructor (init: RiderPaymentsInit) {
    super()
    this.manager = init.manager
    this.payEveryM = init.payEveryM ?? DEFAULT_PAY_EVERY_M
    if (!(this.payEveryM > 0)) throw new InvalidParametersError('payEveryM must be > 0')
  }

  readonly onAccepted = (ride: RideInfo): Promise<void> => {
    const fareWei = toWei(ride.price, ride.currency)
    let resolve!: (p: RidePayment) => void
    let reject!: (err: unknown) => void
    const settled = new Promise<RidePayment>((res, rej) => { resolve = res; reject = rej })
    settled.catch(() => {})
    const ready = this.open(ride, fareWei)
    ready.catch(() => {})
    const paid: PaidRide = { info: ride, fareWei, ready, queue: ready, step: 0, paidWei: 0n, settled, resolve, reject }
    this.rides.set(ride.requestId, paid)
    return ready.then(() => {}, err => {
      paid.reject(err)
      throw err
    })
  }

  readonly onProgress = async (ride: RideInfo, distanceM: number, fareSoFar: string): Promise<void> => {
    const paid = this.rides.get(ride.requestId)
    if (paid == null) return
    // one state per step of distance crossed; the driver reports every ~250 m of its own
    const step = Math.floor(distanceM / this.payEveryM)
    if (step <= paid.step) return
    paid.step = step
    const due = toWei(fareSoFar, ride.currency)
    await this.enqueue(paid, async ({ channelId, baseWei }) => {
      const rideWei = due > paid.fareWei ? paid.fareWei : due
      if (rideWei <= paid.paidWei) return
      const cosigned = await this.manager.pay(channelId, baseWei + rideWei)
      paid.paidWei = rideWei
      this.emit('paid', { requestId: ride.requestId, channelId, nonce: cosigned.state.nonce, totalWei: cosigned.state.balanceDriver, rideWei, final: false })
    })
  }

  readonly onDropoff = async (ride: RideInfo, _fare: string, tripRecordHash?: `0x${string}`): Promise<void> => {
    const paid = this.rides.get(ride.requestId)
    if (paid == null) return
    try {
      await this.enqueue(paid, async ({ channelId, baseWei }) => {
        const final = await this.manager.pay(channelId, baseWei + paid.fareWei, tripRecordHash != null ? { tripRecordHash } : {})
        paid.paidWei = paid.fareWei
        this.emit('paid', { requestId: ride.requestId, channelId, nonce: final.state.nonce, totalWei: final.state.balanceDriver, rideWei: paid.fareWei, final: true })
        paid.resolve({ requestId: ride.requestId, channelId, baseWei, fareWei: paid.fareWei, final })
      })
    } catch (err) {
      paid.reject(err)
      throw err
    }
  }

  readonly recordTerms = async (ride: RideInfo): Promise<PaymentTerms | undefined> => {
    const paid = this.rides.get(ride.requestId)
    if (paid == null) return undefined
    try {
      const { channelId, baseWei } = await paid.ready
      return { channelId: channelId.toLowerCase(), amountPaid: String(baseWei + paid.fareWei) }
    } catch {
      return undefined
    }
  }

  /**
   * Resolves once the ride's final state (the whole fare, the trip record hash) is co-signed;
   * rejects if the ride's channel could not be opened or the final payment failed.
   */
  async settled (requestId: string): Promise<RidePayment> {
    const paid = this.rides.get(requestId)
    if (paid == null) throw new UnknownRideError(`no payment for ride ${requestId}`)
    return await paid.settled
  }

  /** The channel that pays a ride, once it is open. */
  async channelOf (requestId: string): Promise<Hex> {
    const paid = this.rides.get(requestId)
    if (paid == null) throw new UnknownRideError(`no payment for ride ${requestId}`)
    return (await paid.ready).channelId
  }

  /** Forgets a finished ride. */
  forget (requestId: string): void {
    this.rides.delete(requestId)
  }

  private async open (ride: RideInfo, fareWei: bigint): Promise<{ channelId: Hex, baseWei: bigint }> {
    // the quote's binding named it; an earlier version's secp256k1 peer id is its own binding
    const driverAddress = ride.driverAddress ?? ethAddressOfPeer(ride.driver)
    if (driverAddress == null) throw new NoChannelError(`driver ${ride.driver} bound no payment address to its peer id`)
    let channel
    try {
      channel = await this.manager.ensureChannel(ride.driver, driverAddress as Hex, fareWei)
    } catch (err) {
      throw new NoChannelError(`could not open a channel with ${ride.driver}: ${(err as Error).message}`, { cause: err })
    }
    // what earlier rides promised the driver on this channel (`available` is what is left)
    const baseWei = channel.deposit - channel.available
    // a state that pays nothing new: the driver learns the channel (from the chain) now, and
    // an unreachable driver shows before the trip, not at its end
    const first = await this.manager.pay(channel.channelId, baseWei)
    this.emit('paid', { requestId: ride.requestId, channelId: channel.channelId, nonce: first.state.nonce, totalWei: first.state.balanceDriver, rideWei: 0n, final: false })
    return { channelId: channel.channelId, baseWei }
  }

  private async enqueue (paid: PaidRide, task: (ch: { channelId: Hex, baseWei: bigint }) => Promise<void>): Promise<void> {
    const next = paid.queue.then(async () => { await task(await paid.ready) })
    paid.queue = next.catch(() => {})
    await next
  }
}
