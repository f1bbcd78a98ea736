/**
 * A rider's watch on the driver that confirmed its ride: while the ride lasts, it checks every so
 * often that the driver can still be reached (a connection, or else a dial), and after a few
 * checks in a row that fail, it reports the driver gone. A trip update says nothing while the
 * car waits at a pickup or in traffic, so silence alone proves nothing: reachability does.
 */
import type { Clock, TimerHandle } from '../clock/index.js'
import type { Network } from '../network/index.js'
import type { Logger } from '@libp2p/interface'

/**
 * How often a rider checks that the driver that confirmed is reachable, clock ms: a look at its
 * connections, and a dial only when none is open. @default 10_000
 */
export const DEFAULT_LIVENESS_MS = 10_000

/** Failed checks in a row before the driver counts as gone. @default 3 */
export const DEFAULT_LIVENESS_MISSES = 3

/** Options of {@link DriverLiveness}. */
export interface DriverLivenessInit {
  network: Pick<Network, 'connectedPeers' | 'dial'>
  clock: Clock
  log: Logger
  driver: string
  /** @default DEFAULT_LIVENESS_MS */
  intervalMs?: number
  /** @default DEFAULT_LIVENESS_MISSES */
  misses?: number
  /** called once, when the driver is gone */
  lost: () => void
}

/** Checks one driver's reachability until stopped or lost. */
export class DriverLiveness {
  private readonly init: DriverLivenessInit
  private readonly intervalMs: number
  private readonly maxMisses: number
  private misses = 0
  private timer: TimerHandle | undefined
  private stopped = false
  private dialing: AbortController | undefined

  constructor (init: DriverLivenessInit) {
    this.init = init
    this.intervalMs = init.intervalMs ?? DEFAULT_LIVENESS_MS
    this.maxMisses = init.misses ?? DEFAULT_LIVENESS_MISSES
  }

  start (): void {
    this.schedule()
  }

  /** Stops checking (the ride ended). Idempotent. */
  stop (): void {
    this.stopped = true
    if (this.timer != null) this.init.clock.clearTimeout(this.timer)
    this.timer = undefined
    this.dialing?.abort()
  }

  private schedule (): void {
    if (this.stopped) return
    this.timer = this.init.clock.setTimeout(() => { void this.check() }, this.intervalMs)
  }

  private async check (): Promise<void> {
    this.timer = undefined
    if (this.stopped) return
    const { network, driver, clock, log } = this.init
    let reached = network.connectedPeers().includes(driver)
    if (!reached) {
      // one interval to dial it again (through any address it is known by, a relay's included)
      this.dialing = new AbortController()
      const timeout = clock.setTimeout(() => { this.dialing?.abort() }, this.intervalMs)
      reached = await network.dial(driver, { signal: this.dialing.signal }).then(() => true, () => false)
      clock.clearTimeout(timeout)
      this.dialing = undefined
    }
    if (this.stopped) return
    if (reached) {
      this.misses = 0
    } else if (++this.misses >= this.maxMisses) {
      log('the driver %s could not be reached %d times in a row: it is gone', driver, this.misses)
      this.stopped = true
      this.init.lost()
      return
    } else {
      log('the driver %s could not be reached (%d of %d)', driver, this.misses, this.maxMisses)
    }
    this.schedule()
  }
}
