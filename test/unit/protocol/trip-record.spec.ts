import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { TripRecordError } from '../../../protocol/errors.js'
import {
  appendTripEvent, createTripRecord, recordHash, signRecord, tripRecordFromJSON, tripRecordFromProto,
  tripRecordToJSON, tripRecordToProto, verifyTripRecord
} from '../../../protocol/trip-record.js'
import { TripRecord as TripRecordPb } from '../../../protocol/pb/messages.js'
import { NOW, secpKey } from './fixtures.js'
import type { TripRecord } from '../../../protocol/trip-record.js'
import type { PrivateKey } from '@libp2p/interface'

describe('protocol/trip-record', () => {
  let driver: PrivateKey
  let rider: PrivateKey
  let unsigned: TripRecord
  let signed: TripRecord

  before(async () => {
    driver = await secpKey()
    rider = await secpKey()
    let r = createTripRecord({
      rideId: 'ride-42',
      driver: peerIdFromPrivateKey(driver).toString(),
      rider: peerIdFromPrivateKey(rider).toString(),
      driverAddress: '0x' + 'ab'.repeat(20),
      fare: '5000',
      currency: 'wei',
      channelId: '0x' + '01'.repeat(32),
      amountPaid: '5000'
    })
    r = appendTripEvent(r, { type: 'accepted', time: NOW, quoteId: 'q-1', price: '5000' })
    r = appendTripEvent(r, { type: 'picked-up', time: NOW + 60_000, lat: 52.5201, lon: 13.4049 })
    r = appendTripEvent(r, { type: 'position', time: NOW + 120_000, lat: 52.51, lon: 13.39, distanceM: 1500 })
    r = appendTripEvent(r, { type: 'dropped-off', time: NOW + 600_000, lat: -33.8688, lon: 151.2093, distanceM: 9000 })
    r = appendTripEvent(r, { type: 'fare', time: NOW + 600_001, amount: '5000' })
    unsigned = r
    signed = await signRecord(await signRecord(r, driver, 'driver'), rider, 'rider')
  })

  it('verifies a record signed by both', async () => {
    const v = await verifyTripRecord(signed)
    expect(v.ok).to.equal(true)
    if (v.ok) expect(v.hash).to.deep.equal(recordHash(signed))
  })

  it('links each event to the previous one', () => {
    expect(unsigned.events.map(e => e.seq)).to.deep.equal([0, 1, 2, 3, 4])
    expect(unsigned.events[2].prevHash).to.not.deep.equal(unsigned.events[1].prevHash)
  })

  it('names missing signatures', async () => {
    const v = await verifyTripRecord(unsigned)
    expect(v.ok).to.equal(false)
    if (!v.ok) expect(v.problems.map(p => p.code)).to.deep.equal(['missing-driver-signature', 'missing-rider-signature'])
    const half = await signRecord(unsigned, driver, 'driver')
    const v2 = await verifyTripRecord(half)
    if (!v2.ok) expect(v2.problems.map(p => p.code)).to.deep.equal(['missing-rider-signature'])
  })

  it('refuses to sign with the wrong key', async () => {
    try {
      await signRecord(unsigned, rider, 'driver')
      expect.fail('signed')
    } catch (err) {
      expect(err).to.be.instanceOf(TripRecordError)
      expect((err as TripRecordError).code).to.equal('wrong-key')
    }
  })

  it('names a broken chain link, at the event after the altered one', async () => {
    const events = signed.events.map(e => ({ ...e }))
    events[2] = { ...events[2], data: { ...(events[2].data as any), distanceM: 1 } } as any
    const v = await verifyTripRecord({ ...signed, events })
    expect(v.ok).to.equal(false)
    if (!v.ok) expect(v.problems).to.deep.include({ code: 'bad-chain-link', message: 'event 3 does not link to event 2', event: 3 })
  })

  it('names a bad signature when the last event or header changes', async () => {
    const events = signed.events.slice()
    events[4] = { ...events[4], data: { amount: '9999' } } as any
    const v = await verifyTripRecord({ ...signed, events })
    if (!v.ok) expect(v.problems.map(p => p.code)).to.deep.equal(['bad-driver-signature', 'bad-rider-signature'])
    const other = await secpKey()
    const h = await verifyTripRecord({ ...signed, header: { ...signed.header, fare: '1' } })
    if (!h.ok) expect(h.problems.map(p => p.code)).to.include('bad-chain-link')
    const swapped = await verifyTripRecord({ ...signed, riderSignature: (await signRecord(unsigned, driver, 'driver')).driverSignature })
    expect(swapped.ok).to.equal(false)
    if (!swapped.ok) expect(swapped.problems.map(p => p.code)).to.deep.equal(['bad-rider-signature'])
    expect(other).to.exist
  })

  it('refuses events out of order and after the fare', () => {
    expect(() => appendTripEvent(unsigned, { type: 'position', time: NOW + 700_000, lat: 0, lon: 0, distanceM: 1 })).to.throw(TripRecordError)
    const r = createTripRecord({ ...unsigned.header })
    const a = appendTripEvent(r, { type: 'accepted', time: NOW, quoteId: 'q', price: '1' })
    expect(() => appendTripEvent(a, { type: 'picked-up', time: NOW - 1, lat: 0, lon: 0 })).to.throw(TripRecordError)
  })

  it('round-trips the protobuf form', async () => {
    const back = tripRecordFromProto(TripRecordPb.decode(TripRecordPb.encode(tripRecordToProto(signed))))
    expect(back).to.deep.equal(signed)
    expect((await verifyTripRecord(back)).ok).to.equal(true)
  })

  it('round-trips the JSON form', async () => {
    const text = JSON.stringify(tripRecordToJSON(signed), null, 2)
    const back = tripRecordFromJSON(text)
    expect((await verifyTripRecord(back)).ok).to.equal(true)
    expect(tripRecordToJSON(back)).to.deep.equal(tripRecordToJSON(signed))
  })

  it('parses JSON strictly', () => {
    const json = tripRecordToJSON(signed) as any
    const bad = (mutate: (j: any) => void): void => {
      const j = JSON.parse(JSON.stringify(json))
      mutate(j)
      expect(() => tripRecordFromJSON(j)).to.throw(TripRecordError)
    }
    bad(j => { j.extra = 1 })
    bad(j => { j.header.extra = 1 })
    bad(j => { j.events[0].data.extra = 1 })
    bad(j => { delete j.hash })
    bad(j => { j.events[0].time = String(j.events[0].time) })
    bad(j => { j.events[1].data.latE7 = 1.5 })
    bad(j => { j.hash = j.hash.toUpperCase() })
    bad(j => { j.signatures.driver = j.signatures.driver.toUpperCase() })
    bad(j => { j.header.fare = '-1' })
    bad(j => { j.header.driverAddress = '' })
    bad(j => { j.events[0].type = 'teleported' })
    expect(() => tripRecordFromJSON('{')).to.throw(TripRecordError)
  })

  it('detects every single-byte change of the JSON form', async function () {
    const text = JSON.stringify(tripRecordToJSON(signed))
    const bytes = new TextEncoder().encode(text)
    const decoder = new TextDecoder('utf-8', { fatal: false })
    const isLetter = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
    // the low bit of every byte, and the case of every letter (hex must not go case-insensitive)
    for (let i = 0; i < bytes.length; i++) {
      for (const sub of isLetter(bytes[i]) ? [bytes[i] ^ 0x01, bytes[i] ^ 0x20] : [bytes[i] ^ 0x01]) {
        const copy = bytes.slice()
        copy[i] = sub
        let record: TripRecord
        try {
          record = tripRecordFromJSON(decoder.decode(copy))
        } catch (err) {
          expect(err, `byte ${i}`).to.be.instanceOf(TripRecordError)
          continue
        }
        const v = await verifyTripRecord(record)
        expect(v.ok, `byte ${i} (${text.slice(Math.max(0, i - 20), i + 20)}) -> ${String.fromCharCode(sub)} went undetected`).to.equal(false)
      }
    }
  })
})
