import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { reader as protoReader } from 'protons-runtime'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { isCanonicalEd25519Signature, isCanonicalSecp256k1Der, mergeCanonical, probeField, sameBytes, scanFields } from './canonical.js'
import type { WireField } from './canonical.js'
import { ignore, reject, ValidationError } from './errors.js'
import { decodeBody, encodeBody, messageTypeOf, wireTypeOf } from './hitch-message.js'
import { Envelope } from './pb/messages.js'
import type { HitchMessage, HitchMessageType } from './hitch-message.js'
import type { PeerId, PrivateKey, PublicKey } from '@libp2p/interface'

/** The envelope version this code writes and reads. */
export const ENVELOPE_VERSION = 1

/** Bytes prefixed to the signed part of an envelope, so a Hitch signature means nothing elsewhere. */
export const ENVELOPE_SIGNATURE_DOMAIN = uint8ArrayFromString('hitch/envelope/1\n')

/** Shortest accepted nonce, in bytes. */
export const MIN_NONCE_BYTES = 8
/** Longest accepted nonce, in bytes. */
export const MAX_NONCE_BYTES = 32

/** The field number of `Envelope.signature`; it must be the final field on the wire. */
const SIGNATURE_FIELD = 7
const LENGTH_DELIMITED = 2

/** Options of {@link signEnvelope}. */
export interface SignEnvelopeOptions {
  /** the caller's clock, ms since the epoch (protocol/ never reads a clock) */
  now: number
  /** how long the message stays valid; `expiresAt = now + ttlMs` */
  ttlMs: number
  /** 8..32 random bytes from the caller; with the sender it is the message id */
  nonce: Uint8Array
  /**
   * The signature backend.
   *
   * @default the key's own `sign` (libp2p, pure JS)
   */
  signer?: EnvelopeSigner
}

/** A decoded envelope whose signature verified. */
export interface OpenedEnvelope {
  message: HitchMessage
  /** the signer, derived from the embedded public key */
  sender: PeerId
  senderKey: PublicKey
  version: number
  expiresAt: number
  nonce: Uint8Array
  /** `<sender peer id>/<nonce hex>`: the key for replay protection */
  msgId: string
  /** size of the envelope on the wire, in bytes */
  size: number
}

/**
 * The key types an envelope may be signed with: Ed25519 (a node's peer key: native crypto) and
 * secp256k1 (the peer ids of earlier versions).
 */
export const ENVELOPE_KEY_TYPES: ReadonlySet<string> = new Set(['Ed25519', 'secp256k1'])

/**
 * Encodes and signs a message. The signature (Ed25519; or libp2p secp256k1: sha256, DER) covers
 * the signature domain followed by every envelope byte before the signature field.
 */
export async function signEnvelope (key: PrivateKey, message: HitchMessage, options: SignEnvelopeOptions): Promise<Uint8Array> {
  if (!ENVELOPE_KEY_TYPES.has(key.type)) {
    throw reject('unsupported-key', `envelopes are signed with Ed25519 or secp256k1 keys, not ${key.type}`)
  }
  if (options.nonce.byteLength < MIN_NONCE_BYTES || options.nonce.byteLength > MAX_NONCE_BYTES) {
    throw reject('bad-field', `nonce must be ${MIN_NONCE_BYTES}..${MAX_NONCE_BYTES} bytes`)
  }
  const expiresAt = options.now + options.ttlMs
  if (!Number.isSafeInteger(expiresAt) || options.ttlMs <= 0) {
    throw reject('bad-field', 'now and ttlMs must be integers and ttlMs positive')
  }
  const unsigned = Envelope.encode({
    version: ENVELOPE_VERSION,
    type: wireTypeOf(message.type),
    payload: encodeBody(message) as Uint8Array<ArrayBuffer>,
    senderKey: publicKeyToProtobuf(key.publicKey) as Uint8Array<ArrayBuffer>,
    expiresAt,
    nonce: options.nonce as Uint8Array<ArrayBuffer>,
    signature: new Uint8Array(0)
  })
  const signed = uint8ArrayConcat([ENVELOPE_SIGNATURE_DOMAIN, unsigned])
  const signature = options.signer != null ? await options.signer(key, signed) : await key.sign(signed)
  // appending field 7 keeps the signed prefix byte-identical to what was signed
  const tail = Envelope.encode({ signature } as Envelope)
  return uint8ArrayConcat([unsigned, tail])
}

