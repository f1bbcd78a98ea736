/**
 * The options of `createHitchNode`: where the node's identity and store live, its keys, its
 * transport, clock and map, and the parts a simulation or a test passes in.
 */
import type { IdentityOptions } from './identity/index.js'
import type { HitchTransport } from './libp2p/index.js'
import type { Clock } from './clock/index.js'
import type { RoutedMap } from './map/index.js'
import type { Network } from './network/index.js'
import type { SignatureBackend } from './signatures/index.js'
import type { VerifyCache } from '../protocol/index.js'
import type { Ed25519PrivateKey, Metrics, Secp256k1PrivateKey } from '@libp2p/interface'

/**
 * A key a node's peer id may be: Ed25519 (the default: native crypto) or secp256k1 (the peer id
 * of earlier versions, kept for measurements and old peers).
 */
export type PeerKey = Ed25519PrivateKey | Secp256k1PrivateKey

/** How long a message this node signs stays valid, in clock ms. @default 60_000 */
export const DEFAULT_MESSAGE_TTL_MS = 60_000

/** Random bytes: nonces, request and quote ids. */
export type RandomSource = (bytes: number) => Uint8Array

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
   * the long-lived Ed25519 peer key derived from the payment key (of `dataDir`, or
   * `privateKey`); `'fresh'`: a new random Ed25519 key kept in memory only (a rider: one per
   * ride, so that a listener on the topics cannot link its rides); or a given key (simulations,
   * measurements). The payment key stays the node's payment identity (`identity`,
   * `ethAddress`: channels, the chain, identity bindings) either way.
   *
   * @default 'identity'
   */
  peerKey?: 'identity' | 'fresh' | PeerKey

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
  /**
   * A libp2p metrics implementation (e.g. `nodePrometheus().metrics` of `node/metrics`): libp2p's
   * own metrics and Hitch's (`node.metrics`: gossip verdicts, durable writes; the roles', payments'
   * and channels' counts once bound) are registered on it. Only for the libp2p network.
   *
   * @default none: nothing is measured
   */
  metrics?: (components: any) => Metrics
}
