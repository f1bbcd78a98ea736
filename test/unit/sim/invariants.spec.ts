import { expect } from 'chai'
import { channelMoney, checkInvariants } from '../../../sim/index.js'
import type { AdjudicatorEvent } from '../../../settlement/index.js'
import type { RequestRecord, RunRecords, VehicleRecord } from '../../../sim/index.js'

const base = { blockNumber: 1n, txHash: '0x00' as const, logIndex: 0 }
const A = `0x${'aa'.repeat(32)}` as const
const B = `0x${'bb'.repeat(32)}` as const
const C = `0x${'cc'.repeat(32)}` as const
const ZERO = `0x${'00'.repeat(32)}` as const
const rider = `0x${'11'.repeat(20)}` as const
const driver = `0x${'22'.repeat(20)}` as const

function request (over: Partial<RequestRecord>): RequestRecord {
  return {
    id: 'r', status: 'served', requestTimeS: 0, assignTimeS: 1, matchWallMs: 1, pickupTimeS: 2, dropoffTimeS: 3, directTimeS: 1, directDistanceM: 1,
    inCarS: 1, fareCents: 100, pooled: false, vehicle: 'v', seats: 1, pickupLat: 0, pickupLon: 0, dropoffLat: 0, dropoffLon: 0,
    record: { hash: `0x${'ab'.repeat(32)}`, signedByDriver: true, signedByRider: true, verified: true },
    ...over
  }
}

function run (requests: RequestRecord[], money?: ReturnType<typeof channelMoney>, vehicles: VehicleRecord[] = []): RunRecords {
  return {
    kind: 'decentralized', requests, vehicles, nodes: [], simulatedS: 1, wallMs: 1, cpuUs: 1, peakRssBytes: 1, processes: 1, notes: [],
    payments: money == null ? null : { channelUpdates: 1, onChainTxs: 2, gasUsed: 1, byFunction: {}, ridesSettled: 1, ridesUnsettled: 0, channelsClosed: 1, paidWei: '1', money }
  }
}

const statuses = (r: RunRecords): string[] => checkInvariants(r).map(i => `${i.id}:${i.status}`)

describe('sim/invariants', () => {
  it('adds up deposits and payouts per channel from the adjudicator events, and names a channel that paid out other than it took', () => {
    const events: AdjudicatorEvent[] = [
      { ...base, type: 'Opened', channelId: A, rider, driver, deposit: 100n },
      { ...base, type: 'ToppedUp', channelId: A, amount: 50n, deposit: 150n },
      { ...base, type: 'ClosedCooperatively', channelId: A, nonce: 1n, paidRider: 30n, paidDriver: 120n, tripRecordHash: ZERO },
      { ...base, type: 'Opened', channelId: B, rider, driver, deposit: 70n },
      { ...base, type: 'Opened', channelId: C, rider, driver, deposit: 10n },
      { ...base, type: 'Finalized', channelId: C, nonce: 2n, paidRider: 0n, paidDriver: 11n, tripRecordHash: ZERO }
    ]
    expect(channelMoney(events)).to.deep.equal({ depositedClosedWei: '160', paidOutWei: '161', stillHeldWei: '70', mismatched: [C] })
  })

  const table: Array<[string, RunRecords, string[]]> = [
    ['an unpaid run: nothing to say about payments', run([request({})]), ['served-rides-are-signed:held', 'nobody-paid-more-than-the-quote:skipped', 'channels-pay-out-their-deposits:skipped', 'cars-carried-their-riders:skipped']],
    ['a paid run that holds', run([request({ quotedWei: '1000', paidWei: '1000' })], { depositedClosedWei: '5', paidOutWei: '5', stillHeldWei: '0', mismatched: [] }),
      ['served-rides-are-signed:held', 'nobody-paid-more-than-the-quote:held', 'channels-pay-out-their-deposits:held', 'cars-carried-their-riders:skipped']],
    ['a served ride without a record', run([request({ record: null })]), ['served-rides-are-signed:broken', 'nobody-paid-more-than-the-quote:skipped', 'channels-pay-out-their-deposits:skipped', 'cars-carried-their-riders:skipped']],
    ['a record only the driver signed', run([request({ record: { hash: '0x', signedByDriver: true, signedByRider: false, verified: false } })]), ['served-rides-are-signed:broken', 'nobody-paid-more-than-the-quote:skipped', 'channels-pay-out-their-deposits:skipped', 'cars-carried-their-riders:skipped']],
    ['a cancelled request needs no record', run([request({ status: 'cancelled', record: null })]), ['served-rides-are-signed:skipped', 'nobody-paid-more-than-the-quote:skipped', 'channels-pay-out-their-deposits:skipped', 'cars-carried-their-riders:skipped']],
    ['a rider who paid a cent of wei over the quote', run([request({ quotedWei: '1000', paidWei: '1001' })]), ['served-rides-are-signed:held', 'nobody-paid-more-than-the-quote:broken', 'channels-pay-out-their-deposits:skipped', 'cars-carried-their-riders:skipped']],
    ['a channel that paid out more than it took', run([request({})], { depositedClosedWei: '5', paidOutWei: '6', stillHeldWei: '0', mismatched: [A] }),
      ['served-rides-are-signed:held', 'nobody-paid-more-than-the-quote:skipped', 'channels-pay-out-their-deposits:broken', 'cars-carried-their-riders:skipped']],
    ['a car that carried its rider', run([request({})], undefined, [{ id: 'v', kmEmpty: 1, kmOccupied: 2, passengerKm: 3, ridesServed: 1 }]),
      ['served-rides-are-signed:held', 'nobody-paid-more-than-the-quote:skipped', 'channels-pay-out-their-deposits:skipped', 'cars-carried-their-riders:held']],
    ['a car that served a ride it never drove occupied', run([request({})], undefined, [{ id: 'v', kmEmpty: 3, kmOccupied: 0, passengerKm: 0, ridesServed: 1 }]),
      ['served-rides-are-signed:held', 'nobody-paid-more-than-the-quote:skipped', 'channels-pay-out-their-deposits:skipped', 'cars-carried-their-riders:broken']],
    ['occupied kilometres without a seat aboard', run([request({})], undefined, [{ id: 'v', kmEmpty: 0, kmOccupied: 2, passengerKm: 1, ridesServed: 1 }]),
      ['served-rides-are-signed:held', 'nobody-paid-more-than-the-quote:skipped', 'channels-pay-out-their-deposits:skipped', 'cars-carried-their-riders:broken']]
  ]
  for (const [name, records, expected] of table) {
    it(name, () => { expect(statuses(records)).to.deep.equal(expected) })
  }

  it('keeps a few examples of a violation and counts the rest', () => {
    const many = Array.from({ length: 8 }, (_, i) => request({ id: `r${i}`, record: null }))
    const [signed] = checkInvariants(run(many))
    expect(signed.violations).to.have.length(6)
    expect(signed.violations[5]).to.equal('… 3 more')
  })
})
