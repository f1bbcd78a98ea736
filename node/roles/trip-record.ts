/**
 * The trip record both roles keep of a ride: the driver starts it when a committed ride's
 * exact points fit, signs it at the dropoff and sends it; the rider checks it against the quote
 * it accepted, countersigns it and answers with it; each side stores the doubly signed copy.
 */
import {
  appendTripEvent, createTripRecord, namesPayment, recordHash, signRecord, toHex, tripRecordFromJSON, tripRecordFromProto, tripRecordProblem,
  tripRecordToJSON, tripRecordToProto, verifyTripRecord
} from '../../protocol/index.js'
import { BadTripRecordError } from './errors.js'
import type { PaymentTerms, RideInfo } from './types.js'
import type { HitchNode } from '../hitch-node.js'
import type { HeaderBinding, HitchMessage, IdentityBinding, OpenedEnvelope, Quote, TripAgreement, TripRecord, TripRecordJSON } from '../../protocol/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Tries to exchange the trip record with the rider before giving up. */
const RECORD_ATTEMPTS = 3
/** Clock ms before the second try of the record exchange (then twice that). */
const RECORD_RETRY_MS = 1_000

/**
 * The trip record a driver starts when a committed ride's exact points fit its plan: the two
 * peer ids, the driver's address, the rider's address as its identity binding named it (none
 * without one), the two bindings (so a third party can check both addresses from the record
 * alone), the fare, and the accepted quote as its first event.
 */
