/**
 * The protobuf wire format, byte by byte: split an encoding into its fields keeping every raw
 * byte (so that non-minimal varints, odd orders and unknown fields survive a round trip), put
 * fields back together, and say whether an encoding is the canonical one, i.e. what protons
 * itself writes: minimal varints, known fields once each in ascending order, no explicit default
 * of a proto3 scalar, nested messages canonical too.
 */
import { WIRE, type Schema } from './proto-schema.js'

/** One field as it sits on the wire. */
export interface WireField {
  number: number
  wire: number
  /** the raw tag varint */
  tag: Uint8Array
  /** for LEN fields: the raw length varint */
  len?: Uint8Array
  /** the raw value bytes: the varint, the fixed bytes, or the LEN payload */
  value: Uint8Array
}

/** Reads a varint at `pos`: its value and its end, or undefined if it runs off the end or past 10 bytes. */
export function readVarint (bytes: Uint8Array, pos: number): { value: bigint, end: number } | undefined {
  let value = 0n
  let shift = 0n
  for (let i = pos; i < bytes.length && i < pos + 10; i++) {
    const b = bytes[i]
    value |= BigInt(b & 0x7f) << shift
    shift += 7n
    if ((b & 0x80) === 0) return { value, end: i + 1 }
  }
  return undefined
}

/** The minimal varint of `value` (as unsigned 64-bit). */
export function encodeVarint (value: bigint | number): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value))
  const out: number[] = []
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return Uint8Array.from(out)
}

/** A varint of `value` padded with `extra` continuation bytes (non-minimal, same value), at most 10 bytes. */
export function paddedVarint (value: bigint | number, extra: number): Uint8Array {
  const min = encodeVarint(value)
  const total = Math.min(10, min.length + Math.max(1, extra))
  const out = new Uint8Array(total)
  out.set(min)
  for (let i = 0; i < min.length; i++) out[i] |= 0x80
  for (let i = min.length; i < total - 1; i++) out[i] = 0x80
  out[total - 1] = 0x00
  if (total === min.length) return min
  return out
}

/** True if the varint bytes are the shortest encoding of their value. */
export function isMinimalVarint (raw: Uint8Array): boolean {
  return raw.length === 1 || raw[raw.length - 1] !== 0
}

/** Splits an encoding into fields; undefined if it is not a well-formed field sequence. */
export function parseFields (bytes: Uint8Array): WireField[] | undefined {
  const fields: WireField[] = []
  let pos = 0
  while (pos < bytes.length) {
    const t = readVarint(bytes, pos)
    if (t == null || t.value > 0xffffffffn) return undefined
    const tag = bytes.subarray(pos, t.end)
    const number = Number(t.value >> 3n)
    const wire = Number(t.value & 7n)
    if (number === 0) return undefined
    pos = t.end
    switch (wire) {
      case WIRE.VARINT: {
        const v = readVarint(bytes, pos)
        if (v == null) return undefined
        fields.push({ number, wire, tag, value: bytes.subarray(pos, v.end) })
        pos = v.end
        break
      }
      case WIRE.I64:
        if (pos + 8 > bytes.length) return undefined
        fields.push({ number, wire, tag, value: bytes.subarray(pos, pos + 8) })
        pos += 8
        break
      case WIRE.I32:
        if (pos + 4 > bytes.length) return undefined
        fields.push({ number, wire, tag, value: bytes.subarray(pos, pos + 4) })
        pos += 4
        break
      case WIRE.LEN: {
        const l = readVarint(bytes, pos)
        if (l == null || l.value > BigInt(bytes.length - l.end)) return undefined
        const len = bytes.subarray(pos, l.end)
        const end = l.end + Number(l.value)
        fields.push({ number, wire, tag, len, value: bytes.subarray(l.end, end) })
        pos = end
        break
      }
      default:
        return undefined
    }
  }
  return fields
}

