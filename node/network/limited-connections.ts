import type { AbortOptions, Libp2p, PeerId, Stream } from '@libp2p/interface'

/**
 * Hitch's streams run on limited (relayed) connections.
 *
 * A circuit relay v2 connection is "limited": the relay resets it after a time and a number of
 * bytes (libp2p's defaults: 2 minutes, 128 KiB), and libp2p refuses to open a stream on it
 * unless the protocol opts in with `runOnLimitedConnection`. A ride lasts longer than 2 minutes,
 * and between two private nodes there may be no other path: TCP hole punching from Node mostly
 * fails (no `SO_REUSEPORT`), and a carrier-grade or symmetric NAT defeats any hole punch.
 *
 * The choice (issue 11): a Hitch relay raises its limits (`HITCH_RELAY_DEFAULTS` in
 * `node/libp2p`: 2 hours and 4 MiB per relayed connection, enough for the negotiation, the
 * trip updates and the channel states of a long ride) and Hitch's handlers and dials set
 * `runOnLimitedConnection: true`, so a ride works end to end over a relay. DCUtR (and WebRTC
 * where enabled) still upgrade to a direct connection when they can, and libp2p then opens new
 * streams on the direct one. The other way (negotiate on the relay, then move the trip to a
 * direct path) was rejected: where no direct path can be made, the ride would fail after the
 * quote, which is worse for a rider than a relayed trip.
 *
 * A relay that is not Hitch's keeps the 2-minute, 128 KiB defaults: a stream it resets ends
 * as a `RequestFailedError` (or a pipe's `onClose(err)`), like any lost connection, and the
 * next dial makes a new relayed connection with a new allowance.
 *
 * gossipsub runs on limited connections too where NAT traversal is on (`createHitchLibp2p`):
 * a rider and a driver each behind a NAT reach each other only through a relay, and the
 * rider's request travels by gossip (measured in the netns test: without it no ride between
 * two private nodes, with it both rides complete and are paid, relayed). It costs the relay
 * the cell gossip of the pair, within the raised limits; a reset connection is dialled again.
 * kad-dht keeps its default (off on limited connections): a private node queries through its
 * own outbound, direct connections.
 */
export const RUN_ON_LIMITED_CONNECTION = true

/**
 * Opens a stream to `peer` on `protocol`, on a relayed connection too. libp2p's `dialProtocol`
 * reuses only unlimited connections: with just a relayed one open it dials the relay again
 * (a new hop, a new handshake) for every stream, and then drops the new connection as a
 * duplicate. So a relayed connection is used directly while there is no unlimited one.
 */
export async function openHitchStream (libp2p: Pick<Libp2p, 'getConnections' | 'dialProtocol'>, peer: PeerId, protocol: string, options: AbortOptions = {}): Promise<Stream> {
  const open = libp2p.getConnections(peer).filter(c => c.status === 'open')
  if (!open.some(c => c.limits == null)) {
    const relayed = open.find(c => c.limits != null)
    if (relayed != null) return await relayed.newStream(protocol, { ...options, runOnLimitedConnection: RUN_ON_LIMITED_CONNECTION })
  }
  return await libp2p.dialProtocol(peer, protocol, { ...options, runOnLimitedConnection: RUN_ON_LIMITED_CONNECTION })
}
