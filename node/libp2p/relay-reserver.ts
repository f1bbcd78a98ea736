/**
 * Keeps one relay reservation for a private node, on a relay it already knows: a connected peer
 * that speaks the relay's hop protocol (its bootstrap peers, peers met through the DHT), else a
 * relay recorded in the peer store (dialled one at a time). It listens on that relay's
 * `/…/p2p/RELAY/p2p-circuit` address, which makes the circuit relay transport reserve a slot there
 * and advertise the relayed address; when the relay's connection closes, it finds another.
 *
 * Why not libp2p's own search (listening on a bare `/p2p-circuit`): it walks the DHT at random
 * until a relay turns up, one query after another with no pause, so a Hitch network with a DHT
 * and no relay kept a node at ~97 % of a core (measured: 3.9 s of CPU in 4 s). Here a search that
 * finds nothing is retried after `retryMs`, doubling up to `maxRetryMs`: one timer, armed only
 * while the node has no reservation.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { isPrivate } from '@libp2p/utils'
import { RELAY_V2_HOP_CODEC } from '@libp2p/circuit-relay-v2'
import { isCircuit } from './relay-guard.js'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Options of {@link relayReserver} */
export interface RelayReserverInit {
  /**
   * First wait before searching again when no relay was found, ms.
   *
   * @default 30_000
   */
  retryMs?: number

  /**
   * Longest wait between searches, ms.
   *
   * @default 300_000
   */
  maxRetryMs?: number

  /**
   * How long a reservation attempt on one relay may take, ms.
   *
   * @default 10_000
   */
  attemptTimeoutMs?: number
}

/** @default 30 s */
export const DEFAULT_RELAY_RETRY_MS = 30_000
/** @default 5 min */
export const DEFAULT_RELAY_MAX_RETRY_MS = 300_000
/** @default 10 s */
export const DEFAULT_RELAY_ATTEMPT_TIMEOUT_MS = 10_000

/** The parts of libp2p's components the reserver uses */
export interface RelayReserverComponents {
  peerId: PeerId
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  transportManager: { listen: (addrs: Multiaddr[]) => Promise<void> }
  addressManager: { getAddresses: () => Multiaddr[] }
  connectionManager: {
    getConnections: (peer?: PeerId) => Connection[]
    openConnection: (peer: PeerId, options?: { signal?: AbortSignal }) => Promise<Connection>
  }
}

/** Keeps one relay reservation (see the file's doc) */
export class RelayReserver implements Startable {
  private readonly components: RelayReserverComponents
  private readonly log: Logger
  private readonly retryMs: number
  private readonly maxRetryMs: number
  private readonly attemptTimeoutMs: number
  /** the relay we hold (or are reserving on) */
  private relay?: string
  /** whether the reservation on `relay` was made (its address is ours) */
  private held = false
  private searching = false
  private timer?: ReturnType<typeof setTimeout>
  private backoff: number
  private started = false
  private controller = new AbortController()
  /** reservations made, and attempts that failed (a refusal, an unreachable relay) */
  readonly stats = { reserved: 0, failed: 0 }
  /** relays that refused or failed, skipped until a search finds no other */
  private readonly failed = new Set<string>()

  constructor (components: RelayReserverComponents, init: RelayReserverInit = {}) {
    this.components = components
    this.log = components.logger.forComponent('hitch:relay-reserver')
    this.retryMs = init.retryMs ?? DEFAULT_RELAY_RETRY_MS
    this.maxRetryMs = init.maxRetryMs ?? DEFAULT_RELAY_MAX_RETRY_MS
    this.attemptTimeoutMs = init.attemptTimeoutMs ?? DEFAULT_RELAY_ATTEMPT_TIMEOUT_MS
    this.backoff = this.retryMs
    this.onIdentify = this.onIdentify.bind(this)
    this.onClose = this.onClose.bind(this)
    this.onSelfUpdate = this.onSelfUpdate.bind(this)
  }

  readonly [Symbol.toStringTag] = 'hitch:relay-reserver'

  /** The relay this node holds a reservation on (or is reserving on) */
  get currentRelay (): string | undefined {
    return this.relay
  }

  start (): void {
    if (this.started) return
    this.started = true
    this.controller = new AbortController()
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('connection:close', this.onClose)
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
  }

  afterStart (): void {
    this.search()
  }

  stop (): void {
    if (!this.started) return
    this.started = false
    this.controller.abort()
    clearTimeout(this.timer)
    this.timer = undefined
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('connection:close', this.onClose)
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
  }

