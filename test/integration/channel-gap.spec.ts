import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { PAY_STREAM_PROTOCOL } from '../../protocol/channel/index.js'
import { MemoryChain, MemoryLedger } from '../../settlement/index.js'
import { SimWorld } from './sim-world-fixtures.js'
import type { ChainConnector, HitchPeer } from '../../node/index.js'
import type { CoSignedState } from '../../protocol/channel/index.js'

const ETH = 10n ** 18n

const memoryChain = (ledger: MemoryLedger): ChainConnector => async identity => {
  const chain = new MemoryChain({ ledger, privateKeyHex: identity.ethPrivateKeyHex })
  ledger.fund(chain.address, 10n ** 20n)
  return chain
}

/**
 * A proposal lost on the way (the pay pipe resets, as the simulator's lossy network does) leaves
 * a gap: the driver refuses the next nonce with `gap`, and the rider must re-send the lost one,
 * then the refused one, once. This runs on the simulator's network and virtual clock with a
 * channel manager on each side and the chain in memory.
 */
describe('integration: a payment after a lost proposal (nonce gap)', function () {
  this.timeout(30_000)

  it('re-sends the lost proposal and the refused one; the payment settles and both peers stop', async () => {
    const world = new SimWorld(await openRoutedMap(), 7)
    const ledger = new MemoryLedger()
    const rider: HitchPeer = await world.peer('rider', { chain: memoryChain(ledger), channels: { role: 'rider' } })
    const driver: HitchPeer = await world.peer('driver', { chain: memoryChain(ledger), channels: { role: 'driver' } })
    const riderChannels = rider.channels!
    const driverChannels = driver.channels!
    try {
      const starting = Promise.all([rider.start(), driver.start()])
      let up = false
      void starting.then(() => { up = true }, () => { up = true })
      expect(await world.until(() => up, 10_000)).to.equal(true)
      await starting

      /** Runs `work` while the virtual clock turns, for at most `maxMs` of it. */
      async function settle<T> (work: Promise<T>, maxMs: number): Promise<{ value?: T, error?: unknown } | undefined> {
        let outcome: { value?: T, error?: unknown } | undefined
        void work.then(value => { outcome = { value } }, error => { outcome = { error } })
        await world.until(() => outcome != null, maxMs)
        return outcome
      }

      const opened = await settle(riderChannels.ensureChannel(driver.node.peerId, driver.node.ethAddress, ETH), 10_000)
      expect(opened?.error).to.equal(undefined)
      const channelId = opened!.value!.channelId
      const first = await settle(riderChannels.pay(channelId, 1n), 10_000)
      expect((first?.value as CoSignedState | undefined)?.state.nonce).to.equal(1n)

      // the next message the rider sends on the pay pipe is lost: the pipe resets (nonce 2 never arrives)
      const sim = world.world
      const transmit = sim.transmit.bind(sim)
      let drop = true
      sim.transmit = (from, to, bytes, kind, label, deliver) => {
        if (drop && from === rider.node.peerId && kind === 'pipe' && label === PAY_STREAM_PROTOCOL) {
          drop = false
          return false
        }
        return transmit(from, to, bytes, kind, label, deliver)
      }
      const lost = await settle(riderChannels.pay(channelId, 2n), 30_000)
      expect(drop).to.equal(false)
      expect(lost?.error).to.be.instanceOf(Error)

      // nonce 3 on a new pipe: the driver refuses it with `gap` (no nonce 2); the rider re-sends
      // 2, then 3, and the payment settles (it used to wait for ever, holding its in-flight slot)
      const third = await settle(riderChannels.pay(channelId, 3n), 30_000)
      expect(third, 'the payment after the gap never settled').to.not.equal(undefined)
      expect(third?.error).to.equal(undefined)
      expect(third?.value?.state.nonce).to.equal(3n)
      expect(driverChannels.latestState(channelId)?.state.nonce).to.equal(3n)
      expect(driverChannels.latestState(channelId)?.state.balanceDriver).to.equal(3n)

    } finally {
      // the peers stop (the scheduler turning meanwhile)
      await world.stop()
    }
  })
})
