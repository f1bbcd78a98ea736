import { expect } from 'chai'
import { choiceEvent, initialRiderState, riderTimers, settledRiderState, stepRider } from '../../../../protocol/negotiation/index.js'
import { Cancel, Decline } from '../../../../protocol/pb/messages.js'
import { cellTopic } from '../../../../protocol/topics.js'
import { BERLIN_CELL, NOW, quote, request } from '../fixtures.js'
import type { LostPickReason, NegotiationAction, ReceivedQuote, RiderConfig, RiderEvent, RiderState } from '../../../../protocol/negotiation/index.js'
import type { Quote, RideRequest } from '../../../../protocol/pb/messages.js'

const req = request().body as RideRequest
const ride = { request: req, pickup: { lat: 52.5201, lon: 13.4049 }, dropoff: { lat: 52.391, lon: 13.065 }, deadlineAt: NOW + 30_000 }
const q = (over: Partial<Quote>): Quote => ({ ...(quote().body as Quote), ...over })
const A: ReceivedQuote = { from: 'driver-a', quote: q({ quoteId: 'qa', price: '5000' }), at: NOW + 1 }
const B: ReceivedQuote = { from: 'driver-b', quote: q({ quoteId: 'qb', price: '4000' }), at: NOW + 1 }
const C: ReceivedQuote = { from: 'driver-c', quote: q({ quoteId: 'qc', price: '4000', pickupMinutes: 1 }), at: NOW + 1 }
const id = req.requestId
const CHOOSE: RiderConfig = { choose: true }

const acceptTo = (r: ReceivedQuote): NegotiationAction => ({ type: 'send', to: r.from, message: { type: 'accept', body: { requestId: id, quoteId: r.quote.quoteId, seats: 1 } } })
const acceptTimer: NegotiationAction = { type: 'set-timer', id: riderTimers.accept(id), afterMs: 5000 }
const cancelTo = (to: string, reason: Cancel.Reason): NegotiationAction => ({ type: 'send', to, message: { type: 'cancel', body: { requestId: id, reason, note: '' } } })
const clearAll: NegotiationAction[] = [riderTimers.quoteWindow(id), riderTimers.accept(id), riderTimers.deadline(id)].map(t => ({ type: 'clear-timer', id: t }))
const chooseAmong = (...quotes: ReceivedQuote[]): NegotiationAction => ({ type: 'choose', requestId: id, quotes })

const requested: RiderState = { phase: 'requested', ride, quotes: [A, C, B], windowClosed: false }
const windowEnds: RiderEvent = { type: 'timer', id: riderTimers.quoteWindow(id), now: NOW + 3000 }
const choosingAtWindow: RiderState = { phase: 'choosing', ride, quotes: [C, B, A], prior: requested, trigger: windowEnds }
const accepting: RiderState = { phase: 'accepting', ride, current: B, quotes: [A, C] }
/** A's quote, expiring at NOW + 5000: after the window closed, before the user picked it at NOW + 7000 */
const EXPIRING_A: ReceivedQuote = { ...A, quote: q({ quoteId: 'qa', price: '5000', expiresAt: NOW + 5000 }) }
const choosingExpiring: RiderState = { ...choosingAtWindow, prior: { ...requested, quotes: [EXPIRING_A, C, B] } }
const pickLost = (quoteId: string, reason: LostPickReason, askAgain: boolean): NegotiationAction => ({ type: 'pick-lost', requestId: id, quoteId, reason, askAgain })
const acceptTimesOut: RiderEvent = { type: 'timer', id: riderTimers.accept(id), now: NOW + 9000 }
const choosingAtTimeout: RiderState = { phase: 'choosing', ride, quotes: [C, A], prior: accepting, trigger: acceptTimesOut }
const confirmed: RiderState = { phase: 'confirmed', ride, driver: B, pickupEta: NOW + 60_000, quotes: [A, C] }
const driverCancels: RiderEvent = { type: 'cancel', from: 'driver-b', cancel: { requestId: id, reason: Cancel.Reason.DRIVER_CANCELLED, note: 'exact-points-infeasible' }, now: NOW + 9000 }
const shunningB = { ...ride, shunned: ['driver-b'] }
const choosingAfterCancel: RiderState = { phase: 'choosing', ride: shunningB, quotes: [C, A], prior: confirmed, trigger: driverCancels }

