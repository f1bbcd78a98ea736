import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { peerIdFromString } from '@libp2p/peer-id'
import { expect } from 'chai'
import { createHitchNode } from '../../node/index.js'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../node/identity/index.js'
import { tripRecordFromJSON, verifyTripRecord } from '../../protocol/index.js'
import { runHitch } from '../fixtures/run-cli.js'

/** test/fixtures/legacy-v0, from dist/test/integration */
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'fixtures', 'legacy-v0')

/** What the version before Ed25519 peer ids wrote (see the fixture's README). */
const LEGACY = {
  driver: { peerId: '16Uiu2HAmEzfmk7Jsgz1eduUyarVWFxrBBaWWTPke9QkaC6zpWVGc', address: '0x6636Ba5e6e294e8f0541760F30Fe2b91892DC441' },
  rider: { peerId: '16Uiu2HAmJ6B4jHgk5Bfp9N4MkbNrvsANYMsbN5huJESFxXgrdcma', address: '0xC36DD984f19c73EDBE6D31D6da6e1037C547CC73' },
  channelId: '0x3bfc3d896b11305603c5371756c3f6bf725f6c70435e7c81fcf99c7ba9668800',
  rideId: 'ZuyH-pPqWpmEdIg9'
}

describe('a data directory of the version before Ed25519 peer ids', function () {
  this.timeout(60_000)
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-legacy-'))
    await cp(FIXTURE, dir, { recursive: true })
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  for (const role of ['driver', 'rider'] as const) {
    it(`migrates the ${role}'s on start: a new Ed25519 peer id, the same address, and the key file untouched`, async () => {
      const dataDir = join(dir, role)
      const keyBefore = await readFile(join(dataDir, IDENTITY_FILE))
      const identity = await loadOrCreateIdentity(dataDir)
      expect(identity.created).to.equal(false)
      expect(identity.ethAddress).to.equal(LEGACY[role].address)
      expect(identity.peerId).to.not.equal(LEGACY[role].peerId)
      expect(peerIdFromString(identity.peerId).type).to.equal('Ed25519')
      expect(identity.privateKey.type).to.equal('secp256k1')
      // derived, not stored: the next start is the same peer id, and nothing was rewritten
      expect((await loadOrCreateIdentity(dataDir)).peerId).to.equal(identity.peerId)
      expect(await readFile(join(dataDir, IDENTITY_FILE))).to.deep.equal(keyBefore)
    })
  }

  it('keeps the rider\'s channel, ride and trip record readable by a node of this version', async () => {
    const node = await createHitchNode({ dataDir: join(dir, 'rider'), transport: 'memory', dht: false })
    try {
      expect(peerIdFromString(node.peerId).type).to.equal('Ed25519')
      expect(node.ethAddress).to.equal(LEGACY.rider.address)
      const rides = []
      for await (const ride of node.store.rides.listRides()) rides.push(ride)
      expect(rides.map(r => [r.id, r.role, r.status, r.counterparty])).to.deep.equal([[LEGACY.rideId, 'rider', 'completed', LEGACY.driver.peerId]])
      const stored = await node.store.rides.getTrip(LEGACY.rideId)
      expect(stored).to.not.equal(undefined)
      const { id: _id, ...json } = stored!
      const check = await verifyTripRecord(tripRecordFromJSON(json))
      expect(check.ok, JSON.stringify(check)).to.equal(true)
    } finally {
      await node.stop()
    }
  })

  it('hitch id, channels and receipt verify work on it', async () => {
    const env = { HITCH_CACHE_DIR: join(dir, 'cache') }
    const id = await runHitch(['id', '--json', '--data-dir', join(dir, 'driver')], { env })
    expect(id.code, id.stderr).to.equal(0)
    const shown = JSON.parse(id.stdout)
    expect(shown.address).to.equal(LEGACY.driver.address)
    expect(peerIdFromString(shown.peerId).type).to.equal('Ed25519')

    const channels = await runHitch(['channels', '--json', '--data-dir', join(dir, 'rider')], { env })
    expect(channels.code, channels.stderr).to.equal(0)
    const [channel] = channels.stdout.trim().split('\n').map(line => JSON.parse(line))
    expect(channel).to.include({ channelId: LEGACY.channelId, role: 'rider', phase: 'open', counterparty: LEGACY.driver.address.toLowerCase() })

    const receipt = await runHitch(['receipt', 'verify', join(dir, 'record.json')], { env })
    expect(receipt.code, receipt.stdout + receipt.stderr).to.equal(0)
  })
})
