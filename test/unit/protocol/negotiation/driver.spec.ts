import { expect } from 'chai'
import {
  driverTimers, initialDriverState, initialRiderState, rideKey, riderTimers, stepDriver, stepRider
} from '../../../../protocol/negotiation/index.js'
import { Cancel, Decline } from '../../../../protocol/pb/messages.js'
import { accept, NOW, quote, request } from '../fixtures.js'
import type { DriverEvent, DriverState, NegotiationAction, RiderState, DriverRide } from '../../../../protocol/negotiation/index.js'
import type { Accept, Quote, Reveal, RideRequest } from '../../../../protocol/pb/messages.js'

const reqOf = (requestId: string): RideRequest => ({ ...(request().body as RideRequest), requestId })
const quoteOf = (requestId: string, over: Partial<Quote> = {}): Quote => ({ ...(quote().body as Quote), requestId, quoteId: `q-${requestId}`, ...over })
const acceptOf = (requestId: string, over: Partial<Accept> = {}): Accept => ({ ...(accept().body as Accept), requestId, quoteId: `q-${requestId}`, ...over })
const revealOf = (requestId: string, over: Partial<Reveal> = {}): Reveal => ({
  requestId, quoteId: `q-${requestId}`, pickup: { lat: 52.5201, lon: 13.4049 }, dropoff: { lat: 52.391, lon: 13.065 }, ...over
})
const HOLD = NOW + 30_000
const quoted = (requestId: string, rider: string): DriverRide => ({ phase: 'quoted', rider, request: reqOf(requestId), quote: quoteOf(requestId), holdUntil: HOLD })
const k = rideKey
const declineTo = (to: string, requestId: string, reason: Decline.Reason): NegotiationAction =>
  ({ type: 'send', to, message: { type: 'decline', body: { requestId, quoteId: `q-${requestId}`, reason } } })
const cancelTo = (to: string, requestId: string, reason: Cancel.Reason, note: string): NegotiationAction =>
  ({ type: 'send', to, message: { type: 'cancel', body: { requestId, reason, note } } })
const clearExpiry = (key: string): NegotiationAction => ({ type: 'clear-timer', id: driverTimers.quoteExpiry(key) })
const clearReveal = (key: string): NegotiationAction => ({ type: 'clear-timer', id: driverTimers.reveal(key) })
const confirmed = (requestId: string, rider: string): DriverRide =>
  ({ ...quoted(requestId, rider), phase: 'confirmed', accept: acceptOf(requestId), commitment: { at: NOW + 2, pickupMinutes: 4, dropoffMinutes: 20 } })

