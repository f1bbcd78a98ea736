import { expect } from 'chai'
import { MemoryDatastore } from 'datastore-core'
import { memoryDurableStore } from '../../../../node/store/index.js'
import { ChannelStore } from '../../../../node/channel/index.js'
import { newChannel, type Channel } from '../../../../protocol/channel/index.js'
import type { Datastore } from 'interface-datastore'

/** A datastore whose batches complete only when the test says so (a slow fsync). */
function slowDatastore (): { datastore: Datastore, commits: Array<() => void> } {
  const inner = new MemoryDatastore()
  const commits: Array<() => void> = []
  const datastore = Object.assign(Object.create(inner) as Datastore, {
    batch: () => {
      const batch = inner.batch()
      return {
        put: batch.put.bind(batch),
        delete: batch.delete.bind(batch),
        commit: async () => {
          await new Promise<void>(resolve => { commits.push(resolve) })
          await batch.commit()
        }
      }
    }
  })
  return { datastore, commits }
}

describe('node/channel: ChannelStore group commit', () => {
  it('writes the saves that queue behind a slow batch together, each resolving only once its state is on disk', async () => {
    const { datastore, commits } = slowDatastore()
    const store = new ChannelStore(memoryDurableStore(datastore))
    let channel: Channel = newChannel({ channelId: `0x${'11'.repeat(32)}`, role: 'driver', rider: `0x${'22'.repeat(20)}`, driver: `0x${'33'.repeat(20)}`, peer: 'p', deposit: 100n })
    const resolved: number[] = []
    const saves: Array<Promise<void>> = []
    const save = (i: number): void => {
      channel = { ...channel, owedToDriver: BigInt(i) }
      saves.push(store.save(channel.channelId, () => channel).then(() => { resolved.push(i) }))
    }
    save(1) // starts batch 1
    await new Promise(resolve => setImmediate(resolve))
    for (let i = 2; i <= 10; i++) save(i) // queue behind it
    expect(commits).to.have.length(1)
    commits.shift()!() // batch 1 on disk
    await new Promise(resolve => setImmediate(resolve))
    expect(resolved).to.deep.equal([1])
    expect(commits).to.have.length(1) // batch 2: saves 2..10 at once
    commits.shift()!()
    await Promise.all(saves)
    expect(resolved).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(store.stats).to.deep.equal({ batches: 2, records: 2, saves: 10 })
    const [stored] = await new ChannelStore(memoryDurableStore(datastore)).loadAll()
    expect(stored.owedToDriver).to.equal(10n)
  })

  it('keeps a final state with whichever signatures this node holds, and the opens in flight', async () => {
    const datastore = new MemoryDatastore()
    const store = new ChannelStore(memoryDurableStore(datastore))
    const id = `0x${'44'.repeat(32)}` as const
    const state = { channelId: id, nonce: (1n << 64n) - 1n, balanceRider: 90n, balanceDriver: 10n, tripRecordHash: `0x${'55'.repeat(32)}` as const }
    const channel: Channel = {
      ...newChannel({ channelId: id, role: 'rider', rider: `0x${'22'.repeat(20)}`, driver: `0x${'33'.repeat(20)}`, peer: 'p', deposit: 100n }),
      phase: 'final',
      final: { state, riderSig: `0x${'66'.repeat(65)}` }
    }
    await store.save(id, () => channel)
    const [stored] = await new ChannelStore(memoryDurableStore(datastore)).loadAll()
    expect(stored).to.deep.equal(channel)
    await store.saveIntent({ driver: `0x${'33'.repeat(20)}`, peer: 'p', fromBlock: 7n })
    expect(await store.loadIntents()).to.deep.equal([{ driver: `0x${'33'.repeat(20)}`, peer: 'p', fromBlock: 7n }])
    await store.deleteIntent(`0x${'33'.repeat(20)}`)
    expect(await store.loadIntents()).to.deep.equal([])
  })
})
