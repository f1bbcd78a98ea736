import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { Key } from 'interface-datastore'
import { loadOrCreateIdentity } from '../../../../node/identity/index.js'
import { createNetwork } from '../../../../node/network/index.js'
import { memoryStore, openStore, StoreError } from '../../../../node/store/index.js'
import type { NodeStore, RideSummary } from '../../../../node/store/index.js'

const ride = (id: string, status = 'requested'): RideSummary => ({
  id, role: 'rider', counterparty: '16Uiu2HAmDriver', status, createdAt: 1_000, updatedAt: 2_000, fareWei: '1200000000000000'
})

function behavesLikeARideStore (name: string, make: () => Promise<NodeStore>): void {
  describe(name, () => {
    let store: NodeStore
    beforeEach(async () => { store = await make() })
    afterEach(async () => { await store.close() })

    it('puts, gets and lists rides and trips in their own namespaces, ordered by id', async () => {
      await store.rides.putRide(ride('r-2'))
      await store.rides.putRide(ride('r-1'))
      await store.rides.putTrip({ id: 't-1', hash: '0xabc', events: [{ kind: 'pickup', at: 5 }] })
      expect(await store.rides.getRide('r-1')).to.deep.equal(ride('r-1'))
      expect(await store.rides.getTrip('t-1')).to.deep.equal({ id: 't-1', hash: '0xabc', events: [{ kind: 'pickup', at: 5 }] })
      expect(await store.rides.getRide('missing')).to.equal(undefined)
      expect(await store.rides.getRide('t-1')).to.equal(undefined)

      const rides: string[] = []
      for await (const r of store.rides.listRides()) rides.push(r.id)
      expect(rides).to.deep.equal(['r-1', 'r-2'])
      const trips: string[] = []
      for await (const t of store.rides.listTrips()) trips.push(t.id)
      expect(trips).to.deep.equal(['t-1'])
    })

    it('overwrites a record with the same id', async () => {
      await store.rides.putRide(ride('r-1'))
      await store.rides.putRide(ride('r-1', 'completed'))
      expect((await store.rides.getRide('r-1'))?.status).to.equal('completed')
    })

    it('refuses ids that could escape the namespace', async () => {
      for (const bad of ['', 'a/b', '../x', 'x'.repeat(201)]) {
        const err = await store.rides.putRide(ride(bad)).then(() => undefined, (e: unknown) => e)
        expect(err).to.be.instanceOf(StoreError)
        expect((err as StoreError).code).to.equal('ERR_INVALID_ID')
      }
    })

    it('reports a corrupt record by code', async () => {
      await store.datastore.put(new Key('/hitch/rides/broken'), new TextEncoder().encode('{not json'))
      const err = await store.rides.getRide('broken').then(() => undefined, (e: unknown) => e)
      expect((err as StoreError).code).to.equal('ERR_CORRUPT_RECORD')
    })
  })
}

describe('node/store', () => {
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'hitch-store-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  behavesLikeARideStore('memoryStore', async () => memoryStore())
  let n = 0
  behavesLikeARideStore('openStore (LevelDB)', async () => openStore(join(dir, `level-${n++}`)))

  it('keeps records across close and reopen; close is idempotent', async () => {
    const dataDir = join(dir, 'reopen')
    const first = await openStore(dataDir)
    await first.rides.putRide(ride('r-9', 'completed'))
    await first.rides.putTrip({ id: 't-9', hash: '0xfeed' })
    await first.close()
    await first.close()

    const second = await openStore(dataDir)
    try {
      expect(await second.rides.getRide('r-9')).to.deep.equal(ride('r-9', 'completed'))
      expect(await second.rides.getTrip('t-9')).to.deep.equal({ id: 't-9', hash: '0xfeed' })
    } finally {
      await second.close()
    }
  })

  it('a restarted node keeps its identity, its history and its peer store', async function () {
    this.timeout(30_000)
    const dataDir = join(dir, 'node')
    const other = await createNetwork({ privateKey: (await loadOrCreateIdentity(join(dir, 'other'))).privateKey, transport: 'memory', dht: false })
    await other.start()
    try {
      const id1 = await loadOrCreateIdentity(dataDir)
      const store1 = await openStore(dataDir)
      const node1 = await createNetwork({ privateKey: id1.privateKey, transport: 'memory', datastore: store1.datastore, dht: false })
      await node1.start()
      await node1.dial(other.addresses()[0])
      await store1.rides.putRide(ride('r-1', 'completed'))
      await node1.stop()
      await store1.close()

      const id2 = await loadOrCreateIdentity(dataDir)
      const store2 = await openStore(dataDir)
      const node2 = await createNetwork({ privateKey: id2.privateKey, transport: 'memory', datastore: store2.datastore, dht: false })
      await node2.start()
      try {
        expect(node2.peerId).to.equal(node1.peerId)
        expect(id2.ethAddress).to.equal(id1.ethAddress)
        expect((await store2.rides.getRide('r-1'))?.status).to.equal('completed')
        const peers = await node2.libp2p.peerStore.all()
        expect(peers.map(p => p.id.toString())).to.include(other.peerId)
      } finally {
        await node2.stop()
        await store2.close()
      }
    } finally {
      await other.stop()
    }
  })
})
