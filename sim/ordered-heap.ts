/**
 * A binary min-heap of items ordered by a comparator: the timer queue of the simulator's clocks
 * (`EventScheduler`, `DilatingClock`), which order timers by due time, then by when they were
 * set. Cancellation is the caller's: it drops stale items as they reach the top.
 */
export class OrderedHeap<T> {
  private readonly items: T[] = []
  private readonly before: (a: T, b: T) => boolean

  /** @param before - whether `a` comes out before `b` */
  constructor (before: (a: T, b: T) => boolean) {
    this.before = before
  }

  get size (): number {
    return this.items.length
  }

  /** The first item, without removing it. */
  peek (): T | undefined {
    return this.items[0]
  }

  push (item: T): void {
    const h = this.items
    h.push(item)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.before(h[i], h[p])) break
      ;[h[i], h[p]] = [h[p], h[i]]
      i = p
    }
  }

  /** Removes and returns the first item. */
  pop (): T | undefined {
    const h = this.items
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last != null) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && this.before(h[l], h[m])) m = l
        if (r < h.length && this.before(h[r], h[m])) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m], h[i]]
        i = m
      }
    }
    return top
  }

  /** Keeps only the items `keep` accepts (rebuilds the heap). */
  retain (keep: (item: T) => boolean): void {
    const kept = this.items.filter(keep)
    this.items.length = 0
    for (const item of kept) this.push(item)
  }
}
