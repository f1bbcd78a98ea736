/**
 * Signed envelopes for the validation targets: how inputs are built (valid messages, edge values
 * signed by a key holder, mutations of signed bytes without the key, non-canonical encodings
 * signed by a key holder) and the oracle shared by gossip and direct validation.
 *
 * Oracle of an accepted envelope:
 * - its exact bytes were signed by a key holder of the run: anything else is malleable (a third
 *   party changed signed bytes and they still open);
 * - its encoding is canonical (minimal varints, each field once, in order, no explicit default),
 *   the envelope and the body alike; unknown fields are let through (counted as an outcome):
 *   `messages.proto` lets a newer peer add fields, covered by the signature;
 * - it obeys the rules restated in `spec.ts` (expiry horizons, ranges, cells, kinds per path).
 * A rejection the validator made out of an unexpected exception is a crash.
 */
import {
  ENVELOPE_SIGNATURE_DOMAIN, HITCH_MESSAGE_TYPES, openEnvelope, signEnvelope, ValidationError,
  type HitchMessage, type HitchMessageType, type ValidationResult
} from '../../../protocol/index.js'
import { libsecp256k1Signatures } from '../../../node/index.js'
import { mutate, DEFAULT_DICTIONARY } from '../harness/mutators.js'
import { loadHitchSchema, schemaFromSources, type Schema } from '../harness/proto-schema.js'
import { Finding, refused, type Pool } from '../harness/target.js'
import { bytesEqual, canonicalProblem, concatBytes, isMinimalVarint, makeField, parseFields, readVarint, serializeFields, type WireField } from '../harness/wire.js'
import { MAX_TTL_MS, NOW, mutateBody, validMessage, type Party } from './messages.js'
import type { Prng } from '../harness/prng.js'

/** One input of an envelope target: the validator's clock, a context choice, the bytes. */
export interface EnvelopeInput {
  now: number
  /** whether a key holder signed exactly these bytes (else they are signed bytes changed by a third party) */
  signed: boolean
  /** gossip: 0 no topic cell, 1.. a cell of the ring; direct: 0 no remote peer, k party k-1 */
  context: number
  bytes: Uint8Array
}

export function serializeEnvelopeInput (i: EnvelopeInput): Uint8Array {
  const head = new Uint8Array(9)
  new DataView(head.buffer).setFloat64(0, i.now, true)
  head[8] = (i.context & 0x7f) | (i.signed ? 0x80 : 0)
  return concatBytes([head, i.bytes])
}

export function deserializeEnvelopeInput (b: Uint8Array): EnvelopeInput {
  if (b.length < 9) throw new RangeError('an envelope input has a 9-byte header')
  return { now: new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true), context: b[8] & 0x7f, signed: (b[8] & 0x80) !== 0, bytes: b.slice(9) }
}

/** libp2p's key protobuf (`@libp2p/crypto` keys.proto): the envelope's `sender_key`. */
const LIBP2P_KEYS = 'enum KeyType { RSA = 0; Ed25519 = 1; secp256k1 = 2; ECDSA = 3; } message PublicKey { optional KeyType Type = 1; optional bytes Data = 2; }'

const BODY_MESSAGES = ['', 'VehicleOffer', 'RideRequest', 'Quote', 'Accept', 'Confirm', 'Decline', 'Cancel', 'TripUpdate', 'TripRecord']

/** The message carried in a bytes field: the envelope's payload (by its type) and sender key. */
export function payloadOf (message: string, field: number, fields: WireField[]): string | undefined {
  if (message !== 'Envelope') return undefined
  if (field === 4) return 'PublicKey'
  if (field !== 3) return undefined
  const typeField = fields.findLast(f => f.number === 2 && f.wire === 0)
  const type = typeField != null ? Number(readVarint(typeField.value, 0)?.value ?? 0n) : 0
  return BODY_MESSAGES[type] === '' ? undefined : BODY_MESSAGES[type]
}

let schema: Schema | undefined
export function envelopeSchema (): Schema {
  schema ??= new Map([...loadHitchSchema(), ...schemaFromSources([LIBP2P_KEYS])])
  return schema
}

const SIGNATURE_FIELD = 7

/** Builds envelope inputs. */
export class EnvelopeFactory {
  readonly signatures = libsecp256k1Signatures()
  private readonly byKey = new Map<string, Party>()

