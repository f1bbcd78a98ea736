/**
 * The fuzzer's own test: every kind of finding a planted defect hides is reported, with its
 * input, and the run carries on; a seed gives the same run twice; the protobuf tools read the
 * project's `.proto` files and tell canonical encodings from the others.
 */
import { expect } from 'chai'
import { Envelope } from '../../protocol/pb/messages.js'
import { runTarget, type TargetReport } from './harness/runner.js'
import { loadHitchSchema, WIRE } from './harness/proto-schema.js'
import { canonicalProblem, concatBytes, fromHex, paddedVarint, parseFields, serializeFields } from './harness/wire.js'
import { PLANTED } from './planted-targets.js'
import { served } from './targets/dev-chain.js'

const MODULE = new URL('./planted-targets.js', import.meta.url).href

async function run (target: string, inputs: number, extra: { heapMb?: number, blockedMs?: number, seed?: string } = {}): Promise<TargetReport> {
  return await runTarget({ target, module: MODULE, seed: extra.seed ?? 'self-test', inputs, corpus: false, ...extra })
}

describe('fuzz harness', function () {
  this.timeout(120_000)

  for (const [kind, target, byte] of [
    ['crash', 'planted-crash', PLANTED.crash],
    ['hang', 'planted-wait', PLANTED.wait],
    ['refuse', 'planted-refuse', PLANTED.refuse]
  ] as const) {
    it(`reports a planted ${kind} once, with its input, and runs every input`, async () => {
      const report = await run(target, 600)
      expect(report.inputs).to.equal(600)
      expect(report.findings).to.have.length(1)
      const f = report.findings[0]
      expect(f.kind).to.equal(kind)
      expect(fromHex(f.input)[0]).to.equal(byte)
      expect(f.count).to.be.greaterThan(1)
      expect(report.outcomes[`finding:${kind}`]).to.equal(f.count)
    })
  }

  it('stops an input that blocks the event loop, reports it as a hang, and goes on with a fresh worker', async () => {
    const report = await run('planted-block', 200, { blockedMs: 1_000, seed: 'watchdog' })
    expect(report.restarts).to.be.greaterThan(0)
    const f = report.findings.find(x => x.key.startsWith('hang (blocked'))
    expect(f?.kind).to.equal('hang')
    expect(fromHex(f!.input)[0]).to.equal(PLANTED.block)
    expect(report.inputs).to.equal(200)
  })

  it('reports an input that exhausts the heap as a crash and goes on', async () => {
    const report = await run('planted-oom', 200, { heapMb: 48 })
    const f = report.findings.find(x => x.kind === 'crash')
    expect(f?.key).to.match(/^worker died/)
    expect(fromHex(f!.input)[0]).to.equal(PLANTED.oom)
    expect(report.inputs).to.equal(200)
  })

  it('gives the same inputs and outcomes for the same seed', async () => {
    const a = await run('planted-refuse', 400, { seed: 'same' })
    const b = await run('planted-refuse', 400, { seed: 'same' })
    const c = await run('planted-refuse', 400, { seed: 'other' })
    expect(b.outcomes).to.deep.equal(a.outcomes)
    expect(b.findings.map(f => [f.index, f.input])).to.deep.equal(a.findings.map(f => [f.index, f.input]))
    expect(c.outcomes).to.not.deep.equal(a.outcomes)
  })

  it('reads the wire shape of the messages from the .proto files', () => {
    const schema = loadHitchSchema()
    const envelope = schema.get('Envelope')!
    expect([...envelope.fields.keys()]).to.deep.equal([1, 2, 3, 4, 5, 6, 7])
    expect(envelope.fields.get(7)).to.include({ name: 'signature', wire: WIRE.LEN, kind: 'scalar' })
    expect(envelope.fields.get(2)).to.include({ kind: 'enum', type: 'Envelope.Type' })
    expect(schema.get('TripRecord')!.fields.get(2)).to.include({ kind: 'message', type: 'TripEvent', repeated: true })
    expect(schema.get('TripEvent')!.fields.get(7)).to.include({ zigzag: true })
    expect(schema.get('ChannelMessage')!.fields.get(1)).to.include({ optional: true, kind: 'message', type: 'Propose' })
  })

  it('tells the canonical encoding from non-minimal varints, duplicates, odd orders and explicit defaults', () => {
    const schema = loadHitchSchema()
    const bytes = Envelope.encode({ version: 1, type: Envelope.Type.QUOTE, payload: Uint8Array.of(8, 1), senderKey: Uint8Array.of(1), expiresAt: 5, nonce: Uint8Array.of(2), signature: Uint8Array.of(3) })
    expect(canonicalProblem(bytes, schema, 'Envelope')).to.equal(undefined)
    const fields = parseFields(bytes)!
    expect(serializeFields(fields)).to.deep.equal(bytes)
    const last = fields[fields.length - 1]
    expect(canonicalProblem(serializeFields([...fields.slice(0, -1), { ...last, tag: paddedVarint(0x3a, 1) }]), schema, 'Envelope')).to.equal('non-minimal-tag Envelope.signature')
    expect(canonicalProblem(serializeFields([...fields.slice(0, -1), { ...last, len: paddedVarint(1, 2) }]), schema, 'Envelope')).to.equal('non-minimal-length Envelope.signature')
    expect(canonicalProblem(serializeFields([fields[1], fields[0], ...fields.slice(2)]), schema, 'Envelope')).to.equal('out-of-order Envelope.version')
    expect(canonicalProblem(serializeFields([fields[0], ...fields]), schema, 'Envelope')).to.equal('duplicate Envelope.version')
    expect(canonicalProblem(concatBytes([Uint8Array.of(0x08, 0x00), bytes.subarray(2)]), schema, 'Envelope')).to.equal('explicit-default Envelope.version')
    expect(canonicalProblem(concatBytes([bytes, Uint8Array.of(0xa0, 0x06, 0x01)]), schema, 'Envelope')).to.equal('unknown-field Envelope')
  })

  it('dev-chain oracle: puts a result down to the call that may be served when calls of a batch share an id', () => {
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: null, method: 'hardhat_setCode', params: [] },
      { jsonrpc: '2.0', id: null, method: 'hitch_info', params: [] },
      { jsonrpc: '2.0', id: 7, method: 'evm_mine', params: [] }
    ])
    const answers = (...a: object[]): string => JSON.stringify(a)
    const refused = { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'needs the admin token' } }
    expect(served(batch, answers(refused, { jsonrpc: '2.0', id: null, result: {} }))).to.deep.equal(['hitch_info'])
    // a test method's result is still seen for what it is
    expect(served(batch, answers(refused, { jsonrpc: '2.0', id: 7, result: '0x0' }))).to.deep.equal(['evm_mine'])
    const alone = JSON.stringify({ jsonrpc: '2.0', id: null, method: 'hardhat_setCode', params: [] })
    expect(served(alone, JSON.stringify({ jsonrpc: '2.0', id: null, result: true }))).to.deep.equal(['hardhat_setCode'])
  })
})
