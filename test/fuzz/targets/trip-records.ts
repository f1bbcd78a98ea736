/**
 * Trip records, in both forms a peer or a user hands in: the protobuf a peer sends
 * (`TripRecord.decode` then `tripRecordFromProto`) and the JSON `hitch receipt verify` reads
 * (`JSON.parse` then `tripRecordFromJSON`), each followed by `verifyTripRecord`.
 *
 * Oracle: parsing throws only `TripRecordError` (the protobuf decoder's own errors stand for a
 * refused encoding, as the envelope layer maps them); verifying never throws; and a record that
 * verifies is, in everything its signatures cover (header, events) and in its signatures, one
 * that the driver and the rider really signed: the fuzzer signed a set of records and any other
 * record that verifies was altered undetected.
 */
import { createHash } from 'node:crypto'
import {
  TripRecordError, TripRecordPb, appendTripEvent, createTripRecord, signRecord, tripRecordFromJSON,
  tripRecordFromProto, tripRecordToJSON, tripRecordToProto, verifyTripRecord, type TripRecord
} from '../../../protocol/index.js'
import { mutateJsonText } from '../harness/json-mutators.js'
import { mutate, mutateBytes } from '../harness/mutators.js'
import { loadHitchSchema } from '../harness/proto-schema.js'
import { Finding, refused, type FuzzTarget, type TargetRun } from '../harness/target.js'
import { Prng } from '../harness/prng.js'
import { NOW, parties } from './messages.js'

const enc = new TextEncoder()
/** The seed of the genuine records' keys and contents. */
const GENUINE = 'hitch-fuzz/trip-records'
const dec = new TextDecoder()

/** The signed parts and signatures of a record, in one comparable string. */
function signedParts (record: TripRecord): string {
  const json = tripRecordToJSON(record)
  return JSON.stringify({ header: json.header, events: json.events, signatures: json.signatures })
}

/**
 * A set of records really signed by both parties (the fuzzer holds their keys). The same for
 * every run, so that a corpus file of a genuine record is genuine whatever the run's seed.
 */
export async function genuineRecords (n = 12): Promise<TripRecord[]> {
  const [driver, rider] = parties(GENUINE)
  const rng = new Prng(`${GENUINE}/trip-records`)
  const out: TripRecord[] = []
  for (let r = 0; r < n; r++) {
    let record = createTripRecord({
      rideId: `ride-${r}`,
      driver: driver.peerId,
      rider: rider.peerId,
      fare: String(rng.int(100_000)),
      currency: 'wei',
      ...(r % 3 === 0 ? { driverAddress: '0x' + 'ab'.repeat(20), riderAddress: '0x' + 'cd'.repeat(20), channelId: '0x' + '12'.repeat(32), amountPaid: String(rng.int(1_000_000)) } : {})
    })
    let t = NOW
    const events = r % 5
    for (let i = 0; i < events; i++) {
      t += rng.int(30_000)
      const lat = 52.5 + rng.float() / 10
      const lon = 13.4 + rng.float() / 10
      record = appendTripEvent(record, i === 0
        ? { type: 'accepted', time: t, quoteId: `q-${r}`, price: record.header.fare }
        : i === 1 ? { type: 'picked-up', time: t, lat, lon }
          : i === events - 1 && i > 2 ? { type: 'fare', time: t, amount: record.header.fare }
            : { type: 'position', time: t, lat, lon, distanceM: i * 250 })
    }
    record = await signRecord(record, driver.key, 'driver')
    record = await signRecord(record, rider.key, 'rider')
    if (r % 4 === 1) record = { ...record, closeTxHash: '0x' + 'ef'.repeat(32) }
    out.push(record)
  }
  return out
}

