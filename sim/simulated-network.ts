/**
 * A discrete-event simulated network: `SimulatedWorld`, the medium its peers share (the
 * scheduler, the link model with latency, jitter, bandwidth and loss, the topic
 * subscriptions and the DHT provider records). Each peer's `Network` port is a
 * `SimulatedNetwork` (`simulated-peer.ts`), re-exported here.
 */
import { mulberry32 } from '../matching/index.js'
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from '../node/network/index.js'
import { SimulatedNetworkError } from './errors.js'
import { EventScheduler, VirtualClock } from './event-scheduler.js'
import { SimulatedNetwork } from './simulated-peer.js'
import type { SimulatedMedium, WorldStats } from './simulated-peer.js'
import type { Random } from '../matching/index.js'

export { SimulatedNetwork } from './simulated-peer.js'
export type { WorldStats } from './simulated-peer.js'

/** The link model of a {@link SimulatedWorld} */
export interface LinkModel {
  /**
   * One-way base latency of every delivery, ms.
   *
   * @default 20
   */
  latencyMs?: number
  /**
   * Uniform random extra latency in [0, jitterMs), ms.
   *
   * @default 10
   */
  jitterMs?: number
  /**
   * Bandwidth of each directed link, bytes per second: a message occupies
   * its link for size / bandwidth, and messages on one link queue behind
   * each other.
   *
   * @default 1_250_000
   */
  bandwidthBps?: number
  /**
   * Probability that one delivery (a gossip copy, a request, a response) is
   * lost, 0..1.
   *
   * @default 0
   */
  loss?: number
  /**
   * Latency of `provide` and of a provider lookup, ms.
   *
   * @default 100
   */
  lookupMs?: number
}

/** Options for {@link SimulatedWorld} */
export interface SimulatedWorldInit extends LinkModel {
  /** Seed of the latency jitter and loss draws. @default 1 */
  seed?: number
  /** The scheduler to run on; a new one by default */
  scheduler?: EventScheduler
  /** Keep a log of every delivery (for determinism checks). @default false */
  trace?: boolean
  /** Default request/handler timeout, ms. @default 10_000 */
  requestTimeoutMs?: number
  /** Default size limit of requests and responses, bytes. @default 65_536 */
  maxMessageBytes?: number
}

/** @default 20 */
export const DEFAULT_SIM_LATENCY_MS = 20
/** @default 10 */
export const DEFAULT_SIM_JITTER_MS = 10
/** @default 1_250_000 (10 Mbit/s) */
export const DEFAULT_SIM_BANDWIDTH_BPS = 1_250_000
/** @default 100 */
export const DEFAULT_SIM_LOOKUP_MS = 100
/** Transmissions between sweeps of idle links */
const LINK_PRUNE_EVERY = 100_000


/**
 * The shared medium of a discrete-event simulated network: the registry of
 * peers, the topic subscriptions, the DHT provider records and the link
 * model. One {@link SimulatedNetwork} per peer implements the `Network` port
 * on it. Gossip is modelled as an ideal broadcast: every subscriber of a
 * topic receives each message once, straight from its author.
 */
export class SimulatedWorld implements SimulatedMedium {
  readonly scheduler: EventScheduler
  readonly latencyMs: number
  readonly jitterMs: number
  readonly bandwidthBps: number
  readonly loss: number
  readonly lookupMs: number
  readonly requestTimeoutMs: number
  readonly maxMessageBytes: number
  /** Every delivery, when `trace` is on: `<ms> <kind> <from>><to> <topic|protocol> <bytes>` */
  readonly trace: string[] | undefined
  readonly stats: WorldStats = { gossipSent: 0, gossipLost: 0, directLost: 0 }
  private readonly rand: Random
  private readonly peers = new Map<string, SimulatedNetwork>()
  private readonly providers = new Map<string, Set<string>>()
  /** topic -> its subscribers, in the order they subscribed: a publish costs its audience, not the world */
  private readonly topicIndex = new Map<string, Set<SimulatedNetwork>>()
  private readonly linkFree = new Map<string, number>()
  private readonly linkLast = new Map<string, number>()
  private transmitsSincePrune = 0
  private nextPeer = 1

