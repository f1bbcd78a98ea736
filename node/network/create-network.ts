import { Libp2pNetwork } from '../network/index.js'
import { createHitchLibp2p } from './create-libp2p.js'
import type { HitchLibp2pInit } from './create-libp2p.js'
import type { Libp2pNetworkInit } from '../network/index.js'

/** Options for {@link createNetwork}: the libp2p node's and the adapter's */
export interface CreateNetworkInit extends HitchLibp2pInit, Omit<Libp2pNetworkInit, 'libp2p'> {}

/** With mDNS on, keep dialing discovered peers until this many connections */
export const DEFAULT_MDNS_MIN_CONNECTIONS = 8

/**
 * Compose a libp2p node and wrap it in the {@link Libp2pNetwork} adapter.
 * Not started: call `start()`.
 */
export async function createNetwork (init: CreateNetworkInit): Promise<Libp2pNetwork> {
  const libp2p = await createHitchLibp2p(init)
  return new Libp2pNetwork({
    libp2p,
    logPrefix: init.logPrefix,
    requestTimeoutMs: init.requestTimeoutMs,
    handlerTimeoutMs: init.handlerTimeoutMs,
    maxMessageBytes: init.maxMessageBytes,
    gossipLimits: init.gossipLimits,
    maxConcurrentHandlers: init.maxConcurrentHandlers,
    autoDial: init.autoDial ?? (init.mdns === true ? { minConnections: DEFAULT_MDNS_MIN_CONNECTIONS } : false)
  })
}
