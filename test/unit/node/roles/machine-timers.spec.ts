import { expect } from 'chai'
import { ManualClock } from '../../../../node/clock/index.js'
import { MachineTimers } from '../../../../node/roles/machine-timers.js'

/** The machine's timers, and whether an event of one handled later is still the machine's. */
describe('node/roles/machine-timers', () => {
  it('fires once after its time; its event is taken once', () => {
    const clock = new ManualClock({ now: 0 })
    const timers = new MachineTimers(clock)
    const takes: Array<() => boolean> = []
    timers.set('accept', 1_000, take => { takes.push(take) })
    clock.advance(999)
    expect(takes).to.have.length(0)
    clock.advance(1)
    expect(takes).to.have.length(1)
    expect(takes[0]()).to.equal(true)
    expect(takes[0]()).to.equal(false)
  })

  it('an event handled after its id was set again or cleared is not taken; another id is', () => {
    const clock = new ManualClock({ now: 0 })
    const timers = new MachineTimers(clock)
    const takes = new Map<string, () => boolean>()
    timers.set('accept', 100, take => { takes.set('first', take) })
    timers.set('window', 100, take => { takes.set('window', take) })
    clock.advance(100)
    // the machine sets the accept timer again before the first event was handled
    timers.set('accept', 100, take => { takes.set('second', take) })
    expect(takes.get('first')!()).to.equal(false)
    clock.advance(100)
    timers.clear('accept')
    expect(takes.get('second')!()).to.equal(false)
    expect(takes.get('window')!()).to.equal(true)
  })

  it('a cleared timer never fires, and clearAll drops fired events not yet taken', () => {
    const clock = new ManualClock({ now: 0 })
    const timers = new MachineTimers(clock)
    let fired = 0
    let pending: (() => boolean) | undefined
    timers.set('a', 100, () => { fired++ })
    timers.clear('a')
    timers.set('b', 50, take => { pending = take })
    clock.advance(200)
    expect(fired).to.equal(0)
    timers.clearAll()
    expect(pending!()).to.equal(false)
  })
})
