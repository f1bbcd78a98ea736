import { createHitchPeer, type HitchPeer } from '../../node/index.js'
import { HITCH_RELAY_DEFAULTS, type HitchRelayInit } from '../../node/libp2p/index.js'
import { parseFlags } from '../flags.js'
import { parseDuration, parseInteger } from '../values.js'
import {
  NODE_FLAG_HELP, NODE_FLAG_OPTIONS, checkMultiaddrs, dataDirOf, jsonLine, libp2pOf, natOf, onShutdown,
  reportReachability, type NodeFlags
} from '../daemon.js'
import { identityOptionsOf } from '../passphrase.js'

const MIB = 1024 * 1024

export const help = `
usage: hitch relay [--listen MULTIADDR…] [--announce MULTIADDR…] [--bootstrap MULTIADDR…]
                   [--max-reservations N] [--max-per-ip N] [--duration-limit DURATION]
                   [--data-limit MIB] [--json] [--data-dir DIR]

A headless node for a publicly reachable host: a bootstrap peer and a DHT
server for the Hitch network, and a circuit relay (v2) for nodes behind NATs.
A private node reserves a slot here and advertises a /p2p-circuit address
through this relay; other nodes reach it through that address, and then try a
direct path (DCUtR hole punching; WebRTC with --webrtc on both ends). It also
answers AutoNAT v2 checks, so nodes learn whether they are reachable.

A relayed connection lasts at most --duration-limit and carries at most
--data-limit (libp2p's defaults, 2 minutes and 128 KiB, are shorter than a
ride: a Hitch relay raises them so that a ride can run over the relay when no
direct path can be made). Reservations are capped in all and per IP address
(peer ids cost nothing: one host must not take every slot).

Give nodes the printed addresses as their --bootstrap. On a host whose public
address is not on a local interface (a cloud VM behind 1:1 NAT), pass it with
--announce. Stops cleanly on SIGINT/SIGTERM (a second one forces the exit).

  --max-reservations N  reservations held at once (default: ${HITCH_RELAY_DEFAULTS.maxReservations})
  --max-per-ip N        reservations held for one IP address (default: ${HITCH_RELAY_DEFAULTS.maxReservationsPerIp})
  --duration-limit DURATION
                        longest relayed connection, e.g. 90m (default: ${HITCH_RELAY_DEFAULTS.durationLimitMs / 3_600_000}h)
  --data-limit MIB      most MiB one relayed connection carries (default: ${HITCH_RELAY_DEFAULTS.dataLimitBytes / MIB})
  --json                one JSON event per line: {"event":"listening",…}, {"event":"relay",…
                        limits…}, {"event":"reachability",…}, {"event":"stopped",…}${NODE_FLAG_HELP}
`

interface RelayFlags extends NodeFlags {
  'max-reservations'?: string
  'max-per-ip'?: string
  'duration-limit'?: string
  'data-limit'?: string
  json?: boolean
}

/** The relay limits of the flags, defaults applied */
export function relayLimitsOf (flags: RelayFlags): Required<HitchRelayInit> {
  return {
    maxReservations: flags['max-reservations'] != null ? parseInteger(flags['max-reservations'], '--max-reservations', 1, 100_000) : HITCH_RELAY_DEFAULTS.maxReservations,
    maxReservationsPerIp: flags['max-per-ip'] != null ? parseInteger(flags['max-per-ip'], '--max-per-ip', 1, 100_000) : HITCH_RELAY_DEFAULTS.maxReservationsPerIp,
    durationLimitMs: flags['duration-limit'] != null ? parseDuration(flags['duration-limit'], '--duration-limit') : HITCH_RELAY_DEFAULTS.durationLimitMs,
    dataLimitBytes: flags['data-limit'] != null ? parseInteger(flags['data-limit'], '--data-limit', 1, 1024) * MIB : HITCH_RELAY_DEFAULTS.dataLimitBytes,
    reservationTtlMs: HITCH_RELAY_DEFAULTS.reservationTtlMs
  }
}

/** `hitch relay`. */
export async function run (argv: string[]): Promise<number> {
  const { values: flags, help: shown } = parseFlags<RelayFlags>(argv, {
    ...NODE_FLAG_OPTIONS,
    'max-reservations': { type: 'string' },
    'max-per-ip': { type: 'string' },
    'duration-limit': { type: 'string' },
    'data-limit': { type: 'string' },
    json: { type: 'boolean' }
  }, help)
  if (shown) return 0
  const limits = relayLimitsOf(flags)
  const nat = natOf(flags, limits)
  const json = flags.json === true
  const out = (line: string): void => { process.stdout.write(line) }

  const peer: HitchPeer = await createHitchPeer({
    dataDir: dataDirOf(flags, 'relay'),
    identity: identityOptionsOf(flags),
    transport: 'tcp',
    listen: flags.listen,
    bootstrap: checkMultiaddrs(flags.bootstrap, '--bootstrap'),
    mdns: flags.mdns === true,
    nat
  })
  const { node } = peer
  const shutdown = onShutdown(async () => { await peer.stop() })
  try {
    await peer.start()
  } catch (err) {
    shutdown.dispose()
    await peer.stop().catch(() => {})
    throw err
  }
  const addrs = node.addresses()
  const relayLimits = { maxReservations: limits.maxReservations, maxReservationsPerIp: limits.maxReservationsPerIp, durationLimitMs: limits.durationLimitMs, dataLimitBytes: limits.dataLimitBytes }
  if (json) {
    out(jsonLine({ event: 'listening', peerId: node.peerId, address: addrs.find(a => !a.startsWith('/ip4/127.')) ?? addrs[0], addrs }))
    out(jsonLine({ event: 'relay', ...relayLimits }))
  } else {
    out(`relay ${node.peerId}\n`)
    out(`nodes can bootstrap from (and reserve on):\n${addrs.map(a => `  ${a}`).join('\n')}\n`)
    out(`limits: ${limits.maxReservations} reservations (${limits.maxReservationsPerIp} per IP), relayed connections up to ${Math.round(limits.durationLimitMs / 60_000)} min and ${(limits.dataLimitBytes / MIB).toFixed(1)} MiB\n`)
    out('Ctrl+C stops.\n')
  }
  const reachability = reportReachability(node.network, json, out)
  const signal = await shutdown.stopped
  shutdown.dispose()
  reachability.dispose()
  const libp2p = libp2pOf(node.network)
  const refusedPerIp = libp2p?.relayGuard?.stats.refusedPerIp ?? 0
  if (json) out(jsonLine({ event: 'stopped', signal, refusedPerIp }))
  else out(`stopped (${signal}); ${refusedPerIp} reservation(s) refused by the per-IP limit\n`)
  return 0
}