  constructor (readonly parties: Party[], private readonly types: readonly HitchMessageType[] = HITCH_MESSAGE_TYPES) {
    // a secp256k1 peer id is the identity multihash of the key's protobuf form
    for (const p of parties) this.byKey.set(Buffer.from(p.key.publicKey.toMultihash().digest).toString('base64'), p)
  }

  /** A valid message, signed through the protocol's own `signEnvelope`. */
  async sign (rng: Prng, party: Party, message: HitchMessage, now: number): Promise<Uint8Array> {
    const nonce = rng.bytes(rng.chance(0.8) ? 16 : rng.range(8, 32))
    const ttlMs = rng.chance(0.9) ? rng.range(1, MAX_TTL_MS) : rng.pick([MAX_TTL_MS, MAX_TTL_MS + 1, 1])
    return await signEnvelope(party.key, message, { now, ttlMs, nonce, signer: this.signatures.sign })
  }

  /** Signs arbitrary prefix bytes the way an envelope is signed, appending the signature field. */
  async signPrefix (prefix: Uint8Array, party: Party): Promise<Uint8Array> {
    const signature = await this.signatures.sign(party.key, concatBytes([ENVELOPE_SIGNATURE_DOMAIN, prefix]))
    return concatBytes([prefix, serializeFields([makeField(SIGNATURE_FIELD, 2, signature)])])
  }

  /** The party whose key an envelope's prefix names, if one of ours. */
  private signerOf (fields: WireField[]): Party | undefined {
    const key = fields.findLast(f => f.number === 4 && f.wire === 2)
    return key == null ? undefined : this.byKey.get(Buffer.from(key.value).toString('base64'))
  }

  /**
   * The next input: a fresh valid message; one with an edge value signed by its sender; a
   * mutation of signed bytes (no key: malleability); a mutated encoding re-signed by a key
   * holder (non-canonical forms); or known bytes under another clock or context.
   */
  async next (rng: Prng, pool: Pool<EnvelopeInput>, contexts: number): Promise<EnvelopeInput> {
    const context = rng.chance(0.8) ? 1 % Math.max(1, contexts) : rng.int(contexts)
    const mode = rng.weighted<string>([[10, 'fresh'], [20, 'edge'], [40, 'mutate'], [20, 'resign'], [10, 'context']])
    const party = rng.chance(0.9) ? this.parties[0] : rng.pick(this.parties)
    if (mode === 'fresh' || mode === 'edge' || pool.items.length === 0) {
      const type = rng.pick(this.types)
      let message = validMessage(rng, type, NOW, this.parties)
      if (mode === 'edge') for (let n = rng.range(1, 2); n > 0; n--) message = mutateBody(rng, message, NOW)
      try {
        return { now: NOW, context, signed: true, bytes: await this.sign(rng, party, message, NOW) }
      } catch {
        // the encoder refused the edge value
        return { now: NOW, context, signed: true, bytes: await this.sign(rng, party, validMessage(rng, type, NOW, this.parties), NOW) }
      }
    }
    const base = rng.pick(pool.items)
    const ctx = { rng, pool: pool.items.map(i => i.bytes), schema: envelopeSchema(), message: 'Envelope', payloadOf, dictionary: DEFAULT_DICTIONARY }
    switch (mode) {
      case 'mutate': {
        const bytes = mutate(base.bytes, ctx)
        // a mutation that changed nothing, or spliced another whole input, leaves bytes that a key holder signed
        const same = pool.items.find(i => bytesEqual(i.bytes, bytes))
        return { now: base.now, context: base.context, signed: same?.signed ?? false, bytes }
      }
      case 'resign': {
        const fields = parseFields(base.bytes)
        if (fields == null) return { ...base, signed: false, bytes: mutate(base.bytes, ctx) }
        const prefix = serializeFields(fields.filter(f => f.number !== SIGNATURE_FIELD))
        const mutated = mutate(prefix, ctx)
        const signer = this.signerOf(parseFields(mutated) ?? []) ?? party
        return { now: base.now, context: base.context, signed: true, bytes: await this.signPrefix(mutated, signer) }
      }
      default:
        return {
          now: rng.pick([base.now, base.now - 1, base.now + 1, base.now + MAX_TTL_MS, base.now + MAX_TTL_MS + 1, 0, Date.now()]),
          context: rng.int(contexts),
          signed: base.signed,
          bytes: base.bytes
        }
    }
  }
}

