/**
 * Whether this node can be reached, and how: `public` (an address confirmed dialable from
 * outside by AutoNAT, or announced), `relayed` (private, reachable through a relay reservation:
 * `/p2p-circuit` addresses), or `private` (neither). Read from libp2p's own address book on
 * `self:peer:update`, and from connections: a peer first reached over a relay that then has a
 * direct connection was reached by a hole punch (DCUtR) or a WebRTC upgrade. No timers.
 *
 * "Private" is also the state before AutoNAT has a verdict: AutoNAT v2 confirms an address after
 * one successful dial-back but needs 8 failures from different networks to refute one, so a
 * small network would otherwise wait forever; a node without a confirmed public address acts
 * as private (it reserves on a relay), like go-libp2p's "unknown".
 */
import { isPrivate } from '@libp2p/utils'
import { isCircuit } from './relay-guard.js'
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** How a node can be reached (see the file's doc) */
export type ReachabilityStatus = 'public' | 'relayed' | 'private'

/** A node's reachability */
export interface Reachability {
  status: ReachabilityStatus
  /** confirmed (or announced) public addresses */
  publicAddrs: string[]
  /** peer ids of the relays this node holds a reservation on */
  relays: string[]
  /** peers first reached over a relay, then over a direct connection (since start) */
  directAfterRelay: number
}

/** A peer reached over a relay and then directly */
export interface DirectUpgrade {
  peer: string
  /** `webrtc` or the direct connection's first transport (`tcp` after a DCUtR hole punch) */
  transport: string
  remoteAddr: string
}

/** Events of a {@link ReachabilityMonitor} */
export interface ReachabilityEvents {
  reachability: Reachability
  direct: DirectUpgrade
}

/** Most peers remembered as reached over a relay, oldest forgotten first */
export const MAX_RELAYED_PEERS_TRACKED = 1024

type View = Pick<Libp2p, 'getMultiaddrs' | 'addEventListener' | 'removeEventListener' | 'peerId'>

/** Whether an address is public: not relayed, not loopback or private */
function isPublicAddr (ma: Multiaddr): boolean {
  return !isCircuit(ma) && !isPrivate(ma)
}

/** The relay's peer id in `/…/p2p/RELAY/p2p-circuit/p2p/SELF` */
export function relayOf (ma: Multiaddr | string): string | undefined {
  const text = ma.toString()
  const at = text.indexOf('/p2p-circuit')
  if (at < 0) return undefined
  const before = text.slice(0, at).split('/p2p/')
  return before.length > 1 ? before[before.length - 1] : undefined
}

/** Tracks a libp2p node's reachability (see the file's doc) */
export class ReachabilityMonitor {
  private readonly libp2p: View
  private current: Reachability = { status: 'private', publicAddrs: [], relays: [], directAfterRelay: 0 }
  private readonly relayedPeers = new Set<string>()
  private readonly listeners: { [K in keyof ReachabilityEvents]: Set<(e: ReachabilityEvents[K]) => void> } = { reachability: new Set(), direct: new Set() }
  private started = false

  constructor (libp2p: View) {
    this.libp2p = libp2p
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
    this.onConnectionOpen = this.onConnectionOpen.bind(this)
  }

  /** The reachability now */
  get reachability (): Reachability {
    return { ...this.current, publicAddrs: [...this.current.publicAddrs], relays: [...this.current.relays] }
  }

  /** Adds a listener; returns a function that removes it */
  on<K extends keyof ReachabilityEvents> (event: K, listener: (e: ReachabilityEvents[K]) => void): () => void {
    const set = this.listeners[event] as Set<(e: ReachabilityEvents[K]) => void>
    set.add(listener)
    return () => { set.delete(listener) }
  }

  /** Starts listening to libp2p's events (call after libp2p started, or before: both work) */
  start (): void {
    if (this.started) return
    this.started = true
    this.libp2p.addEventListener('self:peer:update', this.onSelfUpdate)
    this.libp2p.addEventListener('connection:open', this.onConnectionOpen)
    this.update()
  }

  stop (): void {
    if (!this.started) return
    this.started = false
    this.libp2p.removeEventListener('self:peer:update', this.onSelfUpdate)
    this.libp2p.removeEventListener('connection:open', this.onConnectionOpen)
  }

  private onSelfUpdate (): void {
    this.update()
  }

  /** Re-reads the addresses; emits `reachability` when anything changed */
  update (): void {
    const addrs = this.libp2p.getMultiaddrs()
    const publicAddrs = addrs.filter(isPublicAddr).map(a => a.toString()).sort()
    const relays = [...new Set(addrs.map(relayOf).filter((r): r is string => r != null))].sort()
    const status: ReachabilityStatus = publicAddrs.length > 0 ? 'public' : relays.length > 0 ? 'relayed' : 'private'
    const before = this.current
    if (before.status === status && same(before.publicAddrs, publicAddrs) && same(before.relays, relays)) return
    this.current = { status, publicAddrs, relays, directAfterRelay: before.directAfterRelay }
    this.emit('reachability', this.reachability)
  }

  private onConnectionOpen (evt: CustomEvent<Connection>): void {
    const connection = evt.detail
    const peer = connection.remotePeer.toString()
    if (connection.limits != null || isCircuit(connection.remoteAddr) && !connection.remoteAddr.toString().includes('/webrtc')) {
      this.relayedPeers.delete(peer)
      this.relayedPeers.add(peer)
      if (this.relayedPeers.size > MAX_RELAYED_PEERS_TRACKED) {
        const oldest = this.relayedPeers.values().next().value
        if (oldest != null) this.relayedPeers.delete(oldest)
      }
      return
    }
    if (!this.relayedPeers.delete(peer)) return
    const remoteAddr = connection.remoteAddr.toString()
    const transport = remoteAddr.includes('/webrtc') ? 'webrtc' : (remoteAddr.split('/')[3] ?? 'unknown')
    this.current = { ...this.current, directAfterRelay: this.current.directAfterRelay + 1 }
    this.emit('direct', { peer, transport, remoteAddr })
  }

  private emit<K extends keyof ReachabilityEvents> (event: K, detail: ReachabilityEvents[K]): void {
    for (const listener of this.listeners[event] as Set<(e: ReachabilityEvents[K]) => void>) {
      try {
        listener(detail)
      } catch {
        // a listener's failure is its own; the others still hear the event
      }
    }
  }
}

function same (a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

