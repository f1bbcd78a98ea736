import { expect } from 'chai'
import { cheapestThenEarliest, initialRiderState, renewRequest, riderTimers, stepRider } from '../../../../protocol/negotiation/index.js'
import { Cancel, Decline, TripUpdate } from '../../../../protocol/pb/messages.js'
import { cellTopic } from '../../../../protocol/topics.js'
import { DEFAULT_MAX_TTL_MS } from '../../../../protocol/validation.js'
import { BERLIN_CELL, bindingShape, NOW, quote, request } from '../fixtures.js'
import type { NegotiationAction, RiderEvent, RiderState, ReceivedQuote } from '../../../../protocol/negotiation/index.js'
import type { Quote, RideRequest } from '../../../../protocol/pb/messages.js'

const req = request().body as RideRequest
const pickup = { lat: 52.5201, lon: 13.4049 }
const dropoff = { lat: 52.391, lon: 13.065 }
const ride = { request: req, pickup, dropoff, deadlineAt: NOW + 30_000 }
const q = (over: Partial<Quote>): Quote => ({ ...(quote().body as Quote), ...over })
/** quotes as received at NOW + 1 (their minutes count from there) */
const A: ReceivedQuote = { from: 'driver-a', quote: q({ quoteId: 'qa', price: '5000' }), at: NOW + 1 }
const B: ReceivedQuote = { from: 'driver-b', quote: q({ quoteId: 'qb', price: '4000' }), at: NOW + 1 }
const C: ReceivedQuote = { from: 'driver-c', quote: q({ quoteId: 'qc', price: '4000', pickupMinutes: 1 }), at: NOW + 1 }
const quoteEvent = (r: ReceivedQuote, now = r.at): RiderEvent => ({ type: 'quote', from: r.from, quote: r.quote, now })
const id = req.requestId

const acceptTo = (r: ReceivedQuote): NegotiationAction => ({
  type: 'send',
  to: r.from,
  // no exact point in an accept: a driver that never confirms learns the cells only
  message: { type: 'accept', body: { requestId: id, quoteId: r.quote.quoteId, seats: 1 } }
})
const revealTo = (r: ReceivedQuote): NegotiationAction => ({
  type: 'send',
  to: r.from,
  message: { type: 'reveal', body: { requestId: id, quoteId: r.quote.quoteId, pickup, dropoff } }
})
const acceptTimer: NegotiationAction = { type: 'set-timer', id: riderTimers.accept(id), afterMs: 5000 }
const clear = (t: string): NegotiationAction => ({ type: 'clear-timer', id: t })
const cancelTo = (to: string, reason: Cancel.Reason): NegotiationAction => ({ type: 'send', to, message: { type: 'cancel', body: { requestId: id, reason, note: '' } } })
const clearAll = [clear(riderTimers.quoteWindow(id)), clear(riderTimers.accept(id)), clear(riderTimers.deadline(id))]

