/**
 * NAT traversal for a Hitch node: what a node adds to its libp2p stack to be reachable from
 * behind a NAT, and what a relay adds to serve others. Off unless asked for (`nat` in
 * `createHitchLibp2p`): tests and simulations on the memory transport or loopback run without
 * it, with no new timers. `hitch drive`/`ride` turn it on (see `cli/`).
 *
 * - Reachability: AutoNAT v2 (`@libp2p/autonat-v2`), client and server. v2 rather than v1: it
 *   is pure JavaScript over ordinary dials and works in Node, it checks one address at a time
 *   with a nonce on a fresh connection (v1 trusts the dial-back connection's observed address),
 *   it guards against amplification (the dial-data exchange), and it confirms a listen address
 *   after one dial-back where v1 needs 4 from different networks.
 * - Relay client: the circuit relay v2 transport, and `relay-reserver.ts`, which keeps a
 *   reservation on a relay the node knows (its bootstrap peers, relays met through the DHT and
 *   recorded in the peer store), so that it advertises `/p2p-circuit` addresses.
 * - Direct paths: DCUtR (TCP hole punching), and WebRTC private-to-private (opt-in, see
 *   `webrtc`).
 * - UPnP port mapping: opt-in.
 * - Relay server: `HITCH_RELAY_DEFAULTS`, with a per-IP cap on reservations (`relay-guard.ts`).
 */
import { RelayReservationGuard } from './relay-guard.js'
import type { ConnectionGater, Transport } from '@libp2p/interface'

/** Limits of a relay run by a Hitch node (`hitch relay`, `hitch drive --relay`) */
export interface HitchRelayInit {
  /**
   * Most reservations held at once.
   *
   * @default 128
   */
  maxReservations?: number

  /**
   * Most reservations held for peers connecting from one IP address (peer ids are free: without
   * this, one host could take every slot).
   *
   * @default 4
   */
  maxReservationsPerIp?: number

  /**
   * How long a relayed connection may last, ms. Longer than a ride (see
   * `node/network/limited-connections.ts` for why the relay's limits are raised).
   *
   * @default 2 hours
   */
  durationLimitMs?: number

  /**
   * How many bytes a relayed connection may carry (both ways together).
   *
   * @default 4 MiB
   */
  dataLimitBytes?: number

  /**
   * How long a reservation lasts before the client must refresh it, ms.
   *
   * @default 2 hours (libp2p's)
   */
  reservationTtlMs?: number
}

/** The limits of a Hitch relay (see {@link HitchRelayInit}) */
export const HITCH_RELAY_DEFAULTS = {
  maxReservations: 128,
  maxReservationsPerIp: 4,
  durationLimitMs: 2 * 60 * 60 * 1000,
  dataLimitBytes: 4 * 1024 * 1024,
  reservationTtlMs: 2 * 60 * 60 * 1000
} as const

/** NAT traversal options of a node (see the file's doc) */
export interface HitchNatInit {
  /**
   * Ask peers (AutoNAT v2) whether this node's addresses are dialable, and answer their asks.
   *
   * @default true
   */
  autoNat?: boolean

  /**
   * Keep a reservation on a relay and advertise the relayed address (`relay-reserver.ts`).
   * Until AutoNAT confirms a public address, a node counts as private.
   *
   * @default true
   */
  relayClient?: boolean

  /**
   * Serve as a relay for private nodes: `true` for `HITCH_RELAY_DEFAULTS`, or limits.
   *
   * @default false
   */
  relayServer?: boolean | HitchRelayInit

  /**
   * DCUtR: upgrade a relayed connection to a direct one by TCP hole punching.
   *
   * @default true
   */
  holePunch?: boolean

  /**
   * The WebRTC transport (private-to-private, signalled through the relay): a direct path over
   * UDP where TCP hole punching fails. The node listens on `/webrtc`.
   *
   * @default false
   */
  webrtc?: boolean

  /**
   * STUN servers for WebRTC (`stun:host:port`), so that a peer behind a NAT learns the address
   * the NAT gives it. None by default: libp2p's default list is on the public internet, and a
   * Hitch network may not be.
   *
   * @default []
   */
  stunServers?: string[]

  /**
   * Map the listening port on the router with UPnP.
   *
   * @default false
   */
  upnp?: boolean

  /**
   * Addresses to announce besides the listen addresses (a public address known to the
   * operator, e.g. `/ip4/203.0.113.7/tcp/4001`): announced addresses count as confirmed.
   *
   * @default []
   */
  announce?: string[]
}

