/**
 * The types and limits of a trip record: the hash-chained log of one ride that both parties
 * sign. `trip-record.ts` is the record's entry and re-exports these.
 */

/** The trip record format version. */
export const TRIP_RECORD_VERSION = 1
/** Most events a record may hold (a position every few seconds of a long trip). */
export const MAX_TRIP_EVENTS = 4096

/** Length of an identity binding's signature (r || s || v), in a message or a record header. */
export const BINDING_SIGNATURE_BYTES = 65

/** The two parties of a trip. */
export type TripRole = 'driver' | 'rider'

/** Event kinds, in the order a trip produces them. */
export type TripEventType = 'accepted' | 'picked-up' | 'position' | 'dropped-off' | 'fare'

/** A point in integer 1e-7 degrees (one exact form, so hashes and JSON agree). */
export interface PointE7 {
  latE7: number
  lonE7: number
}

/** The kind-specific part of an event. */
export type TripEventBody =
  | { type: 'accepted', data: { quoteId: string, price: string } }
  | { type: 'picked-up', data: PointE7 }
  | { type: 'position', data: PointE7 & { distanceM: number } }
  | { type: 'dropped-off', data: PointE7 & { distanceM: number } }
  | { type: 'fare', data: { amount: string } }

/** One event of the hash chain: `prevHash` is the hash of the previous event (of the header for seq 0). */
export type TripEvent = TripEventBody & {
  seq: number
  /** ms since the epoch */
  time: number
  prevHash: Uint8Array
}

/** What both parties agree on before the first event. */
export interface TripHeader {
  version: number
  rideId: string
  /** the driver's peer id (Ed25519; secp256k1 in records of earlier versions) */
  driver: string
  /** the rider's peer id (Ed25519; secp256k1 in records of earlier versions) */
  rider: string
  /** lower-case 0x Ethereum address */
  driverAddress?: string
  riderAddress?: string
  /**
   * The driver's identity binding of `driver` to `driverAddress` (for every ride), as its
   * quote carried it: what a third party checks the address by. Absent in earlier records.
   */
  driverBinding?: HeaderBinding
  /** The rider's identity binding of `rider` to `riderAddress` for the ride `rideId`. */
  riderBinding?: HeaderBinding
  /** the agreed fare, decimal string of `currency` units */
  fare: string
  currency: string
  /** payment: the channel that paid (0x + 64 hex) */
  channelId?: string
  /** payment: the amount the final channel state paid */
  amountPaid?: string
}

/**
 * An identity binding as a record header holds it: the rest of what it signs (peer id,
 * address, ride) is the header's.
 */
export interface HeaderBinding {
  /** ms since the epoch, the signer's clock */
  issuedAt: number
  /** r || s || v, 65 bytes (EIP-191, by the address) */
  signature: Uint8Array
}

/** A trip record. Immutable in use: the functions below return new records. */
export interface TripRecord {
  header: TripHeader
  events: TripEvent[]
  /** the driver's peer key's signature over the record hash (Ed25519; DER secp256k1 in earlier records) */
  driverSignature?: Uint8Array
  riderSignature?: Uint8Array
  /**
   * Payment: the transaction that closed the channel (0x + 64 hex). NOT signed: it exists only
   * after the close, whose calldata carries the record hash; check it against the chain.
   */
  closeTxHash?: string
  /** the record hash as claimed by a parsed JSON form; verification checks it */
  hash?: Uint8Array
}

/** An event to append; points in degrees, converted to 1e-7 degrees. */
export type TripEventInput =
  | { type: 'accepted', time: number, quoteId: string, price: string }
  | { type: 'picked-up', time: number, lat: number, lon: number }
  | { type: 'position', time: number, lat: number, lon: number, distanceM: number }
  | { type: 'dropped-off', time: number, lat: number, lon: number, distanceM: number }
  | { type: 'fare', time: number, amount: string }

/** Codes of {@link TripRecordProblem}. */
export type TripRecordProblemCode =
  | 'malformed'
  | 'bad-seq'
  | 'bad-chain-link'
  | 'bad-event-order'
  | 'bad-record-hash'
  | 'missing-driver-signature'
  | 'missing-rider-signature'
  | 'bad-driver-signature'
  | 'bad-rider-signature'
  /** the driver's binding does not bind its peer id to its address, or it is missing where the peer id does not embed the address */
  | 'bad-driver-binding'
  | 'bad-rider-binding'

/** One thing wrong with a record. */
export interface TripRecordProblem {
  code: TripRecordProblemCode
  message: string
  /** the event it concerns, by index */
  event?: number
}

/** The result of {@link verifyTripRecord}. */
export type TripRecordVerification = { ok: true, hash: Uint8Array } | { ok: false, problems: TripRecordProblem[] }
