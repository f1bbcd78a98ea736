/**
 * What insertion needs from routing: fastest-path travel times between
 * graph vertices. The contraction-hierarchy router implements it; tests may
 * use a plain Dijkstra behind the same interface.
 *
 * Every value is in seconds; `Infinity` where no path exists.
 */
export interface TravelTimeOracle {
  /** Seconds of the fastest path from `from` to `to`. */
  time (from: number, to: number): number
  /** Seconds from `source` to each of `targets`, in order. */
  timesFrom (source: number, targets: ArrayLike<number>): Float64Array
  /** Seconds from each of `sources` to `target`, in order. */
  timesTo (sources: ArrayLike<number>, target: number): Float64Array
}
