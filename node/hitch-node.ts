import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger as createLogger, prefixLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import {
  RIDE_PROTOCOL, ReplayCache, ValidationError, VerifyCache, openEnvelope, parseCellTopic, signEnvelope, toHex, validateDirect, validateGossip,
  DEFAULT_MAX_GOSSIP_BYTES, DEFAULT_MAX_TTL_MS
} from '../protocol/index.js'
import { WallClock } from './clock/index.js'
import { identityFromKey, loadOrCreateIdentity } from './identity/index.js'
import { createNetwork } from './network/index.js'
import { openRoutedMap } from './map/index.js'
import { journaledReplayCache } from './replay/index.js'
import { libsecp256k1Signatures } from './signatures/index.js'
import { memoryStore, openStore } from './store/index.js'
import type { Clock } from './clock/index.js'
import type { IdentityOptions, NodeIdentity } from './identity/index.js'
import type { HitchTransport } from './libp2p/index.js'
import type { RoutedMap } from './map/index.js'
import type { ReplayJournal } from './replay/index.js'
import type { Network, RequestOptions } from './network/index.js'
import type { NodeStore } from './store/index.js'
import type { HitchMessage, OpenedEnvelope } from '../protocol/index.js'
import type { SignatureBackend } from './signatures/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Secp256k1PrivateKey } from '@libp2p/interface'

/** How long a message this node signs stays valid, in clock ms. @default 60_000 */
export const DEFAULT_MESSAGE_TTL_MS = 60_000

/** Bytes of random nonce per signed message. */
const NONCE_BYTES = 16

/** Random bytes: nonces, request and quote ids. */
export type RandomSource = (bytes: number) => Uint8Array

/** The default signature backend, shared by the nodes of a process. */
let defaultSignatures: SignatureBackend | undefined

/** Options of {@link createHitchNode}. */
export interface HitchNodeInit {
  /**
   * Where the identity key (`identity.key`) and the LevelDB store live. Without it the node
   * keeps everything in memory (tests, simulations) and uses `privateKey` or a fresh key.
   *
   * @default undefined (in memory)
   */
  dataDir?: string

  /**
   * How the key file in `dataDir` is opened: the passphrase of an encrypted one, and whether a
   * new key is stored encrypted.
   *
   * @default {} (plaintext; an encrypted key file is refused)
   */
  identity?: IdentityOptions

  /**
   * The node's key when there is no `dataDir` (tests). Ignored when `dataDir` is set.
   *
   * @default a fresh secp256k1 key
   */
  privateKey?: Secp256k1PrivateKey

  /**
   * The key of the node's peer id, which signs its envelopes and trip records. `'identity'`:
   * the long-lived key (of `dataDir`, or `privateKey`); `'fresh'`: a new random secp256k1 key
   * kept in memory only (a rider: one per ride, so that a listener on the topics cannot link its
   * rides); or a given key (simulations). The long-lived key stays the node's payment identity
   * (`identity`, `ethAddress`: channels, the chain, identity bindings) either way.
   *
   * @default 'identity'
   */
  peerKey?: 'identity' | 'fresh' | Secp256k1PrivateKey

  /**
   * `tcp` for real nodes, `memory` for many nodes in one process.
   *
   * @default 'tcp'
   */
  transport?: HitchTransport

  /**
   * Listen addresses.
   *
   * @default ['/ip4/0.0.0.0/tcp/0'] for tcp, ['/memory/<peerId>'] for memory
   */
  listen?: string[]

  /**
   * Multiaddrs (with `/p2p/<peerId>`) to connect to at start.
   *
   * @default []
   */
  bootstrap?: string[]

  /**
   * Discover peers on the LAN with mDNS (tcp only).
   *
   * @default false
   */
  mdns?: boolean

  /**
   * Many nodes on one host (tests, simulations): gossipsub colocation penalty off, higher
   * connection limits, loopback addresses kept in DHT records.
   *
   * @default false
   */
  loopbackFriendly?: boolean