  constructor (init: SimulatedWorldInit = {}) {
    this.scheduler = init.scheduler ?? new EventScheduler()
    this.latencyMs = init.latencyMs ?? DEFAULT_SIM_LATENCY_MS
    this.jitterMs = init.jitterMs ?? DEFAULT_SIM_JITTER_MS
    this.bandwidthBps = init.bandwidthBps ?? DEFAULT_SIM_BANDWIDTH_BPS
    this.loss = init.loss ?? 0
    this.lookupMs = init.lookupMs ?? DEFAULT_SIM_LOOKUP_MS
    this.requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.maxMessageBytes = init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.trace = init.trace === true ? [] : undefined
    this.rand = mulberry32(init.seed ?? 1)
    if (!(this.latencyMs >= 0) || !(this.jitterMs >= 0) || !(this.bandwidthBps > 0) || !(this.loss >= 0 && this.loss <= 1) || !(this.lookupMs >= 0)) {
      throw new SimulatedNetworkError('link model: latency, jitter and lookup must be >= 0, bandwidth > 0, loss in [0, 1]')
    }
  }

  /**
   * A new peer of this world. `peerId` defaults to `sim-<n>`; pass the
   * string form of a real peer id when the roles sign with its key.
   */
  createPeer (init: { peerId?: string, logPrefix?: string, clock?: VirtualClock } = {}): SimulatedNetwork {
    const peerId = init.peerId ?? `sim-${this.nextPeer++}`
    if (this.peers.has(peerId)) throw new SimulatedNetworkError(`peer ${peerId} already exists in this world`)
    const net = new SimulatedNetwork(this, peerId, init.logPrefix, init.clock ?? new VirtualClock(this.scheduler))
    this.peers.set(peerId, net)
    return net
  }

  /** A peer by id, started or not */
  peer (peerId: string): SimulatedNetwork | undefined {
    return this.peers.get(peerId)
  }

  /** Every peer of the world */
  allPeers (): SimulatedNetwork[] {
    return [...this.peers.values()]
  }

  /** @internal started peers subscribed to `topic`, except `self` */
  subscribers (topic: string, self: string): SimulatedNetwork[] {
    const out: SimulatedNetwork[] = []
    for (const p of this.topicIndex.get(topic) ?? []) {
      if (p.peerId !== self && p.isStarted()) out.push(p)
    }
    return out
  }

  /** @internal `peer` joined (true) or left (false) `topic` */
  indexSubscription (topic: string, peer: SimulatedNetwork, subscribed: boolean): void {
    let set = this.topicIndex.get(topic)
    if (subscribed) {
      if (set == null) {
        set = new Set()
        this.topicIndex.set(topic, set)
      }
      set.add(peer)
    } else if (set != null) {
      set.delete(peer)
      if (set.size === 0) this.topicIndex.delete(topic)
    }
  }

  /**
   * @internal Schedules one delivery of `bytes` from `from` to `to`; returns
   * false (and schedules nothing) when the delivery is lost.
   */
  transmit (from: string, to: string, bytes: number, kind: string, label: string, deliver: () => void): boolean {
    if (this.loss > 0 && this.rand() < this.loss) {
      this.trace?.push(`${this.scheduler.now().toFixed(3)} lost-${kind} ${from}>${to} ${label} ${bytes}`)
      return false
    }
    const now = this.scheduler.now()
    if (++this.transmitsSincePrune >= LINK_PRUNE_EVERY) this.pruneLinks(now)
    const link = `${from}>${to}`
    const start = Math.max(now, this.linkFree.get(link) ?? 0)
    const sent = start + bytes * 1000 / this.bandwidthBps
    this.linkFree.set(link, sent)
    // one ordered connection per pair: jitter never overtakes an earlier message
    const arrive = Math.max(sent + this.latencyMs + this.jitterMs * this.rand(), this.linkLast.get(link) ?? 0)
    this.linkLast.set(link, arrive)
    this.scheduler.scheduleAt(arrive, () => {
      this.trace?.push(`${arrive.toFixed(3)} ${kind} ${from}>${to} ${label} ${bytes}`)
      deliver()
    })
    return true
  }

  /**
   * Forgets links idle at `now`: a link whose queue drained and whose last delivery is past
   * behaves exactly like a new one, so the world's memory follows the live links, not every
   * pair of peers that ever talked.
   */
  private pruneLinks (now: number): void {
    this.transmitsSincePrune = 0
    for (const [link, free] of this.linkFree) {
      if (free <= now && (this.linkLast.get(link) ?? 0) <= now) {
        this.linkFree.delete(link)
        this.linkLast.delete(link)
      }
    }
  }

  /** @internal */
  addProvider (key: string, peerId: string): void {
    let set = this.providers.get(key)
    if (set == null) {
      set = new Set()
      this.providers.set(key, set)
    }
    set.add(peerId)
  }

  /** @internal providers of `key` that are started, in announcement order */
  findProviders (key: string): string[] {
    return [...(this.providers.get(key) ?? [])].filter(id => this.peers.get(id)?.isStarted() === true)
  }

  /** @internal forget a stopped peer's records */
  removeProvider (peerId: string): void {
    for (const set of this.providers.values()) set.delete(peerId)
  }
}
