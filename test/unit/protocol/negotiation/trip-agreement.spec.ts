import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { namesPayment, tripRecordProblem } from '../../../../protocol/negotiation/index.js'
import { appendTripEvent, createTripRecord } from '../../../../protocol/trip-record.js'
import { NOW, secpKey } from '../fixtures.js'
import type { TripAgreement } from '../../../../protocol/negotiation/index.js'
import type { TripHeaderInit, TripRecord } from '../../../../protocol/trip-record.js'

const RIDER_ADDRESS = '0x' + 'cd'.repeat(20)
const CHANNEL = '0x' + '01'.repeat(32)

describe('tripRecordProblem (a trip record against the agreed ride)', () => {
  let driver: string
  let rider: string
  let other: string
  let agreed: TripAgreement

  function record (over: Partial<TripHeaderInit> = {}, events: { first?: { quoteId: string, price: string }, fare?: string | null } = {}): TripRecord {
    let r = createTripRecord({
      rideId: 'ride-42', driver, rider, driverAddress: '0x' + 'ab'.repeat(20), riderAddress: RIDER_ADDRESS, fare: '5000', currency: 'wei', ...over
    })
    const first = events.first ?? { quoteId: 'q-1', price: '5000' }
    r = appendTripEvent(r, { type: 'accepted', time: NOW, ...first })
    r = appendTripEvent(r, { type: 'picked-up', time: NOW + 60_000, lat: 52.52, lon: 13.4 })
    r = appendTripEvent(r, { type: 'dropped-off', time: NOW + 600_000, lat: 52.39, lon: 13.06, distanceM: 9000 })
    if (events.fare !== null) r = appendTripEvent(r, { type: 'fare', time: NOW + 600_001, amount: events.fare ?? '5000' })
    return r
  }

  before(async () => {
    driver = peerIdFromPrivateKey(await secpKey()).toString()
    rider = peerIdFromPrivateKey(await secpKey()).toString()
    other = peerIdFromPrivateKey(await secpKey()).toString()
    agreed = { rideId: 'ride-42', driver, rider, riderAddress: RIDER_ADDRESS.toUpperCase().replace('0X', '0x'), quote: { quoteId: 'q-1', price: '5000', currency: 'wei' } }
  })

  const table: Array<[string, () => [TripRecord, string, Partial<TripAgreement>], string | undefined]> = [
    ['the agreed ride', () => [record(), driver, {}], undefined],
    ['sent by another peer than the driver', () => [record(), other, {}], 'the record names other parties'],
    ['naming another driver', () => [record({ driver: other }), driver, {}], 'the record names other parties'],
    ['naming another rider', () => [record({ rider: other }), driver, {}], 'the record names other parties'],
    ['of another ride', () => [record({ rideId: 'ride-43' }), driver, {}], 'the record names another ride'],
    ['another fare', () => [record({ fare: '5001' }), driver, {}], 'the record states another fare than the quote'],
    ['another currency', () => [record({ currency: 'usd-cent' }), driver, {}], 'the record states another fare than the quote'],
    ['another quote first', () => [record({}, { first: { quoteId: 'q-2', price: '5000' } }), driver, {}], 'the record does not start with the accepted quote'],
    ['no fare at the end', () => [record({}, { fare: null }), driver, {}], 'the record does not end with the agreed fare'],
    ['another fare at the end', () => [record({}, { fare: '6000' }), driver, {}], 'the record does not end with the agreed fare'],
    ['another rider address', () => [record({ riderAddress: '0x' + 'ee'.repeat(20) }), driver, {}], 'the record names another rider address'],
    ['a rider address the rider has none of', () => [record(), driver, { riderAddress: undefined }], 'the record names another rider address'],
    ['no rider address at all', () => [record({ riderAddress: undefined }), driver, {}], undefined],
    ['a payment the rider does not make', () => [record({ channelId: CHANNEL, amountPaid: '5000' }), driver, {}], 'the record names a payment this rider does not make'],
    ['the rider\'s payment', () => [record({ channelId: CHANNEL, amountPaid: '5000' }), driver, { payment: { channelId: CHANNEL.toUpperCase().replace('0X', '0x'), amountPaid: '5000' } }], undefined],
    ['another amount paid', () => [record({ channelId: CHANNEL, amountPaid: '4000' }), driver, { payment: { channelId: CHANNEL, amountPaid: '5000' } }],
      `the record names another payment (${CHANNEL}: 4000) than ours (${CHANNEL}: 5000)`],
    ['no payment named, though the rider pays', () => [record(), driver, { payment: { channelId: CHANNEL, amountPaid: '5000' } }], undefined]
  ]
  for (const [name, make, expected] of table) {
    it(name, () => {
      const [r, from, over] = make()
      expect(tripRecordProblem(r, from, { ...agreed, ...over })).to.equal(expected)
    })
  }

  it('names a payment by its channel or its amount', () => {
    expect(namesPayment({})).to.equal(false)
    expect(namesPayment({ channelId: CHANNEL })).to.equal(true)
    expect(namesPayment({ amountPaid: '1' })).to.equal(true)
  })
})
