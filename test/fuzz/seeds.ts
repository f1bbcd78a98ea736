/**
 * The hand-made corpus files: valid inputs of each target to start from, and the smallest input
 * of each defect the fuzzer found, marked with the defect (`findings.spec.ts` turns every marked
 * file into a test). `npm run fuzz -- --make-seeds` writes them again, e.g. after a wire format
 * changed; the inputs the fuzzer itself saved (`--save`) are left alone.
 */
import { EmbeddedEvm } from '../../settlement/index.js'
import { encodeChannelMessage, encodePayFrame } from '../../protocol/channel/index.js'
import { TripRecordPb, tripRecordToJSON, tripRecordToProto } from '../../protocol/index.js'
import { writeCorpusEntry } from './harness/corpus.js'
import { Prng } from './harness/prng.js'
import { WIRE } from './harness/proto-schema.js'
import { concatBytes, encodeVarint, makeField, paddedVarint, parseFields, serializeFields, type WireField } from './harness/wire.js'
import { buildSession, riderKeyOf, serializeSession, type PlanStep } from './targets/channel-steps.js'
import { channelDriver, sessionContext } from './targets/channel-serve.js'
import { EnvelopeFactory, serializeEnvelopeInput, type EnvelopeInput } from './targets/envelopes.js'
import { NOW, parties, validMessage } from './targets/messages.js'
import { MAX_LINE_BYTES, type LinesInput } from './targets/sim-control.js'
import { genuineRecords } from './targets/trip-records.js'
import type { RpcInput } from './targets/dev-chain.js'

/** One hand-made corpus file. */
export interface Seed { target: string, file: string, note: string, defect?: string, input: Uint8Array, textual?: boolean }

const text = (v: unknown): Uint8Array => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))

/** Issue 9's items, as the defects name them. */
const ISSUE = {
  malleable: 'issue 9, Malleable envelopes',
  canonical: 'issue 9, Malleable envelopes (accept only the canonical encoding)',
  final: 'issue 9, A rider can take back what it paid (critical)',
  strangers: 'issue 9, Strangers read channels',
  devChain: 'issue 9, The other doors: hitch chain',
  sim: 'issue 9, The other doors: the hitch sim coordinator',
  fuzz: 'issue 9, Fuzzing (found by the fuzzer; not named in the issue)'
}

function withField (fields: WireField[], number: number, f: (x: WireField) => WireField): WireField[] {
  return fields.map(x => x.number === number ? f(x) : x)
}

async function envelopeSeeds (): Promise<Seed[]> {
  const ps = parties('corpus')
  const factory = new EnvelopeFactory(ps)
  const rng = new Prng('corpus/envelopes')
  const signed = async (type: Parameters<typeof validMessage>[1]): Promise<Uint8Array> => await factory.sign(rng, ps[0], validMessage(rng, type, NOW, ps), NOW)
  // context 0: no topic cell (gossip), no remote peer (direct), so the seeds stand alone
  const input = (bytes: Uint8Array, signedAsIs: boolean, context = 0): Uint8Array => serializeEnvelopeInput({ now: NOW, context, signed: signedAsIs, bytes } satisfies EnvelopeInput)
  const request = await signed('ride-request')
  const fields = parseFields(request)!
  const prefix = fields.filter(f => f.number !== 7)
  const sig = fields.find(f => f.number === 7)!
  // a third party re-encodes the unsigned signature field: signed bytes unchanged, still opens
  const tagPadded = serializeFields([...prefix, { ...sig, tag: paddedVarint(0x3a, 1) }])
  const lenPadded = serializeFields([...prefix, { ...sig, len: paddedVarint(sig.value.length, 1) }])
  // a key holder signs non-canonical forms of the same message
  const duplicate = await factory.signPrefix(serializeFields([prefix[0], ...prefix]), ps[0])
  const payload = prefix.find(f => f.number === 3)!
  const body = withField(parseFields(payload.value)!, 4, f => ({ ...f, value: paddedVarint(1, 2) }))
  const paddedSeats = await factory.signPrefix(serializeFields(withField(prefix, 3, f => ({ ...f, value: serializeFields(body), len: encodeVarint(serializeFields(body).length) }))), ps[0])
  const accept = await signed('accept')
  const acceptFields = parseFields(accept)!
  const acceptTag = serializeFields([...acceptFields.slice(0, -1), { ...acceptFields.at(-1)!, tag: paddedVarint(0x3a, 2) }])
  return [
    { target: 'gossip', file: 'valid-ride-request.json', note: 'a valid ride request on the topic of its pickup cell', input: input(request, true) },
    { target: 'gossip', file: 'valid-vehicle-offer.json', note: 'a valid vehicle offer', input: input(await signed('vehicle-offer'), true) },
    { target: 'gossip', file: 'defect-malleable-signature-tag.json', note: 'a signed ride request whose signature field tag 0x3a is re-encoded as 0xba 0x00 by a third party: the signed bytes are unchanged, the envelope still opens', defect: `${ISSUE.malleable}: a non-minimal tag of the unsigned signature field`, input: input(tagPadded, false) },
    { target: 'gossip', file: 'defect-malleable-signature-length.json', note: 'the same with the signature length varint padded', defect: `${ISSUE.malleable}: a non-minimal length of the unsigned signature field`, input: input(lenPadded, false) },
    { target: 'gossip', file: 'defect-non-canonical-duplicate-field.json', note: 'a key holder signs an envelope with the version field twice', defect: `${ISSUE.canonical}: a duplicated field`, input: input(duplicate, true) },
    { target: 'gossip', file: 'defect-non-canonical-payload-varint.json', note: 'a key holder signs a ride request whose seats varint is padded (0x81 0x80 0x00)', defect: `${ISSUE.canonical}: a non-minimal varint in the body`, input: input(paddedSeats, true) },
    { target: 'direct', file: 'valid-accept.json', note: 'a valid accept on a direct stream from its signer', input: input(accept, true) },
    { target: 'direct', file: 'defect-malleable-signature-tag.json', note: 'a signed accept whose signature field tag is re-encoded by a third party', defect: `${ISSUE.malleable}: a non-minimal tag of the unsigned signature field (direct streams)`, input: input(acceptTag, false) }
  ]
}

