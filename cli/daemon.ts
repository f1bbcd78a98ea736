/**
 * Shared plumbing of the long-running commands: where the data directory is,
 * how the node is built from flags, and a clean stop on the first SIGINT or
 * SIGTERM (the second one forces the exit).
 */
import { defaultDataDir } from '../node/identity/index.js'
import { Libp2pNetwork, type Network } from '../node/network/index.js'
import type { DirectUpgrade, HitchLibp2p, HitchNatInit, Reachability } from '../node/libp2p/index.js'
import { UsageError } from './errors.js'
import { parseInteger } from './values.js'
import { PASSPHRASE_FLAG_HELP, PASSPHRASE_FLAG_OPTIONS } from './passphrase.js'

/** Flags every node command shares. */
export interface NodeFlags {
  'data-dir'?: string
  profile?: string
  listen?: string[]
  bootstrap?: string[]
  mdns?: boolean
  map?: string
  'passphrase-file'?: string
  'no-nat'?: boolean
  upnp?: boolean
  webrtc?: boolean
  stun?: string[]
  announce?: string[]
}

export const NODE_FLAG_OPTIONS = {
  'data-dir': { type: 'string' },
  profile: { type: 'string' },
  listen: { type: 'string', multiple: true },
  bootstrap: { type: 'string', multiple: true },
  mdns: { type: 'boolean' },
  map: { type: 'string' },
  'no-nat': { type: 'boolean' },
  upnp: { type: 'boolean' },
  webrtc: { type: 'boolean' },
  stun: { type: 'string', multiple: true },
  announce: { type: 'string', multiple: true },
  ...PASSPHRASE_FLAG_OPTIONS
} as const

export const NODE_FLAG_HELP = `
  --map FILE            .osm.pbf road map (default: the built-in synthetic city)
  --listen MULTIADDR    address to listen on, repeatable (default: /ip4/0.0.0.0/tcp/0)
  --bootstrap MULTIADDR a peer to connect to at start (with /p2p/<id>), repeatable
  --mdns                also find peers on the local network
  --no-nat              no NAT traversal: no AutoNAT, no relay reservation, no hole punching
                        (by default a node without a confirmed public address reserves a slot
                        on a relay among its bootstrap peers and advertises a /p2p-circuit address)
  --upnp                map the listening port on the router with UPnP
  --webrtc              also connect over WebRTC (a direct UDP path set up through the relay)
  --stun URL            a STUN server for WebRTC, e.g. stun:203.0.113.7:3478, repeatable (default: none)
  --announce MULTIADDR  a public address of this node (e.g. /ip4/203.0.113.7/tcp/4001), repeatable
  --data-dir DIR        identity key and LevelDB store (default: ~/.hitch/<profile>)
  --profile NAME        profile for the default data directory${PASSPHRASE_FLAG_HELP}`

/** The data directory of a command: `--data-dir`, or the profile's default. */
export function dataDirOf (flags: NodeFlags, defaultProfile: string): string {
  return flags['data-dir'] ?? defaultDataDir(flags.profile ?? defaultProfile)
}

/** Multiaddrs must at least look like one; libp2p reports the rest. */
export function checkMultiaddrs (list: string[] | undefined, flag: string): string[] | undefined {
  for (const a of list ?? []) {
    if (!a.startsWith('/')) throw new UsageError(`${flag}: "${a}" is not a multiaddr (e.g. /ip4/127.0.0.1/tcp/4001/p2p/16Uiu2…)`)
  }
  return list
}

/**
 * The NAT traversal a command's flags ask for (`false` with `--no-nat`); `relayServer` for
 * `hitch relay` and `hitch drive --relay`.
 */
export function natOf (flags: NodeFlags, relayServer?: HitchNatInit['relayServer']): HitchNatInit | false {
  const announce = checkMultiaddrs(flags.announce, '--announce') ?? []
  for (const url of flags.stun ?? []) {
    if (!/^stuns?:[^\s]+$/.test(url)) throw new UsageError(`--stun: "${url}" is not a STUN URL (e.g. stun:203.0.113.7:3478)`)
  }
  if (flags['no-nat'] === true) {
    if (relayServer != null && relayServer !== false) throw new UsageError('--no-nat: a relay needs NAT traversal on')
    if (flags.upnp === true || flags.webrtc === true) throw new UsageError('--no-nat cannot be combined with --upnp or --webrtc')
    return false
  }
  return {
    upnp: flags.upnp === true,
    webrtc: flags.webrtc === true,
    stunServers: flags.stun ?? [],
    announce,
    ...(relayServer != null ? { relayServer } : {})
  }
}