  /**
   * The node's clock. Nodes of one process that must agree on time (tests, simulations)
   * share one clock.
   *
   * @default a WallClock with `speedUp`
   */
  clock?: Clock

  /**
   * Speed-up of the default WallClock (ignored when `clock` is given). Nodes in different
   * processes with a speed-up above 1 only agree on time when they share `startEpoch`.
   *
   * @default 1
   */
  speedUp?: number

  /**
   * The default WallClock's time at creation (ignored when `clock` is given).
   *
   * @default Date.now()
   */
  startEpoch?: number

  /**
   * The road map: a loaded one (shared by the nodes of a simulation), or the path of an
   * `.osm.pbf` file.
   *
   * @default the synthetic default city
   */
  map?: RoutedMap | string

  /**
   * Prefix of this node's log lines, e.g. `driver-3` in a simulation.
   *
   * @default no prefix
   */
  logPrefix?: string

  /**
   * Most message ids remembered against replays (gossip and direct each). With a `dataDir`
   * they are also kept in the store (written in batches, once a second), so that a restarted
   * node still refuses what it accepted within the messages' lifetime.
   *
   * @default 65536
   */
  replayCacheEntries?: number

  /**
   * Lifetime of the messages this node signs, clock ms.
   *
   * @default DEFAULT_MESSAGE_TTL_MS (60 s)
   */
  messageTtlMs?: number

  /**
   * Run the Hitch kad-dht (provider records of cells).
   *
   * @default true
   */
  dht?: boolean

  /**
   * A `Network` to run on instead of a new libp2p node (e.g. the simulator's discrete-event
   * network); its peer id must be the node key's. `transport`, `listen`, `bootstrap`, `mdns`,
   * `dht` and `loopbackFriendly` are then ignored.
   *
   * @default a libp2p node from `createNetwork`
   */
  network?: Network

  /**
   * Where nonces, request ids and quote ids come from. A simulation passes a seeded source per
   * peer so that a run repeats exactly; anything else keeps the default.
   *
   * @default `crypto.randomBytes`
   */
  random?: RandomSource

  /**
   * Results of opening envelopes, by their exact bytes: a copy of a message seen before (a
   * gossip re-send, a replay) is not decoded and verified again. Nodes of one simulated world
   * share one, so each gossip message is verified once for all its receivers.
   *
   * @default a cache of this node's own (DEFAULT_VERIFY_CACHE_ENTRIES envelopes)
   */
  verifyCache?: VerifyCache

  /**
   * How envelopes are signed and checked.
   *
   * @default `libsecp256k1Signatures()` (the same signatures as libp2p's keys make and accept, several times faster)
   */
  signatures?: SignatureBackend
}

/** A validated gossip message, as handed to the roles. */
export interface HitchGossip {
  topic: string
  /** the cell of the topic */
  cell: string
  envelope: OpenedEnvelope
}

/** Handles a validated gossip message. */
export type HitchGossipHandler = (message: HitchGossip) => void

/**
 * Handles a validated direct message from `from`. Return a message to answer with (signed by
 * the node), or `undefined` to answer with a bare acknowledgement.
 */
export type HitchDirectHandler = (from: string, envelope: OpenedEnvelope, options: Required<AbortOptions>) => Promise<HitchMessage | undefined> | HitchMessage | undefined

/** Options of {@link HitchNode.send}. */
export interface SendOptions extends RequestOptions {
  /** lifetime of the signed message, clock ms. @default the node's messageTtlMs */
  ttlMs?: number
}

/**
 * One running Hitch peer: identity, store, network, clock and map, with the Hitch ride
 * protocol served and gossip validated. Roles (driver, rider) run on top of it.
 */