function channelSeeds (): Seed[] {
  const id = new Uint8Array(32).fill(0x11)
  const sync = serializeFields([makeField(6, WIRE.LEN, serializeFields([makeField(1, WIRE.LEN, id)]))])
  const frame = (frameId: Uint8Array): Uint8Array => concatBytes([Uint8Array.of(0x08), frameId, serializeFields([makeField(2, WIRE.LEN, sync)])])
  const countersign = (nonce: Uint8Array): Uint8Array => serializeFields([makeField(2, WIRE.LEN, concatBytes([
    serializeFields([makeField(1, WIRE.LEN, id)]), Uint8Array.of(0x10), nonce, serializeFields([makeField(3, WIRE.LEN, new Uint8Array(65).fill(1))])
  ]))])
  const longReject = encodeChannelMessage({ type: 'reject', channelId: `0x${'11'.repeat(32)}`, nonce: 3n, code: 'stale', detail: 'x'.repeat(250) })
  return [
    { target: 'pay-frame', file: 'valid-sync-request.json', note: 'frame 7: a sync request', input: encodePayFrame({ id: 7n, message: { type: 'sync-request', channelId: `0x${'11'.repeat(32)}` } }) },
    { target: 'pay-frame', file: 'defect-uint64-encoder-frame-id.json', note: 'frame id 2^31: protons-runtime 7.1.2 writes uint64 values in [2^31, 2^32) as one byte and leaves the rest of the varint\'s room uninitialized (LongBits keeps lo as a signed int32)', defect: `${ISSUE.fuzz}: encodePayFrame corrupts ids in [2^31, 2^32) and leaks uninitialized memory`, input: frame(encodeVarint(2n ** 31n)) },
    { target: 'pay-frame', file: 'defect-non-minimal-frame-id.json', note: 'frame id 7 as a padded varint: decodes, re-encodes to other bytes', defect: `${ISSUE.fuzz}: decodePayFrame accepts non-canonical encodings`, input: frame(paddedVarint(7, 1)) },
    { target: 'channel-message', file: 'valid-sync-request.json', note: 'a sync request', input: sync },
    { target: 'channel-message', file: 'defect-uint64-encoder-nonce.json', note: 'a countersign of nonce 2^31 + 5: encodeChannelMessage writes it corrupt (protons-runtime uint64)', defect: `${ISSUE.fuzz}: encodeChannelMessage corrupts nonces in [2^31, 2^32)`, input: countersign(encodeVarint(2n ** 31n + 5n)) },
    { target: 'channel-message', file: 'defect-non-minimal-nonce.json', note: 'a countersign whose nonce 5 is a padded varint', defect: `${ISSUE.fuzz}: decodeChannelMessage accepts non-canonical encodings`, input: countersign(paddedVarint(5, 1)) },
    { target: 'channel-message', file: 'defect-lossy-reject-detail.json', note: 'a reject with a 250-character detail: decoding cuts it to 200, so the message does not re-encode to itself', defect: `${ISSUE.fuzz}: decodeChannelMessage changes what it decodes (detail cut to 200 characters)`, input: longReject }
  ]
}

