/**
 * One peer of a simulated world: `SimulatedNetwork`, its `Network` port (gossip, requests,
 * provider records, connections) on the world's virtual time, and `SimulatedMedium`, the
 * world as the peer sees it. The world itself is `simulated-network.ts`; the serving side of
 * a request is `simulated-serving.ts`.
 */
import { prefixLogger, logger as createLogger } from '@libp2p/logger'
import {
  DEFAULT_MAX_INBOUND_STREAMS,
  gossipVerdict,
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
import { serveRequest } from './simulated-serving.js'
import { openSimulatedPipe } from './simulated-pipes.js'
import type { PipeEnd, PipeHost, PipeServer } from './simulated-pipes.js'
import type { Reply, Served } from './simulated-serving.js'
import type { VirtualClock } from './event-scheduler.js'
import type {
  HandleOptions,
  HandlePipeOptions,
  MessageHandler,
  MessagePipe,
  PipeHandlers,
  PipeOptions,
  Network,
  NetworkStats,
  ProviderInfo,
  RequestHandler,
  RequestOptions,
  TopicValidator
} from '../node/network/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

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
 * The world as one of its peers sees it: the link model's timings, the world's stats, and the
 * world's `@internal` methods a {@link SimulatedNetwork} sends, subscribes and announces
 * through. `SimulatedWorld` implements it.
 */
export interface SimulatedMedium {
  readonly latencyMs: number
  readonly lookupMs: number
  readonly requestTimeoutMs: number
  readonly maxMessageBytes: number
  readonly stats: WorldStats
  /** a peer by id, started or not */
  peer (peerId: string): SimulatedNetwork | undefined
  /** started peers subscribed to `topic`, except `self` */
  subscribers (topic: string, self: string): SimulatedNetwork[]
  /** `peer` joined (true) or left (false) `topic` */
  indexSubscription (topic: string, peer: SimulatedNetwork, subscribed: boolean): void
  /** schedules one delivery of `bytes` from `from` to `to`; false when it is lost */
  transmit (from: string, to: string, bytes: number, kind: string, label: string, deliver: () => void): boolean
  addProvider (key: string, peerId: string): void
  /** providers of `key` that are started, in announcement order */
  findProviders (key: string): string[]
  /** forget a stopped peer's records */
  removeProvider (peerId: string): void
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
  readonly world: SimulatedMedium
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
  private readonly pipeServers = new Map<string, PipeServer>()
  private readonly pipeEnds = new Set<PipeEnd>()
  private host?: PipeHost
  private readonly counters: NetworkStats = {
    gossip: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, rejected: 0, ignored: 0 },
    direct: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, failedRequests: 0, failedHandlers: 0 }
  }

  /** Use {@link SimulatedWorld.createPeer} */
  constructor (world: SimulatedMedium, peerId: string, logPrefix: string | undefined, clock: VirtualClock) {
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
    this.pipeServers.clear()
    for (const end of [...this.pipeEnds]) end.end(new NotStartedError('Network stopped'), true)
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
    this.pipeServers.delete(protocol)
  }

  async openPipe (peerId: string, protocol: string, handlers: PipeHandlers, options: PipeOptions = {}): Promise<MessagePipe> {
    this.assertStarted()
    const signal = options.signal != null ? AbortSignal.any([options.signal, this.lifetime.signal]) : this.lifetime.signal
    try {
      const pipe = await openSimulatedPipe(this.pipeHost(), peerId, protocol, handlers, { ...options, signal })
      this.connections.add(peerId)
      return pipe
    } catch (err) {
      this.log('pipe %s to %s failed - %s', protocol, peerId, (err as { code?: string }).code)
      if (this.lifetime.signal.aborted) throw new NotStartedError(`pipe ${protocol} to ${peerId} interrupted: network stopped`)
      throw err
    }
  }

  async handlePipe (protocol: string, accept: (pipe: MessagePipe) => PipeHandlers, options: HandlePipeOptions = {}): Promise<void> {
    this.pipeServers.set(protocol, {
      accept,
      limits: { idleTimeoutMs: options.idleTimeoutMs, rateLimit: options.rateLimit },
      maxMessageBytes: options.maxMessageBytes ?? this.world.maxMessageBytes,
      maxInboundStreams: options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS,
      open: 0
    })
  }

  /** @internal what this peer's pipe ends use of it */
  pipeHost (): PipeHost {
    this.host ??= {
      peerId: this.peerId,
      world: this.world,
      clock: this.clock,
      counters: this.counters.direct,
      isStarted: () => this.started,
      pipeServer: protocol => this.pipeServers.get(protocol),
      track: end => { this.pipeEnds.add(end) },
      untrack: end => { this.pipeEnds.delete(end) }
    }
    return this.host
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
      const verdict = await gossipVerdict(validator, [topic, from, data, from])
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
  serveRequest (from: string, protocol: string, data: Uint8Array, reply: Reply): void {
    const served = this.started ? this.served.get(protocol) : undefined
    if (served == null) {
      reply.noHandler()
      return
    }
    this.connections.add(from)
    serveRequest({
      clock: this.clock,
      counters: this.counters,
      log: this.log,
      maxMessageBytes: this.world.maxMessageBytes,
      lifetime: this.lifetime.signal
    }, served, from, protocol, data, reply)
  }

  private assertStarted (): void {
    if (!this.started) throw new NotStartedError()
  }
}
