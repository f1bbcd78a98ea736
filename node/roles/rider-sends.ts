/**
 * The rider's direct messages to drivers: an accept (a driver out of reach counts as a
 * decline), the exact points to the driver that confirmed (tried again a few times), and the
 * rest.
 */
import { Decline } from '../../protocol/index.js'
import type { HitchNode } from '../hitch-node.js'
import type { HitchMessage, OpenedEnvelope, RiderEvent } from '../../protocol/index.js'
import type { Logger } from '@libp2p/interface'

/** Tries to deliver the exact points to the driver that confirmed before giving up. */
const REVEAL_ATTEMPTS = 3
/** Clock ms before the second try of the reveal (then twice that). */
const REVEAL_RETRY_MS = 1_000

/** What sending needs of a ride in progress. */
export interface SendingRide {
  readonly done: boolean
  /** aborted when the ride ends: stops the reveal's retries */
  readonly ended: AbortController
}

/** Options of {@link RiderSends}. */
export interface RiderSendsInit<R extends SendingRide> {
  node: Pick<HitchNode, 'send' | 'clock'>
  log: Logger
  /** timeout of each direct message to a driver, real ms. @default the network's */
  sendTimeoutMs?: number
  /** feeds the ride's machine an event (made with the clock's time then) after the events before it */
  feedLater: (ride: R, event: (now: number) => RiderEvent) => void
}

/** Sends the rider's direct messages with the rider's send timeout. */
export class RiderSends<R extends SendingRide> {
  private readonly init: RiderSendsInit<R>

  constructor (init: RiderSendsInit<R>) {
    this.init = init
  }

  /** Sends one message to a driver; resolves with its answer, if any. */
  async send (to: string, message: HitchMessage): Promise<OpenedEnvelope | undefined> {
    return await this.init.node.send(to, message, this.sendOptions())
  }

  /**
   * Sends an accept. The answer comes later as a confirm or decline; a driver that cannot be
   * reached counts as a decline, so the rider falls back at once instead of waiting out the
   * accept timeout.
   */
  accept (ride: R, driver: string, message: HitchMessage): void {
    if (message.type !== 'accept') {
      return
    }
    const { requestId, quoteId } = message.body
    this.init.node.send(driver, message, this.sendOptions()).catch(err => {
      this.init.log('accept to %s failed, falling back - %e', driver, err)
      this.init.feedLater(ride, now => ({ type: 'decline', from: driver, decline: { requestId, quoteId, reason: Decline.Reason.OTHER }, now }))
    })
  }

  /**
   * Sends the exact points to the driver that confirmed, again when a send fails, up to
   * {@link REVEAL_ATTEMPTS} times; then the ride fails as `driver-unreachable`.
   */
  reveal (ride: R, driver: string, message: HitchMessage): void {
    const { node, log } = this.init
    void (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await node.send(driver, message, this.sendOptions())
          return
        } catch (err) {
          if (ride.done) return
          if (attempt >= REVEAL_ATTEMPTS) {
            log('the exact points did not reach %s - %e', driver, err)
            this.init.feedLater(ride, now => ({ type: 'unreachable', from: driver, now }))
            return
          }
        }
        try {
          await node.clock.sleep(REVEAL_RETRY_MS * attempt, { signal: ride.ended.signal })
        } catch {
          return
        }
      }
    })()
  }

  private sendOptions (): { timeoutMs?: number } {
    return this.init.sendTimeoutMs != null ? { timeoutMs: this.init.sendTimeoutMs } : {}
  }
}