/** The libp2p node under a network, when it is one */
export function libp2pOf (network: Network): HitchLibp2p | undefined {
  return network instanceof Libp2pNetwork ? network.libp2p as HitchLibp2p : undefined
}

/** One line about a node's reachability, e.g. `private, reachable via relay 12D3Ko…AbCd` */
export function describeReachability (r: Reachability): string {
  const direct = r.directAfterRelay > 0 ? `; ${r.directAfterRelay} peer(s) reached directly after a hole punch` : ''
  switch (r.status) {
    case 'public': return `public (${r.publicAddrs.join(', ')})${direct}`
    case 'relayed': return `private, reachable via relay ${r.relays.map(shortId).join(', ')}${direct}`
    default: return `private, no relay yet (others cannot dial this node)${direct}`
  }
}

function shortId (peerId: string): string {
  return peerId.length > 12 ? `${peerId.slice(0, 6)}…${peerId.slice(-4)}` : peerId
}

/**
 * Prints reachability changes and direct upgrades: `{"event":"reachability",…}` and
 * `{"event":"direct",…}` with `--json`, a line otherwise. Prints the current state at once.
 * Returns the current description (for a status line) and a function that stops reporting.
 */
export function reportReachability (network: Network, json: boolean, out: (line: string) => void): { current: () => string | undefined, dispose: () => void } {
  const monitor = libp2pOf(network)?.reachability
  if (monitor == null) return { current: () => undefined, dispose: () => {} }
  const time = (): string => new Date().toISOString().slice(11, 19)
  const onReach = (r: Reachability): void => {
    out(json ? jsonLine({ event: 'reachability', ...r }) : `${time()} reachability: ${describeReachability(r)}\n`)
  }
  const onDirect = (d: DirectUpgrade): void => {
    out(json ? jsonLine({ event: 'direct', ...d }) : `${time()} direct connection to ${shortId(d.peer)} after a hole punch (${d.transport}), no longer through the relay\n`)
  }
  const offs = [monitor.on('reachability', onReach), monitor.on('direct', onDirect)]
  onReach(monitor.reachability)
  return {
    current: () => describeReachability(monitor.reachability),
    dispose: () => { for (const off of offs) off() }
  }
}

/** Parses `--speedup` (a factor ≥ 1). */
export function parseSpeedup (text: string | undefined): number {
  if (text == null) return 1
  const n = Number(text)
  if (!Number.isFinite(n) || n < 1 || n > 10_000) throw new UsageError(`--speedup: "${text}" must be a number in [1, 10000]`)
  return n
}

export { parseInteger }

/**
 * Runs `stop` on the first SIGINT/SIGTERM and resolves when it is done; a
 * second signal exits at once. Returns the promise of the stop and a function
 * that removes the handlers.
 */
export function onShutdown (stop: (signal: string) => Promise<void>): { stopped: Promise<string>, dispose: () => void } {
  let stoppingAt: number | undefined
  let resolve!: (signal: string) => void
  const stopped = new Promise<string>(r => { resolve = r })
  const handler = (signal: NodeJS.Signals): void => {
    if (stoppingAt != null) {
      // npm/npx wrappers forward the terminal's Ctrl+C, so one keypress can arrive twice:
      // only a second signal a moment later means "force".
      if (Date.now() - stoppingAt < 1000) return
      process.stderr.write(`hitch: ${signal} again, exiting now\n`)
      process.exit(130)
    }
    stoppingAt = Date.now()
    stop(signal).then(() => { resolve(signal) }, (err) => {
      process.stderr.write(`hitch: error while stopping: ${String(err?.message ?? err)}\n`)
      resolve(signal)
    })
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    stopped,
    dispose: () => {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    }
  }
}

/** JSON with bigint and Error support, one line. */
export function jsonLine (value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof Error) return { name: v.name, code: (v as any).code, message: v.message }
    return v
  }) + '\n'
}

/** Formats integer cents as money, e.g. 1234 → 12.34. */
export function formatCents (cents: string | number | bigint): string {
  const n = BigInt(cents)
  const sign = n < 0n ? '-' : ''
  const abs = n < 0n ? -n : n
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`
}

/** Parses money in main units with at most two decimals (12.5 → 1250 cents). */
export function parseMoneyCents (text: string | undefined, flag: string): bigint {
  if (text == null || !/^\d+(\.\d{1,2})?$/.test(text.trim())) throw new UsageError(`${flag}: "${text ?? ''}" is not an amount such as 12 or 12.50`)
  const [whole, frac = ''] = text.trim().split('.')
  return BigInt(whole) * 100n + BigInt(frac.padEnd(2, '0'))
}
