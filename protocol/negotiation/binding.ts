import { recoverMessageAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { ErrorFamily } from '../errors.js'
import { BINDING_SIGNATURE_BYTES } from '../trip-record-types.js'
import type { IdentityBinding } from '../pb/messages.js'
import type { Hex } from 'viem'

/** First line of the text an identity binding signs. */
export const BINDING_DOMAIN = 'hitch/binding/1'

/**
 * How long after it was issued a driver still takes a binding, ms. A rider signs it when it asks
 * for the ride, and sends it once a driver confirmed, so it only needs to outlive the ride's
 * search. @default 3_600_000 (1 hour)
 */
export const DEFAULT_BINDING_MAX_AGE_MS = 60 * 60_000

/** How far ahead of the checker's clock a binding may be issued (clocks differ). @default 60_000 */
export const BINDING_CLOCK_SKEW_MS = 60_000

/** Codes of {@link BindingError}. */
export type BindingErrorCode =
  /** the rider sent no binding where one is needed (the driver takes payments) */
  | 'ERR_BINDING_MISSING'
  /** a field is not of the right form */
  | 'ERR_BINDING_MALFORMED'
  /** issued too long ago, or too far in the future */
  | 'ERR_BINDING_EXPIRED'
  /** for another peer id or another ride */
  | 'ERR_BINDING_MISMATCH'
  /** the signature is not the named address's */
  | 'ERR_BINDING_BAD_SIGNATURE'

/** A rider's identity binding was refused: one class per failure below. */
export abstract class BindingError extends ErrorFamily<BindingErrorCode> {}

/** The rider sent no binding where one is needed (the driver takes payments). */
export class BindingMissingError extends BindingError { static readonly code: BindingErrorCode = 'ERR_BINDING_MISSING' }

/** A field of the binding is not of the right form. */
export class BindingMalformedError extends BindingError { static readonly code: BindingErrorCode = 'ERR_BINDING_MALFORMED' }

/** The binding was issued too long ago, or too far in the future. */
export class BindingExpiredError extends BindingError { static readonly code: BindingErrorCode = 'ERR_BINDING_EXPIRED' }

/** The binding is for another peer id or another ride. */
export class BindingMismatchError extends BindingError { static readonly code: BindingErrorCode = 'ERR_BINDING_MISMATCH' }

/** The binding's signature is not the named address's. */
export class BindingBadSignatureError extends BindingError { static readonly code: BindingErrorCode = 'ERR_BINDING_BAD_SIGNATURE' }

/** The `requestId` of a binding that holds for every ride: a driver's, on its quotes. */
export const ANY_RIDE = ''

/** What a binding says, without its signature. */
export type BindingClaim = Omit<IdentityBinding, 'signature'>

/** The exact text the payment key signs (as an EIP-191 personal message). */
export function bindingText (claim: BindingClaim): string {
  return `${BINDING_DOMAIN}\n${claim.peerId}\n${claim.address.toLowerCase()}\n${claim.requestId}\n${claim.issuedAt}`
}

/**
 * Binds `peerId` (a node's Ed25519 peer key; a rider's key for one ride) to the Ethereum address
 * of `paymentKeyHex` (its long-lived payment key), for the ride `requestId` or, with
 * {@link ANY_RIDE}, for every ride (a driver's, on its quotes).
 */
export async function signBinding (claim: Omit<BindingClaim, 'address'>, paymentKeyHex: Hex): Promise<IdentityBinding> {
  const account = privateKeyToAccount(paymentKeyHex)
  const full: BindingClaim = { ...claim, address: account.address.toLowerCase() }
  const signature = await account.signMessage({ message: bindingText(full) })
  return { ...full, signature: hexToBytes(signature) }
}

/** What a binding must fit. */
export interface BindingExpectation {
  /** the peer id the ride is negotiated with (the direct stream's remote peer) */
  peerId: string
  requestId: string
  /** the checker's clock, ms */
  now: number
  /** @default DEFAULT_BINDING_MAX_AGE_MS */
  maxAgeMs?: number
}

/**
 * Checks a binding against the ride it arrived for: its form, its age, that it names this peer
 * id and this ride, and that the address it names signed it. Resolves with that address
 * (lower-case); throws {@link BindingError}.
 */
export async function checkBinding (binding: IdentityBinding | undefined, expect: BindingExpectation): Promise<`0x${string}`> {
  if (binding == null) {
    throw new BindingMissingError('no identity binding')
  }
  if (!/^0x[0-9a-f]{40}$/.test(binding.address) || !(binding.signature instanceof Uint8Array) ||
    binding.signature.byteLength !== BINDING_SIGNATURE_BYTES || !Number.isSafeInteger(binding.issuedAt)) {
    throw new BindingMalformedError('the identity binding is malformed')
  }
  const maxAgeMs = expect.maxAgeMs ?? DEFAULT_BINDING_MAX_AGE_MS
  if (binding.issuedAt < expect.now - maxAgeMs || binding.issuedAt > expect.now + BINDING_CLOCK_SKEW_MS) {
    throw new BindingExpiredError('the identity binding was issued outside its lifetime')
  }
  if (binding.peerId !== expect.peerId || binding.requestId !== expect.requestId) {
    throw new BindingMismatchError('the identity binding is for another peer or ride')
  }
  const text = bindingText(binding)
  const signature = bytesToHex(binding.signature)
  const key = `${signature}\n${text}`
  let signer = recovered.get(key)
  if (signer == null) {
    try {
      signer = (await recoverMessageAddress({ message: text, signature })).toLowerCase()
    } catch (err) {
      throw new BindingBadSignatureError('the identity binding signature does not recover', { cause: err })
    }
    // a driver's binding rides on every quote it sends: recover it once
    if (recovered.size >= RECOVERED_ENTRIES) recovered.delete(recovered.keys().next().value as string)
    recovered.set(key, signer)
  }
  if (signer !== binding.address) {
    throw new BindingBadSignatureError('the identity binding is not signed by the address it names')
  }
  return binding.address as `0x${string}`
}

/** Signers recovered from (signature, text) pairs, oldest first: recovery is pure JS and slow. */
const recovered = new Map<string, string>()
const RECOVERED_ENTRIES = 4096

function hexToBytes (hex: Hex): Uint8Array<ArrayBuffer> {
  const bytes = uint8ArrayFromString(hex.slice(2), 'base16')
  const out = new Uint8Array(bytes.byteLength)
  out.set(bytes)
  return out
}

function bytesToHex (bytes: Uint8Array): Hex {
  return `0x${uint8ArrayToString(bytes, 'base16')}`
}
