/**
 * Small seeded pseudo-random generators, so that synthetic cities, demand and
 * tests are reproducible from one integer seed.
 */

/** A function returning uniform floats in [0, 1). */
export type Random = () => number

/**
 * mulberry32: a 32-bit state PRNG (Tommy Ettinger's). Fast, good enough for
 * simulation and tests; not for cryptography.
 *
 * @param seed - any number; only its low 32 bits are used
 */
export function mulberry32 (seed: number): Random {
  let a = seed >>> 0
  return function next (): number {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Uniform integer in [0, n) from `rand`. */
export function randomInt (rand: Random, n: number): number {
  return Math.floor(rand() * n)
}

/** Uniform float in [min, max) from `rand`. */
export function randomRange (rand: Random, min: number, max: number): number {
  return min + (max - min) * rand()
}
