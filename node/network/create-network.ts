import { createHitchLibp2p } from '../libp2p/create-libp2p.js'
import { Libp2pNetwork } from './libp2p-network.js'
import type { Libp2pNetworkInit } from './libp2p-network.js'
import type { HitchLibp2pInit } from '../libp2p/create-libp2p.js'

/** Options for {@link createNetwork}: the libp2p node's and the adapter's */
export interface CreateNetworkInit extends HitchLibp2pInit, Omit<Libp2pNetworkInit, 'libp2p'> {}

/** With mDNS on, keep dialing discovered peers until this many connections */
export const DEFAULT_MDNS_MIN_CONNECTIONS = 8

/**
 * Compose a libp2p node and wrap it in the {@link Libp2pNetwork} adapter.
 * Not started: call `start()`.
 */
export async function createNetwork (init: CreateNetworkInit): Promise<Libp2pNetwork> {
  // the network dials the bootstrap list itself, once libp2p and all its services have started
  const libp2p = await createHitchLibp2p({ ...init, bootstrap: [] })
  return new Libp2pNetwork({
    bootstrap: init.bootstrap ?? [],
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
