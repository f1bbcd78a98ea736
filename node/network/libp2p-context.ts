/**
 * What the parts of the libp2p adapter share: the node, its log and traffic counters, its
 * defaults, its inbound limits and registered protocols, and the signal of its current run.
 */
import type { InboundLimits } from './inbound-limits.js'
import type { NetworkStats } from './network.js'
import type { HitchLibp2p } from '../libp2p/create-libp2p.js'
import type { Logger } from '@libp2p/interface'

/** The state of a `Libp2pNetwork` that its gossip, request, pipe and provider parts work on */
export interface Libp2pContext {
  readonly libp2p: HitchLibp2p
  /** the node's peer id, as a string */
  readonly peerId: string
  readonly log: Logger
  /** the adapter's traffic counters, counted in place */
  readonly counters: NetworkStats
  /** default timeout of an outbound request (and of opening a pipe), ms */
  readonly requestTimeoutMs: number
  /** default timeout of an inbound handler, ms */
  readonly handlerTimeoutMs: number
  /** default size limit of requests, responses and pipe messages, bytes */
  readonly maxMessageBytes: number
  /** bounds on inbound requests and pipes */
  readonly inbound: InboundLimits
  /** protocols this node handles, unhandled when it stops */
  readonly protocols: Set<string>
  /** aborts when the network stops; a new signal at each start */
  lifetime: () => AbortSignal
}
