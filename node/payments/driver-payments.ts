/**
 * The driver's side of being paid for rides through a `ChannelManager`.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { logger as createLogger } from '@libp2p/logger'
import { rideKey } from '../../protocol/index.js'
import { TypedEvents } from '../roles/index.js'
import { DEFAULT_PAY_EVERY_M } from './rider-payments.js'
import { toWei } from './units.js'
import type { PaymentEvents } from './events.js'
import type { ChannelManager, ChannelSummary } from '../channel/index.js'
import type { PaymentHooks, PaymentTerms, RideInfo } from '../roles/index.js'
import type { Logger } from '@libp2p/interface'
import type { Hex } from 'viem'

/**
 * A rider may owe this many steps of `payEveryM` beyond what it paid before it is dropped.
 * @default 2
 */
export const DEFAULT_MAX_ARREARS_STEPS = 2

/**
 * How long a rider may stay beyond its allowance before it is dropped, in ms of the channel
 * manager's clock: a payment held up on the network (a phone in a tunnel, a congested link)
 * is not taken for a refusal to pay.
 * @default 20_000
 */
export const DEFAULT_ARREARS_GRACE_MS = 20_000

/** Rides remembered after their dropoff (for the record terms), most recent first. */
const MAX_FINISHED_RIDES = 1_000

/** Options of {@link DriverPayments}. */
export interface DriverPaymentsInit {
  /** the driver node's channel manager (started) */
  manager: ChannelManager
  /**
   * The step riders pay in, metres aboard (sets the default allowance).
   * @default DEFAULT_PAY_EVERY_M (250)
   */
  payEveryM?: number
  /**
   * Most wei a rider may owe beyond what it paid, for the distance already reported to it.
   * @default DEFAULT_MAX_ARREARS_STEPS (2) steps' worth of the ride's fare (fare × payEveryM / route)
   */
  maxArrearsWei?: bigint
  /**
   * Close the channel of a rider dropped for non-payment (co-operatively, or unilaterally when
   * it does not answer; finalized after the challenge period by the manager).
   * @default true
   */
  closeOnNonPayment?: boolean
  /**
   * How long a rider may owe more than `maxArrearsWei` before it is dropped, in ms of the
   * manager's clock; it is dropped at the first progress report after that.
   * @default DEFAULT_ARREARS_GRACE_MS (20 s)
   */
  graceMs?: number
  /** @default 'hitch:payments' logger */
  log?: Logger
}

interface ServedRide {
  info: RideInfo
  fareWei: bigint
  channelId?: Hex
  /** what the channel had to pay the driver before this ride, wei */
  baseWei?: bigint
  /** this ride's fare for the distance last reported to the rider, wei */
  owedWei: bigint
  behind: boolean
  /** manager clock ms at which the rider was first seen beyond its allowance (cleared when it caught up) */
  beyondSince?: number
  queue: Promise<unknown>
}

/**
 * The driver's `PaymentHooks`: follows each ride's channel (the one its rider opened with this
 * driver, found by the rider's address: riders use a fresh peer id per ride, and bind it to the
 * address that pays on the direct stream, so a channel's peer id says nothing about which ride
 * it pays for), records what the rider owes as the car moves (`ChannelManager.setOwed`), and declares
 * a rider `isBehind` when what it owes for the distance reported at the previous update has
 * exceeded what it paid by more than `maxArrearsWei` for `graceMs`: the rider had a whole update,
 * and the grace period, to pay for it. The
 * trip record's header names the channel and the total its final state pays.
 */
export class DriverPayments extends TypedEvents<PaymentEvents> implements PaymentHooks {
  readonly manager: ChannelManager
  private readonly payEveryM: number
  private readonly maxArrearsWei?: bigint
  private readonly closeOnNonPayment: boolean
  private readonly graceMs: number
  private readonly log: Logger
  /** by ride key (rider peer id and request id) */
  private readonly rides = new Map<string, ServedRide>()
  private readonly offUpdated: () => void

  constructor (init: DriverPaymentsInit) {
    super()
    this.manager = init.manager
    this.payEveryM = init.payEveryM ?? DEFAULT_PAY_EVERY_M
    if (!(this.payEveryM > 0)) throw new InvalidParametersError('payEveryM must be > 0')
    if (init.maxArrearsWei != null) this.maxArrearsWei = init.maxArrearsWei
    this.closeOnNonPayment = init.closeOnNonPayment ?? true
    this.graceMs = init.graceMs ?? DEFAULT_ARREARS_GRACE_MS
    if (!(this.graceMs >= 0)) throw new InvalidParametersError('graceMs must be >= 0')
    this.log = init.log ?? createLogger('hitch:payments')
    this.offUpdated = this.manager.on('channel:updated', ({ channelId, cosigned }) => {
      const payer = this.manager.getChannel(channelId)?.counterparty
      for (const ride of this.rides.values()) {
        if (ride.channelId == null && payer != null && sameAddress(ride.info.riderAddress, payer)) {
          // the first state of a ride pays nothing new: what it pays is what came before
          ride.channelId = channelId
          ride.baseWei = cosigned.state.balanceDriver
        }
        if (ride.channelId?.toLowerCase() !== channelId.toLowerCase() || ride.baseWei == null) continue
        const rideWei = cosigned.state.balanceDriver - ride.baseWei
        this.emit('paid', {
          requestId: ride.info.requestId, channelId, nonce: cosigned.state.nonce, totalWei: cosigned.state.balanceDriver,
          rideWei, final: rideWei >= ride.fareWei
        })
      }
    })
  }

  /** Stops following the manager's events. */
  stop (): void {
    this.offUpdated()
  }