describe('protocol/negotiation/driver', () => {
  const one = initialDriverState(1)
  const rows: Array<[string, DriverState, DriverEvent, DriverState, NegotiationAction[]]> = [
    ['sends a quote and holds it until it expires',
      one, { type: 'quote', rider: 'r1', request: reqOf('a'), quote: quoteOf('a'), holdUntil: HOLD, now: NOW },
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } },
      [{ type: 'send', to: 'r1', message: { type: 'quote', body: quoteOf('a') } }, { type: 'set-timer', id: driverTimers.quoteExpiry(k('r1', 'a')), afterMs: 30_000 }]],
    ['asks for a recheck on accept',
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } }, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW + 1 },
      { ...one, checking: k('r1', 'a'), rides: { [k('r1', 'a')]: { ...quoted('a', 'r1'), phase: 'rechecking', accept: acceptOf('a') } } },
      [{ type: 'recheck', key: k('r1', 'a'), rider: 'r1', accept: acceptOf('a') }]],
    ['confirms, takes the seat and waits for the exact points when the recheck passes',
      { ...one, checking: k('r1', 'a'), rides: { [k('r1', 'a')]: { ...quoted('a', 'r1'), phase: 'rechecking', accept: acceptOf('a') } } },
      { type: 'recheck-result', key: k('r1', 'a'), ok: true, pickupMinutes: 4, now: NOW + 2 },
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: confirmed('a', 'r1') } },
      [clearExpiry(k('r1', 'a')), { type: 'send', to: 'r1', message: { type: 'confirm', body: { requestId: 'a', quoteId: 'q-a', pickupMinutes: 4 } } },
        { type: 'set-timer', id: driverTimers.reveal(k('r1', 'a')), afterMs: 60_000 }]],
    ['declines with the recheck reason when insertion no longer fits',
      { ...one, checking: k('r1', 'a'), rides: { [k('r1', 'a')]: { ...quoted('a', 'r1'), phase: 'rechecking', accept: acceptOf('a') } } },
      { type: 'recheck-result', key: k('r1', 'a'), ok: false, reason: Decline.Reason.INFEASIBLE, now: NOW + 2 },
      { ...one, rides: {} }, [clearExpiry(k('r1', 'a')), declineTo('r1', 'a', Decline.Reason.INFEASIBLE)]],
    ['fits the exact points once they arrive from the confirmed rider',
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: confirmed('a', 'r1') } }, { type: 'reveal', from: 'r1', reveal: revealOf('a'), now: NOW + 3 },
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: { ...confirmed('a', 'r1'), phase: 'fitting', reveal: revealOf('a') } } },
      [clearReveal(k('r1', 'a')), { type: 'fit', key: k('r1', 'a'), rider: 'r1', reveal: revealOf('a') }]],
    ['ignores exact points for a ride it has not confirmed',
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } }, { type: 'reveal', from: 'r1', reveal: revealOf('a'), now: NOW + 3 },
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } }, []],
    ['ignores exact points from another peer naming a confirmed ride\'s request id',
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: confirmed('a', 'r1') } }, { type: 'reveal', from: 'mallory', reveal: revealOf('a'), now: NOW + 3 },
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: confirmed('a', 'r1') } }, []],
    ['rides once the points fit',
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: { ...confirmed('a', 'r1'), phase: 'fitting', reveal: revealOf('a') } } },
      { type: 'fit-result', key: k('r1', 'a'), ok: true, now: NOW + 4 },
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: { ...confirmed('a', 'r1'), phase: 'riding', reveal: revealOf('a') } } }, []],
    ['cancels, visibly after the reveal and saying why, when the exact points do not fit',
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: { ...confirmed('a', 'r1'), phase: 'fitting', reveal: revealOf('a') } } },
      { type: 'fit-result', key: k('r1', 'a'), ok: false, note: 'exact-points-infeasible', now: NOW + 4 },
      { freeSeats: 1, queue: [], rides: {} },
      [clearExpiry(k('r1', 'a')), clearReveal(k('r1', 'a')), { type: 'drop', key: k('r1', 'a') },
        cancelTo('r1', 'a', Cancel.Reason.DRIVER_CANCELLED, 'exact-points-infeasible')]],
    ['gives the seats back when the exact points never come',
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: confirmed('a', 'r1') } }, { type: 'timer', id: driverTimers.reveal(k('r1', 'a')), now: NOW + 60_000 },
      { freeSeats: 1, queue: [], rides: {} },
      [clearExpiry(k('r1', 'a')), clearReveal(k('r1', 'a')), cancelTo('r1', 'a', Cancel.Reason.TIMEOUT, 'no-reveal')]],
    ['declines an accept for an unknown quote',
      one, { type: 'accept', from: 'r1', accept: acceptOf('zz'), now: NOW },
      one, [declineTo('r1', 'zz', Decline.Reason.UNKNOWN_QUOTE)]],
    ['declines an accept from a peer that was not quoted',
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } }, { type: 'accept', from: 'mallory', accept: acceptOf('a'), now: NOW },
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } }, [declineTo('mallory', 'a', Decline.Reason.UNKNOWN_QUOTE)]],
    ['declines an accept after the quote expired',
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } }, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: HOLD + 1 },
      { ...one, rides: {} }, [clearExpiry(k('r1', 'a')), clearReveal(k('r1', 'a')), declineTo('r1', 'a', Decline.Reason.QUOTE_EXPIRED)]],
    ['declines at once when there are not enough seats',
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } }, { type: 'accept', from: 'r1', accept: acceptOf('a', { seats: 2 }), now: NOW },
      { ...one, rides: {} }, [clearExpiry(k('r1', 'a')), clearReveal(k('r1', 'a')), declineTo('r1', 'a', Decline.Reason.NO_SEATS)]],
    ['drops a quote that expired unaccepted',
      { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1') } }, { type: 'timer', id: driverTimers.quoteExpiry(k('r1', 'a')), now: HOLD },
      { ...one, rides: {} }, []],
    ['frees the seat and the stops when a riding rider cancels',
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: { ...confirmed('a', 'r1'), phase: 'riding' } } },
      { type: 'cancel', from: 'r1', cancel: { requestId: 'a', reason: Cancel.Reason.RIDER_CANCELLED, note: '' }, now: NOW },
      { freeSeats: 1, queue: [], rides: {} }, [clearExpiry(k('r1', 'a')), clearReveal(k('r1', 'a')), { type: 'drop', key: k('r1', 'a') }]],
    ['ignores a cancel from another peer',
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: confirmed('a', 'r1') } },
      { type: 'cancel', from: 'mallory', cancel: { requestId: 'a', reason: Cancel.Reason.RIDER_CANCELLED, note: '' }, now: NOW },
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: confirmed('a', 'r1') } }, []],
    ['frees the seat at completion',
      { freeSeats: 0, queue: [], rides: { [k('r1', 'a')]: { ...confirmed('a', 'r1'), phase: 'riding' } } },
      { type: 'complete', key: k('r1', 'a'), now: NOW },
      { freeSeats: 1, queue: [], rides: {} }, [clearExpiry(k('r1', 'a')), clearReveal(k('r1', 'a'))]]
  ]

  for (const [name, state, event, next, actions] of rows) {
    it(name, () => {
      const t = stepDriver(state, event)
      expect(t.state).to.deep.equal(next)
      expect(t.actions).to.deep.equal(actions)
    })
  }

  it('keeps a request id of one rider apart from the same id of another (issue 9: ids scoped by sender)', () => {
    // the victim r1 was quoted for "a"; mallory asks with the same id and is quoted too
    let s: DriverState = { ...initialDriverState(2), rides: { [k('r1', 'a')]: quoted('a', 'r1') } }
    s = stepDriver(s, { type: 'quote', rider: 'mallory', request: reqOf('a'), quote: quoteOf('a', { quoteId: 'q-m' }), holdUntil: HOLD, now: NOW }).state
    expect(s.rides[k('r1', 'a')]).to.deep.equal(quoted('a', 'r1'))
    // mallory's accept and cancel under the id touch only its own ride
    s = stepDriver(s, { type: 'cancel', from: 'mallory', cancel: { requestId: 'a', reason: Cancel.Reason.RIDER_CANCELLED, note: '' }, now: NOW }).state
    expect(Object.keys(s.rides)).to.deep.equal([k('r1', 'a')])
    const t = stepDriver(s, { type: 'accept', from: 'mallory', accept: acceptOf('a'), now: NOW })
    expect(t.actions).to.deep.equal([declineTo('mallory', 'a', Decline.Reason.UNKNOWN_QUOTE)])
    expect(t.state).to.deep.equal(s)
    // the victim's own accept still goes through
    expect(stepDriver(s, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW }).actions[0]).to.deep.equal({ type: 'recheck', key: k('r1', 'a'), rider: 'r1', accept: acceptOf('a') })
  })

  it('holds at most maxQuotedPerRider quotes per rider and maxQuoted in all, the oldest giving way', () => {
    let s = initialDriverState(4)
    for (let i = 0; i < 5; i++) {
      s = stepDriver(s, { type: 'quote', rider: 'flood', request: reqOf(`f${i}`), quote: quoteOf(`f${i}`), holdUntil: HOLD, now: NOW }).state
    }
    expect(Object.keys(s.rides)).to.deep.equal([k('flood', 'f3'), k('flood', 'f4')])
    for (let i = 0; i < 10; i++) {
      s = stepDriver(s, { type: 'quote', rider: `sybil-${i}`, request: reqOf('x'), quote: quoteOf('x'), holdUntil: HOLD, now: NOW }, { maxQuoted: 4 }).state
    }
    expect(Object.keys(s.rides)).to.deep.equal([k('sybil-6', 'x'), k('sybil-7', 'x'), k('sybil-8', 'x'), k('sybil-9', 'x')])
    // a confirmed ride is never evicted
    s = { ...s, rides: { [k('r1', 'a')]: confirmed('a', 'r1'), ...s.rides } }
    s = stepDriver(s, { type: 'quote', rider: 'late', request: reqOf('y'), quote: quoteOf('y'), holdUntil: HOLD, now: NOW }, { maxQuoted: 4 }).state
    expect(s.rides[k('r1', 'a')]?.phase).to.equal('confirmed')
    expect(Object.keys(s.rides)).to.have.length(5)
  })

  it('declines accepts beyond its queue bound while one is rechecked', () => {
    let s: DriverState = { ...initialDriverState(2), rides: { [k('r1', 'a')]: quoted('a', 'r1') } }
    s = stepDriver(s, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW }).state
    for (let i = 0; i < 3; i++) s = stepDriver(s, { type: 'accept', from: `x${i}`, accept: acceptOf('b'), now: NOW }, { maxAcceptQueue: 3 }).state
    const t = stepDriver(s, { type: 'accept', from: 'x9', accept: acceptOf('b'), now: NOW }, { maxAcceptQueue: 3 })
    expect(t.actions).to.deep.equal([declineTo('x9', 'b', Decline.Reason.BUSY)])
    expect(t.state.queue).to.have.length(3)
  })

  it('gives the last seat to exactly one of two racing riders, in either order', () => {
    for (const [first, second] of [['r1', 'r2'], ['r2', 'r1']]) {
      const idOf = (r: string): string => r === 'r1' ? 'a' : 'b'
      let s: DriverState = { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1'), [k('r2', 'b')]: quoted('b', 'r2') } }
      const all: NegotiationAction[] = []
      const run = (e: DriverEvent): void => { const t = stepDriver(s, e); s = t.state; all.push(...t.actions) }
      run({ type: 'accept', from: first, accept: acceptOf(idOf(first)), now: NOW + 1 })
      run({ type: 'accept', from: second, accept: acceptOf(idOf(second)), now: NOW + 2 })
      // only one recheck at a time
      expect(all.filter(a => a.type === 'recheck')).to.have.length(1)
      expect(s.queue).to.have.length(1)
      // every recheck the node is asked for passes: the seat count alone must decide
      while (s.checking != null) {
        run({ type: 'recheck-result', key: s.checking, ok: true, now: NOW + 3 })
      }
      const sends = all.filter((a): a is Extract<NegotiationAction, { type: 'send' }> => a.type === 'send')
      expect(sends.filter(a => a.message.type === 'confirm').map(a => a.to)).to.deep.equal([first])
      expect(sends.filter(a => a.message.type === 'decline').map(a => [a.to, (a.message.body as any).reason])).to.deep.equal([[second, Decline.Reason.NO_SEATS]])
      expect(s.freeSeats).to.equal(0)
      expect(Object.keys(s.rides)).to.deep.equal([k(first, idOf(first))])
    }
  })

  it('the losing rider falls back to its next quote', () => {
    // rider r2 got quotes from this driver (cheaper) and from driver-2
    const req = reqOf('b')
    const pickup = { lat: 52.5201, lon: 13.4049 }
    const dropoff = { lat: 52.391, lon: 13.065 }
    let rider: RiderState = initialRiderState()
    rider = stepRider(rider, { type: 'request', request: req, pickup, dropoff, now: NOW }).state
    rider = stepRider(rider, { type: 'quote', from: 'driver-1', quote: quoteOf('b', { price: '100' }), now: NOW + 1 }).state
    rider = stepRider(rider, { type: 'quote', from: 'driver-2', quote: quoteOf('b', { quoteId: 'q2', price: '200' }), now: NOW + 2 }).state
    const acc = stepRider(rider, { type: 'timer', id: riderTimers.quoteWindow('b'), now: NOW + 3000 })
    rider = acc.state
    const sent = acc.actions.find(a => a.type === 'send')
    expect(sent?.type === 'send' && sent.to).to.equal('driver-1')

    // driver-1 has one seat; r1's accept is rechecking when r2's arrives
    let driver: DriverState = { ...one, rides: { [k('r1', 'a')]: quoted('a', 'r1'), [k('r2', 'b')]: quoted('b', 'r2') } }
    driver = stepDriver(driver, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW + 3001 }).state
    driver = stepDriver(driver, { type: 'accept', from: 'r2', accept: (sent as any).message.body, now: NOW + 3002 }).state
    const res = stepDriver(driver, { type: 'recheck-result', key: k('r1', 'a'), ok: true, now: NOW + 3003 })
    const declineMsg = res.actions.find(a => a.type === 'send' && a.to === 'r2')
    expect(declineMsg?.type === 'send' && declineMsg.message.type).to.equal('decline')

    const fb = stepRider(rider, { type: 'decline', from: 'driver-1', decline: (declineMsg as any).message.body, now: NOW + 3004 })
    expect(fb.state.phase === 'accepting' && fb.state.current.from).to.equal('driver-2')
    expect(fb.actions.some(a => a.type === 'send' && a.to === 'driver-2' && a.message.type === 'accept')).to.equal(true)
  })

  it('drops a queued accept when its rider cancels, and ignores a stale recheck result', () => {
    let s: DriverState = { ...initialDriverState(2), rides: { [k('r1', 'a')]: quoted('a', 'r1'), [k('r2', 'b')]: quoted('b', 'r2') } }
    s = stepDriver(s, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW }).state
    s = stepDriver(s, { type: 'accept', from: 'r2', accept: acceptOf('b'), now: NOW }).state
    s = stepDriver(s, { type: 'cancel', from: 'r2', cancel: { requestId: 'b', reason: Cancel.Reason.RIDER_CANCELLED, note: '' }, now: NOW }).state
    expect(s.queue).to.deep.equal([])
    expect(stepDriver(s, { type: 'recheck-result', key: k('r2', 'b'), ok: true, now: NOW }).state).to.equal(s)
    const t = stepDriver(s, { type: 'recheck-result', key: k('r1', 'a'), ok: true, now: NOW })
    expect(t.state.freeSeats).to.equal(1)
    expect(t.state.checking).to.equal(undefined)
  })

  it('honours a queued accept whose quote expires while it waits', () => {
    let s: DriverState = { ...initialDriverState(2), rides: { [k('r1', 'a')]: quoted('a', 'r1'), [k('r2', 'b')]: quoted('b', 'r2') } }
    s = stepDriver(s, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: HOLD - 1000 }).state
    s = stepDriver(s, { type: 'accept', from: 'r2', accept: acceptOf('b'), now: HOLD - 500 }).state
    s = stepDriver(s, { type: 'timer', id: driverTimers.quoteExpiry(k('r2', 'b')), now: HOLD }).state
    const t = stepDriver(s, { type: 'recheck-result', key: k('r1', 'a'), ok: true, now: HOLD + 1000 })
    expect(t.actions).to.deep.include({ type: 'recheck', key: k('r2', 'b'), rider: 'r2', accept: acceptOf('b') })
  })
})
