import { ChannelManager, type ChannelManagerInit } from '../channel/index.js'
import type { HitchNode } from '../hitch-node.js'
import type { Chain } from '../../settlement/index.js'
import type { AbortOptions } from '@libp2p/interface'

/** Options of {@link startChannelManager}: the manager's, less what the node provides. */
export type NodeChannelManagerInit = Omit<ChannelManagerInit, 'network' | 'chain' | 'store' | 'identity' | 'clock'> & Partial<Pick<ChannelManagerInit, 'clock'>>

/**
 * A started `ChannelManager` on a node: its network, its datastore (channel records live
 * beside the rides), its identity (the chain client must use the node's key) and its clock.
 * It serves `/hitch/pay`, watches the chain and resumes finalize timers; stop it before the node.
 */
export async function startChannelManager (node: HitchNode, chain: Chain, init: NodeChannelManagerInit = {}, options?: AbortOptions): Promise<ChannelManager> {
  const manager = new ChannelManager({
    ...init,
    network: node.network,
    chain,
    store: node.store,
    identity: node.identity,
    clock: init.clock ?? node.clock
  })
  await manager.start(options)
  return manager
}
