import type { Quote } from '../pb/messages.js'
import type { TripHeader, TripRecord } from '../trip-record-types.js'

/** The payment a record's header names: the channel and what its state for the ride pays in all. */
export interface RecordPayment {
  /** 0x + 64 hex */
  channelId: string
  /** decimal amount */
  amountPaid: string
}

/** The ride both parties agreed to, which a trip record of it must state. */
export interface TripAgreement {
  /** the request id */
  rideId: string
  /** the peer id of the driver that confirmed */
  driver: string
  /** the rider's peer id */
  rider: string
  /** the rider's payment address, when the record may name one */
  riderAddress?: string
  /** the driver's payment address, as the binding on its quote named it (the rider paid it) */
  driverAddress?: string
  /** the quote the rider accepted */
  quote: Pick<Quote, 'quoteId' | 'price' | 'currency'>
  /** the payment made for the ride, if any (read only when the record names one) */
  payment?: RecordPayment
}

/** Whether a record's header names a payment (a channel or an amount paid). */
export function namesPayment (header: Pick<TripHeader, 'channelId' | 'amountPaid'>): boolean {
  return header.channelId != null || header.amountPaid != null
}

/**
 * What is wrong with a trip record sent by `from` against the ride agreed on, or undefined:
 * the parties, the ride, the fare and currency of the accepted quote, the quote as the first
 * event and the fare as the last, the rider's address and the payment. The chain, the hashes
 * and the signatures are `verifyTripRecord`'s.
 */
export function tripRecordProblem (record: TripRecord, from: string, agreed: TripAgreement): string | undefined {
  const h = record.header
  const q = agreed.quote
  if (agreed.driver !== from || h.driver !== from || h.rider !== agreed.rider) {
    return 'the record names other parties'
  }
  if (h.rideId !== agreed.rideId) {
    return 'the record names another ride'
  }
  if (h.fare !== q.price || h.currency !== q.currency) {
    return 'the record states another fare than the quote'
  }
  const accepted = record.events[0]
  if (accepted?.type !== 'accepted' || accepted.data.quoteId !== q.quoteId || accepted.data.price !== q.price) {
    return 'the record does not start with the accepted quote'
  }
  const last = record.events[record.events.length - 1]
  if (last?.type !== 'fare' || last.data.amount !== q.price) {
    return 'the record does not end with the agreed fare'
  }
  if (h.riderAddress != null && h.riderAddress !== agreed.riderAddress?.toLowerCase()) {
    return 'the record names another rider address'
  }
  if (agreed.driverAddress != null && h.driverAddress !== agreed.driverAddress.toLowerCase()) {
    return 'the record names another driver address than the quote\'s binding'
  }
  if (namesPayment(h)) {
    // a driver that takes no payment names none; one that does must name the rider's, and its total
    const terms = agreed.payment
    if (terms == null) {
      return 'the record names a payment this rider does not make'
    }
    if (h.channelId !== terms.channelId.toLowerCase() || h.amountPaid !== terms.amountPaid) {
      return `the record names another payment (${String(h.channelId)}: ${String(h.amountPaid)}) than ours (${terms.channelId}: ${terms.amountPaid})`
    }
  }
  return undefined
}
