/**
 * Measures, on this host's loopback, what a connection costs by each path a Hitch node can
 * take to a peer: direct TCP, through a Hitch relay (circuit relay v2), and WebRTC set up
 * through that relay (private-to-private). For each: the time from dial to the first Hitch
 * request answered, the round trip of later requests, and the CPU the setup took (all nodes
 * are in this process, so the CPU is both ends' and the relay's).
 *
 *   npm run build && node dist/scripts/nat-measure.js [--rounds N]
 *
 * TCP hole punching (DCUtR) cannot be measured here: DCUtR only dials public addresses, and on
 * loopback there are none. It needs the network-namespace harness (test/netns).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createNetwork, type Libp2pNetwork } from '../node/network/index.js'
import type { HitchLibp2p } from '../node/libp2p/index.js'

const PROTOCOL = '/hitch/measure/1.0.0'

type Path = 'tcp' | 'relay' | 'webrtc'

async function node (listen: string[], nat: Parameters<typeof createNetwork>[0]['nat'], bootstrap: string[] = []): Promise<Libp2pNetwork> {
  const n = await createNetwork({ privateKey: await generateKeyPair('Ed25519'), transport: 'tcp', listen, bootstrap, dht: false, loopbackFriendly: true, ...(nat != null ? { nat } : {}) })
  await n.handle(PROTOCOL, async req => req.data)
  await n.start()
  return n
}

async function until (what: string, check: () => boolean, timeoutMs = 8_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

interface Sample { setupMs: number, rttMs: number, cpuMs: number, via: string }

async function once (path: Path, relayAddr: string): Promise<Sample> {
  const nat = { autoNat: false, holePunch: false, webrtc: path === 'webrtc' }
  const target = path === 'tcp'
    ? await node(['/ip4/127.0.0.1/tcp/0'], undefined)
    : await node([], nat, [relayAddr])
  const dialer = path === 'tcp' ? await node([], undefined) : await node([], nat, [relayAddr])
  try {
    let addr: string | undefined
    await until('an address to dial', () => {
      const addrs = target.addresses()
      addr = path === 'tcp'
        ? addrs[0]
        : path === 'relay'
          ? addrs.find(a => a.includes('/p2p-circuit/p2p/'))
          : addrs.find(a => a.includes('/p2p-circuit/webrtc/'))
      return addr != null
    })
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    await dialer.dial(addr as string)
    await dialer.request(target.peerId, PROTOCOL, new Uint8Array(64))
    const setupMs = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const t1 = performance.now()
    const n = 50
    for (let i = 0; i < n; i++) await dialer.request(target.peerId, PROTOCOL, new Uint8Array(512))
    const rttMs = (performance.now() - t1) / n
    const conns = (dialer.libp2p as HitchLibp2p).getConnections((target.libp2p as HitchLibp2p).peerId)
    const via = conns.map(c => c.limits != null ? 'relayed' : c.remoteAddr.toString().includes('/webrtc') ? 'webrtc' : 'tcp').join('+')
    return { setupMs, rttMs, cpuMs: (cpu.user + cpu.system) / 1000, via }
  } finally {
    await dialer.stop()
    await target.stop()
  }
}

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

async function main (): Promise<void> {
  const at = process.argv.indexOf('--rounds')
  const rounds = at > 0 ? Number(process.argv[at + 1]) : 10
  const relay = await node(['/ip4/127.0.0.1/tcp/0'], { relayServer: true, autoNat: false, holePunch: false })
  const relayAddr = relay.addresses()[0]
  const rows: string[] = []
  try {
    for (const path of ['tcp', 'relay', 'webrtc'] as const) {
      const samples: Sample[] = []
      let failures = 0
      for (let i = 0; i < rounds; i++) {
        try {
          samples.push(await once(path, relayAddr))
          if (process.env.VERBOSE === '1') process.stderr.write(`${path} round ${i + 1}: ${JSON.stringify(samples.at(-1))}\n`)
        } catch (err: any) {
          failures++
          process.stderr.write(`${path}: ${String(err?.message ?? err)}\n`)
        }
      }
      const vias = [...new Set(samples.map(s => s.via))].join(',')
      rows.push([
        path.padEnd(7),
        `${samples.length}/${rounds}`.padStart(6),
        median(samples.map(s => s.setupMs)).toFixed(1).padStart(9),
        median(samples.map(s => s.cpuMs)).toFixed(1).padStart(9),
        median(samples.map(s => s.rttMs)).toFixed(2).padStart(8),
        `  ${vias}${failures > 0 ? ` (${failures} failed)` : ''}`
      ].join(' '))
    }
  } finally {
    await relay.stop()
  }
  process.stdout.write(`node ${process.version}, ${rounds} rounds per path, medians, loopback\n`)
  process.stdout.write('path        ok  setup ms  setup CPU ms  rtt ms  connection\n'.replace('setup CPU ms', ' cpu ms'))
  process.stdout.write(rows.join('\n') + '\n')
}

await main()
// node-datachannel's native threads can outlive the last WebRTC connection (seen after a
// round whose dial timed out): the measurement is done, so do not wait for them
process.exit(0)
