import { prefixLogger, logger as createLogger } from '@libp2p/logger'
import { mulberry32 } from '../matching/index.js'
import {
  DEFAULT_MAX_INBOUND_STREAMS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  GossipValidationError,
  HITCH_TOPIC_PREFIX,
  InvalidAddressError,
  MessageTooLargeError,
  NoHandlerError,
  NoResponseError,
  NotStartedError,
  RequestAbortedError,
  RequestFailedError,
  RequestTimeoutError
} from '../node/network/index.js'
import { SimulatedNetworkError } from './errors.js'
import { EventScheduler, VirtualClock } from './event-scheduler.js'
import type { Random } from '../matching/index.js'
import type {
  HandleOptions,
  MessageHandler,
  Network,
  NetworkStats,
  ProviderInfo,
  RequestHandler,
  RequestOptions,
  TopicValidator,
  ValidationResult
} from '../node/network/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

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

/** Deliveries the world made, lost or refused */
export interface WorldStats {
  /** Gossip copies scheduled for delivery */
  gossipSent: number
  /** Gossip copies lost on the way */
  gossipLost: number
  /** Requests and responses lost on the way */
  directLost: number
}

/**
 * The shared medium of a discrete-event simulated network: the registry of
 * peers, the topic subscriptions, the DHT provider records and the link
 * model. One {@link SimulatedNetwork} per peer implements the `Network` port
 * on it. Gossip is modelled as an ideal broadcast: every subscriber of a
 * topic receives each message once, straight from its author.
 */
