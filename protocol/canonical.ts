/**
 * One byte string per message: the checks that make a signed envelope non-malleable.
 *
 * Protobuf lets many byte strings decode to the same message: a varint padded with `0x80`
 * bytes (a tag, a length or a value), fields in another order, a field repeated (the last
 * wins), a default value written out. A DER signature has padded forms too, and ECDSA accepts
 * both `s` and `n - s`. Any of these outside the signed bytes lets a relay make a "new" copy of
 * a message that every cache keyed by bytes treats as unseen. The functions here are pure and
 * throw nothing: they answer whether bytes are in the one canonical form.
 */

/** Wire types a canonical message may use: varint, 64-bit, length-delimited, 32-bit (no groups). */
const WIRE_VARINT = 0
const WIRE_FIXED64 = 1
const WIRE_LEN = 2
const WIRE_FIXED32 = 5

/** One top-level field of a protobuf message, as found on the wire. */
export interface WireField {
  /** the field number */
  field: number
  /** the wire type (0, 1, 2 or 5) */
  wireType: number
  /** offset of the field's tag */
  start: number
  /** offset just after the field's value */
  end: number
  /** offset of the value (after the tag and, for length-delimited fields, the length) */
  valueStart: number
}

interface Varint {
  /** the value, or -1 for a value above 2^53 (only its minimality matters then) */
  value: number
  next: number
}

/**
 * Reads an unsigned varint at `pos` that must be minimal (no `0x80` padding before its last
 * byte) and at most 10 bytes (64 bits); undefined when it is not.
 */
function readMinimalVarint (bytes: Uint8Array, pos: number): Varint | undefined {
  let value = 0
  let scale = 1
  for (let i = 0; i < 10; i++) {
    const at = pos + i
    if (at >= bytes.byteLength) {
      return undefined
    }
    const b = bytes[at]
    if (i === 9 && b > 1) {
      // more than 64 bits
      return undefined
    }
    value += (b & 0x7f) * scale
    scale *= 128
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) {
        // a padded varint: 0x80 ... 0x00
        return undefined
      }
      return { value: value <= Number.MAX_SAFE_INTEGER ? value : -1, next: at + 1 }
    }
  }
  return undefined
}

/**
 * The top-level fields of a protobuf message, or undefined when the bytes are not a
 * well-formed message with minimal varints (tags, lengths and varint values), field numbers
 * from 1 and no group wire types. Says nothing about order or repeats.
 */
export function scanFields (bytes: Uint8Array): WireField[] | undefined {
  const fields: WireField[] = []
  let pos = 0
  while (pos < bytes.byteLength) {
    const start = pos
    const tag = readMinimalVarint(bytes, pos)
    if (tag == null || tag.value < 0 || tag.value > 0xffffffff) {
      return undefined
    }
    const field = Math.floor(tag.value / 8)
    const wireType = tag.value % 8
    if (field < 1 || field > 0x1fffffff) {
      return undefined
    }
    pos = tag.next
    let valueStart = pos
    switch (wireType) {
      case WIRE_VARINT: {
        const v = readMinimalVarint(bytes, pos)
        if (v == null) {
          return undefined
        }
        pos = v.next
        break
      }
      case WIRE_FIXED64:
        pos += 8
        break
      case WIRE_FIXED32:
        pos += 4
        break
      case WIRE_LEN: {
        const len = readMinimalVarint(bytes, pos)
        if (len == null || len.value < 0) {
          return undefined
        }
        valueStart = len.next
        pos = len.next + len.value
        break
      }
      default:
        return undefined
    }
    if (pos > bytes.byteLength) {
      return undefined
    }
    fields.push({ field, wireType, start, end: pos, valueStart })
  }
  return fields
}

/**
 * The canonical form of a message from its known part and its unknown fields: `known` is a
 * protobuf encoder's output for the fields this code knows (one encoding per value: minimal
 * varints, defaults left out, each field once), and each unknown field goes, as its raw bytes,
 * before the first known field with a higher number (in ascending order among themselves, the
 * order a newer encoder writes them). Undefined when `known` does not scan.
 */
