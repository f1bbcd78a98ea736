import type { RateLimit } from './rate-limiter.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Topics under this prefix go through the validator set with `setValidator` */
export const HITCH_TOPIC_PREFIX = '/hitch/1/'

/** A request's deadline for its answer, real ms (every adapter's default). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000
/** A handler's deadline to read a request and answer it, real ms. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 10_000
/** Largest request or response, bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536
/** Most inbound streams of one protocol open at once. */
export const DEFAULT_MAX_INBOUND_STREAMS = 32

/** What a validator decides about a gossip message (gossipsub's verdicts) */
export type ValidationResult = 'accept' | 'ignore' | 'reject'

/** What gossip admission (`GossipLimits.admit`) looks at: a message whose signature has been checked */
export interface GossipAdmission {
  topic: string
  /** the message kind (e.g. `ride-request`): each kind has its own budgets */
  kind: string
  /** peer id of the verified signer */
  signer: string
  /** peer id of the neighbour that relayed it (the connection's remote peer) */
  source: string
}

/** A gossip message delivered to the application */
export interface GossipMessage {
  topic: string
  /** Peer id (string) of the author who signed the message */
  from: string
  data: Uint8Array
}

/** Receives every delivered gossip message on a subscribed topic */
export type MessageHandler = (message: GossipMessage) => void

/**
 * Decides whether a gossip message on a `/hitch/1/` topic is delivered and
 * forwarded. `from` is the author, or the propagation source when the message
 * carries none; `propagationSource` the neighbour that relayed it to us;
 * `author` the peer that signed the gossip message itself (gossipsub's
 * `StrictSign`), undefined for unsigned messages (`StrictNoSign`). Throw a
 * `GossipValidationError` to pick a verdict by exception; any other exception
 * counts as `'ignore'`.
 */
export type TopicValidator = (topic: string, from: string, data: Uint8Array, propagationSource: string, author?: string) => ValidationResult | Promise<ValidationResult>

/** An inbound direct request */
export interface DirectRequest {
  /** Peer id (string) of the requester, authenticated by the connection */
  from: string
  protocol: string
  data: Uint8Array
}

/**
 * Answers a direct request. Returning `undefined` closes the stream without an
 * answer (the requester gets a `NoResponseError`). The signal aborts when the
 * handler's timeout passes or the network stops.
 */
export type RequestHandler = (request: DirectRequest, options: Required<AbortOptions>) => Promise<Uint8Array | undefined>

/** Options for {@link Network.handle} */
export interface HandleOptions {
  /**
   * The handler (including reading the request and writing the answer) must
   * finish within this many ms or the stream is aborted.
   *
   * @default 10_000
   */
  timeoutMs?: number

  /**
   * Largest accepted request in bytes.
   *
   * @default 65_536
   */
  maxRequestBytes?: number

  /**
   * Concurrent inbound streams allowed per connection on this protocol.
   *
   * @default 32
   */
  maxInboundStreams?: number

  /**
   * Requests one peer may open on this protocol (all its connections together); a stream
   * over it is reset before anything is read. `false` for none (tests, benchmarks).
   *
   * @default DEFAULT_REQUEST_RATE_LIMIT (50/s, burst 100)
   */
  rateLimit?: RateLimit | false

  /**
   * Requests of one peer served at once on this protocol (all its connections together);
   * more are reset at once.
   *
   * @default `maxInboundStreams`
   */
  maxConcurrentPerPeer?: number
}

/** Options for {@link Network.request} */
export interface RequestOptions extends AbortOptions {
  /**
   * Give up (with a `RequestTimeoutError`) after this many ms, dial included.
   *
   * @default 10_000
   */
  timeoutMs?: number

  /**
   * Largest accepted response in bytes.
   *
   * @default 65_536
   */
  maxResponseBytes?: number
}

/** What a {@link MessagePipe} delivers */
export interface PipeHandlers {
  /** One message from the remote, in the order sent */
  onMessage: (data: Uint8Array) => void

  /** The pipe ended: closed by either side, reset, or failed (`err`); called once */
  onClose?: (err?: Error) => void
}

/**
 * A long-lived, length-prefixed message stream with one peer on one protocol: many messages
 * both ways on one stream, where `request` opens a stream per message.
 */
export interface MessagePipe {
  /** Peer id (string) of the remote, authenticated by the connection */
  readonly remotePeer: string

  /** Whether messages can still be sent */
  readonly open: boolean

  /**
   * Queue one message. Throws `RequestFailedError` once the pipe is closed and
   * `MessageTooLargeError` above the size limit.
   */
  send(data: Uint8Array): void

  /** Close the pipe (`onClose` follows) */
  close(): void

  /**
   * Reset the pipe at once, without waiting for the remote to close its end (a graceful
   * `close()` only closes ours: a hostile peer could keep the stream half open forever).
   */
  abort?(reason?: Error): void
}

/** Limits of one pipe, on either side */
export interface PipeLimits {
  /**
   * Close the pipe (`onClose` gets an `IdleTimeoutError`) once no message went either way
   * for this many ms, so that a peer cannot hold pipes open for nothing. A side that wants
   * the pipe kept sends something (its own keep-alive) more often than this.
   *
   * @default undefined (never)
   */
  idleTimeoutMs?: number

  /**
   * Messages the remote may send on this pipe; over it, the pipe is reset (`onClose` gets a
   * `RateLimitedError`).
   *
   * @default undefined (no limit)
   */
  rateLimit?: RateLimit
}

/** Options for {@link Network.openPipe} */
export interface PipeOptions extends AbortOptions, PipeLimits {
  /**
   * Give up opening (with a `RequestTimeoutError`) after this many ms, dial included.
   *
   * @default 10_000
   */
  timeoutMs?: number