async function tripRecordSeeds (): Promise<Seed[]> {
  const records = await genuineRecords()
  const pick = [records[0], records[3], records[4]]
  return pick.flatMap((r, i) => [
    { target: 'trip-record', file: `valid-record-${i}.json`, note: `a record both parties signed (${r.events.length} events)`, input: TripRecordPb.encode(tripRecordToProto(r)) },
    { target: 'trip-record-json', file: `valid-record-${i}.json`, note: `the JSON form of a record both parties signed (${r.events.length} events)`, input: text(tripRecordToJSON(r)), textual: true }
  ])
}

async function channelServeSeeds (): Promise<Seed[]> {
  const evm = await EmbeddedEvm.start({ challengePeriodS: 3600 })
  try {
    const chain = await evm.connect(channelDriver().ethPrivateKeyHex)
    const ctx = sessionContext(chain)
    const rng = new Prng('corpus/channel-serve')
    const base = { stranger: false, pipe: false, mutate: 0 }
    const pay: PlanStep = { ...base, kind: 'propose', nonce: 'next', pay: 'more', rest: 'exact', hash: 'same', sig: 'rider', channel: 'this' }
    const close: PlanStep = { ...base, kind: 'close', balances: 'latest', nonce: 'final', sig: 'rider', channel: 'this' }
    const session = async (n: number, plan: PlanStep[]): Promise<Uint8Array> => serializeSession(await buildSession(rng, riderKeyOf('corpus', n), 10n ** 16n, plan, ctx))
    const frameSession = await buildSession(rng, riderKeyOf('corpus', 5), 10n ** 16n, [pay, { ...base, kind: 'sync', channel: 'this', pipe: true }], ctx)
    // the sync request again, in a frame whose id is 2^31 (built by hand: the encoder corrupts it)
    const syncMessage = parseFields(frameSession.steps[1].bytes)!.find(f => f.number === 2)!
    frameSession.steps[1].bytes = concatBytes([Uint8Array.of(0x08), encodeVarint(2n ** 31n), serializeFields([syncMessage])])
    return [
      { target: 'channel-serve', file: 'valid-two-payments-and-close.json', note: 'a rider pays twice, then closes co-operatively', input: await session(0, [pay, pay, close]) },
      { target: 'channel-serve', file: 'valid-peer-follows-rider-signature.json', note: 'the rider pays from its peer id, then from another (a fresh peer id, as for every ride) and syncs from there: the channel follows the peer whose rider-signed proposal was countersigned (the oracle had called the second peer a stranger)', input: await session(4, [pay, { ...pay, stranger: true }, { ...base, kind: 'sync', channel: 'this', stranger: true, pipe: true }]) },
      { target: 'channel-serve', file: 'defect-signs-after-final.json', note: 'the rider pays, asks for the final state, then pays again: the driver countersigns after signing the final state', defect: `${ISSUE.final}: the driver signs states after a final state`, input: await session(1, [pay, close, pay]) },
      { target: 'channel-serve', file: 'defect-sync-to-stranger.json', note: 'the rider pays; a stranger asks for the channel\'s latest state', defect: `${ISSUE.strangers}: a sync request from a stranger gets the latest co-signed state`, input: await session(2, [pay, { ...base, kind: 'sync', channel: 'this', stranger: true }]) },
      { target: 'channel-serve', file: 'defect-reject-to-stranger.json', note: 'the rider pays; a stranger sends a close request with other balances, signed by itself: the reject carries the latest co-signed state', defect: `${ISSUE.strangers}: a close request from a stranger is rejected with the latest co-signed state`, input: await session(3, [pay, { ...close, balances: 'off', sig: 'stranger', stranger: true }]) },
      { target: 'channel-serve', file: 'defect-frame-id-encoder.json', note: 'on the pay stream, a frame with id 2^31: the driver\'s answer carries a corrupt id (protons-runtime uint64)', defect: `${ISSUE.fuzz}: answers to frame ids in [2^31, 2^32) are corrupt`, input: serializeSession(frameSession) }
    ]
  } finally {
    await evm.stop()
  }
}

function rpc (method: string, params: unknown[], extra: Partial<RpcInput['requests'][number]> = {}): Uint8Array {
  return text({ requests: [{ method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), ...extra }] } satisfies RpcInput)
}

function lines (input: LinesInput): Uint8Array {
  return text(input)
}

