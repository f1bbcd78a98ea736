/**
 * A gossipsub speaker with no gossipsub of its own: it opens the meshsub protocol to a target
 * and writes hand-made RPCs as fast as the stream takes them, with any author it has a key
 * for. What an attacker does to flood a node with messages that each look relayed from many
 * authors (`StrictSign`: every message carries its author's key and signature) or to send
 * what a well-behaved gossipsub never sends. Attack tooling for the abuse bench and tests.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { identify } from '@libp2p/identify'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { concat } from 'uint8arrays/concat'
import { fromString } from 'uint8arrays/from-string'
import type { Libp2p, PrivateKey } from '@libp2p/interface'

/** gossipsub v1.1: every Hitch node speaks it */
export const MESHSUB = '/meshsub/1.1.0'

const SIGN_PREFIX = fromString('libp2p-pubsub:')

let seqno = BigInt(Date.now()) * 1000n

/**
 * A gossipsub message as `StrictSign` wants it: author, seqno, topic, data, signature, key.
 * `signer` signs like the key's own `sign` (e.g. a faster backend).
 */
export async function signedMessage (author: PrivateKey, topic: string, data: Uint8Array, signer?: (key: PrivateKey, data: Uint8Array) => Uint8Array | Promise<Uint8Array>): Promise<RPC.Message> {
  const seq = new Uint8Array(8)
  new DataView(seq.buffer).setBigUint64(0, ++seqno, false)
  const unsigned: RPC.Message = { from: peerIdFromPrivateKey(author).toMultihash().bytes, data, seqno: seq, topic }
  const toSign = concat([SIGN_PREFIX, RPC.Message.encode(unsigned)])
  const signature = signer != null ? await signer(author, toSign) : await author.sign(toSign)
  return { ...unsigned, signature, key: publicKeyToProtobuf(author.publicKey) }
}

/** A gossipsub message as `StrictNoSign` wants it: topic and data only */
export function unsignedMessage (topic: string, data: Uint8Array): RPC.Message {
  return { topic, data }
}

/** One RPC frame: subscriptions and messages */
export function rpcFrame (messages: RPC.Message[], subscribe: string[] = []): Uint8Array {
  return RPC.encode({ subscriptions: subscribe.map(topic => ({ subscribe: true, topic })), messages })
}

/**
 * A bare libp2p node (TCP, noise, yamux, identify) that speaks no gossipsub itself. With
 * `localAddress` its connections leave from that address (e.g. `127.0.0.2`, so that a target
 * on loopback tells it apart from honest peers on `127.0.0.1`).
 */
export async function createRawPeer (privateKey: PrivateKey, localAddress: string = '127.0.0.1'): Promise<Libp2p> {
  return createLibp2p({
    privateKey,
    addresses: { listen: [`/ip4/${localAddress}/tcp/0`] },
    // dialOpts reach net.connect as they are; libp2p's type does not list localAddress
    transports: [tcp({ dialOpts: { localAddress } as any })],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    connectionMonitor: { enabled: false }
  })
}

/** An open meshsub stream to a target: write frames, then close */
export interface GossipStream {
  /** Write one length-prefixed RPC frame; resolves when the stream took it */
  write(frame: Uint8Array): Promise<void>
  close(): Promise<void>
}

/** Dials `target` (a multiaddr with `/p2p/`) on meshsub and subscribes to `topics` */
export async function openGossipStream (peer: Libp2p, target: string, topics: string[]): Promise<GossipStream> {
  const stream = await peer.dialProtocol(multiaddr(target), MESHSUB)
  const lp = lpStream(stream, { maxDataLength: 16 * 1024 * 1024 })
  await lp.write(rpcFrame([], topics))
  return {
    write: async (frame) => { await lp.write(frame) },
    close: async () => { await stream.close().catch(() => { stream.abort(new Error('closed')) }) }
  }
}
