/** The channel the machine's and the rules' tests start from: its parties, id, signatures and states. */
import { newChannel, ZERO_HASH, type Channel, type ChannelState, type CoSignedState } from '../../../../protocol/channel/index.js'
import type { Address, Hex } from 'viem'

export const RIDER: Address = '0x1111111111111111111111111111111111111111'
export const DRIVER: Address = '0x2222222222222222222222222222222222222222'
export const OTHER: Address = '0x3333333333333333333333333333333333333333'
export const ID: Hex = `0x${'ab'.repeat(32)}`
export const SIG_R: Hex = `0x${'01'.repeat(65)}`
export const SIG_D: Hex = `0x${'02'.repeat(65)}`

/** The state of nonce `nonce` paying the driver `toDriver` out of `deposit`. */
export function state (nonce: bigint, toDriver: bigint, deposit = 1000n): ChannelState {
  return { channelId: ID, nonce, balanceRider: deposit - toDriver, balanceDriver: toDriver, tripRecordHash: ZERO_HASH }
}

/** A fresh channel of 1000 wei as `role` sees it, with `extra` over it. */
export function channel (role: 'rider' | 'driver', extra: Partial<Channel> = {}): Channel {
  return { ...newChannel({ channelId: ID, role, rider: RIDER, driver: DRIVER, peer: 'peer', deposit: 1000n }), ...extra }
}

export const cosigned = (s: ChannelState): CoSignedState => ({ state: s, riderSig: SIG_R, driverSig: SIG_D })