/**
 * Finds where the signature field starts. Throws `unsigned` unless it is present exactly once
 * and is the final field.
 */
function signedLength (bytes: Uint8Array): number {
  const r = protoReader(bytes)
  let start = -1
  while (r.pos < r.len) {
    const fieldStart = r.pos
    const tag = r.uint32()
    if ((tag >>> 3) === SIGNATURE_FIELD && (tag & 7) === LENGTH_DELIMITED) {
      if (start !== -1) {
        throw reject('unsigned', 'more than one signature field')
      }
      start = fieldStart
      r.bytes()
      if (r.pos !== r.len) {
        throw reject('unsigned', 'the signature is not the final field')
      }
    } else {
      r.skipType(tag & 7)
    }
  }
  if (start === -1) {
    throw reject('unsigned', 'no signature')
  }
  return start
}

/** Lower-case hex. */
export function toHex (bytes: Uint8Array): string {
  return uint8ArrayToString(bytes, 'base16')
}

/**
 * Checks an envelope signature the way libp2p's secp256k1 `PublicKey.verify` does (SHA-256 of
 * `data`, DER signature, low S only). The port through which the node plugs in a faster backend
 * than the pure-JS default; it must accept exactly the signatures the default accepts.
 */
export type SignatureVerifier = (key: PublicKey, data: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>

/**
 * Signs an envelope the way libp2p's secp256k1 `PrivateKey.sign` does (SHA-256, RFC 6979, low
 * S, DER): the port through which the node plugs in a faster backend. It must give the same
 * bytes as the default.
 */
export type EnvelopeSigner = (key: PrivateKey, data: Uint8Array) => Uint8Array | Promise<Uint8Array>

/** A sender key decoded once: decompressing a secp256k1 point costs as much as a hash of the whole message. */
export interface CachedKey {
  key: PublicKey
  peerId: PeerId
}

/** Sender keys decoded before, by their protobuf bytes (`SenderKeyCache` is the bounded one). */
export interface SenderKeys {
  get: (protobuf: Uint8Array) => CachedKey | undefined
  set: (protobuf: Uint8Array, key: CachedKey) => void
}

/**
 * Results of opening envelopes, by a key of their exact bytes (`VerifyCache` is the bounded
 * one). The same bytes always open to the same result.
 */
export interface EnvelopeCache {
  /** the sender keys of the envelopes opened through this cache */
  readonly keys: SenderKeys
  keyOf: (bytes: Uint8Array) => string
  get: (key: string) => OpenedEnvelope | ValidationError | undefined
  set: (key: string, result: OpenedEnvelope | ValidationError) => void
}

/** Options of {@link openEnvelope}. */
export interface OpenEnvelopeOptions {
  /**
   * Results of envelopes opened before, by their exact bytes: a hit skips decoding and the
   * signature check (the same bytes always give the same result).
   *
   * @default none (every call opens the envelope)
   */
  verifyCache?: EnvelopeCache
  /**
   * Sender keys decoded before (a peer's messages all carry its key).
   *
   * @default the `verifyCache`'s keys, or none
   */
  keyCache?: SenderKeys
  /**
   * The signature check.
   *
   * @default the sender key's own `verify` (libp2p, pure JS)
   */
  verifier?: SignatureVerifier
}

/**
 * Decodes an envelope, verifies its signature and decodes its typed body. Does not look at
 * the clock, replays or field ranges: see `validateGossip` / `validateDirect`.
 *
 * @throws {ValidationError} `malformed`, `unsupported-version` (ignore), `unsupported-key`,
 * `unsigned`, `bad-signature`, `bad-field`
 */
export async function openEnvelope (bytes: Uint8Array, options: OpenEnvelopeOptions = {}): Promise<OpenedEnvelope> {
  const cache = options.verifyCache
  if (cache == null) {
    return open(bytes, options)
  }
  const key = cache.keyOf(bytes)
  const known = cache.get(key)
  if (known instanceof ValidationError) {
    throw known
  }
  if (known != null) {
    return known
  }
  try {
    const opened = await open(bytes, options)
    cache.set(key, opened)
    return opened
  } catch (err) {
    if (err instanceof ValidationError) {
      cache.set(key, err)
    }
    throw err
  }
}

async function open (bytes: Uint8Array, options: OpenEnvelopeOptions): Promise<OpenedEnvelope> {
  let envelope: Envelope
  let signedLen: number
  try {
    envelope = Envelope.decode(bytes)
    signedLen = signedLength(bytes)
  } catch (err: any) {
    if (err instanceof ValidationError) {
      throw err
    }
    throw reject('malformed', `envelope does not decode: ${String(err?.message ?? err)}`)
  }
  if (envelope.version !== ENVELOPE_VERSION) {
    // a newer peer is not misbehaving: drop quietly rather than penalise
    throw ignore('unsupported-version', `envelope version ${envelope.version} is not ${ENVELOPE_VERSION}`)
  }
  if (envelope.signature.byteLength === 0) {
    throw reject('unsigned', 'empty signature')
  }
  // cheap checks first: the one encoding, the body, the key's form; then the signature
  checkCanonicalEnvelope(bytes, envelope, signedLen)
  const type = messageTypeOf(envelope.type)
  if (type == null) {
    throw reject('malformed', 'envelope type unspecified')
  }
  const bodyFields = scanFields(envelope.payload)
  if (bodyFields == null) {
    // before decoding: protons misreads some padded varints
    throw ignore('non-canonical', `${type} body has a padded varint or a group`)
  }
  let message: HitchMessage
  try {
    message = decodeBody(type, envelope.payload)
  } catch (err: any) {
    throw reject('malformed', `${type} body does not decode: ${String(err?.message ?? err)}`)
  }
  checkCanonicalBody(type, envelope.payload, bodyFields, message)
  const keyCache = options.keyCache ?? options.verifyCache?.keys
  // the cache holds only keys that passed the canonical-form check below
  const cachedKey = keyCache?.get(envelope.senderKey)
  let senderKey: PublicKey
  if (cachedKey != null) {
    senderKey = cachedKey.key
  } else {
    try {
      senderKey = publicKeyFromProtobuf(envelope.senderKey)
    } catch {
      throw reject('unsupported-key', 'sender key does not decode')
    }
  }
  if (!ENVELOPE_KEY_TYPES.has(senderKey.type)) {
    throw reject('unsupported-key', `sender key is ${senderKey.type}, not Ed25519 or secp256k1`)
  }
  if (cachedKey == null && !sameBytes(publicKeyToProtobuf(senderKey), envelope.senderKey)) {
    // e.g. an uncompressed point: the same peer id in another encoding
    throw reject('non-canonical', 'sender key is not in its canonical (compressed) encoding')
  }
  if (senderKey.type === 'Ed25519' ? !isCanonicalEd25519Signature(envelope.signature) : !isCanonicalSecp256k1Der(envelope.signature)) {
    throw reject('non-canonical', `signature is not in the one ${senderKey.type} encoding`)
  }
  let ok: boolean
  try {
    const signed = uint8ArrayConcat([ENVELOPE_SIGNATURE_DOMAIN, bytes.subarray(0, signedLen)])
    ok = options.verifier != null
      ? await options.verifier(senderKey, signed, envelope.signature)
      : await senderKey.verify(signed, envelope.signature)
  } catch {
    ok = false
  }
  if (!ok) {
    throw reject('bad-signature', 'signature does not verify')
  }
  if (!Number.isSafeInteger(envelope.expiresAt) || envelope.expiresAt <= 0) {
    throw reject('bad-field', 'expiresAt missing or out of range')
  }
  if (envelope.nonce.byteLength < MIN_NONCE_BYTES || envelope.nonce.byteLength > MAX_NONCE_BYTES) {
    throw reject('bad-field', `nonce must be ${MIN_NONCE_BYTES}..${MAX_NONCE_BYTES} bytes`)
  }
  const sender = cachedKey?.peerId ?? peerIdFromPublicKey(senderKey)
  if (cachedKey == null) {
    keyCache?.set(envelope.senderKey, { key: senderKey, peerId: sender })
  }
  return {
    message,
    sender,
    senderKey,
    version: envelope.version,
    expiresAt: envelope.expiresAt,
    nonce: envelope.nonce,
    msgId: `${sender.toString()}/${toHex(envelope.nonce)}`,
    size: bytes.byteLength
  }
}

/** Envelope fields this version knows: 1..7 (`signature` is 7) */
const KNOWN_ENVELOPE_FIELDS = SIGNATURE_FIELD

/**
 * The envelope must be the one encoding of what it says: minimal varints everywhere (the
 * signature field's tag and length included: they lie outside the signed bytes, so anyone
 * could pad them), the known fields as an encoder writes them (in number order, each once, no
 * defaults), unknown fields of a newer version in number order before the signature, which
 * comes last, and the signature itself in canonical low-S DER.
 *
 * @throws {ValidationError} `non-canonical` (reject: no honest encoder writes these)
 */
function checkCanonicalEnvelope (bytes: Uint8Array, envelope: Envelope, signedLen: number): void {
  const fields = scanFields(bytes)
  if (fields == null) {
    throw reject('non-canonical', 'envelope has a padded varint or a group')
  }
  // signedLength() made sure the last field is the one signature
  const unknown = fields.slice(0, -1).filter(f => f.field > KNOWN_ENVELOPE_FIELDS)
  const known = Envelope.encode({ ...envelope, signature: new Uint8Array(0) })
  const canonical = mergeCanonical(known, bytes, unknown)
  if (canonical == null || !sameBytes(canonical, bytes.subarray(0, signedLen))) {
    throw reject('non-canonical', 'envelope fields are not in their canonical encoding and order')
  }
}

/**
 * The body must be the one encoding of what it says: the known fields as the encoder writes
 * them (nested messages included), and top-level fields unknown to this version (a newer
 * peer's) as they came, in number order among the known ones. A field this version knows
 * cannot pass as unknown (its default written out, or a wrong wire type).
 *
 * A newer peer that adds a field inside a nested message (a `LatLon`, a `FareSummary`) is
 * refused by this version: new fields go at the top level of a body.
 *
 * @throws {ValidationError} `non-canonical` (ignore: only the signer can make these, and a
 * newer peer's nested field looks the same)
 */
function checkCanonicalBody (type: HitchMessageType, payload: Uint8Array, fields: WireField[], message: HitchMessage): void {
  const known = encodeBody(message)
  const knownFields = new Set((scanFields(known) ?? []).map(f => f.field))
  const unknown = fields.filter(f => !knownFields.has(f.field))
  for (const f of unknown) {
    if (knowsField(type, f.field, f.wireType)) {
      throw ignore('non-canonical', `${type} body writes out a default or a wrong wire type for field ${f.field}`)
    }
  }
  const canonical = mergeCanonical(known, payload, unknown)
  if (canonical == null || !sameBytes(canonical, payload)) {
    throw ignore('non-canonical', `${type} body is not in its canonical encoding and order`)
  }
}

/** Whether this version's decoder of `type` knows field `field` (see `probeField`) */
function knowsField (type: HitchMessageType, field: number, wireType: number): boolean {
  try {
    return encodeBody(decodeBody(type, probeField(field, wireType))).byteLength > 0
  } catch {
    return true
  }
}
