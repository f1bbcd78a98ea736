/**
 * Per-IP limits on a relay's reservations. circuit-relay-v2's server only caps the total
 * (`maxReservations`) and keeps one reservation per peer id; peer ids are free, so a single host
 * could take every slot with made-up ids. The guard is the connection gater's
 * `denyInboundRelayReservation`: it refuses a new reservation from an IP that already holds
 * `maxPerIp` of them, so one host's flood leaves the other slots to honest peers.
 */
import { getNetConfig } from '@libp2p/utils'
import type { Connection, PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What the guard reads from the running relay */
export interface RelayGuardView {
  /** the relay's reservations: the address each was made from */
  reservations: () => Iterable<[PeerId, { addr: Multiaddr }]>
  /** the open connections to a peer */
  connections: (peer: PeerId) => Connection[]
}

/** What the guard has refused, for logs and tests */
export interface RelayGuardStats {
  /** reservations refused because their IP held `maxPerIp` already */
  refusedPerIp: number
}

/** Whether an address goes through a relay */
export function isCircuit (addr: Multiaddr | string): boolean {
  return addr.toString().includes('/p2p-circuit')
}

/** The host part of an address (an IP, or the whole address where it has none) */
export function hostOf (addr: Multiaddr): string {
  try {
    return getNetConfig(addr).host ?? addr.toString()
  } catch {
    return addr.toString()
  }
}

/** Refuses a reservation from an IP that holds `maxPerIp` already (see the file's doc) */
export class RelayReservationGuard {
  readonly maxPerIp: number
  readonly stats: RelayGuardStats = { refusedPerIp: 0 }
  private view?: RelayGuardView

  constructor (maxPerIp: number) {
    this.maxPerIp = maxPerIp
    this.deny = this.deny.bind(this)
  }

  /** Binds the guard to the relay it guards (the node exists only after the gater is made) */
  bind (view: RelayGuardView): void {
    this.view = view
  }

  /** `ConnectionGater.denyInboundRelayReservation`: true refuses */
  deny (peer: PeerId): boolean {
    const view = this.view
    if (view == null) return true
    const connection = view.connections(peer).find(c => !isCircuit(c.remoteAddr))
    // reservations over a relayed connection are refused by the relay itself
    if (connection == null) return false
    const host = hostOf(connection.remoteAddr)
    let held = 0
    for (const [holder, reservation] of view.reservations()) {
      // a refresh of this peer's own reservation takes no new slot
      if (holder.equals(peer)) return false
      // a holder that is gone holds nothing (its slot is freed when its connection closes)
      if (hostOf(reservation.addr) === host && view.connections(holder).length > 0) held++
    }
    if (held >= this.maxPerIp) {
      this.stats.refusedPerIp++
      return true
    }
    return false
  }
}
