import { expect } from 'chai'
import { EventScheduler, VirtualClock } from '../../../sim/index.js'
import { feedAccess, RunChain } from '../../../sim/payments.js'
import type { AdjudicatorEvent } from '../../../settlement/index.js'

const key = (byte: string): string => '0x' + byte.repeat(32)

describe('sim/chain-feed: the run\'s EVM as a simulated run\'s peers see it', function () {
  this.timeout(60_000)

  it('mines between events, and one feed tells each watcher about its own channels only', async () => {
    const scheduler = new EventScheduler()
    const clock = new VirtualClock(scheduler)
    const chain = await RunChain.embedded()
    try {
      const access = await feedAccess(chain.access(), clock, async work => await scheduler.track(work))
      const rider = await access.connect(key('11'))
      const driver = await access.connect(key('22'))
      const bystander = await access.connect(key('33'))
      const seen = { rider: [] as AdjudicatorEvent[], driver: [] as AdjudicatorEvent[], bystander: [] as AdjudicatorEvent[] }
      const from = await rider.blockNumber()
      const watchers = [
        rider.watch(e => { seen.rider.push(e) }, { fromBlock: from }),
        driver.watch(e => { seen.driver.push(e) }, { fromBlock: from }),
        bystander.watch(e => { seen.bystander.push(e) }, { fromBlock: from })
      ]

      // an event opens a channel: the transaction is mined before the next event runs
      let openedAt = -1
      scheduler.scheduleAt(1_000, () => { void rider.open(driver.address, 10n ** 15n).then(() => { openedAt = scheduler.now() }) })
      scheduler.scheduleAt(1_001, () => { expect(openedAt, 'mined at the instant it was sent').to.equal(1_000) })
      await scheduler.runUntilAsync(10_000)

      expect(openedAt).to.equal(1_000)
      expect(seen.rider.map(e => e.type)).to.deep.equal(['Opened'])
      expect(seen.driver.map(e => e.type)).to.deep.equal(['Opened'])
      expect(seen.bystander).to.deep.equal([])
      for (const w of watchers) await w.stop()
      await access.stop()
      expect(scheduler.pendingWork()).to.equal(0)
    } finally {
      await chain.stop()
    }
  })
})