export function startRecord (info: RideInfo, driverAddress: string, now: number, bindings: { driver?: IdentityBinding, rider?: IdentityBinding } = {}): TripRecord {
  const held = (b: IdentityBinding): HeaderBinding => ({ issuedAt: b.issuedAt, signature: b.signature })
  return appendTripEvent(createTripRecord({
    rideId: info.requestId,
    driver: info.driver,
    rider: info.rider,
    driverAddress: driverAddress.toLowerCase(),
    ...(bindings.driver != null ? { driverBinding: held(bindings.driver) } : {}),
    ...(info.riderAddress != null ? { riderAddress: info.riderAddress } : {}),
    ...(info.riderAddress != null && bindings.rider != null ? { riderBinding: held(bindings.rider) } : {}),
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

/** A completed ride as one side stores it beside its record. */
export interface CompletedRide {
  /** the ride's id on this side (the driver's ride key, the rider's request id) */
  id: string
  role: 'driver' | 'rider'
  /** the other party's peer id */
  counterparty: string
  price: string
  currency: string
}

/**
 * Stores a doubly signed record under the ride's id, and the ride as completed (created when
 * the record's first event happened). Both roles end a ride with it.
 */
export async function storeRecord (node: Pick<HitchNode, 'store' | 'clock'>, ride: CompletedRide, record: TripRecord): Promise<TripRecordJSON> {
  const json = tripRecordToJSON(record)
  await node.store.rides.putTrip({ id: ride.id, ...json })
  const now = Math.floor(node.clock.now())
  await node.store.rides.putRide({
    id: ride.id, role: ride.role, counterparty: ride.counterparty, status: 'completed',
    createdAt: record.events[0]?.time ?? now, updatedAt: now, price: ride.price, currency: ride.currency
  })
  return json
}

// ---- the driver's side ------------------------------------------------------------------

/** What the driver's side of the exchange uses. */
export interface RecordSender {
  node: Pick<HitchNode, 'peerKey' | 'send' | 'store' | 'clock'>
  log: Logger
  /** options of each send to the rider */
  sendOptions: AbortOptions & { timeoutMs?: number }
  /** aborted when the driver stops: ends the wait before another try */
  signal: () => AbortSignal
  /** whether the driver still runs: a send that failed is not tried again once it stopped */
  running: () => boolean
}

/**
 * The driver's side at the dropoff: signs the record (with the payment terms, when the ride is
 * paid), has the rider countersign it, verifies and stores it. `key` is the ride key: another
 * rider naming the same request id cannot overwrite the record.
 */
export async function exchangeRecord (sender: RecordSender, key: string, info: RideInfo, record: TripRecord, terms?: PaymentTerms): Promise<TripRecordJSON> {
  const unsigned = terms != null ? withPaymentTerms(record, terms) : record
  // the rider signs only a record of the ride it agreed to: the same check, before signing
  const problem = tripRecordProblem(unsigned, info.driver, agreementOf(info, terms))
  if (problem != null) {
    throw new BadTripRecordError(`the record to sign is not the agreed ride: ${problem}`)
  }
  const signed = await signRecord(unsigned, sender.node.peerKey, 'driver')
  const answer = await sendRecord(sender, info.rider, signed)
  if (answer?.message.type !== 'trip-record') {
    throw new BadTripRecordError('the rider did not return the countersigned record')
  }
  const both = tripRecordFromProto(answer.message.body)
  const check = await verifyTripRecord(both)
  if (!check.ok || !equalBytes(check.hash, recordHash(signed))) {
    throw new BadTripRecordError(`the countersigned record does not verify: ${check.ok ? 'other events' : check.problems.map(p => p.code).join(', ')}`)
  }
  return await storeRecord(sender.node, { id: key, role: 'driver', counterparty: info.rider, price: info.price, currency: info.currency }, both)
}

/**
 * Sends the signed record to the rider, again when the exchange fails on the way (the rider
 * answers a repeat with the copy it countersigned), up to {@link RECORD_ATTEMPTS} times.
 */
async function sendRecord (sender: RecordSender, rider: string, signed: TripRecord): Promise<OpenedEnvelope | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const answer = await sender.node.send(rider, { type: 'trip-record', body: tripRecordToProto(signed) }, sender.sendOptions)
      if (answer != null || attempt >= RECORD_ATTEMPTS) return answer
    } catch (err) {
      if (attempt >= RECORD_ATTEMPTS || !sender.running()) throw err
      sender.log('sending the trip record to %s failed (attempt %d) - %e', rider, attempt, err)
    }
    await sender.node.clock.sleep(RECORD_RETRY_MS * attempt, { signal: sender.signal() })
  }
}

// ---- the rider's side -------------------------------------------------------------------

/** The ride as the driver agreed to it (its ride info and the payment it asks for), as a record must state it. */
export function agreementOf (info: RideInfo, terms?: PaymentTerms): TripAgreement {
  return {
    rideId: info.requestId,
    driver: info.driver,
    rider: info.rider,
    ...(info.riderAddress != null ? { riderAddress: info.riderAddress } : {}),
    quote: { quoteId: info.quoteId, price: info.price, currency: info.currency },
    ...(terms != null ? { payment: terms } : {})
  }
}

/** The ride the rider agreed to, which the record the driver asks it to sign must state. */
export interface AgreedRide extends Omit<TripAgreement, 'payment' | 'quote'> {
  /** the rider's payment address */
  riderAddress: string
  /** the quote the rider accepted */
  quote: Quote
  /** the payment the rider makes for the ride, asked only when the record names one */
  terms: () => Promise<PaymentTerms | undefined>
}

/**
 * What is wrong with a record the driver (`from`) asks us to sign, or undefined: the agreement
 * (`tripRecordProblem`), then the chain and the driver's signature.
 */
export async function recordProblem (record: TripRecord, from: string, agreed: AgreedRide): Promise<string | undefined> {
  const { terms, ...agreement } = agreed
  const payment = namesPayment(record.header) ? await terms() : undefined
  const problem = tripRecordProblem(record, from, { ...agreement, ...(payment != null ? { payment } : {}) })
  if (problem != null) {
    return problem
  }
  const check = await verifyTripRecord(record)
  if (!check.ok && check.problems.some(p => p.code !== 'missing-rider-signature')) {
    return `the record does not verify: ${check.problems.map(p => p.code).join(', ')}`
  }
  return undefined
}

/**
 * Countersigns a record that {@link recordProblem} found nothing wrong with, and stores it
 * under the request id; undefined when the signed record does not verify.
 */
export async function countersignRecord (
  node: Pick<HitchNode, 'peerKey' | 'store' | 'clock'>, requestId: string, from: string, record: TripRecord, quote: Quote
): Promise<{ signed: TripRecord, json: TripRecordJSON } | undefined> {
  const signed = await signRecord(record, node.peerKey, 'rider')
  const check = await verifyTripRecord(signed)
  if (!check.ok) {
    return undefined
  }
  const json = await storeRecord(node, { id: requestId, role: 'rider', counterparty: from, price: quote.price, currency: quote.currency }, signed)
  return { signed, json }
}

/**
 * The driver sent a record we already countersigned (our answer was lost on the way back):
 * answer again with the stored copy, when it is the same record from the same driver.
 */
export async function answerAgain (node: Pick<HitchNode, 'store'>, from: string, record: TripRecord): Promise<HitchMessage | undefined> {
  if (record.header.driver !== from) return undefined
  let stored: TripRecord
  try {
    const json = await node.store.rides.getTrip(record.header.rideId)
    if (json == null) return undefined
    const { id: _id, ...rest } = json
    stored = tripRecordFromJSON(rest)
  } catch {
    return undefined
  }
  // the same record to the byte: header, events and the driver's signature (the record hash
  // alone does not cover a header that no longer links to the events)
  const same = (r: TripRecord): string => {
    const { header, events } = tripRecordToJSON(r)
    return JSON.stringify({ header, events, driver: r.driverSignature != null ? toHex(r.driverSignature) : '' })
  }
  if (same(stored) !== same(record)) return undefined
  return { type: 'trip-record', body: tripRecordToProto(stored) }
}
