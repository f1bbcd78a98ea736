/**
 * The composition root of one Hitch peer: `createHitchNode` assembles the identity, keys,
 * store, clock, map and network, and the running node starts and stops them. Its options,
 * its interface and its messaging (signing, sending and validating envelopes) live in the
 * `hitch-node-*` modules beside it.
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger as createLogger, prefixLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RIDE_PROTOCOL, ReplayCache, VerifyCache, DEFAULT_MAX_TTL_MS } from '../protocol/index.js'
import { WallClock } from './clock/index.js'
import { NodeNotStartedError } from './hitch-node-api.js'
import { DEFAULT_MESSAGE_TTL_MS } from './hitch-node-init.js'
import { NodeMessaging } from './hitch-node-messaging.js'
import { identityFromKey, loadOrCreateIdentity } from './identity/index.js'
import { createNetwork, Libp2pNetwork } from './network/index.js'
import { HitchMetrics } from './metrics/index.js'
import { openRoutedMap } from './map/index.js'
import { journaledReplayCache } from './replay/index.js'
import { libsecp256k1Signatures } from './signatures/index.js'
import { memoryStore, openStore } from './store/index.js'
import type { HitchDirectHandler, HitchGossipHandler, HitchNode, SendOptions } from './hitch-node-api.js'
import type { HitchNodeInit, RandomSource } from './hitch-node-init.js'
import type { Clock } from './clock/index.js'
import type { NodeIdentity } from './identity/index.js'
import type { RoutedMap } from './map/index.js'
import type { ReplayJournal } from './replay/index.js'
import type { Network } from './network/index.js'
import type { DurableBatch, NodeStore } from './store/index.js'
import type { HitchMessage, OpenedEnvelope } from '../protocol/index.js'
import type { SignatureBackend } from './signatures/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { PeerKey } from './hitch-node-init.js'
import { InvalidParametersError } from '@libp2p/interface'

export { DEFAULT_MESSAGE_TTL_MS } from './hitch-node-init.js'
export type { HitchNodeInit, RandomSource } from './hitch-node-init.js'
export { HitchNodeError, BadAnswerError, NodeNotStartedError } from './hitch-node-api.js'
export type {
  HitchNode, HitchNodeErrorCode, HitchGossip, HitchGossipHandler, HitchDirectHandler, SendOptions
} from './hitch-node-api.js'

/** The default signature backend, shared by the nodes of a process. */
let defaultSignatures: SignatureBackend | undefined

/**
 * The composition root of one Hitch peer. Creates (but does not start) the node: identity
 * from `dataDir` (or the given key), LevelDB or in-memory store, the clock, the map, and the
 * libp2p network whose gossip validator is `validateGossip` with a replay cache.
 */
export async function createHitchNode (init: HitchNodeInit = {}): Promise<HitchNode> {
  const identity = init.dataDir != null
    ? await loadOrCreateIdentity(init.dataDir, init.identity)
    : identityFromKey(init.privateKey ?? await generateKeyPair('secp256k1'))
  const peerKey = init.peerKey == null || init.peerKey === 'identity'
    ? identity.peerKey
    : init.peerKey === 'fresh' ? await generateKeyPair('Ed25519') : init.peerKey
  const peerId = peerIdFromPrivateKey(peerKey).toString()
  const clock = init.clock ?? new WallClock({ speedUp: init.speedUp, startEpoch: init.startEpoch })
  const map = typeof init.map === 'object' ? init.map : await openRoutedMap(init.map)
  const store = init.dataDir != null ? await openStore(init.dataDir) : memoryStore()
  if (init.network != null && init.network.peerId !== peerId) {
    await store.close()
    throw new InvalidParametersError('init.network must have the peer id of the node key')
  }
  let network: Network
  try {
    network = init.network ?? await createNetwork({
      privateKey: peerKey,
      transport: init.transport ?? 'tcp',
      listen: init.listen,
      bootstrap: init.bootstrap,
      mdns: init.mdns,
      dht: init.dht,
      datastore: store.datastore,
      loopbackFriendly: init.loopbackFriendly,
      logPrefix: init.logPrefix,
      ...(init.metrics != null ? { metrics: init.metrics } : {})
    })
  } catch (err) {
    await store.close()
    throw err
  }
  // libp2p's metrics, if it was given an implementation, hold Hitch's too
  const libp2pMetrics = network instanceof Libp2pNetwork ? network.libp2p.metrics : undefined
  const metrics = libp2pMetrics != null ? new HitchMetrics(libp2pMetrics, clock) : undefined
  if (metrics != null) store.durableBatch = timedDurableBatch(store.durableBatch, metrics)
  return new RunningNode({ identity, peerKey, clock, map, store, network, init, metrics })
}

interface Parts {
  identity: NodeIdentity
  peerKey: PeerKey
  clock: Clock
  map: RoutedMap
  store: NodeStore
  network: Network
  init: HitchNodeInit
  metrics?: HitchMetrics
}

/** A durable batch whose fsync time goes to the metrics. */
function timedDurableBatch (batch: DurableBatch, metrics: HitchMetrics): DurableBatch {
  return async entries => {
    const start = performance.now()
    try {
      await batch(entries)
    } finally {
      metrics.fsync((performance.now() - start) / 1000)
    }
  }
}

