/**
 * Crash safety with real processes: a rider and a driver process share a dev chain and a libp2p
 * TCP connection; one of them SIGKILLs itself at a chosen point of an update
 * (`HITCH_CRASH_AT`). Both restart from their data dirs, agree on the latest state, and the
 * chain pays each what it was owed.
 */
import { expect } from 'chai'
import { crashLab, stopPeer, type PeerProcess } from '../fixtures/channel-process.js'

const DEPOSIT = 10n ** 16n
const CHALLENGE_PERIOD_S = 3600

interface Case { side: 'rider' | 'driver', point: string, crashNonce: number, expectNonce: number }

// the update with nonce 3 crashes (nonce 4 for the driver's after-send: that crash point is the
// rider's next message arriving); every case expects the update the crash interrupted to be
// completed after the restart, except a rider dying before its proposal reached the disk
const CASES: Case[] = [
  { side: 'rider', point: 'before-persist', crashNonce: 3, expectNonce: 2 },
  { side: 'rider', point: 'after-persist', crashNonce: 3, expectNonce: 3 },
  { side: 'rider', point: 'before-send', crashNonce: 3, expectNonce: 3 },
  { side: 'rider', point: 'after-send', crashNonce: 3, expectNonce: 3 },
  { side: 'rider', point: 'after-countersign', crashNonce: 3, expectNonce: 3 },
  { side: 'driver', point: 'after-countersign', crashNonce: 3, expectNonce: 3 },
  { side: 'driver', point: 'before-persist', crashNonce: 3, expectNonce: 3 },
  { side: 'driver', point: 'after-persist', crashNonce: 3, expectNonce: 3 },
  { side: 'driver', point: 'before-send', crashNonce: 3, expectNonce: 3 },
  { side: 'driver', point: 'after-send', crashNonce: 3, expectNonce: 4 }
]

const total = (nonce: number): bigint => BigInt(nonce) * 1000n

describe('integration: channel crash safety with real processes', function () {
  this.timeout(120_000)
  const lab = crashLab(CHALLENGE_PERIOD_S)

  async function spawn (dir: string, crash?: string): Promise<PeerProcess> {
    return await lab.spawn(dir, crash != null ? { HITCH_CRASH_AT: crash } : {})
  }

  for (const c of CASES) {
    it(`${c.side} killed ${c.point} of update ${c.crashNonce}: both agree after restart and the chain pays what is owed`, async () => {
      const riderDir = await lab.tempDir('hitch-crash-r-')
      const driverDir = await lab.tempDir('hitch-crash-d-')
      const crash = `${c.point}@${c.crashNonce}`
      let rider = await spawn(riderDir, c.side === 'rider' ? crash : undefined)
      let driver = await spawn(driverDir, c.side === 'driver' ? crash : undefined)
      const d = await driver.call({ cmd: 'info' })
      await rider.call({ cmd: 'dial', addr: d.addrs[0] })
      const ch = await rider.call({ cmd: 'ensure', peerId: d.peerId, address: d.address, wei: DEPOSIT.toString() })

      let outcome = 'completed'
      for (let n = 1; n <= c.crashNonce + 1; n++) {
        try {
          await rider.call({ cmd: 'pay', channelId: ch.channelId, total: total(n).toString() })
        } catch (err: any) {
          outcome = err.code ?? err.message
          break
        }
      }
      const crashed = c.side === 'rider' ? rider : driver
      expect(await crashed.exited, `${c.side} should have killed itself (${outcome})`).to.equal('SIGKILL')
      await stopPeer(c.side === 'rider' ? driver : rider)

      // restart both from their data dirs, without the crash hook
      rider = await spawn(riderDir)
      driver = await spawn(driverDir)
      const d2 = await driver.call({ cmd: 'info' })
      await rider.call({ cmd: 'dial', addr: d2.addrs[0] })
      await rider.call({ cmd: 'sync', channelId: ch.channelId })
      const [atRider, atDriver] = await Promise.all([
        rider.call({ cmd: 'latest', channelId: ch.channelId }),
        driver.call({ cmd: 'latest', channelId: ch.channelId })
      ])
      expect(atRider, 'both hold the same latest co-signed state').to.deep.equal(atDriver)
      expect(atRider.state.nonce).to.equal(String(c.expectNonce))
      expect(atRider.state.balanceDriver).to.equal(total(c.expectNonce).toString())
      const riderList = await rider.call({ cmd: 'list' })
      expect(riderList[0].inFlight, 'nothing left in flight').to.equal(0)

      // the crashed side closes with what it holds; the chain pays the agreed state after the period
      const closer = c.side === 'rider' ? rider : driver
      await closer.call({ cmd: 'close-unilateral', channelId: ch.channelId })
      await lab.chain().evm.increaseTime(CHALLENGE_PERIOD_S + 1)
      await (c.side === 'rider' ? driver : rider).call({ cmd: 'finalize', channelId: ch.channelId })
      const events = await lab.observer().events(0n)
      const fin = events.find(e => e.type === 'Finalized' && e.channelId === ch.channelId)
      if (fin == null) throw new Error('no Finalized event')
      if (fin.type !== 'Finalized') throw new Error('unreachable')
      expect(fin.paidDriver).to.equal(total(c.expectNonce))
      expect(fin.paidRider).to.equal(DEPOSIT - total(c.expectNonce))
      await stopPeer(rider)
      await stopPeer(driver)
    })
  }
})