export function mergeCanonical (known: Uint8Array, unknownFields: Uint8Array, unknown: WireField[]): Uint8Array | undefined {
  const knownFields = scanFields(known)
  if (knownFields == null) {
    return undefined
  }
  const sorted = [...unknown].sort((a, b) => a.field - b.field || a.start - b.start)
  const out = new Uint8Array(known.byteLength + sorted.reduce((n, f) => n + f.end - f.start, 0))
  let at = 0
  let u = 0
  const put = (src: Uint8Array, from: number, to: number): void => {
    out.set(src.subarray(from, to), at)
    at += to - from
  }
  for (const k of knownFields) {
    while (u < sorted.length && sorted[u].field < k.field) {
      put(unknownFields, sorted[u].start, sorted[u].end)
      u++
    }
    put(known, k.start, k.end)
  }
  for (; u < sorted.length; u++) {
    put(unknownFields, sorted[u].start, sorted[u].end)
  }
  return out
}

/** True when two byte strings are equal. */
export function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) {
    return false
  }
  for (let i = 0; i < a.byteLength; i++) {
    if (a[i] !== b[i]) {
      return false
    }
  }
  return true
}

/** The order of secp256k1's group, and half of it (the low-S bound). */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const SECP256K1_HALF_N = SECP256K1_N >> 1n

/**
 * Reads one DER INTEGER (`0x02 len bytes`) at `pos` that is minimal and positive: short-form
 * length, no needless leading zero, the sign bit clear.
 */
function readDerInteger (sig: Uint8Array, pos: number): { value: bigint, next: number } | undefined {
  if (pos + 2 > sig.byteLength || sig[pos] !== 0x02) {
    return undefined
  }
  const len = sig[pos + 1]
  if (len === 0 || len > 33 || pos + 2 + len > sig.byteLength) {
    return undefined
  }
  const body = sig.subarray(pos + 2, pos + 2 + len)
  if ((body[0] & 0x80) !== 0) {
    // negative
    return undefined
  }
  if (body[0] === 0 && (len === 1 || (body[1] & 0x80) === 0)) {
    // a zero value, or a leading zero that the sign bit does not need
    return undefined
  }
  let value = 0n
  for (const b of body) {
    value = (value << 8n) | BigInt(b)
  }
  return { value, next: pos + 2 + len }
}

/**
 * True for the one DER encoding of a secp256k1 ECDSA signature that libp2p's keys write:
 * `SEQUENCE { INTEGER r, INTEGER s }` with short-form lengths, minimal positive integers,
 * `0 < r < n`, `0 < s <= n/2` (low S: `s` and `n - s` verify alike, only the low one is
 * accepted), and nothing after it.
 */
export function isCanonicalSecp256k1Der (sig: Uint8Array): boolean {
  // 0x30 len: the whole signature is at most 2 + 2 * 35 bytes, so the length is short-form
  if (sig.byteLength < 8 || sig.byteLength > 72 || sig[0] !== 0x30 || sig[1] !== sig.byteLength - 2) {
    return false
  }
  const r = readDerInteger(sig, 2)
  if (r == null) {
    return false
  }
  const s = readDerInteger(sig, r.next)
  if (s == null || s.next !== sig.byteLength) {
    return false
  }
  return r.value < SECP256K1_N && s.value <= SECP256K1_HALF_N
}

/** The order of the Ed25519 group (RFC 8032's L). */
const ED25519_L = (1n << 252n) + 27742317777372353535851937790883648493n

/**
 * True for an Ed25519 signature in its one encoding: 64 bytes, `R || S` with `S < L` (RFC 8032
 * §5.1.7; `S + L` would verify under a lax verifier, so only the reduced one is accepted).
 */
export function isCanonicalEd25519Signature (sig: Uint8Array): boolean {
  if (sig.byteLength !== 64) {
    return false
  }
  let s = 0n
  for (let i = 63; i >= 32; i--) {
    s = (s << 8n) | BigInt(sig[i])
  }
  return s < ED25519_L
}

/** The unsigned varint of `n` (minimal) */
export function encodeVarint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 128) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

/**
 * One non-default value per wire type: a varint 1, a fixed 1, and two bytes that read as a
 * string, as bytes, or as a nested message whose field 1 is the varint 1.
 */
const PROBE_VALUES: Record<number, number[]> = {
  [WIRE_VARINT]: [0x01],
  [WIRE_FIXED64]: [1, 0, 0, 0, 0, 0, 0, 0],
  [WIRE_LEN]: [0x02, 0x08, 0x01],
  [WIRE_FIXED32]: [1, 0, 0, 0]
}

/**
 * A message made of field `field` alone, with a non-default value of `wireType`: a decoder
 * that knows the field keeps the value (its re-encoding is not empty) or fails on it (a wire
 * type that does not fit); one that does not know it skips it.
 */
export function probeField (field: number, wireType: number): Uint8Array {
  return Uint8Array.from([...encodeVarint(field * 8 + wireType), ...(PROBE_VALUES[wireType] ?? [])])
}
