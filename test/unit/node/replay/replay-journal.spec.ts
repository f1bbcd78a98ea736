import { logger } from '@libp2p/logger'
import { expect } from 'chai'
import { MemoryDatastore } from 'datastore-core'
import { journaledReplayCache } from '../../../../node/replay/index.js'
import type { Datastore } from 'interface-datastore'

/** A datastore that counts the writes that reach it */
function counting (): { datastore: Datastore, writes: () => number } {
  const inner = new MemoryDatastore()
  let writes = 0
  const datastore = Object.create(inner) as Datastore
  datastore.batch = () => {
    const b = inner.batch()
    return { put: (k, v) => { b.put(k, v) }, delete: k => { b.delete(k) }, commit: async () => { writes++; await b.commit() } }
  }
  datastore.put = async (k, v) => { writes++; return inner.put(k, v) }
  return { datastore, writes: () => writes }
}

const log = logger('test:replay')

describe('node/replay/replay-journal', () => {
  it('writes a flood of accepted ids in one batch, not one write per message', async () => {
    const { datastore, writes } = counting()
    const now = 1_000
    const { cache, journal } = journaledReplayCache({ datastore, name: 'gossip', now: () => now, log, flushIntervalMs: 60_000, maxPending: 100_000 })
    for (let i = 0; i < 10_000; i++) cache.add(`peer/${i}`, now + 60_000, now)
    expect(writes()).to.equal(0)
    await journal.flush()
    expect(writes()).to.equal(1)
    expect(journal.stored).to.deep.equal({ batches: 1, ids: 10_000 })
    await journal.close()
  })

  it('restores the unexpired ids into a new cache and drops expired batches', async () => {
    const { datastore } = counting()
    let now = 1_000
    const first = journaledReplayCache({ datastore, name: 'gossip', now: () => now, log })
    first.cache.add('a/1', 5_000, now)
    await first.journal.flush()
    first.cache.add('b/2', 100_000, now)
    await first.journal.close()

    now = 10_000
    const second = journaledReplayCache({ datastore, name: 'gossip', now: () => now, log })
    expect(await second.journal.load()).to.equal(1)
    expect(second.cache.has('b/2', now)).to.equal(true)
    expect(second.cache.has('a/1', now)).to.equal(false)
    // the expired batch is gone from the disk
    const third = journaledReplayCache({ datastore, name: 'gossip', now: () => now, log })
    await third.journal.load()
    expect(third.journal.stored).to.deep.equal({ batches: 1, ids: 1 })
    // another cache's namespace is its own
    const direct = journaledReplayCache({ datastore, name: 'direct', now: () => now, log })
    expect(await direct.journal.load()).to.equal(0)
  })

  it('keeps at most maxEntries ids on disk, dropping the oldest batches', async () => {
    const { datastore } = counting()
    const now = 1_000
    const { cache, journal } = journaledReplayCache({ datastore, name: 'gossip', now: () => now, log, maxEntries: 250, maxPending: 100_000 })
    for (let b = 0; b < 10; b++) {
      for (let i = 0; i < 100; i++) cache.add(`p/${b}-${i}`, now + 60_000, now)
      await journal.flush()
    }
    expect(journal.stored.ids).to.be.at.most(250)
    expect(journal.stored.batches).to.equal(2)
    await journal.close()
  })
})