  /** A confirmed public address: nobody needs a relay to reach this node */
  private isPublic (): boolean {
    return this.components.addressManager.getAddresses().some(a => !isCircuit(a) && !isPrivate(a))
  }

  private onIdentify (evt: CustomEvent<{ peerId: PeerId, protocols: string[], connection: Connection }>): void {
    const { peerId, protocols, connection } = evt.detail
    if (this.relay != null || !protocols.includes(RELAY_V2_HOP_CODEC) || connection.limits != null || isCircuit(connection.remoteAddr)) return
    void this.reserveOn(peerId, connection.remoteAddr)
  }

  private onClose (evt: CustomEvent<Connection>): void {
    const peer = evt.detail.remotePeer
    if (this.relay == null || peer.toString() !== this.relay) return
    // the reservation lived on that connection; another one to the same relay may remain
    if (this.components.connectionManager.getConnections(peer).some(c => c.limits == null && !isCircuit(c.remoteAddr))) return
    this.lost()
  }

  /** A refresh the relay refused drops the relayed address while the connection stays */
  private onSelfUpdate (): void {
    if (this.relay == null || !this.held) return
    const via = `/p2p/${this.relay}/p2p-circuit`
    if (this.components.addressManager.getAddresses().some(a => a.toString().includes(via))) return
    this.lost()
  }

  private lost (): void {
    this.log('lost relay %s', this.relay)
    if (this.relay != null) this.failed.add(this.relay)
    this.relay = undefined
    this.held = false
    this.search()
  }

  /** Reserves on `peer` (dialled at `addr`); false when it could not */
  private async reserveOn (peer: PeerId, addr: Multiaddr): Promise<boolean> {
    if (!this.started || this.relay != null || this.isPublic()) return false
    this.relay = peer.toString()
    const listenAddr = multiaddr(`${addr.decapsulateCode(421).toString()}/p2p/${peer.toString()}/p2p-circuit`)
    try {
      await this.components.transportManager.listen([listenAddr])
      this.log('reserved on relay %p', peer)
      this.held = true
      this.stats.reserved++
      this.backoff = this.retryMs
      this.failed.delete(peer.toString())
      clearTimeout(this.timer)
      this.timer = undefined
      return true
    } catch (err) {
      this.log('reservation on %p failed - %e', peer, err)
      if (this.relay === peer.toString()) this.relay = undefined
      this.failed.add(peer.toString())
      this.stats.failed++
      return false
    }
  }

  /** Looks for a relay among connected peers, then known ones; retries later if none */
  private search (): void {
    if (!this.started || this.searching || this.relay != null) return
    this.searching = true
    this.findRelay()
      .catch(err => { this.log('relay search failed - %e', err) })
      .finally(() => {
        this.searching = false
        if (!this.started || this.relay != null || this.isPublic()) return
        clearTimeout(this.timer)
        this.timer = setTimeout(() => { this.timer = undefined; this.search() }, this.backoff)
        this.timer.unref?.()
        this.backoff = Math.min(this.backoff * 2, this.maxRetryMs)
      })
  }

  private async findRelay (): Promise<void> {
    if (this.isPublic()) return
    const known = await this.components.peerStore.all({
      filters: [peer => peer.protocols.includes(RELAY_V2_HOP_CODEC) && !peer.id.equals(this.components.peerId)]
    })
    // connected relays first, then the ones that have not failed, then the rest
    const rank = (id: PeerId): number =>
      (this.components.connectionManager.getConnections(id).some(c => c.limits == null) ? 0 : 2) + (this.failed.has(id.toString()) ? 1 : 0)
    known.sort((a, b) => rank(a.id) - rank(b.id))
    for (const peer of known) {
      if (!this.started || this.relay != null) return
      try {
        const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.attemptTimeoutMs)])
        const connection = await this.components.connectionManager.openConnection(peer.id, { signal })
        if (connection.limits != null || isCircuit(connection.remoteAddr)) continue
        if (await this.reserveOn(peer.id, connection.remoteAddr)) return
      } catch (err) {
        this.log('relay %p unreachable - %e', peer.id, err)
        this.failed.add(peer.id.toString())
      }
    }
  }
}

/** The libp2p service factory of {@link RelayReserver} */
export function relayReserver (init: RelayReserverInit = {}): (components: RelayReserverComponents) => RelayReserver {
  return components => new RelayReserver(components, init)
}
