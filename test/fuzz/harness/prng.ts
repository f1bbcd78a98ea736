/**
 * A small seeded PRNG (sfc32, seeded through cyrb128) with the draws a fuzzer needs. Every input
 * of a run gets its own generator, derived from the run's seed, the target and the input's index,
 * so an input can be rebuilt from those three alone.
 */

/** cyrb128: four 32-bit words from a string (a seed hash, not a cryptographic one). */
function cyrb128 (text: string): [number, number, number, number] {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= (h2 ^ h3 ^ h4)
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

/** A seeded generator. Not for keys: for reproducible choices. */
export class Prng {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(seed)
    // warm up: the first outputs of sfc32 still echo the seed
    for (let i = 0; i < 12; i++) this.u32()
  }

  /** The generator of input `index` of `target` in a run seeded with `seed`. */
  static forInput (seed: string, target: string, index: number): Prng {
    return new Prng(`${seed}\u0000${target}\u0000${index}`)
  }

  /** A uniform 32-bit unsigned integer. */
  u32 (): number {
    const a = this.a; const b = this.b; const c = this.c; const d = this.d
    const t = (((a + b) | 0) + d) | 0
    this.d = (d + 1) | 0
    this.a = b ^ (b >>> 9)
    this.b = (c + (c << 3)) | 0
    this.c = ((c << 21) | (c >>> 11))
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** A float in [0, 1). */
  float (): number {
    return this.u32() / 4294967296
  }

  /** An integer in [0, n) (n <= 2^32). */
  int (n: number): number {
    if (n <= 1) return 0
    return Math.floor(this.float() * n)
  }

  /** An integer in [min, max], both included. */
  range (min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  /** True with probability `p`. */
  chance (p: number): boolean {
    return this.float() < p
  }

  /** One element of a non-empty list. */
  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  /** One element, drawn by weight: `[[weight, value], ...]`. */
  weighted<T> (items: ReadonlyArray<readonly [number, T]>): T {
    let total = 0
    for (const [w] of items) total += w
    let x = this.float() * total
    for (const [w, v] of items) {
      x -= w
      if (x < 0) return v
    }
    return items[items.length - 1][1]
  }

  /** `n` random bytes. */
  bytes (n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i += 4) {
      const v = this.u32()
      out[i] = v & 0xff
      if (i + 1 < n) out[i + 1] = (v >>> 8) & 0xff
      if (i + 2 < n) out[i + 2] = (v >>> 16) & 0xff
      if (i + 3 < n) out[i + 3] = v >>> 24
    }
    return out
  }

  /** A random 64-bit unsigned integer. */
  u64 (): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32())
  }

  /** A small size, skewed towards 0 (a geometric-ish draw below `max`). */
  small (max: number): number {
    return Math.min(max, Math.floor(-Math.log(1 - this.float()) * 2))
  }
}
