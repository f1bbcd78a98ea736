import { TopicValidatorResult } from '@libp2p/gossipsub'
import { MessageType } from '@libp2p/kad-dht'
import { logger as createLogger, prefixLogger } from '@libp2p/logger'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import {
  GossipValidationError,
  InvalidAddressError,
  MessageTooLargeError,
  NoPeersError,
  NotStartedError,
  RateLimitedError
} from './errors.js'
import { GossipLimits } from './gossip-limits.js'
import { InboundLimits } from './inbound-limits.js'
import { createPipe } from './message-pipe.js'
import { parsePeerId, raceSignal, requestError } from './request-errors.js'
import { DEFAULT_HANDLER_TIMEOUT_MS, DEFAULT_MAX_INBOUND_STREAMS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, HITCH_TOPIC_PREFIX } from './network.js'
import type { GossipAdmission, GossipLimitsInit } from './gossip-limits.js'
import type {
  HandleOptions,
  HandlePipeOptions,
  MessageHandler,
  MessagePipe,
  Network,
  NetworkStats,
  PipeHandlers,
  PipeOptions,
  ProviderInfo,
  RequestHandler,
  RequestOptions,
  TopicValidator,
  ValidationResult
} from './network.js'
import type { HitchLibp2p } from '../libp2p/create-libp2p.js'
import type { Message } from '@libp2p/gossipsub'
import type { AbortOptions, Connection, Logger, PeerId, PeerInfo, Stream } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Options for {@link Libp2pNetwork} */
export interface Libp2pNetworkInit {
  /** A node from `createHitchLibp2p`; the network starts and stops it */
  libp2p: HitchLibp2p

  /**
   * Prefix for log lines, e.g. the node's name in a simulation.
   *
   * @default no prefix
   */
  logPrefix?: string

  /**
   * Default timeout of an outbound request in ms.
   *
   * @default 10_000
   */
  requestTimeoutMs?: number

  /**
   * Default timeout of an inbound handler in ms.
   *
   * @default 10_000
   */
  handlerTimeoutMs?: number

  /**
   * Default size limit of requests and responses in bytes.
   *
   * @default 65_536
   */
  maxMessageBytes?: number

  /**
   * Dial peers found by discovery (mDNS, DHT) while we have fewer than
   * `minConnections` connections. libp2p 3 no longer dials discovered peers.
   *
   * @default false
   */
  autoDial?: false | { minConnections: number }

  /**
   * Gossip rate limits (per neighbour before gossipsub reads a message, per signer and per
   * topic after the validator checked its signature); `false` for none.
   *
   * @default the defaults of `GossipLimitsInit`
   */
  gossipLimits?: GossipLimitsInit | false

  /**
   * Inbound requests served at once by this node, all peers and protocols together; more are
   * reset at once (a bounded queue, not an unbounded one).
   *
   * @default DEFAULT_MAX_CONCURRENT_HANDLERS (256)
   */
  maxConcurrentHandlers?: number
}


const VERDICTS: Record<ValidationResult, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject
}

