/**
 * The rider's discovery: finds drivers of a cell in the DHT (the provider records drivers
 * announce for the cell their car is in) and connects to them, so a request published on the
 * cell's topic has a gossip path.
 */
import { TimeoutError } from '@libp2p/interface'
import { neighbourCells, providerKey } from '../../protocol/index.js'
import type { HitchNode } from '../hitch-node.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Give up finding drivers in the DHT after this long, clock ms. @default 5000 */
export const DEFAULT_DISCOVERY_TIMEOUT_MS = 5_000
/**
 * Connect to at most this many of the drivers found for the pickup cell: enough for gossip to
 * have a path (gossipsub keeps 6..12 mesh peers per topic), not one connection per driver of a
 * busy cell. @default 16
 */
export const DEFAULT_DISCOVERY_DIALS = 16

/** What discovery uses, and its limits. */
export interface DiscoveryInit {
  node: Pick<HitchNode, 'network' | 'clock'>
  log: Logger
  /** give up the lookups after this long, clock ms */
  timeoutMs: number
  /** most drivers to connect to */
  dials: number
}

/**
 * Connects to drivers of the pickup cell, as announced in the DHT, so that the request has a
 * gossip path. Drivers announce the cell their car is in and listen to the ring around it:
 * when the pickup cell itself has fewer than `dials` drivers, the cells around it are looked
 * up too (in parallel), since their drivers hear the pickup cell's requests. Resolves with the
 * number of drivers found.
 */
export async function findDrivers (init: DiscoveryInit, cell: string, abort: AbortOptions): Promise<number> {
  const { node, log } = init
  // on the node's clock, so a simulated run does not depend on how fast the host is
  const timeout = new AbortController()
  const timer = node.clock.setTimeout(() => { timeout.abort(new TimeoutError('finding drivers timed out')) }, init.timeoutMs)
  const signal = AbortSignal.any([timeout.signal, ...(abort.signal != null ? [abort.signal] : [])])
  const connected = new Set(node.network.connectedPeers())
  const seen = new Set<string>()
  const dials: Array<Promise<void>> = []
  const lookUp = async (key: string): Promise<void> => {
    try {
      for await (const provider of node.network.findProviders(providerKey(key), { signal })) {
        if (seen.size >= init.dials) {
          break
        }
        if (seen.has(provider.peerId)) {
          continue
        }
        seen.add(provider.peerId)
        if (connected.has(provider.peerId)) {
          continue
        }
        dials.push(node.network.dial(provider.addrs.length > 0 ? `${provider.addrs[0]}/p2p/${provider.peerId}`.replace(/\/p2p\/[^/]+\/p2p\//, '/p2p/') : provider.peerId, { signal })
          .catch(async () => { await node.network.dial(provider.peerId, { signal }) })
          .catch(err => { log('dialing driver %s failed - %e', provider.peerId, err) }))
      }
    } catch (err) {
      abort.signal?.throwIfAborted()
      log('finding drivers of %s ended - %e', key, err)
    }
  }
  try {
    await lookUp(cell)
    if (seen.size < init.dials && !signal.aborted) {
      await Promise.all(neighbourCells(cell).map(lookUp))
    }
    await Promise.all(dials)
  } finally {
    node.clock.clearTimeout(timer)
  }
  return seen.size
}
