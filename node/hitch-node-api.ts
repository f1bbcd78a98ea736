/**
 * What a running Hitch node offers the roles: the `HitchNode` interface, its handlers and
 * send options, and its error.
 */
import { ErrorFamily } from '../protocol/index.js'
import type { ReplayCache } from '../protocol/index.js'
import type { Clock } from './clock/index.js'
import type { NodeIdentity } from './identity/index.js'
import type { RoutedMap } from './map/index.js'
import type { Network, RequestOptions } from './network/index.js'
import type { HitchMetrics } from './metrics/index.js'
import type { NodeStore } from './store/index.js'
import type { HitchMessage, OpenedEnvelope } from '../protocol/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { PeerKey } from './hitch-node-init.js'

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
  readonly peerKey: PeerKey
  /** checksummed Ethereum address of the payment identity */
  readonly ethAddress: `0x${string}`
  /** the long-lived identity: the payment key (channels, the chain, identity bindings) */
  readonly identity: NodeIdentity
  readonly network: Network
  readonly clock: Clock
  readonly store: NodeStore
  readonly map: RoutedMap
  /** Hitch's metrics, when the node was created with `metrics` (bind the roles' events to it) */
  readonly metrics?: HitchMetrics
  /** message ids of accepted gossip, against replays */
  readonly gossipReplay: ReplayCache
  /** `bytes` random bytes from the node's random source */
  random(bytes: number): Uint8Array
  /** dialable addresses, each with `/p2p/<peerId>` */
  addresses(): string[]
  /** Start the network and serve the ride protocol; idempotent. */
  start(options?: AbortOptions): Promise<void>
  /** Stop everything in reverse order of start; idempotent. */
  stop(options?: AbortOptions): Promise<void>
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
export abstract class HitchNodeError extends ErrorFamily<HitchNodeErrorCode> {}

/** A peer answered a direct message with something that does not validate. */
export class BadAnswerError extends HitchNodeError { static readonly code: HitchNodeErrorCode = 'ERR_BAD_ANSWER' }

/** The node is stopped (a stopped node cannot be started again). */
export class NodeNotStartedError extends HitchNodeError { static readonly code: HitchNodeErrorCode = 'ERR_NOT_STARTED' }