  /**
   * Largest message accepted or sent in bytes.
   *
   * @default 65_536
   */
  maxMessageBytes?: number
}

/** Options for {@link Network.handlePipe} */
export interface HandlePipeOptions extends PipeLimits {
  /**
   * Largest message accepted or sent in bytes.
   *
   * @default 65_536
   */
  maxMessageBytes?: number

  /**
   * Concurrent inbound pipes allowed per connection on this protocol.
   *
   * @default 32
   */
  maxInboundStreams?: number

  /**
   * Inbound pipes one peer may hold open at once on this protocol (all its connections
   * together); more are reset at once, before `accept` sees them.
   *
   * @default DEFAULT_MAX_PIPES_PER_PEER (8)
   */
  maxPipesPerPeer?: number

  /**
   * Inbound pipes all peers together may hold open at once on this protocol.
   *
   * @default DEFAULT_MAX_PIPES (256)
   */
  maxPipes?: number
}

/** A provider record found in the DHT */
export interface ProviderInfo {
  peerId: string
  addrs: string[]
}

/** Message and byte counters of one kind of traffic */
export interface TrafficCounters {
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
}

/** Counters since start, for metrics */
export interface NetworkStats {
  /** Gossip: `in` counts delivered messages, `out` our publishes (payload bytes) */
  gossip: TrafficCounters & {
    /** Messages our validator rejected */
    rejected: number
    /** Messages our validator ignored */
    ignored: number
  }
  /** Direct requests and responses, both as requester and responder (payload bytes) */
  direct: TrafficCounters & {
    /** Outbound requests that ended in an error */
    failedRequests: number
    /** Inbound requests whose handler failed or timed out */
    failedHandlers: number
  }
  /** What the rate and size limits turned away (adapters without limits leave it out) */
  limited?: {
    /** gossip dropped unread: its neighbour was over its budget */
    gossipSource: number
    /** gossip over its signer's budget */
    gossipSigner: number
    /** gossip over its topic's budget */
    gossipTopic: number
    /** inbound request streams reset by a per-peer rate or concurrency limit */
    requests: number
    /** inbound pipes reset by a pipe-count limit */
    pipes: number
  }
}

/**
 * The `Network` port: everything the roles need from the peer-to-peer layer.
 * Peer ids and addresses are strings so that roles never touch libp2p types.
 */
export interface Network {
  /** This node's peer id */
  readonly peerId: string

  /** Addresses others can dial, each ending in `/p2p/<peerId>` */
  addresses(): string[]

  /** Start the node; calling it again is a no-op */
  start(): Promise<void>

  /** Stop the node and release everything; calling it again is a no-op */
  stop(): Promise<void>

  /** Join a gossip topic (sets the validator on it when under `/hitch/1/`) */
  subscribe(topic: string): void

  /** Leave a gossip topic */
  unsubscribe(topic: string): void

  /** Topics this node is subscribed to */
  topics(): string[]

  /** Peers known to be subscribed to `topic` */
  topicPeers(topic: string): string[]

  /**
   * Publish on a topic. Succeeds even when nobody is listening yet (returns 0
   * recipients); the payload is not delivered to our own handlers.
   */
  publish(topic: string, data: Uint8Array, options?: AbortOptions): Promise<{ recipients: number }>

  /** Register a handler for delivered gossip; returns a function that removes it */
  onMessage(handler: MessageHandler): () => void

  /** Set (or clear, with `undefined`) the validator for all `/hitch/1/` topics */
  setValidator(validator: TopicValidator | undefined): void

  /**
   * The rate limits' verdict on a gossip message whose signature the validator checked (per
   * signer and kind, per topic and kind). Optional: an adapter without limits leaves it out.
   */
  admitGossip?(message: GossipAdmission): ValidationResult

  /** Serve a request/response protocol */
  handle(protocol: string, handler: RequestHandler, options?: HandleOptions): Promise<void>

  /** Stop serving a protocol */
  unhandle(protocol: string): Promise<void>

  /**
   * Send one request to a peer on a fresh stream and wait for its one response.
   * Dials the peer if needed.
   */
  request(peerId: string, protocol: string, data: Uint8Array, options?: RequestOptions): Promise<Uint8Array>

  /**
   * Open a long-lived message pipe to a peer (dials it if needed). Optional: an adapter
   * without pipes leaves it undefined and callers use `request`.
   */
  openPipe?(peerId: string, protocol: string, handlers: PipeHandlers, options?: PipeOptions): Promise<MessagePipe>

  /**
   * Serve pipes of a protocol: `accept` gets each inbound pipe and returns its handlers.
   * Optional, like `openPipe`; `unhandle` stops serving.
   */
  handlePipe?(protocol: string, accept: (pipe: MessagePipe) => PipeHandlers, options?: HandlePipeOptions): Promise<void>

  /**
   * Announce in the DHT that this node provides `key` (e.g. serves a map cell). Resolves once
   * at least one other peer stored the record; rejects with `NoPeersError` when none did (a
   * node whose routing table is still empty), so that the caller can announce again later.
   */
  provide(key: CID, options?: AbortOptions): Promise<void>

  /** Find peers that announced `key`; ends when the DHT query ends */
  findProviders(key: CID, options?: AbortOptions): AsyncIterable<ProviderInfo>

  /** Connect to a peer by peer id (addresses from the peer store/DHT) or by multiaddr */
  dial(peerIdOrMultiaddr: string, options?: AbortOptions): Promise<void>

  /** Close all connections to a peer */
  hangUp(peerId: string, options?: AbortOptions): Promise<void>

  /** Peers with an open connection */
  connectedPeers(): string[]

  /** Traffic counters since construction */
  stats(): NetworkStats
}