  readonly onAccepted = (ride: RideInfo): void => {
    const served: ServedRide = { info: ride, fareWei: toWei(ride.price, ride.currency), owedWei: 0n, behind: false, queue: Promise.resolve() }
    const open = this.openChannelOf(ride.riderAddress)
    if (open != null) {
      // a channel reused from earlier rides: this ride's amounts come on top of what they owe
      served.channelId = open.channelId
      served.baseWei = open.paidToDriver + open.arrears
    }
    this.rides.set(keyOf(ride), served)
    while (this.rides.size > MAX_FINISHED_RIDES) this.rides.delete(this.rides.keys().next().value!)
  }

  readonly onProgress = async (ride: RideInfo, _distanceM: number, fareSoFar: string): Promise<void> => {
    const served = this.rides.get(keyOf(ride))
    if (served == null) return
    await this.enqueue(served, async () => {
      this.link(served)
      const allowance = this.allowance(served)
      const arrears = served.owedWei - this.paidForRide(served)
      const now = this.manager.clock.now()
      if (arrears <= allowance) {
        served.beyondSince = undefined
      } else {
        served.beyondSince ??= now
      }
      if (!served.behind && served.beyondSince != null && now - served.beyondSince >= this.graceMs) {
        served.behind = true
        this.log('rider %s of %s owes %d wei beyond %d', ride.rider, ride.requestId, arrears, allowance)
        this.emit('non-payment', {
          requestId: ride.requestId, rider: ride.rider, arrearsWei: arrears, allowanceWei: allowance,
          ...(served.channelId != null ? { channelId: served.channelId } : {})
        })
        if (this.closeOnNonPayment && served.channelId != null) this.closeInBackground(served.channelId, ride.requestId)
        return
      }
      const due = toWei(fareSoFar, ride.currency)
      served.owedWei = due > served.fareWei ? served.fareWei : due
      if (served.channelId != null && served.baseWei != null) await this.setOwed(served.channelId, served.baseWei + served.owedWei)
    })
  }

  readonly isBehind = (ride: RideInfo): boolean => this.rides.get(keyOf(ride))?.behind === true

  readonly onDropoff = async (ride: RideInfo): Promise<void> => {
    const served = this.rides.get(keyOf(ride))
    if (served == null) return
    await this.enqueue(served, async () => {
      this.link(served)
      served.owedWei = served.fareWei
      if (served.channelId != null && served.baseWei != null) await this.setOwed(served.channelId, served.baseWei + served.fareWei)
    })
  }

  readonly recordTerms = async (ride: RideInfo): Promise<PaymentTerms | undefined> => {
    const served = this.rides.get(keyOf(ride))
    if (served == null) return undefined
    await served.queue
    this.link(served)
    if (served.channelId == null || served.baseWei == null) return undefined
    return { channelId: served.channelId.toLowerCase(), amountPaid: String(served.baseWei + served.fareWei) }
  }

  /** The channel a ride (of rider `rider`) is paid through, once the rider opened it. */
  channelOf (requestId: string, rider: string): Hex | undefined {
    const served = this.rides.get(rideKey(rider, requestId))
    if (served != null) this.link(served)
    return served?.channelId
  }

  /** Links a ride to its rider's channel once the rider's first state made it known. */
  private link (served: ServedRide): void {
    if (served.channelId != null) return
    const open = this.openChannelOf(served.info.riderAddress)
    if (open == null) return
    served.channelId = open.channelId
    // first seen during this ride (its first state was missed): what it paid comes before
    served.baseWei = open.paidToDriver
  }

  private paidForRide (served: ServedRide): bigint {
    if (served.channelId == null || served.baseWei == null) return 0n
    const paid = (this.manager.getChannel(served.channelId)?.paidToDriver ?? 0n) - served.baseWei
    return paid > 0n ? paid : 0n
  }

  private allowance (served: ServedRide): bigint {
    if (this.maxArrearsWei != null) return this.maxArrearsWei
    const routeM = served.info.routeM ?? 0
    if (!(routeM > 0)) return served.fareWei
    const step = served.fareWei * BigInt(Math.round(this.payEveryM)) / BigInt(Math.max(1, Math.round(routeM)))
    const allowed = step * BigInt(DEFAULT_MAX_ARREARS_STEPS)
    return allowed > served.fareWei ? served.fareWei : allowed
  }

  /**
   * The open channel the address `rider` (the ride's bound payment address) funds with this
   * driver. None without a bound address: an unbound ride is never credited with a channel.
   */
  private openChannelOf (rider: string | undefined): ChannelSummary | undefined {
    if (rider == null) return undefined
    return this.manager.listChannels().find(c => c.role === 'driver' && c.phase === 'open' && sameAddress(rider, c.counterparty))
  }

  private async setOwed (channelId: Hex, totalWei: bigint): Promise<void> {
    try {
      await this.manager.setOwed(channelId, totalWei)
    } catch (err) {
      this.log('recording what %s owes failed - %e', channelId, err)
    }
  }

  private closeInBackground (channelId: Hex, requestId: string): void {
    this.manager.close(channelId).catch(err => {
      this.emit('error', { requestId, error: err as Error })
    })
  }

  private async enqueue (served: ServedRide, task: () => Promise<void>): Promise<void> {
    const next = served.queue.then(task)
    served.queue = next.catch(() => {})
    await next
  }
}

function keyOf (ride: RideInfo): string {
  return rideKey(ride.rider, ride.requestId)
}

function sameAddress (a: string | undefined, b: string): boolean {
  return a != null && a.toLowerCase() === b.toLowerCase()
}
