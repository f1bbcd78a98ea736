/**
 * Channel states as EIP-712 typed data: what riders and drivers sign off chain and what the
 * adjudicator `ecrecover`s on chain. Pure: no I/O.
 *
 * The digest is computed directly (keccak-256 over the fixed ABI encoding of the one struct
 * type, with the domain separator cached per domain), not through a generic typed-data encoder:
 * it equals the adjudicator's `hashState` and viem's `hashTypedData`. Signatures are checked
 * exactly as the adjudicator checks them (`_recover`: 65 bytes, `s <= n/2`, `v` in {27, 28},
 * `ecrecover` to the expected address), and a `ChannelSignatureVerifier` does so against a known
 * signer's public key with a precomputed table instead of a full recovery per signature.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { getAddress, type Address, type Hex } from 'viem'
import { InvalidParametersError } from '@libp2p/interface'

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

// ---------------------------------------------------------------- digest

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** `keccak256("ChannelState(bytes32 channelId,uint64 nonce,uint256 balanceRider,uint256 balanceDriver,bytes32 tripRecordHash)")` */
const CHANNEL_STATE_TYPEHASH = keccak_256(utf8(`ChannelState(${CHANNEL_STATE_TYPES.ChannelState.map(f => `${f.type} ${f.name}`).join(',')})`))
const DOMAIN_TYPEHASH = keccak_256(utf8('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'))
const NAME_HASH = keccak_256(utf8(DOMAIN_NAME))
const VERSION_HASH = keccak_256(utf8(DOMAIN_VERSION))
const MAX_UINT256 = (1n << 256n) - 1n

function invalid (what: string): InvalidParametersError {
  return new InvalidParametersError(what)
}

/** Writes `n` as a 32-byte big-endian word at `offset`. */
function putWord (out: Uint8Array, offset: number, n: bigint, what: string, max: bigint): void {
  if (typeof n !== 'bigint' || n < 0n || n > max) throw invalid(`${what} is out of range`)
  for (let i = offset + 31; i >= offset && n > 0n; i--) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
}

const HEX_32 = /^0x[0-9a-fA-F]{64}$/
const HEX_20 = /^0x[0-9a-fA-F]{40}$/

/** Writes a 32-byte hex value at `offset`. */
function putBytes32 (out: Uint8Array, offset: number, hex: string, what: string): void {
  if (typeof hex !== 'string' || !HEX_32.test(hex)) throw invalid(`${what} must be 32 bytes of hex`)
  out.set(hexBytes(hex), offset)
}

function hexBytes (hex: string): Uint8Array {
  return hexToBytes(hex.slice(2))
}

const separators = new Map<string, Uint8Array>()

/** The EIP-712 domain separator of the adjudicator (equals its `domainSeparator()`), cached. */
export function channelDomainSeparator (domain: ChannelDomain): Uint8Array {
  const key = `${domain.chainId}/${domain.verifyingContract.toLowerCase()}`
  let separator = separators.get(key)
  if (separator == null) {
    if (!Number.isSafeInteger(domain.chainId) || domain.chainId < 0) throw invalid('chain id is out of range')
    if (!HEX_20.test(domain.verifyingContract)) throw invalid('verifying contract must be an address')
    const encoded = new Uint8Array(5 * 32)
    encoded.set(DOMAIN_TYPEHASH, 0)
    encoded.set(NAME_HASH, 32)
    encoded.set(VERSION_HASH, 64)
    putWord(encoded, 96, BigInt(domain.chainId), 'chain id', MAX_UINT256)
    encoded.set(hexBytes(domain.verifyingContract), 128 + 12)
    separator = keccak_256(encoded)
    separators.set(key, separator)
  }
  return separator
}

/**
 * The 32-byte EIP-712 digest of a state: `keccak256(0x1901 || domainSeparator || structHash)`,
 * what both parties sign and the adjudicator recovers from.
 */
export function channelStateDigest (state: ChannelState, domain: ChannelDomain): Uint8Array {
  const struct = new Uint8Array(6 * 32)
  struct.set(CHANNEL_STATE_TYPEHASH, 0)
  putBytes32(struct, 32, state.channelId, 'channel id')
  putWord(struct, 64, state.nonce, 'nonce', FINAL_NONCE)
  putWord(struct, 96, state.balanceRider, 'rider balance', MAX_UINT256)
  putWord(struct, 128, state.balanceDriver, 'driver balance', MAX_UINT256)
  putBytes32(struct, 160, state.tripRecordHash, 'trip record hash')
  const message = new Uint8Array(2 + 32 + 32)
  message[0] = 0x19
  message[1] = 0x01
  message.set(channelDomainSeparator(domain), 2)
  message.set(keccak_256(struct), 34)
  return keccak_256(message)
}

