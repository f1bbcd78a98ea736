/**
 * Channel throughput: co-signed updates per second between two nodes over a real libp2p TCP
 * connection on 127.0.0.1 (LevelDB stores, fsync before every signature leaves a node), one at
 * a time and pipelined, beside the raw in-process rate of signing and recovering one EIP-712
 * state, and the adjudicator's gas table. `npm run bench -- channel [--updates N] [--json]`.
 *
 * Both nodes run in this one process, so each co-signed update costs this process two signs and
 * two recoveries (one of each per side): the raw rate is one sign + one recover.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts'
import { WallClock } from '../node/clock/index.js'
import { ChannelManager } from '../node/channel/index.js'
import { loadOrCreateIdentity } from '../node/identity/index.js'
import { createNetwork } from '../node/libp2p/index.js'
import { openStore } from '../node/store/index.js'
import { channelStateTypedData, EmbeddedEvm, recoverChannelStateSigner, ZERO_HASH, type ChannelState } from '../settlement/index.js'
import { reportGas } from './channel-gas.js'

function flag (args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] != null ? Number(args[i + 1]) : fallback
}

/** Sign + recover of one channel state, in-process, per second. */
async function rawRate (n: number, domain: { chainId: number, verifyingContract: `0x${string}` }): Promise<number> {
  const account = privateKeyToAccount(generatePrivateKey())
  const started = performance.now()
  for (let i = 0; i < n; i++) {
    const state: ChannelState = { channelId: `0x${'11'.repeat(32)}`, nonce: BigInt(i + 1), balanceRider: 10n ** 18n - BigInt(i), balanceDriver: BigInt(i), tripRecordHash: ZERO_HASH }
    const sig = await account.signTypedData(channelStateTypedData(state, domain))
    if (await recoverChannelStateSigner(state, sig, domain) !== account.address) throw new Error('recover mismatch')
  }
  return n / ((performance.now() - started) / 1000)
}

/** Runs the benchmark and returns its figures. */
export async function measure (updates: number): Promise<Record<string, number | Record<string, number>>> {
  const evm = await EmbeddedEvm.start({ challengePeriodS: 60 })
  const dirs = [await mkdtemp(join(tmpdir(), 'hitch-bench-r-')), await mkdtemp(join(tmpdir(), 'hitch-bench-d-'))]
  const nodes = await Promise.all(dirs.map(async dir => {
    const identity = await loadOrCreateIdentity(dir)
    const store = await openStore(dir)
    const network = await createNetwork({ privateKey: identity.privateKey, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], dht: false, loopbackFriendly: true })
    await network.start()
    const chain = await evm.connect(identity.ethPrivateKeyHex, { fundWei: 10n ** 19n })
    const manager = new ChannelManager({ network, chain, store: store.datastore, identity, clock: new WallClock(), maxInFlight: 32 })
    await manager.start()
    return { identity, store, network, chain, manager }
  }))
  const [rider, driver] = nodes
  try {
    await rider.network.dial(driver.network.addresses()[0])
    const ch = await rider.manager.ensureChannel(driver.identity.peerId, driver.identity.ethAddress, 10n ** 18n)
    let total = 0n
    const pay = async (): Promise<void> => { total += 1n; await rider.manager.pay(ch.channelId, total) }
    for (let i = 0; i < 20; i++) await pay() // warm up

    let t = performance.now()
    const sequentialN = Math.max(50, Math.floor(updates / 4))
    for (let i = 0; i < sequentialN; i++) await pay()
    const sequential = sequentialN / ((performance.now() - t) / 1000)

    const batchesBefore = driver.manager.storeStats
    t = performance.now()
    const inFlight: Array<Promise<unknown>> = []
    for (let i = 0; i < updates; i++) {
      total += 1n
      inFlight.push(rider.manager.pay(ch.channelId, total))
    }
    await Promise.all(inFlight)
    const pipelined = updates / ((performance.now() - t) / 1000)
    const batchesAfter = driver.manager.storeStats
    const recordsPerFsync = (batchesAfter.records - batchesBefore.records) / Math.max(1, batchesAfter.batches - batchesBefore.batches)

    const raw = await rawRate(Math.max(200, updates / 2), rider.chain.domain)
    const gas = await reportGas()
    return {
      rawSignRecoverPerS: Math.round(raw),
      sequentialUpdatesPerS: Math.round(sequential),
      pipelinedUpdatesPerS: Math.round(pipelined),
      pipelinedOverRaw: Math.round(pipelined / raw * 100) / 100,
      driverRecordsPerFsync: Math.round(recordsPerFsync * 10) / 10,
      gas
    }
  } finally {
    for (const n of [...nodes].reverse()) {
      await n.manager.stop()
      await n.network.stop()
      await n.chain.stop()
      await n.store.close()
    }
    await evm.stop()
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  }
}

/** Prints the figures (`--json` for one JSON line). */
export async function run (args: string[]): Promise<void> {
  const figures = await measure(flag(args, '--updates', 1000))
  if (args.includes('--json')) {
    console.log(JSON.stringify(figures))
    return
  }
  const { gas, ...rates } = figures as { gas: Record<string, number> } & Record<string, number>
  for (const [k, v] of Object.entries(rates)) console.log(`${k.padEnd(24)} ${v}`)
  console.log('target: pipelined >= 0.5 x raw')
  console.log('\noperation gas')
  for (const [k, v] of Object.entries(gas)) console.log(`${k.padEnd(28)} ${v.toLocaleString('en-US')}`)
}

if (process.argv[1] != null && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run(process.argv.slice(2))
}