/** Puts fields back together exactly as given (raw tags and lengths kept). */
export function serializeFields (fields: readonly WireField[]): Uint8Array {
  let size = 0
  for (const f of fields) size += f.tag.length + (f.len?.length ?? 0) + f.value.length
  const out = new Uint8Array(size)
  let pos = 0
  for (const f of fields) {
    out.set(f.tag, pos); pos += f.tag.length
    if (f.len != null) { out.set(f.len, pos); pos += f.len.length }
    out.set(f.value, pos); pos += f.value.length
  }
  return out
}

/** A field with a minimal tag and, for LEN, a minimal length that matches `value`. */
export function makeField (number: number, wire: number, value: Uint8Array): WireField {
  const tag = encodeVarint((BigInt(number) << 3n) | BigInt(wire))
  return wire === WIRE.LEN ? { number, wire, tag, len: encodeVarint(value.length), value } : { number, wire, tag, value }
}

/** Concatenates byte arrays. */
export function concatBytes (parts: readonly Uint8Array[]): Uint8Array {
  let size = 0
  for (const p of parts) size += p.length
  const out = new Uint8Array(size)
  let pos = 0
  for (const p of parts) { out.set(p, pos); pos += p.length }
  return out
}

/** Byte-wise equality. */
export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Lower-case hex. */
export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** Bytes from hex (no prefix). */
export function fromHex (hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

/**
 * Where an encoding departs from the canonical one, as a short class name without positions
 * (e.g. `non-minimal-length Envelope.signature`), or undefined if it is canonical.
 * `payloadOf` names the message type of a bytes field that carries a message (the envelope's
 * payload), so it is checked too. Unknown fields are reported as `unknown-field`, a class of its
 * own: Hitch's `.proto` rules let a newer peer add fields, so callers decide what they mean.
 */
export function canonicalProblem (
  bytes: Uint8Array,
  schema: Schema,
  messageName: string,
  payloadOf?: (message: string, field: number, fields: WireField[]) => string | undefined,
  depth = 0
): string | undefined {
  const message = schema.get(messageName)
  if (message == null) return `no-schema ${messageName}`
  const fields = parseFields(bytes)
  if (fields == null) return `invalid-wire-format ${messageName}`
  let last = 0
  let unknown: string | undefined
  for (const f of fields) {
    const known = message.fields.get(f.number)
    const where = `${messageName}.${known?.name ?? f.number}`
    if (!isMinimalVarint(f.tag)) return `non-minimal-tag ${where}`
    if (f.len != null && !isMinimalVarint(f.len)) return `non-minimal-length ${where}`
    if (known == null) {
      // by message only: the field numbers an attacker can pick are endless
      unknown ??= `unknown-field ${messageName}`
      continue
    }
    if (f.wire !== known.wire) return `wrong-wire-type ${where}`
    if (f.number < last || (f.number === last && !known.repeated)) return `${f.number === last ? 'duplicate' : 'out-of-order'} ${where}`
    last = f.number
    if (f.wire === WIRE.VARINT && !isMinimalVarint(f.value)) return `non-minimal-varint ${where}`
    if (!known.repeated && !known.optional && isDefault(known, f)) return `explicit-default ${where}`
    if (depth < 16) {
      const nested = known.kind === 'message' ? known.type : payloadOf?.(messageName, f.number, fields)
      if (nested != null) {
        const problem = canonicalProblem(f.value, schema, nested, payloadOf, depth + 1)
        if (problem != null) return problem
      }
    }
  }
  return unknown
}

/** A proto3 scalar at its default (protons does not write those). */
function isDefault (field: { kind: string, type: string }, f: WireField): boolean {
  if (field.kind === 'message') return false
  const view = new DataView(f.value.buffer, f.value.byteOffset, f.value.byteLength)
  switch (f.wire) {
    case WIRE.VARINT: return readVarint(f.value, 0)?.value === 0n
    // protons compares with `!== 0`, so it writes neither 0 nor -0
    case WIRE.I64: return field.type === 'double' ? view.getFloat64(0, true) === 0 : f.value.every(b => b === 0)
    case WIRE.I32: return field.type === 'float' ? view.getFloat32(0, true) === 0 : f.value.every(b => b === 0)
    case WIRE.LEN: return f.value.length === 0
    default: return false
  }
}