/**
 * Judges a validation result by the oracle above; returns the outcome label. `spec` restates the
 * rules an accepted message must obey on this path and names the first it breaks.
 */
export async function judgeEnvelope (
  input: EnvelopeInput,
  result: ValidationResult,
  factory: EnvelopeFactory,
  spec: (input: EnvelopeInput, result: Extract<ValidationResult, { verdict: 'accept' }>) => string | undefined
): Promise<string> {
  // one input in 200 (picked by its bytes, so a replay does the same): does the node's fast
  // verifier agree with libp2p's own, as the port's contract says?
  if (fnv(input.bytes) % 200 === 0) await differential(input.bytes, factory)
  if (result.verdict !== 'accept') {
    if (!(result.error instanceof ValidationError)) throw new Finding('crash', 'validation returned an untyped error', String(result.error))
    // the validator turns exceptions it did not expect into `malformed`; the fuzzer calls them crashes
    if (result.reason === 'malformed' && result.error.message.startsWith('unexpected:')) {
      throw new Finding('crash', 'validator caught an unexpected exception', result.error.message)
    }
    // bytes a third party changed must not even open: refused later (as a replay, stale, off
    // topic), they still passed the signature check under another form than the one signed
    if (!input.signed && !BEFORE_OPEN.has(result.reason) && await opens(input.bytes, factory)) {
      const where = malleated(input.bytes)
      throw refused(`malleable envelope: changed bytes still open (${where})`, `an envelope nobody signed in this form opened (then ${result.verdict}:${result.reason}): ${where}`)
    }
    return `${result.verdict}:${result.reason}`
  }
  const problem = canonicalProblem(input.bytes, envelopeSchema(), 'Envelope', payloadOf)
  const trait = problem?.split(' ')[0]
  if (!input.signed) {
    const where = malleated(input.bytes)
    throw refused(`malleable envelope: changed bytes still open (${where})`, `an envelope nobody signed in this form was accepted: ${where}`)
  }
  if (problem != null && trait !== 'unknown-field') {
    throw refused(`non-canonical envelope accepted (${trait})`, `a key holder's non-canonical encoding was accepted: ${problem}`)
  }
  const broken = spec(input, result)
  if (broken != null) throw refused(`accepted but breaks a rule: ${broken}`, `${result.envelope.message.type}: ${broken}`)
  return trait === 'unknown-field' ? 'accept:unknown-field' : `accept:${result.envelope.message.type}`
}

/**
 * Where a third party changed an envelope that still opens. Without the key only the bytes after
 * the signed prefix can change: the signature field's tag, its length, or the signature itself.
 */
function malleated (bytes: Uint8Array): string {
  const sig = parseFields(bytes)?.findLast(f => f.number === SIGNATURE_FIELD)
  if (sig == null) return 'no signature field'
  if (!isMinimalVarint(sig.tag)) return 'non-minimal tag of the signature field'
  if (sig.len != null && !isMinimalVarint(sig.len)) return 'non-minimal length of the signature field'
  return 'another signature over the same prefix'
}

/** Reasons given before the signature is checked (or for it): such bytes never opened. */
const BEFORE_OPEN = new Set(['oversized', 'unsupported-version', 'unsupported-key', 'unsigned', 'bad-signature'])

async function opens (bytes: Uint8Array, factory: EnvelopeFactory): Promise<boolean> {
  try {
    await openEnvelope(bytes, { verifier: factory.signatures.verify })
    return true
  } catch {
    return false
  }
}

function fnv (bytes: Uint8Array): number {
  let h = 2166136261
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619)
  return h >>> 0
}

/** Opens the bytes with the node's verifier and with libp2p's default: both must agree. */
export async function differential (bytes: Uint8Array, factory: EnvelopeFactory): Promise<void> {
  const outcome = async (verifier?: typeof factory.signatures.verify): Promise<string> => {
    try {
      await openEnvelope(bytes, verifier != null ? { verifier } : {})
      return 'open'
    } catch (err) {
      if (err instanceof ValidationError) return err.code
      throw err
    }
  }
  const fast = await outcome(factory.signatures.verify)
  const slow = await outcome()
  if (fast !== slow) throw refused('signature backends disagree', `libsecp256k1 says ${fast}, libp2p says ${slow}`)
}

export { NOW }
