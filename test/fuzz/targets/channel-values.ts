/**
 * Random but well-formed channel messages (any field values the codec accepts), for the decoder
 * targets to start from and to splice fields of.
 */
import { FINAL_NONCE } from '../../../protocol/channel/index.js'
import type { ChannelMessage } from '../../../protocol/channel/index.js'
import type { ChannelState } from '../../../protocol/channel/index.js'
import type { Prng } from '../harness/prng.js'
import { toHex } from '../harness/wire.js'

type Hex = `0x${string}`

const MAX_UINT256 = (1n << 256n) - 1n
const REJECT_CODES = ['unknown-channel', 'stale', 'gap', 'driver-balance-decreased', 'over-deposit', 'bad-signature', 'final-mismatch', 'not-open', 'malformed', 'other'] as const

export function hex32 (rng: Prng): Hex {
  return `0x${toHex(rng.bytes(32))}`
}

/** 65 bytes r || s || v with v in {27, 28} (not a valid signature, but the codec's shape). */
export function sig65 (rng: Prng): Hex {
  const b = rng.bytes(65)
  b[64] = 27 + rng.int(2)
  return `0x${toHex(b)}`
}

export function amount (rng: Prng): bigint {
  return rng.weighted<bigint>([[4, BigInt(rng.int(1_000_000))], [2, rng.u64()], [1, 0n], [1, MAX_UINT256], [1, 10n ** 18n]])
}

export function nonce (rng: Prng): bigint {
  return rng.weighted<bigint>([[6, BigInt(rng.int(100))], [1, 0n], [1, FINAL_NONCE], [1, rng.u64()]])
}

export function state (rng: Prng): ChannelState {
  return { channelId: hex32(rng), nonce: nonce(rng), balanceRider: amount(rng), balanceDriver: amount(rng), tripRecordHash: hex32(rng) }
}

function cosigned (rng: Prng): { state: ChannelState, riderSig: Hex, driverSig: Hex } {
  return { state: state(rng), riderSig: sig65(rng), driverSig: sig65(rng) }
}

/** A random channel message of any kind. */
export function channelMessage (rng: Prng): ChannelMessage {
  switch (rng.int(7)) {
    case 0: return { type: 'propose', proposal: { state: state(rng), riderSig: sig65(rng) } }
    case 1: return { type: 'countersign', channelId: hex32(rng), nonce: nonce(rng), driverSig: sig65(rng) }
    case 2: {
      const detail = rng.pick(['', 'nonce 3 <= latest 4', 'x'.repeat(rng.int(200))])
      return { type: 'reject', channelId: hex32(rng), nonce: nonce(rng), code: rng.pick(REJECT_CODES), detail, ...(rng.chance(0.5) ? { latest: cosigned(rng) } : {}) }
    }
    case 3: return { type: 'close-request', state: { ...state(rng), nonce: rng.chance(0.8) ? FINAL_NONCE : nonce(rng) }, sig: sig65(rng) }
    case 4: return { type: 'close-accept', channelId: hex32(rng), sig: sig65(rng) }
    case 5: return { type: 'sync-request', channelId: hex32(rng) }
    default: return { type: 'sync-response', ...(rng.chance(0.7) ? { latest: cosigned(rng) } : {}) }
  }
}

/** Decimal amounts and ids that a channel codec should refuse or must keep exact. */
export const CHANNEL_DICTIONARY: readonly Uint8Array[] = [
  '0', '00', '01', '-1', '+1', '1e3', '0x1', ' 1', '1 ',
  '115792089237316195423570985008687907853269984665640564039457584007913129639935',
  '115792089237316195423570985008687907853269984665640564039457584007913129639936',
  '9'.repeat(78), '18446744073709551615', '18446744073709551616', '١٢٣'
].map(s => new TextEncoder().encode(s))
