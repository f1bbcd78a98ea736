/**
 * Signing a trip record for one party, and verifying a record: its chain, its order, its
 * claimed hash and both parties' signatures over the final hash.
 */
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { TripRecordError } from './errors.js'
import { ANY_RIDE, BindingError, checkBinding } from './negotiation/binding.js'
import { checkTripRecord } from './trip-record-checks.js'
import { eventHash, headerHash, recordHash } from './trip-record-encoding.js'
import type { TripRecord, TripRecordProblem, TripRecordVerification, TripRole } from './trip-record-types.js'
import type { PrivateKey } from '@libp2p/interface'

const SIGNATURE_DOMAIN = uint8ArrayFromString('hitch/trip-record/1\n')

/**
 * Signs the record hash for `role`. The key must be the one whose peer id the header names
 * for that role.
 *
 * @throws {TripRecordError} `wrong-key`
 */
export async function signRecord (record: TripRecord, key: PrivateKey, role: TripRole): Promise<TripRecord> {
  checkTripRecord(record)
  if (peerIdFromPrivateKey(key).toString() !== record.header[role]) {
    throw new TripRecordError('wrong-key', `the key is not the ${role}'s`)
  }
  const signature = await key.sign(uint8ArrayConcat([SIGNATURE_DOMAIN, recordHash(record)]))
  const signed: TripRecord = { ...record }
  delete signed.hash
  if (role === 'driver') {
    signed.driverSignature = signature
  } else {
    signed.riderSignature = signature
  }
  return signed
}

async function checkRoleSignature (record: TripRecord, role: TripRole, hash: Uint8Array, problems: TripRecordProblem[]): Promise<void> {
  const signature = role === 'driver' ? record.driverSignature : record.riderSignature
  if (signature == null) {
    problems.push({ code: `missing-${role}-signature`, message: `no ${role} signature` })
    return
  }
  let ok = false
  try {
    const publicKey = peerIdFromString(record.header[role]).publicKey
    ok = publicKey != null && await publicKey.verify(uint8ArrayConcat([SIGNATURE_DOMAIN, hash]), signature)
  } catch {}
  if (!ok) {
    problems.push({ code: `bad-${role}-signature`, message: `the ${role} signature does not verify` })
  }
}

/**
 * Checks that the header's address of `role` is bound to its peer id: by the binding the header
 * carries, issued within a binding's lifetime before the ride was accepted (its first event). A
 * record of an earlier version, whose peer id is a secp256k1 key, may name an address without
 * one.
 */
async function checkRoleBinding (record: TripRecord, role: TripRole, problems: TripRecordProblem[]): Promise<void> {
  const h = record.header
  const address = role === 'driver' ? h.driverAddress : h.riderAddress
  const binding = role === 'driver' ? h.driverBinding : h.riderBinding
  const peerId = h[role]
  if (address == null) return
  if (binding == null) {
    if (peerIdFromString(peerId).type !== 'secp256k1') {
      problems.push({ code: `bad-${role}-binding`, message: `the ${role}'s address is not bound to its peer id (no binding)` })
    }
    return
  }
  const requestId = role === 'rider' ? h.rideId : ANY_RIDE
  try {
    await checkBinding({ peerId, address, requestId, issuedAt: binding.issuedAt, signature: binding.signature as Uint8Array<ArrayBuffer> }, { peerId, requestId, now: record.events[0]?.time ?? binding.issuedAt })
  } catch (err: any) {
    if (!(err instanceof BindingError)) throw err
    problems.push({ code: `bad-${role}-binding`, message: `the ${role}'s binding does not hold: ${err.message}` })
  }
}

/**
 * Checks a record: every field well formed, each event's `seq` and link to the one before,
 * time order, the fare last, the claimed hash (if parsed from JSON), and both signatures over
 * the final hash, and the bindings of the addresses it names to the peer ids. Names every
 * problem found. `closeTxHash` is not signed and not checked here.
 */
export async function verifyTripRecord (record: TripRecord): Promise<TripRecordVerification> {
  try {
    checkTripRecord(record)
  } catch (err: any) {
    return { ok: false, problems: [{ code: 'malformed', message: String(err?.message ?? err) }] }
  }
  const problems: TripRecordProblem[] = []
  let prev = headerHash(record.header)
  record.events.forEach((event, i) => {
    if (event.seq !== i) {
      problems.push({ code: 'bad-seq', message: `event ${i} has seq ${event.seq}`, event: i })
    }
    if (!uint8ArrayEquals(event.prevHash, prev)) {
      problems.push({ code: 'bad-chain-link', message: `event ${i} does not link to ${i === 0 ? 'the header' : `event ${i - 1}`}`, event: i })
    }
    const before = record.events[i - 1]
    if (before != null && event.time < before.time) {
      problems.push({ code: 'bad-event-order', message: `event ${i} is earlier than event ${i - 1}`, event: i })
    }
    if (event.type === 'fare' && i !== record.events.length - 1) {
      problems.push({ code: 'bad-event-order', message: `event ${i} is a fare but not the last event`, event: i })
    }
    prev = eventHash(event)
  })
  const hash = prev
  if (record.hash != null && !uint8ArrayEquals(record.hash, hash)) {
    problems.push({ code: 'bad-record-hash', message: 'the stated hash is not the hash of the events' })
  }
  await checkRoleSignature(record, 'driver', hash, problems)
  await checkRoleSignature(record, 'rider', hash, problems)
  await checkRoleBinding(record, 'driver', problems)
  await checkRoleBinding(record, 'rider', problems)
  return problems.length === 0 ? { ok: true, hash } : { ok: false, problems }
}
