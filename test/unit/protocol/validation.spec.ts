import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { signEnvelope } from '../../../protocol/envelope.js'
import { ReplayCache } from '../../../protocol/replay-cache.js'
import { DEFAULT_MAX_GOSSIP_BYTES, validateDirect, validateGossip } from '../../../protocol/validation.js'
import { Envelope } from '../../../protocol/pb/messages.js'
import { createTripRecord, tripRecordToProto } from '../../../protocol/trip-record.js'
import { accept, BERLIN_CELL, bindingShape, cancel, confirm, decline, NOW, nonce, offer, POTSDAM_CELL, quote, request, reveal, secpKey, tripUpdate } from './fixtures.js'
import type { HitchMessage } from '../../../protocol/hitch-message.js'
import type { PrivateKey } from '@libp2p/interface'

describe('protocol/validation', () => {
  let key: PrivateKey
  let other: PrivateKey

  before(async () => {
    key = await secpKey()
    other = await secpKey()
  })

  async function sign (m: HitchMessage, ttlMs = 60_000, now = NOW): Promise<Uint8Array> {
    return signEnvelope(key, m, { now, ttlMs, nonce: nonce() })
  }

  async function gossip (bytes: Uint8Array, over: { topicCell?: string, now?: number, replay?: ReplayCache } = {}): Promise<{ verdict: string, reason?: string }> {
    const r = await validateGossip(bytes, { now: over.now ?? NOW, replay: over.replay ?? new ReplayCache(), topicCell: over.topicCell })
    return r.verdict === 'accept' ? { verdict: 'accept' } : { verdict: r.verdict, reason: r.reason }
  }

  it('accepts good offers, requests and cancels on gossip', async () => {
    for (const m of [offer(), request(), cancel()]) {
      expect(await gossip(await sign(m), { topicCell: BERLIN_CELL }), m.type).to.deep.equal({ verdict: 'accept' })
    }
  })

  it('returns the opened envelope on accept', async () => {
    const r = await validateGossip(await sign(request()), { now: NOW, replay: new ReplayCache() })
    expect(r.verdict).to.equal('accept')
    if (r.verdict === 'accept') {
      expect(r.envelope.message).to.deep.equal(request())
      expect(r.envelope.sender.equals(peerIdFromPrivateKey(key))).to.equal(true)
    }
  })

  const bad: Array<[string, () => HitchMessage, 'reject' | 'ignore', string]> = [
    ['zero seats', () => request({ seats: 0 }), 'reject', 'bad-seats'],
    ['nine seats', () => request({ seats: 9 }), 'reject', 'bad-seats'],
    ['capacity 9', () => offer({ capacity: 9, freeSeats: 1 }), 'reject', 'bad-seats'],
    ['free seats above capacity', () => offer({ capacity: 2, freeSeats: 3 }), 'reject', 'bad-seats'],
    ['invalid cell', () => request({ pickupCell: 'not-a-cell' }), 'reject', 'bad-cell'],
    ['upper-case cell', () => request({ pickupCell: BERLIN_CELL.toUpperCase() }), 'reject', 'bad-cell'],
    ['cell at the wrong resolution', () => offer({ cell: '8928308280fffff' }), 'reject', 'bad-cell'],
    ['negative max price', () => request({ maxPrice: '-5' }), 'reject', 'negative-amount'],
    ['non-decimal price', () => request({ maxPrice: '1e5' }), 'reject', 'bad-amount'],
    ['empty price', () => request({ maxPrice: '' }), 'reject', 'bad-amount'],
    ['negative fare', () => offer({ fare: { currency: 'wei', base: '-1', perKm: '1', perMinute: '1' } }), 'reject', 'negative-amount'],
    ['missing fare', () => offer({ fare: undefined }), 'reject', 'malformed'],
    ['bad request id', () => request({ requestId: 'has spaces' }), 'reject', 'bad-field'],
    ['expiry too far', () => request({ expiresAt: NOW + 3_600_000 }), 'reject', 'expiry-too-far'],
    ['pickup too far ahead', () => request({ latestPickupAt: NOW + 3 * 86_400_000 }), 'reject', 'expiry-too-far'],
    ['missing expiry', () => offer({ expiresAt: 0 }), 'reject', 'bad-field'],
    ['expired body', () => request({ expiresAt: NOW - 1 }), 'ignore', 'expired'],
    ['pickup time passed', () => request({ latestPickupAt: NOW - 1 }), 'ignore', 'expired'],
    ['reveal on gossip', () => reveal(), 'reject', 'exact-point-on-gossip'],
    ['accept on gossip', () => accept(), 'reject', 'direct-only'],
    ['trip update on gossip', () => tripUpdate(), 'reject', 'exact-point-on-gossip'],
    ['quote on gossip', () => quote(), 'reject', 'direct-only'],
    ['decline on gossip', () => decline(), 'reject', 'direct-only']
  ]

  for (const [name, make, verdict, reason] of bad) {
    it(`${verdict}s ${name}`, async () => {
      expect(await gossip(await sign(make()))).to.deep.equal({ verdict, reason })
    })
  }

  it('ignores a message for another cell than its topic', async () => {
    expect(await gossip(await sign(request()), { topicCell: POTSDAM_CELL })).to.deep.equal({ verdict: 'ignore', reason: 'wrong-topic' })
    expect(await gossip(await sign(offer()), { topicCell: POTSDAM_CELL })).to.deep.equal({ verdict: 'ignore', reason: 'wrong-topic' })
  })

  it('ignores an expired envelope and rejects one expiring too far ahead', async () => {
    expect(await gossip(await sign(request(), 1000), { now: NOW + 1001 })).to.deep.equal({ verdict: 'ignore', reason: 'expired' })
    expect(await gossip(await sign(request(), 3_600_000))).to.deep.equal({ verdict: 'reject', reason: 'expiry-too-far' })
  })

  it('ignores a replay within its lifetime, and only after a valid copy was accepted', async () => {
    const replay = new ReplayCache()
    const bytes = await sign(request())
    expect(await gossip(bytes, { replay })).to.deep.equal({ verdict: 'accept' })
    expect(await gossip(bytes, { replay, now: NOW + 10 })).to.deep.equal({ verdict: 'ignore', reason: 'replayed' })
    // same msgId signed by someone else is another message
    const theirs = await signEnvelope(other, request(), { now: NOW, ttlMs: 60_000, nonce: Envelope.decode(bytes).nonce })
    expect(await gossip(theirs, { replay })).to.deep.equal({ verdict: 'accept' })
  })

  it('rejects oversized, malformed, unsigned and badly signed messages', async () => {
    const big = await sign(offer({ vehicle: 'x'.repeat(60) }))
    const r = await validateGossip(big, { now: NOW, replay: new ReplayCache(), maxBytes: big.length - 1 })
    expect(r.verdict === 'reject' && r.reason).to.equal('oversized')
    expect(await gossip(new Uint8Array(DEFAULT_MAX_GOSSIP_BYTES + 1))).to.deep.equal({ verdict: 'reject', reason: 'oversized' })
    expect(await gossip(new Uint8Array([0x0a, 0xff]))).to.deep.equal({ verdict: 'reject', reason: 'malformed' })
    const env = Envelope.decode(await sign(request()))
    expect(await gossip(Envelope.encode({ ...env, signature: new Uint8Array(0) }))).to.deep.equal({ verdict: 'reject', reason: 'unsigned' })
    const tampered = Envelope.encode({ ...env, expiresAt: env.expiresAt + 1 })
    expect(await gossip(tampered)).to.deep.equal({ verdict: 'reject', reason: 'bad-signature' })
    const garbageBody = await sign(request())
    const e2 = Envelope.decode(garbageBody)
    const reSigned = Envelope.encode({ ...e2, type: Envelope.Type.TYPE_UNSPECIFIED })
    expect((await gossip(reSigned)).verdict).to.equal('reject')
  })

  describe('direct', () => {
    it('accepts exact points and every kind on a stream', async () => {
      const record = createTripRecord({ rideId: 'ride-1', driver: peerIdFromPrivateKey(key).toString(), rider: peerIdFromPrivateKey(other).toString(), fare: '5000', currency: 'wei' })
      for (const m of [accept(), confirm(), reveal(), reveal({ binding: undefined }), tripUpdate(), quote(), decline(), cancel(), request(), { type: 'trip-record', body: tripRecordToProto(record) } as HitchMessage]) {
        const r = await validateDirect(await sign(m), { now: NOW })
        expect(r.verdict, m.type).to.equal('accept')
      }
    })

    it('rejects a signer that is not the remote peer', async () => {
      const bytes = await sign(accept())
      const ok = await validateDirect(bytes, { now: NOW, remotePeer: peerIdFromPrivateKey(key) })
      expect(ok.verdict).to.equal('accept')
      const r = await validateDirect(bytes, { now: NOW, remotePeer: peerIdFromPrivateKey(other).toString() })
      expect(r.verdict === 'reject' && r.reason).to.equal('wrong-sender')
    })

    const badDirect: Array<[string, () => HitchMessage, string]> = [
      ['latitude out of range', () => reveal({ pickup: { lat: 91, lon: 0 } }), 'bad-lat-lon'],
      ['longitude out of range', () => reveal({ dropoff: { lat: 0, lon: -181 } }), 'bad-lat-lon'],
      ['NaN coordinates', () => reveal({ pickup: { lat: Number.NaN, lon: 0 } }), 'bad-lat-lon'],
      ['missing pickup', () => reveal({ pickup: undefined }), 'malformed'],
      ['a binding with a bad address', () => reveal({ binding: bindingShape({ address: '0xAB' + 'ab'.repeat(19) }) }), 'bad-field'],
      ['a binding with a short signature', () => reveal({ binding: bindingShape({ signature: new Uint8Array(64) }) }), 'bad-field'],
      ['a binding that is not a peer id', () => reveal({ binding: bindingShape({ peerId: 'not/a/peer' }) }), 'bad-field'],
      ['a binding without issue time', () => reveal({ binding: bindingShape({ issuedAt: 0 }) }), 'bad-field'],
      ['negative quote price', () => quote({ price: '-1' }), 'negative-amount'],
      ['pickup minutes beyond a day', () => quote({ pickupMinutes: 24 * 60 + 1, dropoffMinutes: 24 * 60 + 1 }), 'bad-field'],
      ['dropoff before pickup', () => quote({ pickupMinutes: 5, dropoffMinutes: 4 }), 'bad-field'],
      ['confirm minutes beyond a day', () => confirm({ pickupMinutes: 24 * 60 + 1 }), 'bad-field'],
      ['accept for 0 seats', () => accept({ seats: 0 }), 'bad-seats']
    ]
    for (const [name, make, reason] of badDirect) {
      it(`rejects ${name}`, async () => {
        const r = await validateDirect(await sign(make()), { now: NOW })
        expect(r.verdict === 'reject' && r.reason).to.equal(reason)
      })
    }

    it('rejects a malformed trip record', async () => {
      const pb = tripRecordToProto(createTripRecord({ rideId: 'ride-1', driver: peerIdFromPrivateKey(key).toString(), rider: peerIdFromPrivateKey(other).toString(), fare: '5000', currency: 'wei' }))
      pb.header!.fare = '-3'
      const r = await validateDirect(await sign({ type: 'trip-record', body: pb }), { now: NOW })
      expect(r.verdict === 'reject' && r.reason).to.equal('malformed')
    })
  })

  describe('ReplayCache', () => {
    it('forgets ids after they expire and stays bounded', () => {
      const c = new ReplayCache({ maxEntries: 3 })
      expect(c.checkAndAdd('a', 100, 0)).to.equal(true)
      expect(c.checkAndAdd('a', 100, 50)).to.equal(false)
      expect(c.has('a', 101)).to.equal(false)
      c.add('b', 1000, 0)
      c.add('c', 1000, 0)
      c.add('d', 1000, 200) // full: the expired 'a' goes first
      expect(c.size).to.equal(3)
      expect(c.has('b', 200)).to.equal(true)
      c.add('e', 1000, 200) // nothing expired: the oldest, 'b', goes
      expect(c.size).to.equal(3)
      expect(c.has('b', 200)).to.equal(false)
      expect(c.has('e', 200)).to.equal(true)
    })
  })
})
