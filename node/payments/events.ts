import type { Hex } from 'viem'

/** The events of `RiderPayments` and `DriverPayments` (`--json` lines of the CLI). */
export interface PaymentEvents {
  /**
   * A state was co-signed for a ride. Rider: after each payment; driver: when a rider's
   * payment raised what the channel pays it.
   */
  paid: {
    requestId: string
    channelId: Hex
    nonce: bigint
    /** what the channel pays the driver in all (cumulative across rides), wei */
    totalWei: bigint
    /** the part of this ride's fare paid so far, wei */
    rideWei: bigint
    /** the final state of the ride: the whole fare, with the trip record hash */
    final: boolean
  }
  /** Driver: a rider fell behind by more than allowed; its ride is cancelled. */
  'non-payment': {
    requestId: string
    rider: string
    channelId?: Hex
    /** wei owed for the distance reported to the rider beyond what it paid */
    arrearsWei: bigint
    allowanceWei: bigint
  }
  error: { requestId?: string, error: Error }
}
