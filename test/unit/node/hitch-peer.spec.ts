import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { chainAt, createHitchNode, createHitchPeer } from '../../../node/index.js'
import { DriverPayments, RiderPayments } from '../../../node/payments/index.js'
import { identityFromKey, loadOrCreateIdentity } from '../../../node/identity/index.js'
import { openRoutedMap } from '../../../node/map/index.js'
import { MemoryChain, MemoryLedger, startDevChain } from '../../../settlement/index.js'
import { EventScheduler, SimulatedWorld, VirtualClock } from '../../../sim/index.js'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { recordingLogger } from '../../fixtures/recording-logger.js'
import type { ChainConnector, ChainConnectorOptions, HitchPeerInit } from '../../../node/index.js'
import type { RoutedMap } from '../../../node/map/index.js'
import type { SimulatedNetwork } from '../../../sim/index.js'

/** The composition root: what `createHitchPeer` assembles, in which order it starts and stops it. */
describe('node/hitch-peer: createHitchPeer', () => {
  let map: RoutedMap
  let dir: string
  before(async () => { map = await openRoutedMap() })
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'hitch-peer-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  /** A peer's node options on a fresh simulated world (the Network port without sockets). */
  async function onWorld (): Promise<HitchPeerInit & { network: SimulatedNetwork }> {
    const scheduler = new EventScheduler()
    const world = new SimulatedWorld({ scheduler, seed: 1 })
    const clock = new VirtualClock(scheduler)
    const privateKey = await generateKeyPair('secp256k1')
    return { privateKey, clock, map, network: world.createPeer({ peerId: identityFromKey(privateKey).peerId, clock }) }
  }

  const memoryChain = (ledger: MemoryLedger): ChainConnector => async identity => {
    const chain = new MemoryChain({ ledger, privateKeyHex: identity.ethPrivateKeyHex })
    ledger.fund(chain.address, 10n ** 20n)
    return chain
  }

  it('a node created and stopped without being started lets go of its data dir', async () => {
    const first = await createHitchNode({ dataDir: dir, map, transport: 'memory' })
    await first.stop()
    // the LevelDB lock is released: the same directory opens again in this process
    const second = await createHitchNode({ dataDir: dir, map, transport: 'memory' })
    await second.stop()
  })

  it('assembles a driver with its channels and payments on the chain, starts them in order and stops them all', async () => {
    const ledger = new MemoryLedger()
    const init = await onWorld()
    const peer = await createHitchPeer({ ...init, chain: memoryChain(ledger), driver: { position: { lat: 40.75, lon: -73.98 }, seats: 3 } })
    expect(peer.channels?.listChannels()).to.deep.equal([])
    expect(peer.payments).to.be.instanceOf(DriverPayments)
    expect(peer.rider).to.equal(undefined)
    expect(peer.chain?.chainId).to.equal(ledger.chainId)
    await peer.start()
    expect(init.network.isStarted()).to.equal(true)
    expect(peer.driver.freeSeats).to.equal(3)
    await peer.stop()
    await peer.stop() // idempotent
    expect(init.network.isStarted()).to.equal(false)
    // a stopped peer is not restarted (its store is closed)
    await peer.start().then(() => expect.fail('started again'), (err: Error) => { expect(err.name).to.equal('NotStartedError') })
  })

  it('takes an abort signal on start: an aborted start leaves nothing running, and the peer still stops', async () => {
    const init = await onWorld()
    const peer = await createHitchPeer({ ...init, rider: {} })
    const aborted = AbortSignal.abort()
    await peer.start({ signal: aborted }).then(() => expect.fail('started'), (err: Error) => { expect(err.name).to.equal('AbortError') })
    expect(init.network.isStarted()).to.equal(false)
    await peer.stop()
  })

  it('connects the chain with the node\'s own hitch:chain logger, and runs its channels under its name, like its other lines', async () => {
    const ledger = new MemoryLedger()
    const given: Array<ChainConnectorOptions | undefined> = []
    const connector: ChainConnector = async (identity, options) => {
      given.push(options)
      return await memoryChain(ledger)(identity)
    }
    const peer = await createHitchPeer({ ...await onWorld(), logPrefix: 'rider-7', chain: connector, rider: {} })
    expect(given).to.have.length(1)
    // the debug instance behind @libp2p/logger's loggers carries its namespace
    expect((given[0]?.log as unknown as { namespace: string }).namespace).to.equal('rider-7:hitch:chain')
    // and the channel manager's lines name it too
    expect((peer.channels as unknown as { log: { namespace: string } }).log.namespace).to.equal('rider-7:hitch:channel')
    await peer.stop()
  })

  it('chainAt hands the connector\'s logger to the client it connects', async function () {
    this.timeout(30_000)
    const dev = await startDevChain({ port: 0, host: '127.0.0.1' })
    const lines: string[] = []
    try {
      const identity = identityFromKey(await generateKeyPair('secp256k1'))
      const chain = await chainAt(dev.url, { pollingIntervalMs: 20 })(identity, { log: recordingLogger(lines, 'driver-1:hitch:chain') })
      await chain.stop()
      expect(lines).to.deep.equal([`driver-1:hitch:chain:rpc funded ${chain.address} from the dev chain`])
    } finally {
      await dev.stop()
    }
  })

  it('a rider without a chain rides unpaid: no channels, no payments', async () => {
    const peer = await createHitchPeer({ ...await onWorld(), rider: {} })
    expect(peer.channels).to.equal(undefined)
    expect(peer.payments).to.equal(undefined)
    await peer.start()
    await peer.stop()
  })

  it('a rider with a chain pays through RiderPayments on its own channel manager', async () => {
    const peer = await createHitchPeer({ ...await onWorld(), chain: memoryChain(new MemoryLedger()), rider: {} })
    expect(peer.payments).to.be.instanceOf(RiderPayments)
    await peer.start()
    await peer.stop()
  })

  it('refuses two roles on one peer', async () => {
    const init = { ...await onWorld(), driver: { position: { lat: 40.75, lon: -73.98 }, seats: 1 }, rider: {} }
    await createHitchPeer(init).then(() => expect.fail('made'), (err: Error) => { expect(err.name).to.equal('InvalidParametersError') })
  })

  it('a chain that cannot be reached stops what was made: the data dir opens again, with its identity', async () => {
    const identity = await loadOrCreateIdentity(dir)
    const unreachable: ChainConnector = async () => { throw new Error('connection refused') }
    await createHitchPeer({ dataDir: dir, map, transport: 'memory', chain: unreachable, rider: {} })
      .then(() => expect.fail('made'), (err: Error) => { expect(err.message).to.equal('connection refused') })
    const again = await createHitchPeer({ dataDir: dir, map, transport: 'memory' })
    expect(again.node.ethAddress).to.equal(identity.ethAddress)
    await again.stop()
  })
})
