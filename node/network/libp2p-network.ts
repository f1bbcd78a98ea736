/**
 * The libp2p adapter of the `Network` port: its options, its life cycle (start, stop,
 * discovery and dialing) and its statistics. Gossip, one-shot requests, pipes and DHT
 * provider records are the `libp2p-*` modules beside it; the adapter asserts it is started
 * and hands each call to its part.
 */
import { logger as createLogger, prefixLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { InvalidAddressError, NotStartedError } from './errors.js'
import { GossipLimits } from './gossip-limits.js'
import { InboundLimits } from './inbound-limits.js'
import { Libp2pGossip } from './libp2p-gossip.js'
import { handleLibp2pPipes, openLibp2pPipe } from './libp2p-pipes.js'
import { findDhtProviders, provideOnDht } from './libp2p-providers.js'
import { Libp2pRequests } from './libp2p-requests.js'
import { parsePeerId } from './request-errors.js'
import { DEFAULT_HANDLER_TIMEOUT_MS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS } from './network.js'
import type { GossipAdmission, GossipLimitsInit } from './gossip-limits.js'
import type { Libp2pContext } from './libp2p-context.js'
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
import type { AbortOptions, Logger, PeerInfo } from '@libp2p/interface'
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
   * Multiaddrs (with `/p2p/<peerId>`) dialled once the node has started: after libp2p's start
   * resolves, so that every service already listens for new peers. (libp2p's bootstrap module
   * dials from its own start, before kad-dht has registered for peers that speak its protocol:
   * the first bootstrap peer then never entered the routing table, and a node whose only peer was
   * its bootstrap relay found nothing in the DHT.)
   *
   * @default []
   */
  bootstrap?: string[]

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

/** The libp2p adapter of the {@link Network} port */
export class Libp2pNetwork implements Network {
  readonly peerId: string
  readonly libp2p: HitchLibp2p
  private readonly log: Logger
  private readonly autoDial: false | { minConnections: number }
  private readonly bootstrap: string[]
  private readonly ctx: Libp2pContext
  private readonly gossip: Libp2pGossip
  private readonly requests: Libp2pRequests
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
    this.autoDial = init.autoDial ?? false
    this.bootstrap = init.bootstrap ?? []
    this.ctx = {
      libp2p: this.libp2p,
      peerId: this.peerId,
      log: this.log,
      counters: this.counters,
      requestTimeoutMs: init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      handlerTimeoutMs: init.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS,
      maxMessageBytes: init.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      inbound: new InboundLimits({ maxConcurrentHandlers: init.maxConcurrentHandlers }),
      protocols: new Set<string>(),
      lifetime: () => this.lifetime.signal
    }
    this.gossip = new Libp2pGossip(this.ctx, init.gossipLimits === false ? undefined : new GossipLimits(init.gossipLimits))
    this.requests = new Libp2pRequests(this.ctx)
  }

  async start (): Promise<void> {
    if (this.started) {
      return
    }
    this.lifetime = new AbortController()
    this.gossip.attach()
    this.libp2p.addEventListener('peer:discovery', this.onDiscovery)
    await this.libp2p.start()
    this.started = true
    this.log('started as %s', this.peerId)
    this.dialBootstrap()
  }

  /** Dials the bootstrap list (each on its own, failures logged): see `Libp2pNetworkInit.bootstrap`. */
  private dialBootstrap (): void {
    for (const addr of this.bootstrap) {
      let target
      try {
        target = multiaddr(addr)
      } catch (err) {
        this.log.error('bootstrap address %s is not a multiaddr - %e', addr, err)
        continue
      }
      this.libp2p.dial(target, { signal: AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.ctx.requestTimeoutMs)]) })
        .catch(err => { this.log('dialling bootstrap peer %s failed - %e', addr, err) })
    }
  }

  async stop (): Promise<void> {
    if (!this.started) {
      return
    }
    this.started = false
    // in-flight inbound handlers see their signal abort; let them reset their streams before
    // the connections close, so requesters see a failure rather than a quiet end of stream
    this.lifetime.abort(new NotStartedError('Network stopped'))
    await this.requests.settle()
    const protocols = this.ctx.protocols
    for (const protocol of [...protocols].reverse()) {
      await this.libp2p.unhandle(protocol).catch(err => { this.log.error('unhandle %s failed - %e', protocol, err) })
    }
    protocols.clear()
    this.gossip.detach()
    this.libp2p.removeEventListener('peer:discovery', this.onDiscovery)
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
    this.gossip.subscribe(topic)
  }

  unsubscribe (topic: string): void {
    this.assertStarted()
    this.gossip.unsubscribe(topic)
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
    return this.gossip.publish(topic, data)
  }

  onMessage (handler: MessageHandler): () => void {
    return this.gossip.onMessage(handler)
  }

  setValidator (validator: TopicValidator | undefined): void {
    this.gossip.setValidator(validator)
  }

  admitGossip (message: GossipAdmission): ValidationResult {
    return this.gossip.admit(message)
  }

  async handle (protocol: string, handler: RequestHandler, options: HandleOptions = {}): Promise<void> {
    await this.requests.handle(protocol, handler, options)
  }

  async unhandle (protocol: string): Promise<void> {
    this.ctx.protocols.delete(protocol)
    await this.libp2p.unhandle(protocol)
  }

  async request (peerId: string, protocol: string, data: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    this.assertStarted()
    return this.requests.request(peerId, protocol, data, options)
  }

  async openPipe (peerId: string, protocol: string, handlers: PipeHandlers, options: PipeOptions = {}): Promise<MessagePipe> {
    this.assertStarted()
    return openLibp2pPipe(this.ctx, peerId, protocol, handlers, options)
  }

  async handlePipe (protocol: string, accept: (pipe: MessagePipe) => PipeHandlers, options: HandlePipeOptions = {}): Promise<void> {
    await handleLibp2pPipes(this.ctx, protocol, accept, options)
  }

  async provide (key: CID, options: AbortOptions = {}): Promise<void> {
    this.assertStarted()
    await provideOnDht(this.ctx, key, options)
  }

  async * findProviders (key: CID, options: AbortOptions = {}): AsyncIterable<ProviderInfo> {
    this.assertStarted()
    yield * findDhtProviders(this.ctx, key, options)
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
    const gossip = this.gossip.limitStats()
    const inbound = this.ctx.inbound.stats()
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
    this.libp2p.dial(peer, { signal: AbortSignal.any([this.lifetime.signal, AbortSignal.timeout(this.ctx.requestTimeoutMs)]) })
      .catch(err => { this.log('auto-dial of discovered %p failed - %e', peer, err) })
  }
}
