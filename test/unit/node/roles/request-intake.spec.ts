import { expect } from 'chai'
import { ManualClock } from '../../../../node/clock/index.js'
import { RequestIntake } from '../../../../node/roles/index.js'
import type { HeardRequest } from '../../../../node/roles/index.js'
import type { RideRequest } from '../../../../protocol/index.js'

const T0 = 1_700_000_000_000

function request (requestId: string, expiresIn = 60_000): RideRequest {
  return {
    requestId, pickupCell: '872a1072cffffff', dropoffCell: '872a1072cffffff', seats: 1,
    latestPickupAt: T0 + 600_000, maxPrice: '1000', expiresAt: T0 + expiresIn, currency: 'usd-cent'
  }
}

/** An intake whose checks are recorded (rider/request id), holding back the ids in `hold`. */
function intake (over: Partial<ConstructorParameters<typeof RequestIntake>[0]> = {}, hold = new Set<string>()): { clock: ManualClock, intake: RequestIntake, checked: string[] } {
  const clock = new ManualClock({ now: T0 })
  const checked: string[] = []
  const i = new RequestIntake({
    clock,
    consider: (rider: string, r: RideRequest, heard: HeardRequest) => {
      checked.push(`${rider}/${r.requestId}`)
      if (hold.has(r.requestId)) heard.held = true
    },
    ...over
  })
  return { clock, intake: i, checked }
}

describe('node/roles: RequestIntake (the driver\'s work on the requests it hears)', () => {
  it('checks a request once; copies only renew it, unless it was held back', () => {
    const { intake: i, checked } = intake({}, new Set(['far']))
    i.offer('r1', request('a'))
    i.offer('r1', request('a'))
    i.offer('r1', request('far'))
    i.offer('r1', request('far'))
    expect(checked).to.deep.equal(['r1/a', 'r1/far', 'r1/far'])
  })

  it('keeps one rider\'s request id apart from another\'s', () => {
    const { intake: i, checked } = intake()
    i.offer('victim', request('a'))
    i.offer('mallory', request('a'))
    i.offer('victim', request('a'))
    expect(checked).to.deep.equal(['victim/a', 'mallory/a'])
  })

  it('considers at most `requesterQuota` new ids per requester per window', () => {
    const { clock, intake: i, checked } = intake({ requesterQuota: 3, requesterWindowMs: 60_000 })
    for (let n = 0; n < 10; n++) i.offer('flood', request(`f${n}`))
    expect(checked).to.deep.equal(['flood/f0', 'flood/f1', 'flood/f2'])
    expect(i.stats().overQuota).to.equal(7)
    clock.advance(60_000)
    i.offer('flood', request('later', 120_000))
    expect(checked.at(-1)).to.equal('flood/later')
  })

  it('runs at most `checksPerS` checks per second; the rest wait, one place per requester, first come first served', () => {
    const { clock, intake: i, checked } = intake({ checksPerS: 2 })
    for (let k = 0; k < 5; k++) i.offer(`sybil-${k}`, request('x'))
    i.offer('honest', request('h'))
    // a sybil's newer request takes its place in the line, not a new one
    i.offer('sybil-4', request('y'))
    expect(checked).to.deep.equal(['sybil-0/x', 'sybil-1/x'])
    expect(i.stats().waiting).to.equal(4)
    clock.advance(1_000)
    expect(checked.slice(2)).to.deep.equal(['sybil-2/x', 'sybil-3/x'])
    clock.advance(1_000)
    expect(checked.slice(4)).to.deep.equal(['sybil-4/y', 'honest/h'])
    expect(i.stats().waiting).to.equal(0)
  })

  it('keeps its maps bounded: seen requests (per requester and in all), requesters waiting', () => {
    const { intake: i } = intake({ checksPerS: 1, maxSeen: 50, maxSeenPerRequester: 2, requesterQuota: 100, maxWaiting: 10 })
    for (let n = 0; n < 100; n++) i.offer('one', request(`o${n}`))
    for (let k = 0; k < 100; k++) i.offer(`k${k}`, request('x'))
    const s = i.stats()
    expect(s.seen).to.be.at.most(50)
    expect(s.waiting).to.be.at.most(10)
    expect(s.dropped).to.be.greaterThan(0)
  })

  it('forgets expired requests, and a declined one (considered afresh when asked again)', () => {
    const { clock, intake: i, checked } = intake()
    i.offer('r1', request('a', 5_000))
    clock.advance(6_000)
    i.offer('r2', request('b', 60_000)) // prunes
    expect(i.stats().seen).to.equal(1)
    i.forget('r2', 'b')
    i.offer('r2', request('b', 60_000))
    expect(checked).to.deep.equal(['r1/a', 'r2/b', 'r2/b'])
  })
})
