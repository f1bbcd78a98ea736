import { appendTripEvent, createTripRecord, recordHash } from '../../protocol/index.js'
import type { PaymentTerms, RideInfo } from './types.js'
import type { TripRecord } from '../../protocol/index.js'

/**
 * The trip record a driver starts when a committed ride's exact points fit its plan: the two
 * peer ids, the driver's address, the rider's address as its identity binding named it (none
 * without one), the fare, and the accepted quote as its first event.
 */
export function startRecord (info: RideInfo, driverAddress: string, now: number): TripRecord {
  return appendTripEvent(createTripRecord({
    rideId: info.requestId,
    driver: info.driver,
    rider: info.rider,
    driverAddress: driverAddress.toLowerCase(),
    ...(info.riderAddress != null ? { riderAddress: info.riderAddress } : {}),
    fare: info.price,
    currency: info.currency
  }), { type: 'accepted', time: Math.floor(now), quoteId: info.quoteId, price: info.price })
}

/**
 * The record with the payment terms in its header. The header is the root of the hash chain,
 * so the events are linked again from it; nobody has signed the record yet.
 */
export function withPaymentTerms (record: TripRecord, terms: PaymentTerms): TripRecord {
  const { version: _version, ...header } = record.header
  let next = createTripRecord({ ...header, channelId: terms.channelId.toLowerCase(), amountPaid: terms.amountPaid })
  for (const event of record.events) {
    next = { ...next, events: [...next.events, { ...event, prevHash: recordHash(next) }] }
  }
  return next
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i])
}

