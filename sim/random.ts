import { InvalidParametersError } from '@libp2p/interface'
import { createHash } from 'node:crypto'
import type { RandomSource } from '../node/index.js'

/**
 * A deterministic stream of random bytes for one peer of a simulation: SHA-256 of
 * `(seed, label, counter)`, so streams of different labels never overlap and a run repeats
 * exactly. Not for keys or anything secret outside a simulation.
 */
export function seededRandomSource (seed: number, label: string): RandomSource {
  let counter = 0
  let pool = new Uint8Array(0)
  let used = 0
  return (bytes: number): Uint8Array => {
    if (!Number.isInteger(bytes) || bytes < 0) throw new InvalidParametersError('bytes must be a non-negative integer')
    const out = new Uint8Array(bytes)
    let filled = 0
    while (filled < bytes) {
      if (used === pool.byteLength) {
        pool = createHash('sha256').update(`hitch-sim/${seed >>> 0}/${label}/${counter++}`).digest()
        used = 0
      }
      const n = Math.min(bytes - filled, pool.byteLength - used)
      out.set(pool.subarray(used, used + n), filled)
      used += n
      filled += n
    }
    return out
  }
}
