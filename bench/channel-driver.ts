/**
 * The driver's node of `bench/channel.ts`, in its own process (two peers, two processes, as in
 * real life): a libp2p TCP node on 127.0.0.1, a LevelDB store and a `ChannelManager` that
 * countersigns. Environment: `HITCH_BENCH_DIR` (data dir), `HITCH_BENCH_CHAIN` (dev chain URL).
 * Prints `{"ready":true,"peerId":…,"address":…,"addrs":[…]}`; then answers each line on stdin:
 * `stats` with the store's group-commit figures and CPU time used, `stop` by stopping and exiting.
 */
import { createInterface } from 'node:readline'
import { BENCH_INBOUND_LIMITS } from './channel-limits.js'
import { chainAt, createHitchPeer, loopbackNode } from '../node/index.js'

const dir = process.env.HITCH_BENCH_DIR
const url = process.env.HITCH_BENCH_CHAIN
if (dir == null || url == null) {
  process.stderr.write('HITCH_BENCH_DIR and HITCH_BENCH_CHAIN are required\n')
  process.exit(2)
}

// the bench measures the channel engine's throughput: the flood guard's limits on what one
// peer may send (20 requests/s, 32 pending frames per pipe) would measure the guard instead and
// reset the pipelined pipe (the bench crashed so since the limits came in, issue 9)
const peer = await createHitchPeer({
  dataDir: dir,
  ...loopbackNode(),
  chain: chainAt(url),
  channels: { role: 'driver', maxInFlight: 32, inbound: BENCH_INBOUND_LIMITS }
})
await peer.start()
const { node } = peer
const manager = peer.channels!

const write = (value: unknown): void => { process.stdout.write(JSON.stringify(value) + '\n') }
write({ ready: true, peerId: node.peerId, address: node.ethAddress, addrs: node.addresses() })

let stopping = false
async function stop (): Promise<void> {
  if (stopping) return
  stopping = true
  await peer.stop()
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
