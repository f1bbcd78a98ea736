/**
 * Issue 9, "Replays after a restart": replay caches lived only in memory, so a node restarted
 * within a message's lifetime (up to 10 minutes) accepted it again. A real node with a LevelDB
 * store in a data dir, stopped and started again on it, is sent the same bytes again by gossip
 * and on a direct stream.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import { createHitchNode } from '../../node/index.js'
import { createNetwork } from '../../node/network/index.js'
import { openRoutedMap } from '../../node/map/index.js'
import { NoResponseError } from '../../node/network/index.js'
import { Cancel, RIDE_PROTOCOL, cellOf, cellTopic, signEnvelope } from '../../protocol/index.js'
import { waitFor } from '../fixtures/wait-for.js'
import { CITY } from './roles-fixtures.js'
import type { HitchNode } from '../../node/index.js'
import type { RoutedMap } from '../../node/map/index.js'
import type { Libp2pNetwork } from '../../node/network/index.js'
import type { HitchMessage } from '../../protocol/index.js'
import type { PrivateKey } from '@libp2p/interface'

const cell = cellOf(CITY.center.lat, CITY.center.lon)
const topic = cellTopic(cell)

describe('integration: replays after a restart, with a LevelDB store (issue 9)', function () {
  this.timeout(60_000)
  let dataDir: string
  let map: RoutedMap
  let sender: Libp2pNetwork
  let senderKey: PrivateKey
  let node: HitchNode | undefined
  const heard: string[] = []

  const start = async (): Promise<HitchNode> => {
    const n = await createHitchNode({ dataDir, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], loopbackFriendly: true, map, dht: false })
    await n.start()
    n.network.subscribe(topic)
    n.onGossip(g => { heard.push(String((g.envelope.message.body as { requestId?: string }).requestId)) })
    await sender.dial(n.addresses()[0])
    await waitFor(() => sender.topicPeers(topic).includes(n.peerId), { what: 'the sender sees the node on the topic' })
    return n
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hitch-replay-'))
    map = await openRoutedMap()
    senderKey = await generateKeyPair('secp256k1')
    sender = await createNetwork({ privateKey: senderKey, transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], loopbackFriendly: true, dht: false })
    await sender.start()
    sender.subscribe(topic)
  })
  after(async () => {
    await node?.stop()
    await sender?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })

  const request = (id: string): HitchMessage => ({
    type: 'ride-request',
    body: {
      requestId: id, pickupCell: cell, dropoffCell: cell, seats: 1, latestPickupAt: Date.now() + 300_000,
      maxPrice: '100000', expiresAt: Date.now() + 300_000, currency: 'usd-cent'
    }
  })
  const sign = async (message: HitchMessage): Promise<Uint8Array> =>
    signEnvelope(senderKey, message, { now: Date.now(), ttlMs: 300_000, nonce: randomBytes(16) })

  it('refuses, after a restart, the gossip and the direct messages it accepted before', async () => {
    node = await start()
    const gossip = await sign(request('before-restart'))
    const direct = await sign({ type: 'cancel', body: { requestId: 'before-restart', reason: Cancel.Reason.RIDER_CANCELLED, note: '' } })
    await sender.publish(topic, gossip)
    await waitFor(() => heard.includes('before-restart'), { what: 'the request accepted' })
    expect(await sender.request(node.peerId, RIDE_PROTOCOL, direct)).to.have.length(0)

    await node.stop()
    node = await start()
    const ignored = node.network.stats().gossip.ignored
    // the same bytes again, and a fresh message after them: once the fresh one is through,
    // the replay was judged
    await sender.publish(topic, gossip)
    await sender.publish(topic, await sign(request('after-restart')))
    await waitFor(() => heard.includes('after-restart'), { what: 'the fresh request accepted' })
    expect(heard.filter(id => id === 'before-restart')).to.have.length(1)
    expect(node.network.stats().gossip.ignored).to.equal(ignored + 1)
    const err = await sender.request(node.peerId, RIDE_PROTOCOL, direct).then(() => undefined, e => e)
    expect(err).to.be.instanceOf(NoResponseError)
  })
})