describe('protocol/negotiation/rider', () => {
  const rows: Array<[string, RiderState, RiderEvent, RiderState, NegotiationAction[]]> = [
    ['publishes the request and starts the window and deadline',
      initialRiderState(), { type: 'request', request: req, pickup, dropoff, now: NOW },
      { phase: 'requested', ride, quotes: [], windowClosed: false },
      [
        { type: 'publish', topic: cellTopic(BERLIN_CELL), message: { type: 'ride-request', body: req } },
        { type: 'set-timer', id: riderTimers.quoteWindow(id), afterMs: 3000 },
        { type: 'set-timer', id: riderTimers.deadline(id), afterMs: 30_000 }
      ]],
    ['collects a quote in the window',
      { phase: 'requested', ride, quotes: [A], windowClosed: false }, quoteEvent(B),
      { phase: 'requested', ride, quotes: [A, B], windowClosed: false }, []],
    ['ignores a quote above the price ceiling',
      { phase: 'requested', ride, quotes: [], windowClosed: false }, { type: 'quote', from: 'x', quote: q({ price: '100001' }), now: NOW + 1 },
      { phase: 'requested', ride, quotes: [], windowClosed: false }, []],
    ['ignores an expired quote',
      { phase: 'requested', ride, quotes: [], windowClosed: false }, { type: 'quote', from: 'x', quote: q({ expiresAt: NOW }), now: NOW + 1 },
      { phase: 'requested', ride, quotes: [], windowClosed: false }, []],
    ['ignores a quote for another request',
      { phase: 'requested', ride, quotes: [], windowClosed: false }, { type: 'quote', from: 'x', quote: q({ requestId: 'other' }), now: NOW + 1 },
      { phase: 'requested', ride, quotes: [], windowClosed: false }, []],
    ['accepts the cheapest, then earliest, when the window closes',
      { phase: 'requested', ride, quotes: [A, C, B], windowClosed: false }, { type: 'timer', id: riderTimers.quoteWindow(id), now: NOW + 3000 },
      { phase: 'accepting', ride, current: C, quotes: [B, A] }, [acceptTo(C), acceptTimer]],
    ['keeps waiting when the window closes with no quotes',
      { phase: 'requested', ride, quotes: [], windowClosed: false }, { type: 'timer', id: riderTimers.quoteWindow(id), now: NOW + 3000 },
      { phase: 'requested', ride, quotes: [], windowClosed: true }, []],
    ['accepts a late quote at once after the window',
      { phase: 'requested', ride, quotes: [], windowClosed: true }, quoteEvent(A, NOW + 5000),
      { phase: 'accepting', ride, current: { ...A, at: NOW + 5000 }, quotes: [] }, [acceptTo(A), acceptTimer]],
    ['fails with no driver at the deadline',
      { phase: 'requested', ride, quotes: [], windowClosed: true }, { type: 'timer', id: riderTimers.deadline(id), now: NOW + 30_000 },
      { phase: 'failed', ride, reason: 'no-driver' },
      [...clearAll, { type: 'publish', topic: cellTopic(BERLIN_CELL), message: { type: 'cancel', body: { requestId: id, reason: Cancel.Reason.TIMEOUT, note: '' } } }]],
    ['is confirmed by the accepted driver, and only then sends it the exact points',
      { phase: 'accepting', ride, current: B, quotes: [A] }, { type: 'confirm', from: 'driver-b', confirm: { requestId: id, quoteId: 'qb', pickupMinutes: 3 }, now: NOW + 4000 },
      { phase: 'confirmed', ride, driver: B, pickupEta: NOW + 4000 + 180_000, quotes: [A] },
      [clear(riderTimers.accept(id)), clear(riderTimers.deadline(id)), clear(riderTimers.quoteWindow(id)), revealTo(B)]],
    ['sends its identity binding with the exact points, to the confirmed driver only',
      { phase: 'accepting', ride: { ...ride, binding: bindingShape() }, current: B, quotes: [A] },
      { type: 'confirm', from: 'driver-b', confirm: { requestId: id, quoteId: 'qb', pickupMinutes: 0 }, now: NOW + 4000 },
      { phase: 'confirmed', ride: { ...ride, binding: bindingShape() }, driver: B, pickupEta: NOW + 4000, quotes: [A] },
      [clear(riderTimers.accept(id)), clear(riderTimers.deadline(id)), clear(riderTimers.quoteWindow(id)),
        { type: 'send', to: 'driver-b', message: { type: 'reveal', body: { requestId: id, quoteId: 'qb', pickup, dropoff, binding: bindingShape() } } }]],
    ['ignores a confirm from another peer naming the accepted quote',
      { phase: 'accepting', ride, current: B, quotes: [A] }, { type: 'confirm', from: 'mallory', confirm: { requestId: id, quoteId: 'qb', pickupMinutes: 0 }, now: NOW + 4000 },
      { phase: 'accepting', ride, current: B, quotes: [A] }, [cancelTo('mallory', Cancel.Reason.TIMEOUT)]],
    ['ignores a confirm for another quote id',
      { phase: 'accepting', ride, current: B, quotes: [A] }, { type: 'confirm', from: 'driver-b', confirm: { requestId: id, quoteId: 'old', pickupMinutes: 1 }, now: NOW + 4000 },
      { phase: 'accepting', ride, current: B, quotes: [A] }, []],
    ['falls back to the next quote on decline',
      { phase: 'accepting', ride, current: B, quotes: [A] }, { type: 'decline', from: 'driver-b', decline: { requestId: id, quoteId: 'qb', reason: Decline.Reason.NO_SEATS }, now: NOW + 4000 },
      { phase: 'accepting', ride, current: A, quotes: [] }, [clear(riderTimers.accept(id)), acceptTo(A), acceptTimer]],
    ['ignores a decline from a driver it is not waiting for',
      { phase: 'accepting', ride, current: B, quotes: [A] }, { type: 'decline', from: 'driver-a', decline: { requestId: id, quoteId: 'qa', reason: Decline.Reason.NO_SEATS }, now: NOW + 4000 },
      { phase: 'accepting', ride, current: B, quotes: [A] }, []],
    ['falls back, and cancels, when the accepted driver times out',
      { phase: 'accepting', ride, current: B, quotes: [A] }, { type: 'timer', id: riderTimers.accept(id), now: NOW + 9000 },
      { phase: 'accepting', ride, current: A, quotes: [] }, [cancelTo('driver-b', Cancel.Reason.TIMEOUT), acceptTo(A), acceptTimer]],
    ['skips fallbacks whose quotes expired meanwhile',
      { phase: 'accepting', ride, current: B, quotes: [{ ...A, quote: q({ quoteId: 'qa', expiresAt: NOW + 100 }) }] },
      { type: 'decline', from: 'driver-b', decline: { requestId: id, quoteId: 'qb', reason: Decline.Reason.BUSY }, now: NOW + 4000 },
      { phase: 'requested', ride, quotes: [], windowClosed: true }, [clear(riderTimers.accept(id))]],
    ['fails when declined after the deadline with nothing left',
      { phase: 'accepting', ride, current: B, quotes: [] }, { type: 'decline', from: 'driver-b', decline: { requestId: id, quoteId: 'qb', reason: Decline.Reason.NO_SEATS }, now: NOW + 31_000 },
      { phase: 'failed', ride, reason: 'no-driver' },
      [clear(riderTimers.accept(id)), ...clearAll, { type: 'publish', topic: cellTopic(BERLIN_CELL), message: { type: 'cancel', body: { requestId: id, reason: Cancel.Reason.TIMEOUT, note: '' } } }]],
    ['keeps a late quote as a fallback while accepting',
      { phase: 'accepting', ride, current: B, quotes: [] }, quoteEvent(A, NOW + 4000),
      { phase: 'accepting', ride, current: B, quotes: [{ ...A, at: NOW + 4000 }] }, []],
    ['cancels a late confirm from a driver it gave up on',
      { phase: 'accepting', ride, current: A, quotes: [] }, { type: 'confirm', from: 'driver-b', confirm: { requestId: id, quoteId: 'qb', pickupMinutes: 1 }, now: NOW + 9500 },
      { phase: 'accepting', ride, current: A, quotes: [] }, [cancelTo('driver-b', Cancel.Reason.TIMEOUT)]],
    ['starts the trip at pickup',
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [] }, { type: 'trip-update', from: 'driver-b', update: { requestId: id, phase: TripUpdate.Phase.PICKED_UP, time: NOW, distanceM: 0 }, now: NOW },
      { phase: 'in-trip', ride, driver: B }, []],
    ['ignores trip updates from another peer',
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [] }, { type: 'trip-update', from: 'driver-a', update: { requestId: id, phase: TripUpdate.Phase.PICKED_UP, time: NOW, distanceM: 0 }, now: NOW },
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [] }, []],
    ['completes at dropoff',
      { phase: 'in-trip', ride, driver: B }, { type: 'trip-update', from: 'driver-b', update: { requestId: id, phase: TripUpdate.Phase.DROPPED_OFF, time: NOW, distanceM: 9 }, now: NOW },
      { phase: 'completed', ride, driver: B }, []],
    ['falls back to the next quote, never this driver again, when the driver cancels after the reveal',
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [A] }, { type: 'cancel', from: 'driver-b', cancel: { requestId: id, reason: Cancel.Reason.DRIVER_CANCELLED, note: 'exact-points-infeasible' }, now: NOW + 5000 },
      { phase: 'accepting', ride: { ...ride, shunned: ['driver-b'] }, current: A, quotes: [] },
      [{ type: 'set-timer', id: riderTimers.deadline(id), afterMs: 25_000 }, acceptTo(A), acceptTimer]],
    ['ignores a later quote of a driver that cancelled after the reveal',
      { phase: 'requested', ride: { ...ride, shunned: ['driver-b'] }, quotes: [], windowClosed: true }, quoteEvent(B, NOW + 6000),
      { phase: 'requested', ride: { ...ride, shunned: ['driver-b'] }, quotes: [], windowClosed: true }, []],
    ['fails when the driver cancels after the reveal past the deadline, saying it had the points and why it cancelled',
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [A] }, { type: 'cancel', from: 'driver-b', cancel: { requestId: id, reason: Cancel.Reason.DRIVER_CANCELLED, note: 'exact-points-infeasible' }, now: NOW + 30_000 },
      { phase: 'failed', ride, reason: 'driver-cancelled', driver: B, note: 'exact-points-infeasible' }, clearAll],
    ['fails when the driver cancels during the trip',
      { phase: 'in-trip', ride, driver: B }, { type: 'cancel', from: 'driver-b', cancel: { requestId: id, reason: Cancel.Reason.DRIVER_CANCELLED, note: 'non-payment' }, now: NOW },
      { phase: 'failed', ride, reason: 'driver-cancelled', driver: B, note: 'non-payment' }, clearAll],
    ['ignores a cancel from another peer naming its request id',
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [] }, { type: 'cancel', from: 'mallory', cancel: { requestId: id, reason: Cancel.Reason.DRIVER_CANCELLED, note: '' }, now: NOW },
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [] }, []],
    ['asks again when the exact points cannot be delivered to the confirmed driver',
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [] }, { type: 'unreachable', from: 'driver-b', now: NOW },
      { phase: 'requested', ride: { ...ride, shunned: ['driver-b'] }, quotes: [], windowClosed: true },
      [{ type: 'set-timer', id: riderTimers.deadline(id), afterMs: 30_000 }]],
    ['fails when the exact points cannot be delivered and the deadline passed',
      { phase: 'confirmed', ride, driver: B, pickupEta: 1, quotes: [] }, { type: 'unreachable', from: 'driver-b', now: NOW + 30_000 },
      { phase: 'failed', ride, reason: 'driver-unreachable', driver: B }, clearAll],
    ['cancels a published request',
      { phase: 'requested', ride, quotes: [A], windowClosed: false }, { type: 'user-cancel', now: NOW },
      { phase: 'cancelled', ride },
      [...clearAll, { type: 'publish', topic: cellTopic(BERLIN_CELL), message: { type: 'cancel', body: { requestId: id, reason: Cancel.Reason.RIDER_CANCELLED, note: '' } } }]],
    ['cancels towards the driver while accepting',
      { phase: 'accepting', ride, current: B, quotes: [] }, { type: 'user-cancel', now: NOW },
      { phase: 'cancelled', ride }, [...clearAll, cancelTo('driver-b', Cancel.Reason.RIDER_CANCELLED)]],
    ['cancels towards the driver in the trip',
      { phase: 'in-trip', ride, driver: B }, { type: 'user-cancel', now: NOW },
      { phase: 'cancelled', ride }, [...clearAll, cancelTo('driver-b', Cancel.Reason.RIDER_CANCELLED)]],
    ['stays completed',
      { phase: 'completed', ride, driver: B }, { type: 'user-cancel', now: NOW },
      { phase: 'completed', ride, driver: B }, []]
  ]

  for (const [name, state, event, next, actions] of rows) {
    it(name, () => {
      const t = stepRider(state, event)
      expect(t.state).to.deep.equal(next)
      expect(t.actions).to.deep.equal(actions)
    })
  }

  it('uses the ranking passed in config', () => {
    const dearest = (qs: readonly ReceivedQuote[]): ReceivedQuote[] => [...qs].sort((a, b) => Number(b.quote.price) - Number(a.quote.price))
    const t = stepRider({ phase: 'requested', ride, quotes: [B, A], windowClosed: false },
      { type: 'timer', id: riderTimers.quoteWindow(id), now: NOW + 3000 }, { rank: dearest })
    expect(t.state.phase === 'accepting' && t.state.current.from).to.equal('driver-a')
  })

  it('keeps at most maxQuotes quotes, the best by its ranking (a flood of quotes does not grow its state)', () => {
    let s: RiderState = { phase: 'requested', ride, quotes: [], windowClosed: false }
    for (let i = 0; i < 100; i++) {
      s = stepRider(s, { type: 'quote', from: `driver-${i}`, quote: q({ quoteId: `q${i}`, price: String(1000 + i) }), now: NOW + 1 }, { maxQuotes: 5 }).state
    }
    expect(s.phase === 'requested' && s.quotes.map(x => x.from)).to.deep.equal(['driver-0', 'driver-1', 'driver-2', 'driver-3', 'driver-4'])
    s = stepRider(s, { type: 'quote', from: 'cheap', quote: q({ quoteId: 'qz', price: '10' }), now: NOW + 2 }, { maxQuotes: 5 }).state
    expect(s.phase === 'requested' && s.quotes.map(x => x.from)).to.deep.equal(['driver-0', 'driver-1', 'driver-2', 'driver-3', 'cheap'])
  })

  describe('renewRequest (re-published copies of a long ride request)', () => {
    const asked = { ...req, expiresAt: NOW + DEFAULT_MAX_TTL_MS }
    const rows: Array<[string, number, number, number]> = [
      // [what, deadlineAt, now, expected expiresAt]
      ['past its first expiry, the copy lives the longest validation allows', NOW + 60 * 60_000, NOW + DEFAULT_MAX_TTL_MS + 1, NOW + 2 * DEFAULT_MAX_TTL_MS + 1],
      ['never past the ride deadline', NOW + DEFAULT_MAX_TTL_MS + 5_000, NOW + 60_000, NOW + DEFAULT_MAX_TTL_MS + 5_000],
      ['never shorter than it was', NOW + 30_000, NOW + 1_000, NOW + DEFAULT_MAX_TTL_MS]
    ]
    for (const [what, deadlineAt, now, expiresAt] of rows) {
      it(what, () => {
        const renewed = renewRequest(asked, deadlineAt, now)
        expect(renewed).to.deep.equal({ ...asked, expiresAt })
        expect(renewed.expiresAt).to.be.at.most(now + DEFAULT_MAX_TTL_MS)
      })
    }
    it('keeps the ride: same id, cells, seats, latest pickup, ceiling', () => {
      const { expiresAt: _a, ...before } = asked
      const { expiresAt: _b, ...after } = renewRequest(asked, NOW + 60 * 60_000, NOW + DEFAULT_MAX_TTL_MS)
      expect(after).to.deep.equal(before)
    })
  })

  it('ranks deterministically', () => {
    expect(cheapestThenEarliest([A, C, B], { request: req, now: NOW }).map(r => r.from)).to.deep.equal(['driver-c', 'driver-b', 'driver-a'])
  })
})
