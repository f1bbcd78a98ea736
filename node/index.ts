/**
 * @packageDocumentation
 *
 * Everything that runs one Hitch peer: the composition root and the roles.
 */
export { createHitchNode, HitchNodeError, BadAnswerError, NodeNotStartedError, DEFAULT_MESSAGE_TTL_MS } from './hitch-node.js'
export type {
  HitchNode, HitchNodeInit, HitchNodeErrorCode, HitchGossip, HitchGossipHandler, HitchDirectHandler, SendOptions, RandomSource
} from './hitch-node.js'
export { createHitchPeer, chainAt, loopbackNode } from './hitch-peer.js'
export type { HitchPeer, HitchPeerInit, DriverPeer, RiderPeer, ChainConnector, ChainConnectorOptions } from './hitch-peer.js'
export { libsecp256k1Signatures } from './signatures/index.js'
export type { SignatureBackend } from './signatures/index.js'
export * from './roles/index.js'
