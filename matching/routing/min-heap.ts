/**
 * A binary min-heap of (key, value) pairs over typed arrays, with lazy
 * deletion left to the caller: the same value may be pushed several times
 * and stale entries are skipped when popped. Preallocated and reused across
 * searches; it grows (rarely) by doubling.
 */
export class MinHeap {
  private keys: Float64Array
  private vals: Int32Array
  /** Number of entries. */
  size = 0
  /** Key of the entry the last `pop()` returned. */
  lastKey = 0

  /** @param capacity - initial number of slots @default 64 */
  constructor (capacity = 64) {
    this.keys = new Float64Array(Math.max(4, capacity))
    this.vals = new Int32Array(Math.max(4, capacity))
  }

  clear (): void {
    this.size = 0
  }

  /** Smallest key, or `Infinity` when empty. */
  peekKey (): number {
    return this.size > 0 ? this.keys[0] : Infinity
  }

  push (key: number, val: number): void {
    if (this.size === this.keys.length) this.grow()
    const keys = this.keys
    const vals = this.vals
    let i = this.size++
    while (i > 0) {
      const p = (i - 1) >> 1
      const pk = keys[p]
      if (pk <= key) break
      keys[i] = pk
      vals[i] = vals[p]
      i = p
    }
    keys[i] = key
    vals[i] = val
  }

  /** Removes the entry of smallest key and returns its value; its key is in `lastKey`. Empty heap: -1. */
  pop (): number {
    if (this.size === 0) return -1
    const keys = this.keys
    const vals = this.vals
    const top = vals[0]
    this.lastKey = keys[0]
    const n = --this.size
    if (n > 0) {
      const key = keys[n]
      const val = vals[n]
      let i = 0
      for (;;) {
        let c = 2 * i + 1
        if (c >= n) break
        if (c + 1 < n && keys[c + 1] < keys[c]) c++
        if (keys[c] >= key) break
        keys[i] = keys[c]
        vals[i] = vals[c]
        i = c
      }
      keys[i] = key
      vals[i] = val
    }
    return top
  }

  private grow (): void {
    const keys = new Float64Array(this.keys.length * 2)
    keys.set(this.keys)
    const vals = new Int32Array(this.vals.length * 2)
    vals.set(this.vals)
    this.keys = keys
    this.vals = vals
  }
}