describe('protocol/negotiation/rider: the user\'s pick (choose)', () => {
  const rows: Array<[string, RiderState, RiderEvent, RiderState, NegotiationAction[]]> = [
    ['asks for a pick among the usable quotes, best first, when the window closes',
      requested, windowEnds, choosingAtWindow, [chooseAmong(C, B, A)]],
    ['accepts the picked quote, the others its fallbacks',
      choosingAtWindow, { type: 'chosen', quoteId: 'qa', now: NOW + 7000 },
      { phase: 'accepting', ride, current: A, quotes: [C, B] }, [acceptTo(A), acceptTimer]],
    ['asks again, never accepting another quote, when the pick names none it offered',
      choosingAtWindow, { type: 'chosen', quoteId: 'nope', now: NOW + 7000 },
      choosingAtWindow, [pickLost('nope', 'not-offered', true), chooseAmong(C, B, A)]],
    ['gives up the ride when nothing was picked, telling the cell',
      choosingAtWindow, { type: 'chosen', now: NOW + 7000 },
      { phase: 'cancelled', ride }, [...clearAll, { type: 'publish', topic: cellTopic(BERLIN_CELL), message: { type: 'cancel', body: { requestId: id, reason: Cancel.Reason.RIDER_CANCELLED, note: '' } } }]],
    ['gives up on a user cancel while the user chooses',
      choosingAtWindow, { type: 'user-cancel', now: NOW + 7000 },
      { phase: 'cancelled', ride }, [...clearAll, { type: 'publish', topic: cellTopic(BERLIN_CELL), message: { type: 'cancel', body: { requestId: id, reason: Cancel.Reason.RIDER_CANCELLED, note: '' } } }]],
    ['ignores other events while the user chooses',
      choosingAtWindow, { type: 'quote', from: 'driver-d', quote: q({ quoteId: 'qd', price: '1' }), now: NOW + 4000 }, choosingAtWindow, []],
    ['asks again among the quotes still usable when the picked one expired while the user chose',
      choosingExpiring, { type: 'chosen', quoteId: 'qa', now: NOW + 7000 },
      { ...choosingExpiring, quotes: [C, B] }, [pickLost('qa', 'expired', true), chooseAmong(C, B)]],
    ['then accepts the second pick, the expired quote no fallback',
      { ...choosingExpiring, quotes: [C, B] }, { type: 'chosen', quoteId: 'qb', now: NOW + 8000 },
      { phase: 'accepting', ride, current: B, quotes: [C] }, [acceptTo(B), acceptTimer]],
    ['still accepts a pick that expires after the pick, not before',
      choosingExpiring, { type: 'chosen', quoteId: 'qa', now: NOW + 5000 },
      { phase: 'accepting', ride, current: EXPIRING_A, quotes: [C, B] }, [acceptTo(EXPIRING_A), acceptTimer]],
    ['goes back to waiting for quotes when the picked one expired and no other is usable',
      { ...choosingExpiring, quotes: [EXPIRING_A], prior: { ...requested, quotes: [EXPIRING_A] } }, { type: 'chosen', quoteId: 'qa', now: NOW + 7000 },
      { phase: 'requested', ride, quotes: [], windowClosed: true }, [pickLost('qa', 'expired', false)]],
    ['or fails with no driver once past the deadline, telling the cell',
      { ...choosingExpiring, quotes: [EXPIRING_A], prior: { ...requested, quotes: [EXPIRING_A] } }, { type: 'chosen', quoteId: 'qa', now: NOW + 31_000 },
      { phase: 'failed', ride, reason: 'no-driver' },
      [pickLost('qa', 'expired', false), ...clearAll, { type: 'publish', topic: cellTopic(BERLIN_CELL), message: { type: 'cancel', body: { requestId: id, reason: Cancel.Reason.TIMEOUT, note: '' } } }]],
    ['asks nothing when no quote is usable',
      { phase: 'requested', ride, quotes: [], windowClosed: false }, windowEnds, { phase: 'requested', ride, quotes: [], windowClosed: true }, []],
    ['asks for a pick on a late quote after the window',
      { phase: 'requested', ride, quotes: [], windowClosed: true }, { type: 'quote', from: A.from, quote: A.quote, now: NOW + 5000 },
      { phase: 'choosing', ride, quotes: [{ ...A, at: NOW + 5000 }], prior: { phase: 'requested', ride, quotes: [], windowClosed: true }, trigger: { type: 'quote', from: A.from, quote: A.quote, now: NOW + 5000 } },
      [chooseAmong({ ...A, at: NOW + 5000 })]],
    ['says a late quote picked is lost when it expired while the user chose, and waits for more',
      {
        phase: 'choosing',
        ride,
        quotes: [{ ...EXPIRING_A, at: NOW + 4000 }],
        prior: { phase: 'requested', ride, quotes: [], windowClosed: true },
        trigger: { type: 'quote', from: A.from, quote: EXPIRING_A.quote, now: NOW + 4000 }
      },
      { type: 'chosen', quoteId: 'qa', now: NOW + 7000 },
      { phase: 'requested', ride, quotes: [], windowClosed: true }, [pickLost('qa', 'expired', false)]],
    ['asks again for a fallback when the accepted driver times out',
      accepting, acceptTimesOut, choosingAtTimeout, [chooseAmong(C, A)]],
    ['then cancels the silent driver and accepts the pick',
      choosingAtTimeout, { type: 'chosen', quoteId: 'qa', now: NOW + 9500 },
      { phase: 'accepting', ride, current: A, quotes: [C] }, [cancelTo('driver-b', Cancel.Reason.TIMEOUT), acceptTo(A), acceptTimer]],
    ['asks again after a timeout when the pick expired, still holding the silent driver\'s cancel',
      { ...choosingAtTimeout, prior: { ...accepting, quotes: [EXPIRING_A, C] } }, { type: 'chosen', quoteId: 'qa', now: NOW + 9500 },
      { ...choosingAtTimeout, quotes: [C], prior: { ...accepting, quotes: [EXPIRING_A, C] } }, [pickLost('qa', 'expired', true), chooseAmong(C)]],
    ['or, no quote left, cancels the silent driver and waits for more quotes',
      { ...choosingAtTimeout, quotes: [EXPIRING_A], prior: { ...accepting, quotes: [EXPIRING_A] } }, { type: 'chosen', quoteId: 'qa', now: NOW + 9500 },
      { phase: 'requested', ride, quotes: [], windowClosed: true }, [pickLost('qa', 'expired', false), cancelTo('driver-b', Cancel.Reason.TIMEOUT)]],
    ['or, given up, tells the driver it was waiting for',
      choosingAtTimeout, { type: 'chosen', now: NOW + 9500 },
      { phase: 'cancelled', ride }, [...clearAll, cancelTo('driver-b', Cancel.Reason.RIDER_CANCELLED)]],
    ['asks for a pick on a decline, without the shunned drivers',
      { phase: 'accepting', ride: { ...ride, shunned: ['driver-c'] }, current: B, quotes: [A, C] },
      { type: 'decline', from: 'driver-b', decline: { requestId: id, quoteId: 'qb', reason: Decline.Reason.BUSY }, now: NOW + 4000 },
      {
        phase: 'choosing',
        ride: { ...ride, shunned: ['driver-c'] },
        quotes: [A],
        prior: { phase: 'accepting', ride: { ...ride, shunned: ['driver-c'] }, current: B, quotes: [A, C] },
        trigger: { type: 'decline', from: 'driver-b', decline: { requestId: id, quoteId: 'qb', reason: Decline.Reason.BUSY }, now: NOW + 4000 }
      },
      [chooseAmong(A)]],
    ['asks for a pick when the confirmed driver gives up before the deadline, that driver shunned',
      confirmed, driverCancels, choosingAfterCancel, [chooseAmong(C, A)]],
    ['then re-arms the deadline and accepts the pick',
      choosingAfterCancel, { type: 'chosen', quoteId: 'qa', now: NOW + 10_000 },
      { phase: 'accepting', ride: shunningB, current: A, quotes: [C] },
      [{ type: 'set-timer', id: riderTimers.deadline(id), afterMs: 20_000 }, acceptTo(A), acceptTimer]],
    ['accepts that pick even once the deadline passed while the user chose: the fallback was decided in time',
      choosingAfterCancel, { type: 'chosen', quoteId: 'qa', now: NOW + 30_000 },
      { phase: 'accepting', ride: shunningB, current: A, quotes: [C] },
      [{ type: 'set-timer', id: riderTimers.deadline(id), afterMs: 0 }, acceptTo(A), acceptTimer]],
    ['but fails with no driver when that pick expired too',
      { ...choosingAfterCancel, quotes: [EXPIRING_A], prior: { ...confirmed, quotes: [EXPIRING_A] } }, { type: 'chosen', quoteId: 'qa', now: NOW + 30_000 },
      { phase: 'failed', ride: shunningB, reason: 'no-driver' },
      [pickLost('qa', 'expired', false), { type: 'set-timer', id: riderTimers.deadline(id), afterMs: 0 }, ...clearAll,
        { type: 'publish', topic: cellTopic(BERLIN_CELL), message: { type: 'cancel', body: { requestId: id, reason: Cancel.Reason.TIMEOUT, note: '' } } }]]
  ]
  for (const [name, before, event, after, actions] of rows) {
    it(name, () => {
      const t = stepRider(before, event, CHOOSE)
      expect(t.state).to.deep.equal(after)
      expect(t.actions).to.deep.equal(actions)
    })
  }

  it('accepts the best at once without choose, as before', () => {
    expect(stepRider(requested, windowEnds).state).to.deep.equal({ phase: 'accepting', ride, current: C, quotes: [B, A] })
  })

  it('ignores a pick it did not ask for', () => {
    expect(stepRider(accepting, { type: 'chosen', quoteId: 'qa', now: NOW }, CHOOSE).state).to.equal(accepting)
    expect(stepRider(initialRiderState(), { type: 'chosen', now: NOW }, CHOOSE).state).to.deep.equal(initialRiderState())
  })

  it('reports a choosing ride in its prior state, and the step a pick completes', () => {
    expect(settledRiderState(choosingAtTimeout)).to.equal(accepting)
    expect(settledRiderState(accepting)).to.equal(accepting)
    expect(choiceEvent(choosingAtTimeout, { type: 'chosen', quoteId: 'qa', now: NOW + 9500 })).to.deep.equal({ ...acceptTimesOut, now: NOW + 9500 })
    expect(choiceEvent(choosingAtTimeout, { type: 'chosen', now: NOW + 9500 })).to.deep.equal({ type: 'user-cancel', now: NOW + 9500 })
  })
})
