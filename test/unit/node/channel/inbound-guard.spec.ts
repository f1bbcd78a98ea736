import { expect } from 'chai'
import { InboundGuard } from '../../../../node/channel/index.js'
import { ManualClock } from '../../../../node/clock/index.js'
import type { MessagePipe } from '../../../../node/network/index.js'

/** A pipe that records what the guard did to it. */
function pipe (remotePeer: string): MessagePipe & { closed: number, aborted: number } {
  return {
    remotePeer,
    open: true,
    closed: 0,
    aborted: 0,
    send () {},
    close () { this.closed++ },
    abort () { this.aborted++ }
  }
}

/** The pay server's inbound accounting: idle pipes end on the manager's clock, not on real time. */
describe('node/channel/inbound-guard', () => {
  it('closes a pipe idle for pipeIdleTimeoutMs of the clock, resets it after the grace, and a request restarts the wait', () => {
    const clock = new ManualClock()
    const guard = new InboundGuard({ pipeIdleTimeoutMs: 60_000 }, undefined, clock)
    const p = pipe('peer-a')
    expect(guard.admitPipe(p)).to.equal(true)
    clock.advance(59_000)
    guard.touch(p) // a request: the idle wait starts again
    clock.advance(59_000)
    expect(p.closed).to.equal(0)
    clock.advance(1_000)
    expect(p.closed).to.equal(1) // politely first
    expect(guard.serves(p)).to.equal(true)
    clock.advance(5_000)
    expect(p.aborted).to.equal(1) // then reset: the peer kept its end open
    expect(guard.serves(p)).to.equal(false)
    expect(guard.openPipes).to.equal(0)
  })

  it('a pipe that ends, or a manager that stops, leaves no idle timer behind', () => {
    const clock = new ManualClock()
    const guard = new InboundGuard({ pipeIdleTimeoutMs: 1_000 }, undefined, clock)
    const ended = pipe('peer-a')
    const open = pipe('peer-b')
    guard.admitPipe(ended)
    guard.admitPipe(open)
    guard.removePipe(ended)
    guard.closeAll()
    expect(open.closed).to.equal(1)
    clock.advance(10_000)
    expect(ended.closed + ended.aborted + open.aborted).to.equal(0)
  })
})