/** The EIP-712 digest of a state as hex (equals the adjudicator's `hashState`). */
export function hashChannelState (state: ChannelState, domain: ChannelDomain): Hex {
  return toHex(channelStateDigest(state, domain))
}

function toHex (bytes: Uint8Array): Hex {
  return `0x${bytesToHex(bytes)}`
}

// ---------------------------------------------------------------- signing

/** A secp256k1 private key as the 32 bytes signing needs (never log it). */
export function channelSigningKey (privateKeyHex: Hex | string): Uint8Array {
  return hexBytes(normalizePrivateKey(privateKeyHex))
}

/**
 * Signs a digest from `channelStateDigest`: deterministic (RFC 6979), low-s, 65 bytes
 * `r || s || v` with v in {27, 28}, as the adjudicator requires.
 */
export function signChannelStateDigest (secretKey: Uint8Array, digest: Uint8Array): Hex {
  // noble's 'recovered' layout is recovery || r || s; Ethereum's is r || s || 27 + recovery
  const sig = secp256k1.sign(digest, secretKey, { prehash: false, lowS: true, format: 'recovered' })
  const out = new Uint8Array(65)
  out.set(sig.subarray(1), 0)
  out[64] = 27 + sig[0]
  return toHex(out)
}

/**
 * Signs a state with a secp256k1 key. The signature is low-s with v in {27, 28}, as the
 * adjudicator requires.
 */
export async function signChannelState (privateKeyHex: Hex | string, state: ChannelState, domain: ChannelDomain): Promise<Hex> {
  return signChannelStateDigest(channelSigningKey(privateKeyHex), channelStateDigest(state, domain))
}

// ---------------------------------------------------------------- verification

const { Point } = secp256k1
const Fn = Point.Fn
const N = Fn.ORDER
/** The adjudicator's `HALF_N`: a larger `s` is refused (malleability). */
const HALF_N = N >> 1n

/** A signature split as the adjudicator reads it, or undefined if `_recover` would revert before `ecrecover`. */
interface SplitSignature { r: bigint, s: bigint, parity: 0 | 1 }

function split (signature: Hex | string): SplitSignature | undefined {
  if (typeof signature !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(signature)) return undefined
  const r = BigInt(`0x${signature.slice(2, 66)}`)
  const s = BigInt(`0x${signature.slice(66, 130)}`)
  const v = Number.parseInt(signature.slice(130, 132), 16)
  if (s > HALF_N || (v !== 27 && v !== 28)) return undefined
  // the precompile answers nothing (address 0, a revert) for r or s outside [1, n-1]
  if (r === 0n || r >= N || s === 0n) return undefined
  return { r, s, parity: v === 27 ? 0 : 1 }
}

/** The message representative of a digest: the 256-bit value mod n (as `ecrecover` uses it). */
function scalarOf (digest: Uint8Array): bigint {
  if (digest.byteLength !== 32) throw invalid('a digest is 32 bytes')
  return Fn.create(BigInt(toHex(digest)))
}

/** The Ethereum address of a public key point. */
function addressOf (point: InstanceType<typeof Point>): Address {
  const uncompressed = point.toBytes(false)
  return getAddress(toHex(keccak_256(uncompressed.subarray(1)).subarray(12)))
}

/** `ecrecover` on a digest, the public key point; undefined where the adjudicator reverts. */
function recoverPoint (digest: Uint8Array, signature: Hex | string): InstanceType<typeof Point> | undefined {
  const sig = split(signature)
  if (sig == null) return undefined
  try {
    // v in {27, 28} means R.x = r itself (recovery ids 0 and 1, never the r + n lift)
    return new secp256k1.Signature(sig.r, sig.s, sig.parity).recoverPublicKey(digest)
  } catch {
    return undefined
  }
}

/**
 * The address that signed a digest, recovered exactly as the adjudicator's `_recover` does, or
 * undefined for a signature the adjudicator refuses (wrong length, high s, v not 27 or 28,
 * unrecoverable).
 */
