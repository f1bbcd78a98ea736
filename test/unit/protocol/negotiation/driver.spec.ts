import { expect } from 'chai'
import {
  driverTimers, initialDriverState, initialRiderState, riderTimers, stepDriver, stepRider
} from '../../../../protocol/negotiation/index.js'
import { Cancel, Decline } from '../../../../protocol/pb/messages.js'
import { accept, NOW, quote, request } from '../fixtures.js'
import type { DriverEvent, DriverState, NegotiationAction, RiderState, DriverRide } from '../../../../protocol/negotiation/index.js'
import type { Accept, Quote, RideRequest } from '../../../../protocol/pb/messages.js'

const reqOf = (requestId: string): RideRequest => ({ ...(request().body as RideRequest), requestId })
const quoteOf = (requestId: string, over: Partial<Quote> = {}): Quote => ({ ...(quote().body as Quote), requestId, quoteId: `q-${requestId}`, ...over })
const acceptOf = (requestId: string, over: Partial<Accept> = {}): Accept => ({ ...(accept().body as Accept), requestId, quoteId: `q-${requestId}`, ...over })
const quoted = (requestId: string, rider: string): DriverRide => ({ phase: 'quoted', rider, request: reqOf(requestId), quote: quoteOf(requestId) })
const declineTo = (to: string, requestId: string, reason: Decline.Reason): NegotiationAction =>
  ({ type: 'send', to, message: { type: 'decline', body: { requestId, quoteId: `q-${requestId}`, reason } } })
const clearExpiry = (id: string): NegotiationAction => ({ type: 'clear-timer', id: driverTimers.quoteExpiry(id) })