/** @default true */
export const DEFAULT_AUTONAT = true
/** @default true */
export const DEFAULT_RELAY_CLIENT = true
/** @default true */
export const DEFAULT_HOLE_PUNCH = true
/** @default false */
export const DEFAULT_WEBRTC = false
/** @default false */
export const DEFAULT_UPNP = false

/** The listen address that accepts WebRTC connections signalled through a relay */
export const WEBRTC_LISTEN = '/webrtc'

/** What NAT traversal adds to a libp2p node */
export interface NatParts {
  transports: Array<(components: any) => Transport>
  services: Record<string, (components: any) => unknown>
  listen: string[]
  appendAnnounce: string[]
  connectionGater?: ConnectionGater
  /** the relay's per-IP guard, to bind to the node once it exists */
  guard?: RelayReservationGuard
}

/** The relay limits with their defaults applied */
export function relayLimits (init: boolean | HitchRelayInit | undefined): Required<HitchRelayInit> | undefined {
  if (init == null || init === false) return undefined
  const given = init === true ? {} : init
  const limits = {
    maxReservations: given.maxReservations ?? HITCH_RELAY_DEFAULTS.maxReservations,
    maxReservationsPerIp: given.maxReservationsPerIp ?? HITCH_RELAY_DEFAULTS.maxReservationsPerIp,
    durationLimitMs: given.durationLimitMs ?? HITCH_RELAY_DEFAULTS.durationLimitMs,
    dataLimitBytes: given.dataLimitBytes ?? HITCH_RELAY_DEFAULTS.dataLimitBytes,
    reservationTtlMs: given.reservationTtlMs ?? HITCH_RELAY_DEFAULTS.reservationTtlMs
  }
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`relay ${name} must be a positive integer, got ${value}`)
  }
  return limits
}

/**
 * The transports, services, listen addresses and gater that `init` asks for. The modules are
 * loaded here, only when asked for: WebRTC alone (node-datachannel) costs ~0.3 s at import, and
 * every simulation worker and test process imports this composition root.
 */
export async function natParts (init: HitchNatInit): Promise<NatParts> {
  const { circuitRelayServer, circuitRelayTransport } = await import('@libp2p/circuit-relay-v2')
  const parts: NatParts = { transports: [], services: {}, listen: [], appendAnnounce: [...(init.announce ?? [])] }
  const relay = relayLimits(init.relayServer)
  // the relay transport also dials circuit addresses, which every NAT-aware node needs
  parts.transports.push(circuitRelayTransport())
  // not a bare `/p2p-circuit` listen: see relay-reserver.ts for why Hitch picks its relay itself
  if ((init.relayClient ?? DEFAULT_RELAY_CLIENT) && relay == null) {
    const { relayReserver } = await import('./relay-reserver.js')
    parts.services.relayReserver = relayReserver()
  }
  if (init.autoNat ?? DEFAULT_AUTONAT) {
    const { autoNATv2 } = await import('@libp2p/autonat-v2')
    parts.services.autoNAT = autoNATv2()
  }
  if (init.holePunch ?? DEFAULT_HOLE_PUNCH) {
    const { dcutr } = await import('@libp2p/dcutr')
    parts.services.dcutr = dcutr()
  }
  if (init.upnp ?? DEFAULT_UPNP) {
    const { uPnPNAT } = await import('@libp2p/upnp-nat')
    parts.services.upnp = uPnPNAT()
  }
  if (init.webrtc ?? DEFAULT_WEBRTC) {
    const { webRTC } = await import('@libp2p/webrtc')
    const iceServers = (init.stunServers ?? []).map(urls => ({ urls }))
    parts.transports.push(webRTC({ rtcConfiguration: { iceServers } }))
    parts.listen.push(WEBRTC_LISTEN)
  }
  if (relay != null) {
    const guard = new RelayReservationGuard(relay.maxReservationsPerIp)
    parts.guard = guard
    parts.connectionGater = { denyInboundRelayReservation: guard.deny }
    parts.services.relay = circuitRelayServer({
      reservations: {
        maxReservations: relay.maxReservations,
        reservationTtl: relay.reservationTtlMs,
        applyDefaultLimit: true,
        defaultDurationLimit: relay.durationLimitMs,
        defaultDataLimit: BigInt(relay.dataLimitBytes)
      }
    })
  }
  return parts
}