export function recoverChannelStateDigestSigner (digest: Uint8Array, signature: Hex | string): Address | undefined {
  const point = recoverPoint(digest, signature)
  return point == null ? undefined : addressOf(point)
}

/**
 * The address that signed a state. Throws `InvalidParametersError` for a signature
 * the adjudicator would refuse.
 */
export async function recoverChannelStateSigner (state: ChannelState, signature: Hex, domain: ChannelDomain): Promise<Address> {
  const signer = recoverChannelStateDigestSigner(channelStateDigest(state, domain), signature)
  if (signer == null) throw invalid('not a signature the adjudicator accepts')
  return signer
}

/**
 * Window of the precomputed table of a known signer's point (2^(w-1) points per window): checks
 * two to three times faster than a full recovery, for about 20 ms once per signer (w = 8 costs
 * about 80 ms and checks no faster on this machine).
 * @default 6
 */
export const DEFAULT_VERIFIER_WINDOW = 6

/**
 * Checks signatures of one expected signer, exactly as the adjudicator would accept them, but
 * without a full public-key recovery each time: the first valid signature's recovered point is
 * kept (with a precomputed multiplication table) once its address is the expected one; later
 * signatures are checked by ECDSA verification against it and bound to `v` by the parity of R.
 *
 * Why that is the same rule: `ecrecover(h, v, r, s)` returns `Q = r⁻¹(s·R − h·G)` with R the
 * point of x = r and y parity v − 27; Q is the signer's P iff `R = s⁻¹(h·G + r·P)`. So with the
 * same range checks, computing `R' = u1·G + u2·P` and requiring `R'.x = r` exactly and R''s
 * parity = v − 27 accepts exactly the signatures that recover to P.
 */
export class ChannelSignatureVerifier {
  /** the signer this verifier accepts (checksummed) */
  readonly address: Address
  private readonly window: number
  private point: InstanceType<typeof Point> | undefined

  /**
   * @param address - the expected signer
   * @param options.publicKey - its public key (SEC1, compressed or not) if known; it must match `address`
   * @param options.window - table window, see `DEFAULT_VERIFIER_WINDOW`
   */
  constructor (address: Address, options: { publicKey?: Uint8Array, window?: number } = {}) {
    if (!HEX_20.test(address)) throw invalid('expected signer must be an address')
    this.address = getAddress(address)
    this.window = options.window ?? DEFAULT_VERIFIER_WINDOW
    if (options.publicKey != null) {
      const point = Point.fromBytes(options.publicKey)
      if (addressOf(point) !== this.address) throw invalid('public key does not belong to the address')
      this.adopt(point)
    }
  }

  /** Whether the signer's point is known (after the first valid signature, or given). */
  get hasPublicKey (): boolean {
    return this.point != null
  }

  /** Whether `signature` over `digest` is the expected signer's, by the adjudicator's rules. */
  verify (digest: Uint8Array, signature: Hex | string): boolean {
    const P = this.point
    if (P == null) {
      const point = recoverPoint(digest, signature)
      if (point == null || addressOf(point) !== this.address) return false
      this.adopt(point)
      return true
    }
    const sig = split(signature)
    if (sig == null) return false
    const h = scalarOf(digest)
    const w = Fn.inv(sig.s)
    const u1 = Fn.mul(h, w)
    const u2 = Fn.mul(sig.r, w)
    const R = Point.BASE.multiplyUnsafe(u1).add(P.multiplyUnsafe(u2))
    if (R.is0()) return false
    const { x, y } = R.toAffine()
    return x === sig.r && Number(y & 1n) === sig.parity
  }

  /** Same as `verify`, for a state. */
  verifyState (state: ChannelState, signature: Hex | string, domain: ChannelDomain): boolean {
    return this.verify(channelStateDigest(state, domain), signature)
  }

  private adopt (point: InstanceType<typeof Point>): void {
    point.precompute(this.window, false)
    this.point = point
  }
}

/** The state that closes a channel co-operatively: same balances, nonce `FINAL_NONCE`. */
export function finalChannelState (state: ChannelState): ChannelState {
  return { ...state, nonce: FINAL_NONCE }
}

/** Accepts a 32-byte private key with or without `0x`. */
export function normalizePrivateKey (privateKeyHex: Hex | string): Hex {
  const hex = privateKeyHex.startsWith('0x') ? privateKeyHex.slice(2) : privateKeyHex
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new InvalidParametersError('a private key is 32 bytes of hex')
  }
  return `0x${hex.toLowerCase()}`
}
