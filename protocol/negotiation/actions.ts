import type { HitchMessage } from '../hitch-message.js'
import type { Accept, Reveal } from '../pb/messages.js'
import type { ReceivedQuote } from './received-quote.js'

/**
 * What a negotiation machine asks its node to do. The machines never touch the network or a
 * clock: the node executes these and feeds the outcomes back as events.
 */
export type NegotiationAction =
  /** sign and send `message` to the peer `to` on a direct stream */
  | { type: 'send', to: string, message: HitchMessage }
  /** sign and publish `message` on the gossip topic */
  | { type: 'publish', topic: string, message: HitchMessage }
  /** after `afterMs` of the node's clock, deliver `{ type: 'timer', id }`; replaces a timer with the same id */
  | { type: 'set-timer', id: string, afterMs: number }
  /** forget the timer `id` (no-op if it already fired) */
  | { type: 'clear-timer', id: string }
  /**
   * Driver only: re-run insertion of this accepted ride into the current plan, on the request's
   * cells (the accept carries no exact point), and answer with a `recheck-result` event.
   */
  | { type: 'recheck', key: string, rider: string, accept: Accept }
  /**
   * Driver only: the committed ride's exact points arrived: check the rider's identity binding,
   * fit the points into the plan, and answer with a `fit-result` event.
   */
  | { type: 'fit', key: string, rider: string, reveal: Reveal }
  /** Driver only: a ride whose points were fitted into the plan has ended: take its stops out */
  | { type: 'drop', key: string }
  /**
   * Rider only (`RiderConfig.choose`): ask the user to pick one of `quotes` (usable, best first)
   * for ride `requestId`, and answer with a `chosen` event
   */
  | { type: 'choose', requestId: string, quotes: ReceivedQuote[] }
  /**
   * Rider only (`RiderConfig.choose`): the quote the user picked, `quoteId`, could not be
   * accepted at the pick's time (`reason`), and no other was accepted in its place: tell the
   * user. `askAgain`: a `choose` over the quotes still usable follows in the same step;
   * otherwise none is usable, and the ride goes on as it would without quotes (waits for more,
   * or fails once past its deadline).
   */
  | { type: 'pick-lost', requestId: string, quoteId: string, reason: LostPickReason, askAgain: boolean }

/**
 * Why the user's pick could not be accepted: `expired`, the quote's expiry passed while the
 * user chose; `not-offered`, the pick names no quote the rider was offered and still holds.
 */
export type LostPickReason = 'expired' | 'not-offered'

/** The result of one step of a machine. */
export interface Transition<S> {
  state: S
  actions: NegotiationAction[]
}