describe('protocol/negotiation/driver', () => {
  const one = initialDriverState(1)
  const rows: Array<[string, DriverState, DriverEvent, DriverState, NegotiationAction[]]> = [
    ['sends a quote and holds it until it expires',
      one, { type: 'quote', rider: 'r1', request: reqOf('a'), quote: quoteOf('a'), now: NOW },
      { ...one, rides: { a: quoted('a', 'r1') } },
      [{ type: 'send', to: 'r1', message: { type: 'quote', body: quoteOf('a') } }, { type: 'set-timer', id: driverTimers.quoteExpiry('a'), afterMs: 30_000 }]],
    ['asks for a recheck on accept',
      { ...one, rides: { a: quoted('a', 'r1') } }, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW + 1 },
      { ...one, checking: 'a', rides: { a: { ...quoted('a', 'r1'), phase: 'rechecking', accept: acceptOf('a') } } },
      [{ type: 'recheck', requestId: 'a', rider: 'r1', accept: acceptOf('a') }]],
    ['confirms and takes the seat when the recheck passes',
      { ...one, checking: 'a', rides: { a: { ...quoted('a', 'r1'), phase: 'rechecking', accept: acceptOf('a') } } },
      { type: 'recheck-result', requestId: 'a', ok: true, pickupEta: NOW + 77, now: NOW + 2 },
      { freeSeats: 0, queue: [], rides: { a: { ...quoted('a', 'r1'), phase: 'confirmed', accept: acceptOf('a') } } },
      [clearExpiry('a'), { type: 'send', to: 'r1', message: { type: 'confirm', body: { requestId: 'a', quoteId: 'q-a', pickupEta: NOW + 77 } } }]],
    ['declines with the recheck reason when insertion no longer fits',
      { ...one, checking: 'a', rides: { a: { ...quoted('a', 'r1'), phase: 'rechecking', accept: acceptOf('a') } } },
      { type: 'recheck-result', requestId: 'a', ok: false, reason: Decline.Reason.INFEASIBLE, now: NOW + 2 },
      { ...one, rides: {} }, [clearExpiry('a'), declineTo('r1', 'a', Decline.Reason.INFEASIBLE)]],
    ['declines an accept for an unknown quote',
      one, { type: 'accept', from: 'r1', accept: acceptOf('zz'), now: NOW },
      one, [declineTo('r1', 'zz', Decline.Reason.UNKNOWN_QUOTE)]],
    ['declines an accept from a peer that was not quoted',
      { ...one, rides: { a: quoted('a', 'r1') } }, { type: 'accept', from: 'mallory', accept: acceptOf('a'), now: NOW },
      { ...one, rides: { a: quoted('a', 'r1') } }, [declineTo('mallory', 'a', Decline.Reason.UNKNOWN_QUOTE)]],
    ['declines an accept after the quote expired',
      { ...one, rides: { a: quoted('a', 'r1') } }, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW + 30_001 },
      { ...one, rides: {} }, [declineTo('r1', 'a', Decline.Reason.QUOTE_EXPIRED)]],
    ['declines at once when there are not enough seats',
      { ...one, rides: { a: quoted('a', 'r1') } }, { type: 'accept', from: 'r1', accept: acceptOf('a', { seats: 2 }), now: NOW },
      { ...one, rides: {} }, [clearExpiry('a'), declineTo('r1', 'a', Decline.Reason.NO_SEATS)]],
    ['drops a quote that expired unaccepted',
      { ...one, rides: { a: quoted('a', 'r1') } }, { type: 'timer', id: driverTimers.quoteExpiry('a'), now: NOW + 30_000 },
      { ...one, rides: {} }, []],
    ['frees the seat when a confirmed rider cancels',
      { freeSeats: 0, queue: [], rides: { a: { ...quoted('a', 'r1'), phase: 'confirmed', accept: acceptOf('a') } } },
      { type: 'cancel', from: 'r1', cancel: { requestId: 'a', reason: Cancel.Reason.RIDER_CANCELLED, note: '' }, now: NOW },
      { freeSeats: 1, queue: [], rides: {} }, [clearExpiry('a')]],
    ['ignores a cancel from another peer',
      { freeSeats: 0, queue: [], rides: { a: { ...quoted('a', 'r1'), phase: 'confirmed', accept: acceptOf('a') } } },
      { type: 'cancel', from: 'mallory', cancel: { requestId: 'a', reason: Cancel.Reason.RIDER_CANCELLED, note: '' }, now: NOW },
      { freeSeats: 0, queue: [], rides: { a: { ...quoted('a', 'r1'), phase: 'confirmed', accept: acceptOf('a') } } }, []],
    ['frees the seat at completion',
      { freeSeats: 0, queue: [], rides: { a: { ...quoted('a', 'r1'), phase: 'confirmed', accept: acceptOf('a') } } },
      { type: 'complete', requestId: 'a', now: NOW },
      { freeSeats: 1, queue: [], rides: {} }, []]
  ]

  for (const [name, state, event, next, actions] of rows) {
    it(name, () => {
      const t = stepDriver(state, event)
      expect(t.state).to.deep.equal(next)
      expect(t.actions).to.deep.equal(actions)
    })
  }

  it('gives the last seat to exactly one of two racing riders, in either order', () => {
    for (const [first, second] of [['r1', 'r2'], ['r2', 'r1']]) {
      const idOf = (r: string): string => r === 'r1' ? 'a' : 'b'
      let s: DriverState = { ...one, rides: { a: quoted('a', 'r1'), b: quoted('b', 'r2') } }
      const all: NegotiationAction[] = []
      const run = (e: DriverEvent): void => { const t = stepDriver(s, e); s = t.state; all.push(...t.actions) }
      run({ type: 'accept', from: first, accept: acceptOf(idOf(first)), now: NOW + 1 })
      run({ type: 'accept', from: second, accept: acceptOf(idOf(second)), now: NOW + 2 })
      // only one recheck at a time
      expect(all.filter(a => a.type === 'recheck')).to.have.length(1)
      expect(s.queue).to.have.length(1)
      // every recheck the node is asked for passes: the seat count alone must decide
      while (s.checking != null) {
        run({ type: 'recheck-result', requestId: s.checking, ok: true, now: NOW + 3 })
      }
      const sends = all.filter((a): a is Extract<NegotiationAction, { type: 'send' }> => a.type === 'send')
      expect(sends.filter(a => a.message.type === 'confirm').map(a => a.to)).to.deep.equal([first])
      expect(sends.filter(a => a.message.type === 'decline').map(a => [a.to, (a.message.body as any).reason])).to.deep.equal([[second, Decline.Reason.NO_SEATS]])
      expect(s.freeSeats).to.equal(0)
      expect(Object.keys(s.rides)).to.deep.equal([idOf(first)])
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
    let driver: DriverState = { ...one, rides: { a: quoted('a', 'r1'), b: quoted('b', 'r2') } }
    driver = stepDriver(driver, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW + 3001 }).state
    driver = stepDriver(driver, { type: 'accept', from: 'r2', accept: (sent as any).message.body, now: NOW + 3002 }).state
    const res = stepDriver(driver, { type: 'recheck-result', requestId: 'a', ok: true, now: NOW + 3003 })
    const declineMsg = res.actions.find(a => a.type === 'send' && a.to === 'r2')
    expect(declineMsg?.type === 'send' && declineMsg.message.type).to.equal('decline')

    const fb = stepRider(rider, { type: 'decline', from: 'driver-1', decline: (declineMsg as any).message.body, now: NOW + 3004 })
    expect(fb.state.phase === 'accepting' && fb.state.current.from).to.equal('driver-2')
    expect(fb.actions.some(a => a.type === 'send' && a.to === 'driver-2' && a.message.type === 'accept')).to.equal(true)
  })

  it('drops a queued accept when its rider cancels, and ignores a stale recheck result', () => {
    let s: DriverState = { ...initialDriverState(2), rides: { a: quoted('a', 'r1'), b: quoted('b', 'r2') } }
    s = stepDriver(s, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW }).state
    s = stepDriver(s, { type: 'accept', from: 'r2', accept: acceptOf('b'), now: NOW }).state
    s = stepDriver(s, { type: 'cancel', from: 'r2', cancel: { requestId: 'b', reason: Cancel.Reason.RIDER_CANCELLED, note: '' }, now: NOW }).state
    expect(s.queue).to.deep.equal([])
    expect(stepDriver(s, { type: 'recheck-result', requestId: 'b', ok: true, now: NOW }).state).to.equal(s)
    const t = stepDriver(s, { type: 'recheck-result', requestId: 'a', ok: true, now: NOW })
    expect(t.state.freeSeats).to.equal(1)
    expect(t.state.checking).to.equal(undefined)
  })

  it('honours a queued accept whose quote expires while it waits', () => {
    let s: DriverState = { ...initialDriverState(2), rides: { a: quoted('a', 'r1'), b: quoted('b', 'r2') } }
    s = stepDriver(s, { type: 'accept', from: 'r1', accept: acceptOf('a'), now: NOW + 29_000 }).state
    s = stepDriver(s, { type: 'accept', from: 'r2', accept: acceptOf('b'), now: NOW + 29_500 }).state
    s = stepDriver(s, { type: 'timer', id: driverTimers.quoteExpiry('b'), now: NOW + 30_000 }).state
    const t = stepDriver(s, { type: 'recheck-result', requestId: 'a', ok: true, now: NOW + 31_000 })
    expect(t.actions).to.deep.include({ type: 'recheck', requestId: 'b', rider: 'r2', accept: acceptOf('b') })
  })
})