export interface HitchNode {
  /** the libp2p peer id: the public key of `peerKey` */
  readonly peerId: string
  /** signs the node's envelopes and trip records (see `HitchNodeInit.peerKey`) */
  readonly peerKey: Secp256k1PrivateKey
  /** checksummed Ethereum address of the payment identity */
  readonly ethAddress: `0x${string}`
  /** the long-lived identity: the payment key (channels, the chain, identity bindings) */
  readonly identity: NodeIdentity
  readonly network: Network
  readonly clock: Clock
  readonly store: NodeStore
  readonly map: RoutedMap
  /** message ids of accepted gossip, against replays */
  readonly gossipReplay: ReplayCache
  /** `bytes` random bytes from the node's random source */
  random(bytes: number): Uint8Array
  /** dialable addresses, each with `/p2p/<peerId>` */
  addresses(): string[]
  /** Start the network and serve the ride protocol; idempotent. */
  start(): Promise<void>
  /** Stop everything in reverse order of start; idempotent. */
  stop(): Promise<void>
  /** Sign a message with the node key (a fresh nonce, expiry from the clock). */
  sign(message: HitchMessage, ttlMs?: number): Promise<Uint8Array>
  /** Sign and publish a message on a gossip topic. */
  publish(topic: string, message: HitchMessage, options?: AbortOptions): Promise<{ recipients: number }>
  /**
   * Sign and send a message to a peer on the ride protocol; resolves with the peer's signed
   * answer (validated, signer checked) or `undefined` for a bare acknowledgement.
   */
  send(peerId: string, message: HitchMessage, options?: SendOptions): Promise<OpenedEnvelope | undefined>
  /** Receive validated gossip; returns a function that removes the handler. */
  onGossip(handler: HitchGossipHandler): () => void
  /** Receive validated direct messages; returns a function that removes the handler. */
  onDirect(handler: HitchDirectHandler): () => void
  /** A logger for a component of this node, e.g. `hitch:driver`, prefixed like the node. */
  logger(component: string): Logger
}

/** Codes of {@link HitchNodeError}. */
export type HitchNodeErrorCode = 'ERR_BAD_ANSWER' | 'ERR_NOT_STARTED'

/** A peer answered a direct message with something that does not validate, or the node is stopped. */
export class HitchNodeError extends Error {
  override readonly name = 'HitchNodeError'
  readonly code: HitchNodeErrorCode

  constructor (code: HitchNodeErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

const EMPTY = new Uint8Array(0)

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
    ? identity.privateKey
    : init.peerKey === 'fresh' ? await generateKeyPair('secp256k1') : init.peerKey
  const peerId = peerIdFromPrivateKey(peerKey).toString()
  const clock = init.clock ?? new WallClock({ speedUp: init.speedUp, startEpoch: init.startEpoch })
  const map = typeof init.map === 'object' ? init.map : await openRoutedMap(init.map)
  const store = init.dataDir != null ? await openStore(init.dataDir) : memoryStore()
  if (init.network != null && init.network.peerId !== peerId) {
    await store.close()
    throw new RangeError('init.network must have the peer id of the node key')
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
      logPrefix: init.logPrefix
    })
  } catch (err) {
    await store.close()
    throw err
  }
  return new RunningNode({ identity, peerKey, clock, map, store, network, init })
}

interface Parts {
  identity: NodeIdentity
  peerKey: Secp256k1PrivateKey
  clock: Clock
  map: RoutedMap
  store: NodeStore
  network: Network
  init: HitchNodeInit
}

