/**
 * DHT provider records on libp2p: announcing this node as a provider of a key (a cell), and
 * finding the other nodes that provide one.
 */
import { MessageType } from '@libp2p/kad-dht'
import { NoPeersError } from './errors.js'
import type { Libp2pContext } from './libp2p-context.js'
import type { ProviderInfo } from './network.js'
import type { AbortOptions } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'

/** Announces this node as a provider of `key`; throws `NoPeersError` when no DHT peer stored the record */
export async function provideOnDht (ctx: Libp2pContext, key: CID, options: AbortOptions = {}): Promise<void> {
  const dht = ctx.libp2p.services.dht
  if (dht == null) {
    await ctx.libp2p.contentRouting.provide(key, options)
    return
  }
  // kad-dht resolves even when its routing table was empty and the record went nowhere
  let stored = 0
  for await (const event of dht.provide(key, options)) {
    if (event.name === 'PEER_RESPONSE' && event.messageType === MessageType.ADD_PROVIDER) {
      stored++
    }
  }
  if (stored === 0) {
    throw new NoPeersError(`no DHT peer stored the provider record of ${key.toString()}`)
  }
}

/** The other nodes that provide `key`, each once */
export async function * findDhtProviders (ctx: Libp2pContext, key: CID, options: AbortOptions = {}): AsyncIterable<ProviderInfo> {
  const seen = new Set<string>()
  for await (const info of ctx.libp2p.contentRouting.findProviders(key, options)) {
    const id = info.id.toString()
    // a node looking for a cell's providers wants other nodes, not itself
    if (id === ctx.peerId || seen.has(id)) {
      continue
    }
    seen.add(id)
    yield { peerId: id, addrs: info.multiaddrs.map(ma => ma.toString()) }
  }
}
