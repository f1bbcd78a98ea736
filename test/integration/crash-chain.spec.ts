/**
 * Crash safety of the channel's chain steps, with real processes (as in crash.spec.ts): a rider
 * and a driver process share a dev chain and a TCP connection, and one of them SIGKILLs itself
 * (`HITCH_CRASH_AT`) during an open, a top-up, pipelined payments, a co-operative close, a
 * unilateral close, a challenge or a finalize, or while a countersigned state is not yet on disk
 * and its peer asks for a sync. After restarting from their data dirs, both agree, and the chain
 * pays each what it was owed.
 */
import { expect } from 'chai'
import { crashLab, stopPeer, type PeerProcess } from '../fixtures/channel-process.js'
import type { AdjudicatorEvent } from '../../settlement/index.js'
import { waitFor } from '../fixtures/wait-for.js'

const DEPOSIT = 10n ** 16n
const CHALLENGE_PERIOD_S = 3600
const total = (nonce: number): bigint => BigInt(nonce) * 1000n

type Side = 'rider' | 'driver'

describe('integration: channel chain steps survive a crash (real processes)', function () {
  this.timeout(120_000)
  const lab = crashLab(CHALLENGE_PERIOD_S)

  interface Pair { rider: PeerProcess, driver: PeerProcess, riderDir: string, driverDir: string, driverInfo: any }

  async function spawn (dir: string, crash?: string, watch = true): Promise<PeerProcess> {
    return await lab.spawn(dir, { ...(crash != null ? { HITCH_CRASH_AT: crash } : {}), ...(watch ? {} : { HITCH_PEER_WATCH: '0' }) })
  }

  /** A rider and a driver, connected; `crash` is given to `side`; a cheating rider does not watch the chain. */
  async function pair (side?: Side, crash?: string, riderWatches = true): Promise<Pair> {
    const riderDir = await lab.tempDir('hitch-crash-r-')
    const driverDir = await lab.tempDir('hitch-crash-d-')
    const rider = await spawn(riderDir, side === 'rider' ? crash : undefined, riderWatches)
    const driver = await spawn(driverDir, side === 'driver' ? crash : undefined)
    const driverInfo = await driver.call({ cmd: 'info' })
    await rider.call({ cmd: 'dial', addr: driverInfo.addrs[0] })
    return { rider, driver, riderDir, driverDir, driverInfo }
  }

  /** Restarts both from their data dirs, without the crash hook, connected again. */
  async function restart (p: Pair): Promise<Pair> {
    await stopPeer(p.rider)
    await stopPeer(p.driver)
    const rider = await spawn(p.riderDir)
    const driver = await spawn(p.driverDir)
    const driverInfo = await driver.call({ cmd: 'info' })
    await rider.call({ cmd: 'dial', addr: driverInfo.addrs[0] })
    return { ...p, rider, driver, driverInfo }
  }

  async function open (p: Pair, wei = DEPOSIT): Promise<string> {
    const ch = await p.rider.call({ cmd: 'ensure', peerId: p.driverInfo.peerId, address: p.driverInfo.address, wei: wei.toString() })
    return ch.channelId
  }

  async function killed (p: PeerProcess, what: Promise<unknown>): Promise<void> {
    await what.catch(() => {})
    expect(await p.exited, 'the process should have killed itself').to.equal('SIGKILL')
  }

  /** What the chain paid out when the channel settled. */
  async function payout (channelId: string): Promise<{ paidRider: bigint, paidDriver: bigint }> {
    const settled = (await lab.observer().events(0n)).find((e): e is AdjudicatorEvent & { type: 'Finalized' | 'ClosedCooperatively' } =>
      (e.type === 'Finalized' || e.type === 'ClosedCooperatively') && e.channelId === channelId)
    if (settled == null) throw new Error(`channel ${channelId} is not settled`)
    return { paidRider: settled.paidRider, paidDriver: settled.paidDriver }
  }

  async function phaseOf (p: PeerProcess, channelId: string): Promise<string | undefined> {
    return (await p.call({ cmd: 'list' }) as any[]).find(c => c.channelId === channelId)?.phase
  }

  /** Both hold the same latest state, at `nonce`. */
  async function agree (p: Pair, channelId: string, nonce: number): Promise<void> {
    await p.rider.call({ cmd: 'sync', channelId })
    const [r, d] = await Promise.all([p.rider.call({ cmd: 'latest', channelId }), p.driver.call({ cmd: 'latest', channelId })])
    expect(r, 'both hold the same latest co-signed state').to.deep.equal(d)
    expect(r.state.nonce).to.equal(String(nonce))
  }

  /** `closer` closes unilaterally, the period passes, `finalizer` finalizes; the chain pays `nonce`'s balances. */
  async function settleUnilaterally (closer: PeerProcess, finalizer: PeerProcess, channelId: string, deposit: bigint, paid: bigint): Promise<void> {
    await closer.call({ cmd: 'close-unilateral', channelId })
    await lab.chain().evm.increaseTime(CHALLENGE_PERIOD_S + 1)
    await finalizer.call({ cmd: 'finalize', channelId })
    expect(await payout(channelId)).to.deep.equal({ paidRider: deposit - paid, paidDriver: paid })
  }

  it('rider killed once its open is mined, before the channel is stored: restarted, it finds the deposit on chain and uses it', async () => {
    let p = await pair('rider', 'open-mined')
    await killed(p.rider, open(p))
    p = await restart(p)
    const [channel] = await p.rider.call({ cmd: 'list' })
    expect(channel, 'the channel is recovered').to.not.equal(undefined)
    expect(channel).to.include({ phase: 'open', deposit: DEPOSIT.toString() })
    expect(await p.rider.call({ cmd: 'events' })).to.deep.include({ type: 'channel:recovered', channelId: channel.channelId })
    await p.rider.call({ cmd: 'pay', channelId: channel.channelId, total: '1000' })
    await p.rider.call({ cmd: 'close', channelId: channel.channelId })
    expect(await payout(channel.channelId)).to.deep.equal({ paidRider: DEPOSIT - 1000n, paidDriver: 1000n })
  })

  it('rider killed once its top-up is mined, before it is recorded: restarted, it counts the new deposit', async () => {
    let p = await pair('rider', 'topup-mined')
    const channelId = await open(p)
    await p.rider.call({ cmd: 'pay', channelId, total: (DEPOSIT - 100n).toString() })
    await killed(p.rider, open(p))
    p = await restart(p)
    const [channel] = await p.rider.call({ cmd: 'list' })
    expect(channel.deposit).to.equal((2n * DEPOSIT - 100n).toString())
    expect((await p.rider.call({ cmd: 'status', channelId })).deposit).to.equal(channel.deposit)
    await p.rider.call({ cmd: 'close', channelId })
    expect(await payout(channelId)).to.deep.equal({ paidRider: DEPOSIT, paidDriver: DEPOSIT - 100n })
  })

  for (const [side, crash] of [['rider', 'after-persist@3'], ['driver', 'before-persist@4']] as Array<[Side, string]>) {
    it(`${side} killed (${crash}) with six payments in flight: both agree after restart and the chain pays what was agreed`, async () => {
      let p = await pair(side, crash)
      const channelId = await open(p)
      await killed(p[side], p.rider.call({ cmd: 'pay-many', channelId, totals: [1, 2, 3, 4, 5, 6].map(n => total(n).toString()) }))
      p = await restart(p)
      await p.rider.call({ cmd: 'sync', channelId })
      const latest = await p.rider.call({ cmd: 'latest', channelId })
      const nonce = Number(latest.state.nonce)
      expect(nonce, 'the payments on disk before the crash are all co-signed').to.be.at.least(side === 'rider' ? 3 : 3)
      await agree(p, channelId, nonce)
      await settleUnilaterally(p[side], p[side === 'rider' ? 'driver' : 'rider'], channelId, DEPOSIT, total(nonce))
    })
  }

  it('rider killed after signing the final state, before sending it: restarted, it closes with that state', async () => {
    let p = await pair('rider', 'final-signed@1')
    const channelId = await open(p)
    await p.rider.call({ cmd: 'pay', channelId, total: total(1).toString() })
    await killed(p.rider, p.rider.call({ cmd: 'close', channelId }))
    p = await restart(p)
    expect(await phaseOf(p.rider, channelId)).to.equal('final')
    await p.rider.call({ cmd: 'close', channelId })
    expect(await payout(channelId)).to.deep.equal({ paidRider: DEPOSIT - total(1), paidDriver: total(1) })
  })

  it('driver killed after signing the final state in answer, before its answer leaves: restarted, it submits the final state itself', async () => {
    let p = await pair('driver', 'final-signed@2')
    const channelId = await open(p)
    await p.rider.call({ cmd: 'pay', channelId, total: total(2).toString() })
    await killed(p.driver, p.rider.call({ cmd: 'close', channelId }))
    p = await restart(p)
    await waitFor(async () => await phaseOf(p.driver, channelId) === 'finalized', { what: 'the driver settles the final state' })
    await waitFor(async () => await phaseOf(p.rider, channelId) === 'finalized', { what: 'the rider sees it settled' })
    expect(await payout(channelId)).to.deep.equal({ paidRider: DEPOSIT - total(2), paidDriver: total(2) })
  })

  for (const side of ['rider', 'driver'] as Side[]) {
    it(`${side} killed once its co-operative close is mined, before recording it: restarted, it sees the channel settled`, async () => {
      let p = await pair(side, 'close-mined')
      const channelId = await open(p)
      await p.rider.call({ cmd: 'pay', channelId, total: total(1).toString() })
      await killed(p[side], p[side].call({ cmd: 'close', channelId }))
      p = await restart(p)
      await waitFor(async () => await phaseOf(p[side], channelId) === 'finalized', { what: 'the restarted node finds the close' })
      expect(await payout(channelId)).to.deep.equal({ paidRider: DEPOSIT - total(1), paidDriver: total(1) })
    })

    it(`${side} killed once its unilateral close is mined, before recording it: restarted, it finds the close and it is finalized`, async () => {
      let p = await pair(side, 'unilateral-mined')
      const channelId = await open(p)
      await p.rider.call({ cmd: 'pay', channelId, total: total(1).toString() })
      await killed(p[side], p[side].call({ cmd: 'close-unilateral', channelId }))
      p = await restart(p)
      await waitFor(async () => await phaseOf(p[side], channelId) === 'closing', { what: 'the restarted node finds its close' })
      await lab.chain().evm.increaseTime(CHALLENGE_PERIOD_S + 1)
      await p[side].call({ cmd: 'finalize', channelId })
      expect(await payout(channelId)).to.deep.equal({ paidRider: DEPOSIT - total(1), paidDriver: total(1) })
    })

    it(`${side} killed once its finalize is mined, before recording it: restarted, it sees the channel settled`, async () => {
      let p = await pair(side, 'finalize-mined')
      const channelId = await open(p)
      await p.rider.call({ cmd: 'pay', channelId, total: total(1).toString() })
      await p[side].call({ cmd: 'close-unilateral', channelId })
      await lab.chain().evm.increaseTime(CHALLENGE_PERIOD_S + 1)
      await killed(p[side], p[side].call({ cmd: 'finalize', channelId }))
      p = await restart(p)
      await waitFor(async () => await phaseOf(p[side], channelId) === 'finalized', { what: 'the restarted node finds the settlement' })
      expect(await payout(channelId)).to.deep.equal({ paidRider: DEPOSIT - total(1), paidDriver: total(1) })
    })
  }

  it('driver killed once its challenge of a stale close is mined: restarted, the close stands at the newer state and pays it', async () => {
    // the rider cheats: its node does not answer its own stale close
    let p = await pair('driver', 'challenge-mined', false)
    const channelId = await open(p)
    const old = await p.rider.call({ cmd: 'pay', channelId, total: total(1).toString() })
    await p.rider.call({ cmd: 'pay', channelId, total: total(2).toString() })
    // the older state on chain; the driver's watcher answers and dies
    await p.rider.call({ cmd: 'close-with', cosigned: old })
    expect(await p.driver.exited).to.equal('SIGKILL')
    expect((await p.rider.call({ cmd: 'status', channelId })).nonce).to.equal('2')
    p = await restart(p)
    await waitFor(async () => await phaseOf(p.driver, channelId) === 'closing', { what: 'the restarted driver finds the close' })
    await lab.chain().evm.increaseTime(CHALLENGE_PERIOD_S + 1)
    await p.driver.call({ cmd: 'finalize', channelId })
    expect(await payout(channelId)).to.deep.equal({ paidRider: DEPOSIT - total(2), paidDriver: total(2) })
  })

  it('driver killed while a countersigned state is not on disk yet: the sync it answered meanwhile did not hand that state out', async () => {
    let p = await pair('driver', 'in-persist@2~1500')
    const channelId = await open(p)
    await p.rider.call({ cmd: 'pay', channelId, total: total(1).toString() })
    const paying = p.rider.call({ cmd: 'pay', channelId, total: total(2).toString() }).catch(() => {})
    // while the driver holds nonce 2 in memory only, the rider asks for its latest state
    await waitFor(() => p.driver.stderr.join('').includes('holding at in-persist@2'), { what: 'the driver holds nonce 2 before its write' })
    const synced = await p.rider.call({ cmd: 'sync', channelId })
    expect(synced.state.nonce, 'a sync handed out a state that was not on disk').to.equal('1')
    await killed(p.driver, paying)
    p = await restart(p)
    await agree(p, channelId, 2)
    await p.rider.call({ cmd: 'pay', channelId, total: total(3).toString() })
    await agree(p, channelId, 3)
    await settleUnilaterally(p.driver, p.rider, channelId, DEPOSIT, total(3))
  })
})
