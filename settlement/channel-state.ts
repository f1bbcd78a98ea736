/**
 * Channel states as EIP-712 typed data: what riders and drivers sign off chain and what the
 * adjudicator `ecrecover`s on chain. Pure: no I/O.
 */
import { hashTypedData, recoverTypedDataAddress, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { SettlementError } from './errors.js'

/** One state of a two-party payment channel, as signed by both parties. */
export interface ChannelState {
  /** the adjudicator's id of the channel */
  channelId: Hex
  /** strictly increasing with each new state; `FINAL_NONCE` marks the co-operative close */
  nonce: bigint
  /** what goes back to the rider (wei) */
  balanceRider: bigint
  /** what the driver has earned (wei) */
  balanceDriver: bigint
  /** hash of the trip record this state settles (zero if none yet) */
  tripRecordHash: Hex
}

/** The chain-specific part of the EIP-712 domain (name "Hitch", version "1" are fixed). */
export interface ChannelDomain {
  chainId: number
  /** the adjudicator contract */
  verifyingContract: Address
}

/** Both parties' signatures over one state (65-byte `r || s || v` hex each). */
export interface ChannelSignatures {
  rider: Hex
  driver: Hex
}

/** The nonce of a state signed only to close the channel co-operatively (`type(uint64).max`). */
export const FINAL_NONCE = (1n << 64n) - 1n

/** The zero hash, for states that settle no trip record yet. */
export const ZERO_HASH: Hex = `0x${'0'.repeat(64)}`

/** The EIP-712 domain name and version the adjudicator uses. */
export const DOMAIN_NAME = 'Hitch'
export const DOMAIN_VERSION = '1'

/** The EIP-712 types of a channel state. */
export const CHANNEL_STATE_TYPES = {
  ChannelState: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'nonce', type: 'uint64' },
    { name: 'balanceRider', type: 'uint256' },
    { name: 'balanceDriver', type: 'uint256' },
    { name: 'tripRecordHash', type: 'bytes32' }
  ]
} as const

/** The full EIP-712 typed data of a state, ready for `signTypedData`/`hashTypedData`. */
export function channelStateTypedData (state: ChannelState, domain: ChannelDomain) {
  return {
    domain: {
      name: DOMAIN_NAME,
      version: DOMAIN_VERSION,
      chainId: domain.chainId,
      verifyingContract: domain.verifyingContract
    },
    types: CHANNEL_STATE_TYPES,
    primaryType: 'ChannelState' as const,
    message: {
      channelId: state.channelId,
      nonce: state.nonce,
      balanceRider: state.balanceRider,
      balanceDriver: state.balanceDriver,
      tripRecordHash: state.tripRecordHash
    }
  }
}

/** The EIP-712 digest of a state (equals the adjudicator's `hashState`). */
export function hashChannelState (state: ChannelState, domain: ChannelDomain): Hex {
  return hashTypedData(channelStateTypedData(state, domain))
}

/**
 * Signs a state with a secp256k1 key. The signature is low-s with v in {27, 28}, as the
 * adjudicator requires.
 */
export async function signChannelState (privateKeyHex: Hex | string, state: ChannelState, domain: ChannelDomain): Promise<Hex> {
  const account = privateKeyToAccount(normalizePrivateKey(privateKeyHex))
  return await account.signTypedData(channelStateTypedData(state, domain))
}

/** The address that signed a state. */
export async function recoverChannelStateSigner (state: ChannelState, signature: Hex, domain: ChannelDomain): Promise<Address> {
  return await recoverTypedDataAddress({ ...channelStateTypedData(state, domain), signature })
}

/** The state that closes a channel co-operatively: same balances, nonce `FINAL_NONCE`. */
export function finalChannelState (state: ChannelState): ChannelState {
  return { ...state, nonce: FINAL_NONCE }
}

/** Accepts a 32-byte private key with or without `0x`. */
export function normalizePrivateKey (privateKeyHex: Hex | string): Hex {
  const hex = privateKeyHex.startsWith('0x') ? privateKeyHex.slice(2) : privateKeyHex
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new SettlementError('INVALID_ARGUMENT', 'a private key is 32 bytes of hex')
  }
  return `0x${hex.toLowerCase()}`
}