export class SimulatedWorld {
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

interface Served {
  handler: RequestHandler
  timeoutMs: number
  maxRequestBytes: number
  maxInboundStreams: number
  inFlight: number
}

/**
 * The `Network` port for one peer of a {@link SimulatedWorld}. Same
 * semantics as the libp2p adapter: validators only on `/hitch/1/` topics
 * (reject/ignore → not delivered, counted), a publish never reaches our own
 * handlers, a lost request or response ends in the requester's
 * `RequestTimeoutError`, a handler returning `undefined` in
 * `NoResponseError`. Deterministic: all time is the world's virtual time.
 */
export class SimulatedNetwork implements Network {
  readonly peerId: string
  readonly world: SimulatedWorld
  /** This peer's clock (the world's virtual time) */
  readonly clock: VirtualClock
  private readonly log: Logger
  private started = false
  private lifetime = new AbortController()
  private readonly subscriptions = new Set<string>()
  private readonly handlers = new Set<MessageHandler>()
  private readonly served = new Map<string, Served>()
  private readonly connections = new Set<string>()
  private validator: TopicValidator | undefined
  private readonly counters: NetworkStats = {
    gossip: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, rejected: 0, ignored: 0 },
    direct: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, failedRequests: 0, failedHandlers: 0 }
  }

  /** Use {@link SimulatedWorld.createPeer} */
  constructor (world: SimulatedWorld, peerId: string, logPrefix: string | undefined, clock: VirtualClock) {
    this.world = world
    this.peerId = peerId
    this.clock = clock
    this.log = logPrefix != null ? prefixLogger(logPrefix).forComponent('hitch:sim:network') : createLogger('hitch:sim:network')
  }

  /** Whether the peer is started */
  isStarted (): boolean {
    return this.started
  }

  /** Whether the peer is subscribed to `topic` */
  isSubscribed (topic: string): boolean {
    return this.subscriptions.has(topic)
  }

  addresses (): string[] {
    return [`/memory/${this.peerId}/p2p/${this.peerId}`]
  }

  async start (): Promise<void> {
    if (this.started) return
    this.lifetime = new AbortController()
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.lifetime.abort(new NotStartedError('Network stopped'))
    for (const topic of this.subscriptions) this.world.indexSubscription(topic, this, false)
    this.subscriptions.clear()
    this.served.clear()
    this.world.removeProvider(this.peerId)
    for (const peer of this.connections) this.world.peer(peer)?.dropConnection(this.peerId)
    this.connections.clear()
  }

  subscribe (topic: string): void {
    this.assertStarted()
    this.subscriptions.add(topic)
    this.world.indexSubscription(topic, this, true)
  }

  unsubscribe (topic: string): void {
    this.assertStarted()
    this.subscriptions.delete(topic)
    this.world.indexSubscription(topic, this, false)
  }

  topics (): string[] {
    return [...this.subscriptions]
  }

  topicPeers (topic: string): string[] {
    return this.world.subscribers(topic, this.peerId).map(p => p.peerId)
  }

  async publish (topic: string, data: Uint8Array, options: AbortOptions = {}): Promise<{ recipients: number }> {
    this.assertStarted()
    options.signal?.throwIfAborted()
    const copy = data.slice()
    const recipients = this.world.subscribers(topic, this.peerId)
    this.counters.gossip.messagesOut++
    this.counters.gossip.bytesOut += copy.byteLength
    for (const peer of recipients) {
      this.world.stats.gossipSent++
      const sent = this.world.transmit(this.peerId, peer.peerId, copy.byteLength, 'gossip', topic, () => {
        void peer.receiveGossip(topic, this.peerId, copy)
      })
      if (!sent) this.world.stats.gossipLost++
    }
    return { recipients: recipients.length }
  }

  onMessage (handler: MessageHandler): () => void {
    this.handlers.add(handler)
    return () => { this.handlers.delete(handler) }
  }

  setValidator (validator: TopicValidator | undefined): void {
    this.validator = validator
  }

  async handle (protocol: string, handler: RequestHandler, options: HandleOptions = {}): Promise<void> {
    this.served.set(protocol, {
      handler,
      timeoutMs: options.timeoutMs ?? this.world.requestTimeoutMs,
      maxRequestBytes: options.maxRequestBytes ?? this.world.maxMessageBytes,
      maxInboundStreams: options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS,
      inFlight: 0
    })
  }

  async unhandle (protocol: string): Promise<void> {
    this.served.delete(protocol)
  }

  async request (peerId: string, protocol: string, data: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    this.assertStarted()
    if (peerId === '' || peerId.startsWith('/')) throw new InvalidAddressError(`not a peer id: ${peerId}`)
    if (data.byteLength > this.world.maxMessageBytes) {
      this.counters.direct.failedRequests++
      throw new MessageTooLargeError(`request of ${data.byteLength} bytes exceeds ${this.world.maxMessageBytes}`)
    }
    options.signal?.throwIfAborted()
    const timeoutMs = options.timeoutMs ?? this.world.requestTimeoutMs
    const maxResponseBytes = options.maxResponseBytes ?? this.world.maxMessageBytes
    const what = `${protocol} to ${peerId}`
    const payload = data.slice()

    try {
      return await new Promise<Uint8Array>((resolve, reject) => {
        let settled = false
        const finish = (fn: () => void): void => {
          if (settled) return
          settled = true
          this.clock.clearTimeout(timer)
          options.signal?.removeEventListener('abort', onAbort)
          this.lifetime.signal.removeEventListener('abort', onStop)
          fn()
        }
        const fail = (err: Error): void => { finish(() => { reject(err) }) }
        const timer = this.clock.setTimeout(() => {
          fail(new RequestTimeoutError(`request ${what} timed out after ${timeoutMs}ms`))
        }, timeoutMs)
        const onAbort = (): void => { fail(new RequestAbortedError(`request ${what} aborted`)) }
        const onStop = (): void => { fail(new NotStartedError(`request ${what} interrupted: network stopped`)) }
        options.signal?.addEventListener('abort', onAbort, { once: true })
        this.lifetime.signal.addEventListener('abort', onStop, { once: true })

        const target = this.world.peer(peerId)
        // the answer travels back over the same model; losing it means a timeout
        const answer = (bytes: number, deliver: () => void): void => {
          if (!this.world.transmit(peerId, this.peerId, bytes, 'response', protocol, deliver)) this.world.stats.directLost++
        }
        if (target == null || !target.isStarted() || peerId === this.peerId) {
          // the dial fails after a round trip to nowhere
          this.clock.setTimeout(() => { fail(new RequestFailedError(`cannot dial ${peerId}`)) }, 2 * this.world.latencyMs)
          return
        }
        this.counters.direct.messagesOut++
        this.counters.direct.bytesOut += payload.byteLength
        this.connections.add(peerId)
        const sent = this.world.transmit(this.peerId, peerId, payload.byteLength, 'request', protocol, () => {
          target.serveRequest(this.peerId, protocol, payload, {
            noHandler: () => { answer(0, () => { fail(new NoHandlerError(`peer does not handle ${what}`)) }) },
            failed: () => { answer(0, () => { fail(new RequestFailedError(`stream for ${what} ended before a response`)) }) },
            noResponse: () => { answer(0, () => { fail(new NoResponseError(`peer closed ${what} without a response`)) }) },
            respond: (response) => {
              answer(response.byteLength, () => {
                if (settled) return
                if (response.byteLength > maxResponseBytes) {
                  fail(new MessageTooLargeError(`response to ${what} exceeds the size limit`))
                  return
                }
                this.counters.direct.messagesIn++
                this.counters.direct.bytesIn += response.byteLength
                finish(() => { resolve(response) })
              })
            }
          })
        })
        if (!sent) this.world.stats.directLost++
      })
    } catch (err) {
      this.counters.direct.failedRequests++
      this.log('request %s failed - %s', what, (err as { code?: string }).code)
      throw err
    }
  }

  async provide (key: CID, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    await this.clock.sleep(this.world.lookupMs, options)
    this.world.addProvider(key.toString(), this.peerId)
  }

  async * findProviders (key: CID, options: AbortOptions = {}): AsyncIterable<ProviderInfo> {
    this.assertStarted()
    await this.clock.sleep(this.world.lookupMs, options)
    for (const id of this.world.findProviders(key.toString())) {
      if (id === this.peerId) continue
      const peer = this.world.peer(id)
      yield { peerId: id, addrs: peer?.addresses() ?? [] }
    }
  }

  async dial (peerIdOrMultiaddr: string, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    let id = peerIdOrMultiaddr
    if (id.startsWith('/')) {
      const m = /\/p2p\/([^/]+)$/.exec(id)
      if (m == null) throw new InvalidAddressError(`not a multiaddr with a peer id: ${id}`)
      id = m[1]
    }
    if (id === '') throw new InvalidAddressError('empty peer id')
    await this.clock.sleep(2 * this.world.latencyMs, options)
    const target = this.world.peer(id)
    if (target == null || !target.isStarted() || id === this.peerId) throw new RequestFailedError(`cannot dial ${id}`)
    this.connections.add(id)
    target.connections.add(this.peerId)
  }

  async hangUp (peerId: string, _options: AbortOptions = {}): Promise<void> {
    this.connections.delete(peerId)
    this.world.peer(peerId)?.dropConnection(this.peerId)
  }

  connectedPeers (): string[] {
    return [...this.connections].filter(id => this.world.peer(id)?.isStarted() === true)
  }

  stats (): NetworkStats {
    return { gossip: { ...this.counters.gossip }, direct: { ...this.counters.direct } }
  }

  /** @internal */
  dropConnection (peerId: string): void {
    this.connections.delete(peerId)
  }

  /** @internal a gossip copy arrives: validate, then deliver */
  async receiveGossip (topic: string, from: string, data: Uint8Array): Promise<void> {
    if (!this.started || !this.subscriptions.has(topic)) return
    const validator = this.validator
    if (topic.startsWith(HITCH_TOPIC_PREFIX) && validator != null) {
      let verdict: ValidationResult
      try {
        verdict = await validator(topic, from, data, from)
      } catch (err: any) {
        verdict = err instanceof GossipValidationError || err?.verdict === 'reject' || err?.verdict === 'ignore' ? err.verdict : 'ignore'
      }
      if (verdict === 'reject') {
        this.counters.gossip.rejected++
        return
      }
      if (verdict !== 'accept') {
        this.counters.gossip.ignored++
        return
      }
      if (!this.started || !this.subscriptions.has(topic)) return
    }
    this.counters.gossip.messagesIn++
    this.counters.gossip.bytesIn += data.byteLength
    for (const handler of this.handlers) {
      try {
        handler({ topic, from, data })
      } catch (err) {
        this.log.error('message handler failed on %s - %e', topic, err)
      }
    }
  }

  /** @internal a request arrives: run the handler under its timeout */
  serveRequest (from: string, protocol: string, data: Uint8Array, reply: {
    noHandler: () => void
    failed: () => void
    noResponse: () => void
    respond: (response: Uint8Array) => void
  }): void {
    const served = this.started ? this.served.get(protocol) : undefined
    if (served == null) {
      reply.noHandler()
      return
    }
    this.connections.add(from)
    if (data.byteLength > served.maxRequestBytes || served.inFlight >= served.maxInboundStreams) {
      this.counters.direct.failedHandlers++
      reply.failed()
      return
    }
    this.counters.direct.messagesIn++
    this.counters.direct.bytesIn += data.byteLength
    served.inFlight++
    const controller = new AbortController()
    const onStop = (): void => { controller.abort(new NotStartedError('Network stopped')) }
    this.lifetime.signal.addEventListener('abort', onStop, { once: true })
    const timer = this.clock.setTimeout(() => { controller.abort(new RequestTimeoutError(`handler for ${protocol} timed out`)) }, served.timeoutMs)
    let done = false
    const end = (fn: () => void): void => {
      if (done) return
      done = true
      served.inFlight--
      this.clock.clearTimeout(timer)
      this.lifetime.signal.removeEventListener('abort', onStop)
      fn()
    }
    controller.signal.addEventListener('abort', () => {
      end(() => {
        this.counters.direct.failedHandlers++
        reply.failed()
      })
    }, { once: true })
    let result: Promise<Uint8Array | undefined>
    try {
      result = served.handler({ from, protocol, data }, { signal: controller.signal })
    } catch (err) {
      result = Promise.reject(err)
    }
    result.then(response => {
      end(() => {
        if (response === undefined) {
          reply.noResponse()
        } else if (response.byteLength > this.world.maxMessageBytes) {
          this.counters.direct.failedHandlers++
          reply.failed()
        } else {
          this.counters.direct.messagesOut++
          this.counters.direct.bytesOut += response.byteLength
          reply.respond(response.slice())
        }
      })
    }, err => {
      end(() => {
        this.log('handler for %s from %s failed - %e', protocol, from, err)
        this.counters.direct.failedHandlers++
        reply.failed()
      })
    })
  }

  private assertStarted (): void {
    if (!this.started) throw new NotStartedError()
  }
}