function processSeeds (): Seed[] {
  return [
    { target: 'dev-chain', file: 'valid-chain-id.json', note: 'eth_chainId', input: rpc('eth_chainId', []), textual: true },
    { target: 'dev-chain', file: 'defect-increase-time-aborts.json', note: 'evm_increaseTime by 2^63 s: EDR panics (increment too large) and the process aborts', defect: `${ISSUE.devChain}: evm_increaseTime with a huge value aborts the process`, input: rpc('evm_increaseTime', [2 ** 63]), textual: true },
    { target: 'dev-chain', file: 'defect-test-method-served.json', note: 'evm_snapshot from anyone', defect: `${ISSUE.devChain}: test methods (evm_*, hardhat_*) are served without a token`, input: rpc('evm_snapshot', []), textual: true },
    { target: 'dev-chain', file: 'defect-cross-origin.json', note: 'hitch_info posted as text/plain from a web page\'s origin', defect: `${ISSUE.devChain}: a cross-origin request is served`, input: rpc('hitch_info', [], { origin: 'https://evil.example', type: 'text/plain' }), textual: true },
    { target: 'dev-chain', file: 'valid-batch-shared-id.json', note: 'a batch of hardhat_setCode and hitch_info, both with id null: the one result is hitch_info\'s (the oracle put it down to hardhat_setCode)', input: text({ requests: [{ method: 'POST', body: JSON.stringify([{ jsonrpc: '2.0', id: null, method: 'hardhat_setCode', params: ['0x' + '11'.repeat(20), '0x1234'] }, { jsonrpc: '2.0', id: null, method: 'hitch_info', params: [] }]) }] } satisfies RpcInput), textual: true },
    { target: 'dev-chain', file: 'valid-options-with-body.json', note: 'OPTIONS with a 200 kB body: refused with 405 (the oracle sent it without Content-Length, which Node does not add for OPTIONS, GET and PUT bodies, so the server saw bytes after a request that asked to close, refused them as a parse error, and the client saw a reset)', input: text({ requests: [{ method: 'OPTIONS', body: '['.repeat(200_000) }] } satisfies RpcInput), textual: true },
    { target: 'sim-control', file: 'defect-null-line-crashes.json', note: 'a would-be worker sends the line null before any hello', defect: `${ISSUE.sim}: a worker line of null crashes the coordinator before authentication`, input: lines({ chunks: [{ text: 'null\n' }], end: false }), textual: true },
    { target: 'sim-control', file: 'defect-long-line-buffered.json', note: `a line of ${MAX_LINE_BYTES + 1024 * 1024} bytes without a newline`, defect: `${ISSUE.sim}: a line without a newline grows the coordinator's memory without bound`, input: lines({ chunks: [{ fill: ['a', MAX_LINE_BYTES + 1024 * 1024] }], end: false }), textual: true },
    { target: 'sim-control-parser', file: 'valid-status.json', note: 'a status line', input: lines({ chunks: [{ text: '{"type":"status","status":{"simS":1,"riders":1,"finished":0,"served":0,"cancelled":0,"idle":false,"nodes":1,"connections":{"driver":0,"rider":0}}}\n' }], end: false }), textual: true },
    { target: 'sim-control-parser', file: 'defect-null-wedges-channel.json', note: 'the line null, then a message: next() skips the queued null and never returns the message behind it', defect: `${ISSUE.sim}: a null line wedges the control channel`, input: lines({ chunks: [{ text: 'null\n' }], end: false }), textual: true },
    { target: 'sim-control-parser', file: 'defect-delivers-non-protocol.json', note: 'a hello without version, token, pid or hostname is delivered as is', defect: `${ISSUE.sim}: the control channel delivers messages that are not of the protocol (no schema)`, input: lines({ chunks: [{ text: '{"type":"hello"}\n' }], end: false }), textual: true },
    { target: 'sim-control-parser', file: 'defect-long-line-buffered.json', note: `a line of ${MAX_LINE_BYTES + 1024 * 1024} bytes without a newline`, defect: `${ISSUE.sim}: the control channel buffers a line without bound`, input: lines({ chunks: [{ fill: ['a', MAX_LINE_BYTES + 1024 * 1024] }], end: false }), textual: true }
  ]
}

/** Every hand-made seed. */
export async function buildSeeds (): Promise<Seed[]> {
  return [...await envelopeSeeds(), ...channelSeeds(), ...await tripRecordSeeds(), ...await channelServeSeeds(), ...processSeeds()]
}

/** Writes the hand-made seeds into `test/fuzz/corpus/`; returns the paths. */
export async function writeSeeds (): Promise<string[]> {
  return (await buildSeeds()).map(s => writeCorpusEntry(s.target, s.file, { note: s.note, ...(s.defect != null ? { defect: s.defect } : {}), input: s.input, textual: s.textual }))
}

