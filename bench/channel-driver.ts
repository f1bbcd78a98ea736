/**
 * The driver's node of `bench/channel.ts`, in its own process (two peers, two processes, as in
 * real life): a libp2p TCP node on 127.0.0.1, a LevelDB store and a `ChannelManager` that
 * countersigns. Environment: `HITCH_BENCH_DIR` (data dir), `HITCH_BENCH_CHAIN` (dev chain URL).
 * Prints `{"ready":true,"peerId":…,"address":…,"addrs":[…]}`; then answers each line on stdin:
 * `stats` with the store's group-commit figures and CPU time used, `stop` by stopping and exiting.
 */
import { createInterface } from 'node:readline'
import { WallClock } from '../node/clock/index.js'
import { BENCH_INBOUND_LIMITS } from './channel-limits.js'
import { ChannelManager } from '../node/channel/index.js'
import { loadOrCreateIdentity } from '../node/identity/index.js'
import { createNetwork } from '../node/network/index.js'
import { openStore } from '../node/store/index.js'
import { connectChain } from '../settlement/index.js'

const dir = process.env.HITCH_BENCH_DIR
const url = process.env.HITCH_BENCH_CHAIN
if (dir == null || url == null) {
  process.stderr.write('HITCH_BENCH_DIR and HITCH_BENCH_CHAIN are required\n')
  process.exit(2)
}

const identity = await loadOrCreateIdentity(dir)
const store = await openStore(dir)
const network = await createNetwork({ privateKey: identity.privateKey, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], dht: false, loopbackFriendly: true })
await network.start()
const chain = await connectChain(url, { privateKeyHex: identity.ethPrivateKeyHex })
// the bench measures the channel engine's throughput: the flood guard's limits on what one
// peer may send (20 requests/s, 32 pending frames per pipe) would measure the guard instead and
// reset the pipelined pipe (the bench crashed so since the limits came in, issue 9)
const manager = new ChannelManager({ network, chain, store, identity, clock: new WallClock(), role: 'driver', maxInFlight: 32, inbound: BENCH_INBOUND_LIMITS })
await manager.start()

const write = (value: unknown): void => { process.stdout.write(JSON.stringify(value) + '\n') }
write({ ready: true, peerId: identity.peerId, address: identity.ethAddress, addrs: network.addresses() })

let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  await manager.stop()
  await network.stop()
  await chain.stop()
  await store.close()
}

const lines = createInterface({ input: process.stdin })
lines.on('line', line => {
  if (line === 'stats') {
    const cpu = process.cpuUsage()
    write({ stats: manager.storeStats, cpuMs: (cpu.user + cpu.system) / 1000 })
  } else if (line === 'stop') {
    stop().finally(() => { write({ stopped: true }); process.exit(0) })
  }
})
// the parent is gone: do not linger
lines.on('close', () => { stop().finally(() => process.exit(0)) })