class RunningNode implements HitchNode {
  readonly peerId: string
  readonly peerKey: Secp256k1PrivateKey
  readonly ethAddress: `0x${string}`
  readonly identity: NodeIdentity
  readonly network: Network
  readonly clock: Clock
  readonly store: NodeStore
  readonly map: RoutedMap
  readonly gossipReplay: ReplayCache
  private readonly directReplay: ReplayCache
  /** persist the replay caches when the node has a data dir */
  private readonly replayJournals: ReplayJournal[] = []
  private readonly randomSource: RandomSource
  private readonly verifyCache: VerifyCache
  private readonly signatures: SignatureBackend
  private readonly log: Logger
  private readonly logPrefix?: string
  private readonly ttlMs: number
  private readonly gossipHandlers = new Set<HitchGossipHandler>()
  private readonly directHandlers = new Set<HitchDirectHandler>()
  /** envelopes opened by the validator, so delivery does not verify the signature twice */
  private readonly opened = new WeakMap<Uint8Array, OpenedEnvelope>()
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
    this.logPrefix = parts.init.logPrefix
    this.ttlMs = parts.init.messageTtlMs ?? DEFAULT_MESSAGE_TTL_MS
    if (!(this.ttlMs > 0 && this.ttlMs <= DEFAULT_MAX_TTL_MS)) {
      throw new RangeError(`messageTtlMs must be in 1..${DEFAULT_MAX_TTL_MS}`)
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
    this.directReplay = replay('direct')
    this.randomSource = parts.init.random ?? randomBytes
    this.verifyCache = parts.init.verifyCache ?? new VerifyCache()
    this.signatures = parts.init.signatures ?? (defaultSignatures ??= libsecp256k1Signatures())
    this.log = this.logger('hitch:node')
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

  async start (): Promise<void> {
    if (this.started) {
      return
    }
    if (this.stopped) {
      // the store is closed and libp2p cannot be restarted cleanly on it
      throw new HitchNodeError('ERR_NOT_STARTED', 'a stopped node cannot be started again; create a new one')
    }
    for (const journal of this.replayJournals) await journal.load()
    this.network.setValidator(this.validate)
    this.removeMessageHandler = this.network.onMessage(msg => { this.deliverGossip(msg.topic, msg.data) })
    await this.network.start()
    await this.network.handle(RIDE_PROTOCOL, async (request, options) => this.serve(request.from, request.data, options))
    this.started = true
    this.log('started %s (%s)', this.peerId, this.ethAddress)
  }

  async stop (): Promise<void> {
    if (!this.started || this.stopped) {
      return
    }
    this.stopped = true
    this.started = false
    await this.network.unhandle(RIDE_PROTOCOL).catch(() => {})
    await this.network.stop()
    this.removeMessageHandler?.()
    this.network.setValidator(undefined)
    for (const journal of this.replayJournals) await journal.close()
    await this.store.close()
    this.log('stopped')
  }

  async sign (message: HitchMessage, ttlMs: number = this.ttlMs): Promise<Uint8Array> {
    return signEnvelope(this.peerKey, message, {
      now: Math.floor(this.clock.now()),
      ttlMs: Math.max(1, Math.floor(ttlMs)),
      nonce: this.random(NONCE_BYTES),
      signer: this.signatures.sign
    })
  }

  async publish (topic: string, message: HitchMessage, options?: AbortOptions): Promise<{ recipients: number }> {
    const now = Math.floor(this.clock.now())
    const nonce = this.random(NONCE_BYTES)
    const data = await signEnvelope(this.peerKey, message, { now, ttlMs: this.ttlMs, nonce, signer: this.signatures.sign })
    // gossipsub does not validate our own messages: remember them, so a copy replayed to us is not taken as news
    this.gossipReplay.add(`${this.peerId}/${toHex(nonce)}`, now + this.ttlMs, now)
    return this.network.publish(topic, data, options)
  }

  async send (peerId: string, message: HitchMessage, options: SendOptions = {}): Promise<OpenedEnvelope | undefined> {
    const data = await this.sign(message, options.ttlMs)
    const answer = await this.network.request(peerId, RIDE_PROTOCOL, data, options)
    if (answer.byteLength === 0) {
      return undefined
    }
    const result = await validateDirect(answer, { now: this.clock.now(), remotePeer: peerId, replay: this.directReplay, keyCache: this.verifyCache.keys, verifier: this.signatures.verify })
    if (result.verdict !== 'accept') {
      throw new HitchNodeError('ERR_BAD_ANSWER', `answer from ${peerId} rejected: ${result.reason}`, { cause: result.error })
    }
    return result.envelope
  }

  onGossip (handler: HitchGossipHandler): () => void {
    this.gossipHandlers.add(handler)
    return () => { this.gossipHandlers.delete(handler) }
  }

  onDirect (handler: HitchDirectHandler): () => void {
    this.directHandlers.add(handler)
    return () => { this.directHandlers.delete(handler) }
  }

  /**
   * The one gossip validator, cheapest checks first: the topic, the size, the envelope's
   * canonical form and signature (cached by bytes), the signer against gossipsub's author, a
   * replay seen before, the rate limits of the signer and the topic (the network's), and only
   * then the protocol rules and the replay cache, before any work of the roles.
   */
  private readonly validate = async (topic: string, _from: string, data: Uint8Array, source: string, author?: string): Promise<'accept' | 'ignore' | 'reject'> => {
    let topicCell: string
    try {
      topicCell = parseCellTopic(topic)
    } catch {
      return 'reject'
    }
    if (data.byteLength > DEFAULT_MAX_GOSSIP_BYTES) {
      this.log('gossip on %s from %s reject: %d bytes', topic, source, data.byteLength)
      return 'reject'
    }
    let opened: OpenedEnvelope
    try {
      opened = await openEnvelope(data, { verifyCache: this.verifyCache, verifier: this.signatures.verify })
    } catch (err) {
      const verdict = err instanceof ValidationError ? err.verdict : 'ignore'
      this.log('gossip on %s from %s %s: %s', topic, source, verdict, (err as ValidationError)?.code)
      return verdict
    }
    const signer = opened.sender.toString()
    if (author != null && signer !== author) {
      // gossipsub checked the author's signature: an envelope it did not sign is a forgery or a replay
      this.log('gossip on %s from %s reject: signer %s is not the author %s', topic, source, signer, author)
      return 'reject'
    }
    if (this.gossipReplay.has(opened.msgId, this.clock.now())) {
      // before the rate limits: a replayed copy must not use up its signer's budget
      return 'ignore'
    }
    const admitted = this.network.admitGossip?.({ topic, kind: opened.message.type, signer, source }) ?? 'accept'
    if (admitted !== 'accept') {
      this.log('gossip on %s from %s %s: rate-limited', topic, source, admitted)
      return admitted
    }
    const result = await validateGossip(data, { now: this.clock.now(), replay: this.gossipReplay, topicCell, verifyCache: this.verifyCache, verifier: this.signatures.verify })
    if (result.verdict === 'accept') {
      this.opened.set(data, result.envelope)
      return 'accept'
    }
    this.log('gossip on %s %s: %s', topic, result.verdict, result.reason)
    return result.verdict
  }

  private deliverGossip (topic: string, data: Uint8Array): void {
    if (this.gossipHandlers.size === 0) {
      return
    }
    let cell: string
    try {
      cell = parseCellTopic(topic)
    } catch {
      return
    }
    const known = this.opened.get(data)
    const deliver = (envelope: OpenedEnvelope): void => {
      for (const handler of this.gossipHandlers) {
        try {
          handler({ topic, cell, envelope })
        } catch (err) {
          this.log.error('gossip handler failed - %e', err)
        }
      }
    }
    if (known != null) {
      deliver(known)
      return
    }
    // the validator ran on another copy of the bytes: open again (it was accepted already)
    openEnvelope(data, { verifyCache: this.verifyCache, verifier: this.signatures.verify }).then(deliver, err => { this.log('delivered gossip does not open - %e', err) })
  }

  private async serve (from: string, data: Uint8Array, options: Required<AbortOptions>): Promise<Uint8Array | undefined> {
    const result = await validateDirect(data, { now: this.clock.now(), remotePeer: from, replay: this.directReplay, keyCache: this.verifyCache.keys, verifier: this.signatures.verify })
    if (result.verdict !== 'accept') {
      this.log('direct message from %s %s: %s', from, result.verdict, result.reason)
      // closing without an answer tells the sender it was not taken
      return undefined
    }
    let answer: HitchMessage | undefined
    for (const handler of this.directHandlers) {
      try {
        answer = (await handler(from, result.envelope, options)) ?? answer
      } catch (err) {
        this.log.error('direct handler failed on %s from %s - %e', result.envelope.message.type, from, err)
      }
    }
    return answer == null ? EMPTY : this.sign(answer)
  }
}