class RunningNode implements HitchNode {
  readonly peerId: string
  readonly peerKey: PeerKey
  readonly ethAddress: `0x${string}`
  readonly identity: NodeIdentity
  readonly network: Network
  readonly clock: Clock
  readonly store: NodeStore
  readonly map: RoutedMap
  readonly gossipReplay: ReplayCache
  readonly metrics?: HitchMetrics
  /** persist the replay caches when the node has a data dir */
  private readonly replayJournals: ReplayJournal[] = []
  private readonly randomSource: RandomSource
  private readonly messaging: NodeMessaging
  private readonly log: Logger
  private readonly logPrefix?: string
  private removeMessageHandler?: () => void
  private started = false
  private stopped = false

  constructor (parts: Parts) {
    this.identity = parts.identity
    this.peerKey = parts.peerKey
    this.peerId = peerIdFromPrivateKey(parts.peerKey).toString()
    this.ethAddress = parts.identity.ethAddress
    this.network = parts.network
    this.clock = parts.clock
    this.store = parts.store
    this.map = parts.map
    if (parts.metrics != null) this.metrics = parts.metrics
    this.logPrefix = parts.init.logPrefix
    const ttlMs = parts.init.messageTtlMs ?? DEFAULT_MESSAGE_TTL_MS
    if (!(ttlMs > 0 && ttlMs <= DEFAULT_MAX_TTL_MS)) {
      throw new InvalidParametersError(`messageTtlMs must be in 1..${DEFAULT_MAX_TTL_MS}`)
    }
    const replay = (name: string): ReplayCache => {
      if (parts.init.dataDir == null) {
        return new ReplayCache({ maxEntries: parts.init.replayCacheEntries })
      }
      const { cache, journal } = journaledReplayCache({
        datastore: parts.store.datastore, name, maxEntries: parts.init.replayCacheEntries, now: () => this.clock.now(), log: this.logger('hitch:replay')
      })
      this.replayJournals.push(journal)
      return cache
    }
    this.gossipReplay = replay('gossip')
    const directReplay = replay('direct')
    this.randomSource = parts.init.random ?? randomBytes
    this.log = this.logger('hitch:node')
    this.messaging = new NodeMessaging({
      peerId: this.peerId,
      peerKey: this.peerKey,
      network: this.network,
      clock: this.clock,
      random: this.randomSource,
      ttlMs,
      signatures: parts.init.signatures ?? (defaultSignatures ??= libsecp256k1Signatures()),
      verifyCache: parts.init.verifyCache ?? new VerifyCache(),
      gossipReplay: this.gossipReplay,
      directReplay,
      log: this.log,
      ...(parts.metrics != null ? { onRefused: parts.metrics.gossipVerdict.bind(parts.metrics) } : {})
    })
  }

  logger (component: string): Logger {
    return this.logPrefix != null ? prefixLogger(this.logPrefix).forComponent(component) : createLogger(component)
  }

  addresses (): string[] {
    return this.network.addresses()
  }

  random (bytes: number): Uint8Array {
    return this.randomSource(bytes)
  }

  async start (options?: AbortOptions): Promise<void> {
    if (this.started) {
      return
    }
    options?.signal?.throwIfAborted()
    if (this.stopped) {
      // the store is closed and libp2p cannot be restarted cleanly on it
      throw new NodeNotStartedError('a stopped node cannot be started again; create a new one')
    }
    for (const journal of this.replayJournals) await journal.load()
    this.network.setValidator(this.messaging.validate)
    this.removeMessageHandler = this.network.onMessage(msg => { this.messaging.deliverGossip(msg.topic, msg.data) })
    await this.network.start()
    await this.network.handle(RIDE_PROTOCOL, async (request, options) => this.messaging.serve(request.from, request.data, options))
    this.started = true
    this.log('started %s (%s)', this.peerId, this.ethAddress)
  }

  /**
   * Stops the network and closes the store. Idempotent. A node that was made but never started
   * (a later part of its peer failed) closes its store too, so its data dir is free again.
   */
  async stop (_options?: AbortOptions): Promise<void> {
    if (this.stopped) {
      return
    }
    this.stopped = true
    if (this.started) {
      this.started = false
      await this.network.unhandle(RIDE_PROTOCOL).catch(() => {})
      await this.network.stop()
      this.removeMessageHandler?.()
      this.network.setValidator(undefined)
      for (const journal of this.replayJournals) await journal.close()
    }
    await this.store.close()
    this.log('stopped')
  }

  async sign (message: HitchMessage, ttlMs?: number): Promise<Uint8Array> {
    return this.messaging.sign(message, ttlMs)
  }

  async publish (topic: string, message: HitchMessage, options?: AbortOptions): Promise<{ recipients: number }> {
    return this.messaging.publish(topic, message, options)
  }

  async send (peerId: string, message: HitchMessage, options: SendOptions = {}): Promise<OpenedEnvelope | undefined> {
    return this.messaging.send(peerId, message, options)
  }

  onGossip (handler: HitchGossipHandler): () => void {
    return this.messaging.onGossip(handler)
  }

  onDirect (handler: HitchDirectHandler): () => void {
    return this.messaging.onDirect(handler)
  }
}
