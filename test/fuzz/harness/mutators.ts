/**
 * Mutators: blind byte mutations, and protobuf-aware ones that know the wire format (and, given
 * a schema, which fields hold nested messages): varint tweaks, non-minimal varints, duplicated,
 * reordered, dropped and unknown fields, changed wire types, length lies, truncation, splicing
 * fields of other valid messages, and mutations inside nested messages.
 */
import { WIRE, type Schema } from './proto-schema.js'
import { concatBytes, encodeVarint, makeField, paddedVarint, parseFields, readVarint, serializeFields, type WireField } from './wire.js'
import type { Prng } from './prng.js'

/** What a mutation may draw on. */
export interface MutationContext {
  rng: Prng
  /** other valid inputs, to splice from */
  pool?: readonly Uint8Array[]
  /** the schema and the message the bytes are, for protobuf-aware mutations */
  schema?: Schema
  message?: string
  /** the message type carried in a bytes field (e.g. the envelope's payload), if any */
  payloadOf?: (message: string, field: number, fields: WireField[]) => string | undefined
  /** values worth trying in string and bytes fields */
  dictionary?: readonly Uint8Array[]
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Strings that trip parsers of amounts, ids, cells and hex. */
export const DEFAULT_DICTIONARY: readonly Uint8Array[] = [
  '', '0', '00', '01', '-0', '-1', '+1', ' 1', '1 ', '1e3', '0x10', '0X1', 'NaN', 'Infinity', 'null', 'true',
  '115792089237316195423570985008687907853269984665640564039457584007913129639935',
  '115792089237316195423570985008687907853269984665640564039457584007913129639936',
  '9'.repeat(78), '1' + '0'.repeat(78), '9007199254740993', '18446744073709551615', '18446744073709551616',
  'A'.repeat(64), 'A'.repeat(65), 'a'.repeat(257), 'req-1', 'q-1', 'wei', 'WEI', 'a/b', '../', '%00', '\u0000', 'é', '💥',
  '871f1d489ffffff', '8a1f1d4892affff', '801ffffffffffff', '0x' + '0'.repeat(64), '0x' + 'F'.repeat(64), '0x' + 'f'.repeat(40)
].map(utf8).concat([
  Uint8Array.of(0xff), Uint8Array.of(0xc0, 0x80), Uint8Array.of(0xed, 0xa0, 0x80), Uint8Array.of(0xf4, 0x90, 0x80, 0x80)
])

/** Varint values at the edges of every width a decoder may use. */
const INTERESTING_VARINTS: readonly bigint[] = [
  0n, 1n, 2n, 8n, 9n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
  (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 2n
]

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x08, 0x10, 0x12, 0x1a, 0x22, 0x3a]

// ---------------------------------------------------------------- byte mutations

function byteMutation (bytes: Uint8Array, ctx: MutationContext): Uint8Array {
  const { rng } = ctx
  const n = bytes.length
  const at = (): number => rng.int(n + 1)
  const kind = rng.int(12)
  switch (kind) {
    case 0: { // flip a bit
      if (n === 0) return Uint8Array.of(rng.int(256))
      const out = bytes.slice(); out[rng.int(n)] ^= 1 << rng.int(8); return out
    }
    case 1: { // an interesting byte
      if (n === 0) return Uint8Array.of(rng.pick(INTERESTING_BYTES))
      const out = bytes.slice(); out[rng.int(n)] = rng.pick(INTERESTING_BYTES); return out
    }
    case 2: { // byte arithmetic
      if (n === 0) return bytes
      const out = bytes.slice(); const i = rng.int(n); out[i] = (out[i] + rng.range(-16, 16)) & 0xff; return out
    }
    case 3: { // insert random bytes
      const i = at(); return concatBytes([bytes.subarray(0, i), rng.bytes(rng.range(1, 16)), bytes.subarray(i)])
    }
    case 4: { // insert a dictionary token
      const i = at(); const tok = rng.pick(ctx.dictionary ?? DEFAULT_DICTIONARY)
      return concatBytes([bytes.subarray(0, i), tok, bytes.subarray(i)])
    }
    case 5: { // delete a range
      if (n === 0) return bytes
      const i = rng.int(n); const len = rng.range(1, Math.min(32, n - i))
      return concatBytes([bytes.subarray(0, i), bytes.subarray(i + len)])
    }
    case 6: { // duplicate a range
      if (n === 0) return bytes
      const i = rng.int(n); const len = rng.range(1, Math.min(64, n - i)); const j = at()
      return concatBytes([bytes.subarray(0, j), bytes.subarray(i, i + len), bytes.subarray(j)])
    }
    case 7: // truncate
      return bytes.subarray(0, rng.int(n + 1)).slice()
    case 8: // extend with random tail
      return concatBytes([bytes, rng.bytes(rng.range(1, 32))])
    case 9: { // overwrite a range with random bytes
      if (n === 0) return bytes
      const out = bytes.slice(); const i = rng.int(n); out.set(rng.bytes(Math.min(n - i, rng.range(1, 8))), i); return out
    }
    case 10: { // splice with another input (crossover)
      const other = ctx.pool != null && ctx.pool.length > 0 ? rng.pick(ctx.pool) : bytes
      return concatBytes([bytes.subarray(0, at()), other.subarray(rng.int(other.length + 1))])
    }
    default: { // swap two bytes
      if (n < 2) return bytes
      const out = bytes.slice(); const i = rng.int(n); const j = rng.int(n); [out[i], out[j]] = [out[j], out[i]]; return out
    }
  }
}

// ---------------------------------------------------------------- protobuf mutations

function withTag (f: WireField, number: number, wire: number): WireField {
  return { ...f, number, wire, tag: encodeVarint((BigInt(number) << 3n) | BigInt(wire)) }
}

function setLen (f: WireField, value: Uint8Array): WireField {
  return { ...f, value, len: encodeVarint(value.length) }
}

/** A value of the field's wire type. */
function randomValue (ctx: MutationContext, wire: number): Uint8Array {
  const { rng } = ctx
  switch (wire) {
    case WIRE.VARINT: return encodeVarint(rng.chance(0.7) ? rng.pick(INTERESTING_VARINTS) : rng.u64())
    case WIRE.I64: return rng.chance(0.5) ? rng.bytes(8) : doubleBytes(rng.pick([0, -0, NaN, Infinity, -Infinity, 90, 90.0000001, -180.5, 1e308, 5e-324]))
    case WIRE.I32: return rng.bytes(4)
    default: return rng.chance(0.6) ? rng.pick(ctx.dictionary ?? DEFAULT_DICTIONARY) : rng.bytes(rng.pick([0, 1, 8, 31, 32, 33, 64, 65, 66, 200]))
  }
}

function doubleBytes (x: number): Uint8Array {
  const out = new Uint8Array(8)
  new DataView(out.buffer).setFloat64(0, x, true)
  return out
}

function nestedType (ctx: MutationContext, message: string | undefined, f: WireField, fields: WireField[]): string | undefined {
  if (message == null || ctx.schema == null) return undefined
  const known = ctx.schema.get(message)?.fields.get(f.number)
  if (known?.kind === 'message') return known.type
  return ctx.payloadOf?.(message, f.number, fields)
}

function fieldMutation (fields: WireField[], ctx: MutationContext, message: string | undefined, depth: number): WireField[] {
  const { rng } = ctx
  const out = fields.slice()
  const i = out.length > 0 ? rng.int(out.length) : 0
  const f = out[i] as WireField | undefined
  const kind = f == null ? 6 : rng.int(13)
  switch (kind) {
    case 0: { // varint tweak
      const v = out.find((_, k) => k >= i && out[k].wire === WIRE.VARINT) ?? out.find(x => x.wire === WIRE.VARINT)
      if (v == null) break
      const old = readVarint(v.value, 0)?.value ?? 0n
      const next = rng.weighted<bigint>([[3, rng.pick(INTERESTING_VARINTS)], [2, old + 1n], [2, old > 0n ? old - 1n : 1n], [1, rng.u64()], [1, old ^ (1n << BigInt(rng.int(64)))]])
      out[out.indexOf(v)] = { ...v, value: encodeVarint(next) }
      break
    }
    case 1: { // non-minimal varint: in the tag, the length or the value
      const which = rng.int(3)
      const pad = rng.range(1, 4)
      if (which === 0) out[i] = { ...f!, tag: paddedVarint(readVarint(f!.tag, 0)!.value, pad) }
      else if (which === 1 && f!.len != null) out[i] = { ...f!, len: paddedVarint(BigInt(f!.value.length), pad) }
      else if (f!.wire === WIRE.VARINT) out[i] = { ...f!, value: paddedVarint(readVarint(f!.value, 0)!.value, pad) }
      else out[i] = { ...f!, tag: paddedVarint(readVarint(f!.tag, 0)!.value, pad) }
      break
    }
    case 2: // duplicate a field
      out.splice(rng.int(out.length + 1), 0, f!)
      break
    case 3: { // reorder: swap two fields, or move one
      const j = rng.int(out.length)
      if (rng.chance(0.5)) { [out[i], out[j]] = [out[j], out[i]] } else { out.splice(i, 1); out.splice(j, 0, f!) }
      break
    }
    case 4: // drop a field
      out.splice(i, 1)
      break
    case 5: { // change the wire type
      out[i] = withTag(f!, f!.number, rng.pick([0, 1, 2, 3, 4, 5, 6, 7].filter(w => w !== f!.wire)))
      break
    }
    case 6: { // insert an unknown or known field with a fresh value
      const number = rng.weighted<number>([[3, rng.range(1, 12)], [2, rng.range(100, 199)], [1, rng.range(1000, 1100)], [1, 536870911], [1, rng.range(13, 99)]])
      const wire = rng.pick([WIRE.VARINT, WIRE.I64, WIRE.LEN, WIRE.I32])
      out.splice(rng.int(out.length + 1), 0, makeField(number, wire, randomValue(ctx, wire)))
      break
    }
    case 7: { // length lie: the length varint no longer matches the bytes that follow
      const l = out.find((_, k) => k >= i && out[k].len != null) ?? out.find(x => x.len != null)
      if (l == null) break
      const delta = rng.pick([-2, -1, 1, 2, 7, 127, 128, 65536, 2 ** 31, -l.value.length])
      out[out.indexOf(l)] = { ...l, len: encodeVarint(Math.max(0, l.value.length + delta)) }
      break
    }
    case 8: { // replace a field's value (same wire type)
      out[i] = f!.wire === WIRE.LEN ? setLen(f!, randomValue(ctx, WIRE.LEN)) : { ...f!, value: randomValue(ctx, f!.wire) }
      break
    }
    case 9: { // splice a field of another valid message
      const other = ctx.pool != null && ctx.pool.length > 0 ? parseFields(rng.pick(ctx.pool)) : undefined
      if (other == null || other.length === 0) break
      const g = rng.pick(other)
      if (rng.chance(0.5)) out[i] = g
      else out.splice(rng.int(out.length + 1), 0, g)
      break
    }
    case 10: { // renumber a field (same wire type)
      out[i] = withTag(f!, rng.chance(0.5) ? f!.number + rng.pick([-1, 1]) : rng.range(1, 12), f!.wire)
      break
    }
    default: { // mutate inside a nested message (or a bytes field), then fix its length (mostly)
      const l = out.find((_, k) => k >= i && out[k].wire === WIRE.LEN) ?? out.find(x => x.wire === WIRE.LEN)
      if (l == null) break
      const inner = mutateBytes(l.value, { ...ctx, message: nestedType(ctx, message, l, out) }, depth + 1)
      out[out.indexOf(l)] = rng.chance(0.9) ? setLen(l, inner) : { ...l, value: inner }
      break
    }
  }
  return out
}

/** One mutation of `bytes`: protobuf-aware when the bytes parse as fields, else a byte mutation. */
export function mutateBytes (bytes: Uint8Array, ctx: MutationContext, depth = 0): Uint8Array {
  const fields = depth < 6 && ctx.rng.chance(0.75) ? parseFields(bytes) : undefined
  if (fields != null && (fields.length > 0 || ctx.rng.chance(0.3))) {
    return serializeFields(fieldMutation(fields, ctx, ctx.message, depth))
  }
  return byteMutation(bytes, ctx)
}

/** `rounds` mutations in a row (1..4 by default, mostly 1). */
export function mutate (bytes: Uint8Array, ctx: MutationContext, rounds = ctx.rng.weighted<number>([[6, 1], [3, 2], [1, 3], [1, 4]])): Uint8Array {
  let out = bytes
  for (let r = 0; r < rounds; r++) out = mutateBytes(out, ctx)
  return out
}