/** The libp2p adapter of the {@link Network} port */
export class Libp2pNetwork implements Network {
  readonly peerId: string
  readonly libp2p: HitchLibp2p
  private readonly log: Logger
  private readonly requestTimeoutMs: number
  private readonly handlerTimeoutMs: number
  private readonly maxMessageBytes: number
  private readonly autoDial: false | { minConnections: number }
  private readonly gossipLimits?: GossipLimits
  private readonly inbound: InboundLimits
  private readonly handlers = new Set<MessageHandler>()
  private readonly protocols = new Set<string>()
  private validator: TopicValidator | undefined
  private lifetime = new AbortController()
  private started = false
  private readonly counters: NetworkStats = {
    gossip: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, rejected: 0, ignored: 0 },
    direct: { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, failedRequests: 0, failedHandlers: 0 }
  }

  constructor (init: Libp2pNetworkInit) {
    this.libp2p = init.libp2p
    this.peerId = init.libp2p.peerId.toString()
    this.log = init.logPrefix != null
      ? prefixLogger(init.logPrefix).forComponent('hitch:network')
      : createLogger('hitch:network')
    this.requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.handlerTimeoutMs = init.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS
    this.maxMessageBytes = init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.autoDial = init.autoDial ?? false
    this.gossipLimits = init.gossipLimits === false ? undefined : new GossipLimits(init.gossipLimits)
    this.inbound = new InboundLimits({ maxConcurrentHandlers: init.maxConcurrentHandlers })
    this.limitGossipSources()
  }

  /** inbound requests being served, awaited by stop() */
  private readonly serving = new Set<Promise<void>>()

  async start (): Promise<void> {
    if (this.started) {
      return
    }
    this.lifetime = new AbortController()
    this.libp2p.services.pubsub.addEventListener('message', this.onGossip)
    this.libp2p.addEventListener('peer:discovery', this.onDiscovery)
    await this.libp2p.start()
    this.started = true
    this.log('started as %s', this.peerId)
  }

  async stop (): Promise<void> {
    if (!this.started) {
      return
    }
    this.started = false
    // in-flight inbound handlers see their signal abort; let them reset their streams before
    // the connections close, so requesters see a failure rather than a quiet end of stream
    this.lifetime.abort(new NotStartedError('Network stopped'))
    await Promise.allSettled([...this.serving])
    for (const protocol of [...this.protocols].reverse()) {
      await this.libp2p.unhandle(protocol).catch(err => { this.log.error('unhandle %s failed - %e', protocol, err) })
    }
    this.protocols.clear()
    for (const topic of this.libp2p.services.pubsub.getTopics()) {
      this.libp2p.services.pubsub.topicValidators.delete(topic)
    }
    this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
    this.libp2p.services.pubsub.removeEventListener('message', this.onGossip)
    await this.libp2p.stop()
    this.log('stopped')
  }

  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => {
      const str = ma.toString()
      return str.includes('/p2p/') ? str : `${str}/p2p/${this.peerId}`
    })
  }

  subscribe (topic: string): void {
    this.assertStarted()
    if (topic.startsWith(HITCH_TOPIC_PREFIX)) {
      this.libp2p.services.pubsub.topicValidators.set(topic, this.gossipValidator)
    }
    this.libp2p.services.pubsub.subscribe(topic)
  }

  unsubscribe (topic: string): void {
    this.assertStarted()
    this.libp2p.services.pubsub.unsubscribe(topic)
    this.libp2p.services.pubsub.topicValidators.delete(topic)
  }

  topics (): string[] {
    return this.libp2p.services.pubsub.getTopics()
  }

  topicPeers (topic: string): string[] {
    return this.libp2p.services.pubsub.getSubscribers(topic).map(p => p.toString())
  }

  /**
   * Peers in our gossipsub mesh for `topic` (adapter-only: for tests and
   * metrics, since the mesh is a gossipsub notion).
   */
  meshPeers (topic: string): string[] {
    const pubsub = this.libp2p.services.pubsub as unknown as { getMeshPeers?: (topic: string) => string[] }
    return pubsub.getMeshPeers?.(topic) ?? []
  }

  async publish (topic: string, data: Uint8Array, options: AbortOptions = {}): Promise<{ recipients: number }> {
    this.assertStarted()
    options.signal?.throwIfAborted()
    const result = await this.libp2p.services.pubsub.publish(topic, data)
    this.counters.gossip.messagesOut++
    this.counters.gossip.bytesOut += data.byteLength
    return { recipients: result.recipients.length }
  }

  onMessage (handler: MessageHandler): () => void {
    this.handlers.add(handler)
    return () => { this.handlers.delete(handler) }
  }

  setValidator (validator: TopicValidator | undefined): void {
    // topic entries call through this field, so a new validator applies at once
    this.validator = validator
  }

  admitGossip (message: GossipAdmission): ValidationResult {
    return this.gossipLimits?.admit(message) ?? 'accept'
  }

  /**
   * Counts every gossip message of a neighbour against its budget before gossipsub decodes
   * its envelope or checks its signature (`StrictSign`: a secp256k1 verification in pure
   * JavaScript per message), dropping those over it unread. gossipsub's `handleReceivedRpc`
   * is the one entry of a peer's RPCs (its own comments call it overridable); wrapping it on
   * this instance is the only hook before that work.
   */
  private limitGossipSources (): void {
    const limits = this.gossipLimits
    const pubsub = this.libp2p.services.pubsub as unknown as {
      handleReceivedRpc?: (from: PeerId, rpc: { messages?: unknown[] }) => Promise<void>
    }
    const original = pubsub.handleReceivedRpc
    if (limits == null || typeof original !== 'function') {
      if (limits != null) this.log.error('gossipsub has no handleReceivedRpc: gossip is not limited per neighbour')
      return
    }
    pubsub.handleReceivedRpc = async function (this: unknown, from: PeerId, rpc: { messages?: unknown[] }): Promise<void> {
      if (rpc.messages != null && rpc.messages.length > 0) {
        const source = from.toString()
        rpc.messages = rpc.messages.filter(() => limits.fromSource(source))
      }
      await original.call(this, from, rpc)
    }
  }

  async handle (protocol: string, handler: RequestHandler, options: HandleOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.handlerTimeoutMs
    const maxRequestBytes = options.maxRequestBytes ?? this.maxMessageBytes
    const maxInboundStreams = options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS
    const admit = this.inbound.forRequests({
      rateLimit: options.rateLimit,
      maxConcurrentPerPeer: options.maxConcurrentPerPeer ?? maxInboundStreams
    })
    await this.libp2p.handle(protocol, async (stream, connection) => {
      const from = connection.remotePeer.toString()
      const release = admit(from)
      if (release == null) {
        // over a limit: reset before reading a byte
        stream.abort(new RateLimitedError(`${protocol} from ${from} over its limit`))
        return
      }
      const serving = this.serve(protocol, handler, stream, connection, timeoutMs, maxRequestBytes)
      this.serving.add(serving)
      try {
        await serving
      } finally {
        release()
        this.serving.delete(serving)
      }
    }, {
      maxInboundStreams
    })
    this.protocols.add(protocol)
  }

  async unhandle (protocol: string): Promise<void> {
    this.protocols.delete(protocol)
    await this.libp2p.unhandle(protocol)
  }

  async request (peerId: string, protocol: string, data: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    this.assertStarted()
    const target = parsePeerId(peerId)
    if (data.byteLength > this.maxMessageBytes) {
      this.counters.direct.failedRequests++
      throw new MessageTooLargeError(`request of ${data.byteLength} bytes exceeds ${this.maxMessageBytes}`)
    }
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs
    const maxResponseBytes = options.maxResponseBytes ?? this.maxMessageBytes
    const timeout = AbortSignal.timeout(timeoutMs)
    const signals = [timeout, this.lifetime.signal]
    if (options.signal != null) {
      signals.push(options.signal)
    }
    const signal = AbortSignal.any(signals)

    let stream: Stream | undefined
    try {
      stream = await this.libp2p.dialProtocol(target, protocol, { signal })
      const lp = lpStream(stream, { maxDataLength: maxResponseBytes })
      await lp.write(data, { signal })
      this.counters.direct.messagesOut++
      this.counters.direct.bytesOut += data.byteLength
      const response = (await lp.read({ signal })).subarray()
      this.counters.direct.messagesIn++
      this.counters.direct.bytesIn += response.byteLength
      await stream.close({ signal }).catch(() => {})
      return response
    } catch (err: any) {
      this.counters.direct.failedRequests++
      // map before aborting: the mapping reads the stream's final state
      const mapped = requestError(err, stream, { timeout, caller: options.signal, lifetime: this.lifetime.signal, protocol, peerId, timeoutMs })
      stream?.abort(err)
      this.log('request %s to %s failed - %s', protocol, peerId, mapped.code)
      throw mapped
    }
  }

  async openPipe (peerId: string, protocol: string, handlers: PipeHandlers, options: PipeOptions = {}): Promise<MessagePipe> {
    this.assertStarted()
    const target = parsePeerId(peerId)
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs
    const timeout = AbortSignal.timeout(timeoutMs)
    const signals = [timeout, this.lifetime.signal]
    if (options.signal != null) {
      signals.push(options.signal)
    }
    let stream: Stream | undefined
    try {
      stream = await this.libp2p.dialProtocol(target, protocol, { signal: AbortSignal.any(signals) })
    } catch (err: any) {
      this.counters.direct.failedRequests++
      const mapped = requestError(err, stream, { timeout, caller: options.signal, lifetime: this.lifetime.signal, protocol, peerId, timeoutMs })
      stream?.abort(err)
      this.log('pipe %s to %s failed - %s', protocol, peerId, mapped.code)
      throw mapped
    }
    const pipe = createPipe({
      stream,
      remotePeer: peerId,
      protocol,
      maxMessageBytes: options.maxMessageBytes ?? this.maxMessageBytes,
      idleTimeoutMs: options.idleTimeoutMs,
      rateLimit: options.rateLimit,
      counters: this.counters.direct,
      lifetime: this.lifetime.signal,
      log: this.log
    })
    pipe.start(handlers)
    return pipe.pipe
  }

  async handlePipe (protocol: string, accept: (pipe: MessagePipe) => PipeHandlers, options: HandlePipeOptions = {}): Promise<void> {
    const maxMessageBytes = options.maxMessageBytes ?? this.maxMessageBytes
    const admit = this.inbound.forPipes({ maxPipesPerPeer: options.maxPipesPerPeer, maxPipes: options.maxPipes })
    await this.libp2p.handle(protocol, (stream, connection) => {
      const remotePeer = connection.remotePeer.toString()
      const release = admit(remotePeer)
      if (release == null) {
        stream.abort(new RateLimitedError(`${protocol} from ${remotePeer}: too many pipes`))
        return
      }
      const pipe = createPipe({
        stream,
        remotePeer,
        protocol,
        maxMessageBytes,
        idleTimeoutMs: options.idleTimeoutMs,
        rateLimit: options.rateLimit,
        counters: this.counters.direct,
        lifetime: this.lifetime.signal,
        log: this.log,
        onEnd: release
      })
      try {
        pipe.start(accept(pipe.pipe))
      } catch (err: any) {
        this.counters.direct.failedHandlers++
        stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    }, {
      maxInboundStreams: options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS
    })
    this.protocols.add(protocol)
  }

  async provide (key: CID, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    const dht = this.libp2p.services.dht
    if (dht == null) {
      await this.libp2p.contentRouting.provide(key, options)
      return
    }
    // kad-dht resolves even when its routing table was empty and the record went nowhere
    let stored = 0
    for await (const event of dht.provide(key, options)) {
      if (event.name === 'PEER_RESPONSE' && event.messageType === MessageType.ADD_PROVIDER) {
        stored++
      }
    }
    if (stored === 0) {
      throw new NoPeersError(`no DHT peer stored the provider record of ${key.toString()}`)
    }
  }

  async * findProviders (key: CID, options: AbortOptions = {}): AsyncIterable<ProviderInfo> {
    this.assertStarted()
    const seen = new Set<string>()
    for await (const info of this.libp2p.contentRouting.findProviders(key, options)) {
      const id = info.id.toString()
      // a node looking for a cell's providers wants other nodes, not itself
      if (id === this.peerId || seen.has(id)) {
        continue
      }
      seen.add(id)
      yield { peerId: id, addrs: info.multiaddrs.map(ma => ma.toString()) }
    }
  }

  async dial (peerIdOrMultiaddr: string, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    if (peerIdOrMultiaddr.startsWith('/')) {
      let ma
      try {
        ma = multiaddr(peerIdOrMultiaddr)
      } catch (err) {
        throw new InvalidAddressError(`not a multiaddr: ${peerIdOrMultiaddr}`, { cause: err })
      }
      await this.libp2p.dial(ma, options)
    } else {
      await this.libp2p.dial(parsePeerId(peerIdOrMultiaddr), options)
    }
  }

  async hangUp (peerId: string, options: AbortOptions = {}): Promise<void> {
    await this.libp2p.hangUp(parsePeerId(peerId), options)
  }

  connectedPeers (): string[] {
    return this.libp2p.getPeers().map(p => p.toString())
  }

  stats (): NetworkStats {
    const gossip = this.gossipLimits?.stats()
    const inbound = this.inbound.stats()
    return {
      gossip: { ...this.counters.gossip },
      direct: { ...this.counters.direct },
      limited: {
        gossipSource: gossip?.sourceDropped ?? 0,
        gossipSigner: gossip?.signerLimited ?? 0,
        gossipTopic: gossip?.topicLimited ?? 0,
        requests: inbound.requests,
        pipes: inbound.pipes
      }
    }
  }

  private assertStarted (): void {
    if (!this.started) {
      throw new NotStartedError()
    }
  }

  private readonly onGossip = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    const from = msg.type === 'signed' ? msg.from.toString() : 'anonymous'
    this.counters.gossip.messagesIn++
    this.counters.gossip.bytesIn += msg.data.byteLength
    for (const handler of this.handlers) {
      try {
        handler({ topic: msg.topic, from, data: msg.data })
      } catch (err) {
        this.log.error('message handler failed on %s - %e', msg.topic, err)
      }
    }
  }

  private readonly gossipValidator = async (propagationSource: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    const validator = this.validator
    if (validator == null) {
      return TopicValidatorResult.Accept
    }
    const source = propagationSource.toString()
    const author = msg.type === 'signed' ? msg.from.toString() : undefined
    let verdict: ValidationResult
    try {
      verdict = await validator(msg.topic, author ?? source, msg.data, source, author)
    } catch (err: any) {
      if (err instanceof GossipValidationError || err?.verdict === 'reject' || err?.verdict === 'ignore') {
        verdict = err.verdict
      } else {
        this.log.error('validator threw on %s, ignoring the message - %e', msg.topic, err)
        verdict = 'ignore'
      }
    }
    if (verdict === 'reject') {
      this.counters.gossip.rejected++
    } else if (verdict === 'ignore') {
      this.counters.gossip.ignored++
    }
    return VERDICTS[verdict] ?? TopicValidatorResult.Ignore
  }

  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    if (this.autoDial === false || !this.started) {
      return
    }
    const peer = evt.detail.id
    if (peer.equals(this.libp2p.peerId) || this.libp2p.getConnections(peer).length > 0) {
      return
    }
    if (this.libp2p.getConnections().length >= this.autoDial.minConnections) {
      return
    }
    this.libp2p.dial(peer, { signal: AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.requestTimeoutMs)]) })
      .catch(err => { this.log('auto-dial of discovered %p failed - %e', peer, err) })
  }

  private async serve (protocol: string, handler: RequestHandler, stream: Stream, connection: Connection, timeoutMs: number, maxRequestBytes: number): Promise<void> {
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.lifetime.signal])
    const from = connection.remotePeer.toString()
    try {
      const lp = lpStream(stream, { maxDataLength: maxRequestBytes })
      const data = (await lp.read({ signal })).subarray()
      this.counters.direct.messagesIn++
      this.counters.direct.bytesIn += data.byteLength
      const response = await raceSignal(handler({ from, protocol, data }, { signal }), signal)
      // A handler that returns because it was aborted (timeout, or this node
      // stopping) did not choose to stay silent: reset the stream, so the
      // requester sees a failure rather than a clean "no answer".
      signal.throwIfAborted()
      if (response === undefined) {
        await stream.close({ signal })
        return
      }
      if (response.byteLength > this.maxMessageBytes) {
        throw new MessageTooLargeError(`response of ${response.byteLength} bytes exceeds ${this.maxMessageBytes}`)
      }
      await lp.write(response, { signal })
      this.counters.direct.messagesOut++
      this.counters.direct.bytesOut += response.byteLength
      await stream.close({ signal })
    } catch (err: any) {
      this.counters.direct.failedHandlers++
      const reason = signal.aborted ? 'timed out or stopped' : err?.name
      this.log('handler for %s from %s failed (%s) - %e', protocol, from, reason, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}