/** Judges a parsed record: verification must not throw, and what verifies must be genuine. */
async function judge (record: TripRecord, genuine: Map<string, string>, form: string): Promise<string> {
  let verdict: Awaited<ReturnType<typeof verifyTripRecord>>
  try {
    verdict = await verifyTripRecord(record)
  } catch (err) {
    throw new Finding('crash', `verifyTripRecord threw (${(err as Error)?.name})`, String((err as Error)?.message ?? err), { cause: err })
  }
  if (!verdict.ok) return `${form}:problem:${verdict.problems[0].code}`
  const expected = genuine.get(Buffer.from(verdict.hash).toString('hex'))
  if (expected == null) throw refused(`trip record (${form}): verifies but nobody signed it`, 'a record that neither party signed verifies')
  if (signedParts(record) !== expected) {
    throw refused(`trip record (${form}): altered signed parts still verify`, `verifies with the hash of a signed record, but its header, events or signatures differ: ${signedParts(record).slice(0, 300)}`)
  }
  return `${form}:verified`
}

function parseError (err: unknown, form: string): string {
  if (err instanceof TripRecordError) return `${form}:refused:${err.code}`
  throw err
}

async function setupGenuine (): Promise<{ records: TripRecord[], genuine: Map<string, string> }> {
  const records = await genuineRecords()
  const genuine = new Map<string, string>()
  for (const r of records) {
    const v = await verifyTripRecord(r)
    if (!v.ok) throw new Error(`a genuine record does not verify: ${v.problems[0].code}`)
    genuine.set(Buffer.from(v.hash).toString('hex'), signedParts(r))
  }
  return { records, genuine }
}

/** The protobuf form, as a peer sends it inside an envelope. */
export const tripRecordProtoTarget: FuzzTarget<Uint8Array> = {
  name: 'trip-record',
  description: 'TripRecord.decode + tripRecordFromProto + verifyTripRecord: only TripRecordError; what verifies is byte-identical in its signed parts to a record both signed',
  cheap: true,
  timeoutMs: 5_000,
  async setup (): Promise<TargetRun<Uint8Array>> {
    const { records, genuine } = await setupGenuine()
    const schema = loadHitchSchema()
    return {
      seeds: records.map(r => TripRecordPb.encode(tripRecordToProto(r))),
      generate: (rng, pool) => mutate(rng.pick(pool.items), { rng, pool: pool.items, schema, message: 'TripRecord' }),
      execute: async bytes => {
        let pb: TripRecordPb
        try {
          pb = TripRecordPb.decode(bytes)
        } catch {
          return 'proto:undecodable'
        }
        let record: TripRecord
        try {
          record = tripRecordFromProto(pb)
        } catch (err) {
          return parseError(err, 'proto')
        }
        return await judge(record, genuine, 'proto')
      },
      serialize: b => b,
      deserialize: b => b,
      stateless: true,
      close: async () => {}
    }
  }
}

/** The JSON form `hitch receipt verify FILE` reads. */
export const tripRecordJsonTarget: FuzzTarget<Uint8Array> = {
  name: 'trip-record-json',
  description: 'JSON.parse + tripRecordFromJSON + verifyTripRecord (hitch receipt verify): only TripRecordError; what verifies is identical in its signed parts to a record both signed',
  cheap: true,
  textual: true,
  timeoutMs: 5_000,
  async setup (): Promise<TargetRun<Uint8Array>> {
    const { records, genuine } = await setupGenuine()
    const pool = records.map(r => enc.encode(JSON.stringify(tripRecordToJSON(r))))
    const digest = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
    const known = new Set(pool.map(digest))
    return {
      seeds: pool,
      generate: (rng, p) => {
        const base = dec.decode(rng.pick(p.items))
        const text = mutateJsonText(rng, base, b => mutateBytes(b, { rng, pool: p.items }))
        return enc.encode(text)
      },
      execute: async bytes => {
        let json: unknown
        try {
          json = JSON.parse(dec.decode(bytes))
        } catch {
          return 'json:not-json'
        }
        let record: TripRecord
        try {
          record = tripRecordFromJSON(json)
        } catch (err) {
          return parseError(err, 'json')
        }
        const outcome = await judge(record, genuine, 'json')
        return outcome === 'json:verified' && !known.has(digest(bytes)) ? 'json:verified-other-text' : outcome
      },
      serialize: b => b,
      deserialize: b => b,
      stateless: true,
      close: async () => {}
    }
  }
}
