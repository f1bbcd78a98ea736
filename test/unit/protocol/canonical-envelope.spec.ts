/**
 * Issue 9, "Malleable envelopes": two byte strings must never open to the same message. Today's
 * code accepted a padded varint in the signature field's tag or length (outside the signed
 * bytes, so anyone relaying the message could make a "new" copy that every cache keyed by bytes
 * treats as unseen), DER signatures in padded forms, and signer-made padded or re-ordered
 * fields.
 */
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { expect } from 'chai'
import fc from 'fast-check'
import { concat } from 'uint8arrays/concat'
import { scanFields, isCanonicalSecp256k1Der } from '../../../protocol/canonical.js'
import { ENVELOPE_SIGNATURE_DOMAIN, openEnvelope, signEnvelope } from '../../../protocol/envelope.js'
import { ValidationError } from '../../../protocol/errors.js'
import { encodeBody } from '../../../protocol/hitch-message.js'
import { Envelope, RideRequest, VehicleOffer } from '../../../protocol/pb/messages.js'
import { VerifyCache } from '../../../protocol/verify-cache.js'
import { NOW, accept, nonce, offer, quote, request, secpKey } from './fixtures.js'
import type { HitchMessage } from '../../../protocol/hitch-message.js'
import type { PrivateKey } from '@libp2p/interface'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n

function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

/** The same varint with one padding byte: 0x05 -> 0x85 0x00 */
function padded (bytes: number[]): number[] {
  const out = bytes.slice()
  out[out.length - 1] |= 0x80
  out.push(0x00)
  return out
}

interface Field { field: number, wireType: number, tag: number[], len: number[], value: number[] }

/** Splits a message into editable fields (the generator's view; the oracle does not use it) */
function fields (bytes: Uint8Array): Field[] {
  const scanned = scanFields(bytes)
  if (scanned == null) throw new Error('fixture does not scan')
  return scanned.map(f => {
    const tag = varint(f.field * 8 + f.wireType)
    const len = f.wireType === 2 ? varint(f.end - f.valueStart) : []
    return { field: f.field, wireType: f.wireType, tag, len, value: [...bytes.subarray(f.valueStart, f.end)] }
  })
}

function join (fs: Field[]): Uint8Array {
  return Uint8Array.from(fs.flatMap(f => [...f.tag, ...f.len, ...f.value]))
}

async function signPrefix (key: PrivateKey, prefix: Uint8Array): Promise<Uint8Array> {
  const signature = await key.sign(concat([ENVELOPE_SIGNATURE_DOMAIN, prefix]))
  return concat([prefix, Envelope.encode({ signature } as Envelope)])
}

function derInt (v: bigint): number[] {
  let hex = v.toString(16)
  if (hex.length % 2 === 1) hex = '0' + hex
  const bytes = [...Buffer.from(hex, 'hex')]
  return (bytes[0] & 0x80) !== 0 ? [0, ...bytes] : bytes
}

function parseDer (sig: Uint8Array): { r: bigint, s: bigint } {
  const rLen = sig[3]
  const r = BigInt('0x' + Buffer.from(sig.subarray(4, 4 + rLen)).toString('hex'))
  const sLen = sig[5 + rLen]
  const s = BigInt('0x' + Buffer.from(sig.subarray(6 + rLen, 6 + rLen + sLen)).toString('hex'))
  return { r, s }
}

function der (rBytes: number[], sBytes: number[], longForm = false): Uint8Array {
  const body = [0x02, rBytes.length, ...rBytes, 0x02, sBytes.length, ...sBytes]
  return Uint8Array.from(longForm ? [0x30, 0x81, body.length, ...body] : [0x30, body.length, ...body])
}

/** Replaces the signature of an envelope (keeping the signed prefix) */
function withSignature (bytes: Uint8Array, signature: Uint8Array): Uint8Array {
  const fs = fields(bytes)
  const sig = fs[fs.length - 1]
  return join([...fs.slice(0, -1), { ...sig, len: varint(signature.length), value: [...signature] }])
}

async function refusal (bytes: Uint8Array, options = {}): Promise<ValidationError> {
  try {
    await openEnvelope(bytes, options)
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError)
    return err as ValidationError
  }
  expect.fail('the variant opened')
}

describe('protocol/envelope: canonical encoding only (issue 9, malleable envelopes)', () => {
  let key: PrivateKey
  let bytes: Uint8Array
  let sigField: Field

  before(async () => {
    key = await secpKey()
    bytes = await signEnvelope(key, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    sigField = fields(bytes).at(-1)!
    expect(sigField.field).to.equal(7)
  })

  describe('variants anyone can make (outside the signed bytes)', () => {
    const tail = (f: Partial<Field>): Uint8Array => join([...fields(bytes).slice(0, -1), { ...sigField, ...f }])

    it('refuses a padded tag or length of the signature field, also after the original was cached', async () => {
      for (const variant of [tail({ tag: padded(sigField.tag) }), tail({ len: padded(sigField.len) })]) {
        const cache = new VerifyCache()
        await openEnvelope(bytes, { verifyCache: cache })
        const err = await refusal(variant, { verifyCache: cache })
        expect(err.code).to.equal('non-canonical')
        expect(err.verdict).to.equal('reject')
      }
    })

    it('refuses the high-S twin and padded DER forms of the same signature', async () => {
      const sig = Uint8Array.from(sigField.value)
      expect(isCanonicalSecp256k1Der(sig)).to.equal(true)
      const { r, s } = parseDer(sig)
      const variants = {
        'high S': der(derInt(r), derInt(N - s)),
        'r with a needless leading zero': der([0, ...derInt(r)], derInt(s)),
        'long-form sequence length': der(derInt(r), derInt(s), true),
        'a byte after the integers': Uint8Array.from([...sig, 0x00]).map((b, i, a) => i === 1 ? a.length - 2 : b)
      }
      for (const [what, variant] of Object.entries(variants)) {
        const err = await refusal(withSignature(bytes, variant))
        expect(err.code, what).to.be.oneOf(['non-canonical', 'bad-signature'])
        expect(err.verdict, what).to.equal('reject')
      }
      // the high-S twin verifies as ECDSA: only the canonical-form rule refuses it
      expect((await refusal(withSignature(bytes, variants['high S']))).code).to.equal('non-canonical')
    })
  })

  describe('variants only the signer can make', () => {
    const prefixFields = (): Field[] => fields(bytes).slice(0, -1)

    it('refuses padded varints, re-ordered, repeated or out-of-place fields in the envelope', async () => {
      const fs = prefixFields()
      const variants: Record<string, Field[]> = {
        'padded tag': [{ ...fs[0], tag: padded(fs[0].tag) }, ...fs.slice(1)],
        'padded varint value': [{ ...fs[0], value: padded(fs[0].value) }, ...fs.slice(1)],
        'padded length': fs.map(f => f.field === 3 ? { ...f, len: padded(f.len) } : f),
        're-ordered': [fs[1], fs[0], ...fs.slice(2)],
        'a field twice': [...fs.slice(0, -1), fs.at(-1)!, fs.at(-1)!],
        'an unknown field out of order': [{ field: 9, wireType: 0, tag: varint(72), len: [], value: [1] }, ...fs]
      }
      for (const [what, variant] of Object.entries(variants)) {
        const err = await refusal(await signPrefix(key, join(variant)))
        expect(err.code, what).to.equal('non-canonical')
        expect(err.verdict, what).to.equal('reject')
      }
    })

    it('refuses an uncompressed sender key (the same peer id in another encoding)', async () => {
      const compressed = publicKeyToProtobuf(key.publicKey)
      // protobuf PublicKey { Type = 2 (secp256k1), Data = 65-byte point }
      const { secp256k1 } = await import('@noble/curves/secp256k1.js')
      const point = secp256k1.Point.fromBytes(key.publicKey.raw).toBytes(false)
      const keyPb = Uint8Array.from([0x08, 0x02, 0x12, point.length, ...point])
      expect(keyPb).to.not.deep.equal(compressed)
      const fs = prefixFields().map(f => f.field === 4 ? { ...f, len: varint(keyPb.length), value: [...keyPb] } : f)
      const err = await refusal(await signPrefix(key, join(fs)))
      expect(err.code).to.equal('non-canonical')
    })

    it('refuses a body with padded, repeated or re-ordered fields', async () => {
      const body = [...RideRequest.encode((request() as any).body)]
      const bfs = fields(Uint8Array.from(body))
      const variants: Record<string, Field[]> = {
        'padded value': bfs.map(f => f.wireType === 0 ? { ...f, value: padded(f.value) } : f),
        'padded tag': [{ ...bfs[0], tag: padded(bfs[0].tag) }, ...bfs.slice(1)],
        're-ordered': [bfs[1], bfs[0], ...bfs.slice(2)],
        repeated: [bfs[0], ...bfs]
      }
      for (const [what, variant] of Object.entries(variants)) {
        const payload = join(variant)
        const fs = prefixFields().map(f => f.field === 3 ? { ...f, len: varint(payload.length), value: [...payload] } : f)
        const err = await refusal(await signPrefix(key, join(fs)))
        expect(err.code, what).to.equal('non-canonical')
      }
    })

    it('refuses a padded varint inside a nested message of the body', async () => {
      const body = VehicleOffer.encode((offer() as any).body)
      const bfs = fields(body)
      const fare = bfs.find(f => f.wireType === 2 && f.field === 4)!
      const inner = fields(Uint8Array.from(fare.value))
      const paddedFare = join([{ ...inner[0], len: padded(inner[0].len) }, ...inner.slice(1)])
      const payload = join(bfs.map(f => f === fare ? { ...f, len: varint(paddedFare.length), value: [...paddedFare] } : f))
      const env = Envelope.decode(bytes)
      const prefix = Envelope.encode({ ...env, type: Envelope.Type.VEHICLE_OFFER, payload: payload as Uint8Array<ArrayBuffer>, signature: new Uint8Array(0) })
      const err = await refusal(await signPrefix(key, prefix))
      expect(err.code).to.equal('non-canonical')
    })

    it('still opens unknown fields of a newer peer in their canonical place, covered by the signature', async () => {
      // envelope field 8 (before the signature, which stays last) and body field 50
      const payload = Uint8Array.from([...RideRequest.encode((request() as any).body), 0x90, 0x03, 0x07])
      const fs = prefixFields().map(f => f.field === 3 ? { ...f, len: varint(payload.length), value: [...payload] } : f)
      const withExtension = [...fs, { field: 8, wireType: 2, tag: [0x42], len: [2], value: [0x61, 0x62] }]
      const signed = await signPrefix(key, join(withExtension))
      const opened = await openEnvelope(signed)
      expect(opened.message).to.deep.equal(request())
      // ... and a relay that drops the extension breaks the signature
      const stripped = concat([join(fs), Envelope.encode({ signature: Uint8Array.from(fields(signed).at(-1)!.value) } as Envelope)])
      expect((await refusal(stripped)).code).to.equal('bad-signature')
    })
  })

  it('property: any byte string that opens re-encodes to itself and says what was signed', async function () {
    this.timeout(120_000)
    const messages: HitchMessage[] = [request(), offer(), quote(), accept()]
    const signed = await Promise.all(messages.map(async m => signEnvelope(key, m, { now: NOW, ttlMs: 60_000, nonce: nonce() })))
    type Op = { kind: 'pad-tag' | 'pad-len' | 'pad-value' | 'dup' | 'swap' | 'flip', at: number, to: number, bit: number }
    const op = fc.record({
      kind: fc.constantFrom<Op['kind']>('pad-tag', 'pad-len', 'pad-value', 'dup', 'swap', 'flip'),
      at: fc.nat(),
      to: fc.nat(),
      bit: fc.nat(7)
    })
    const apply = (fs: Field[], o: Op): Field[] => {
      if (fs.length === 0) return fs
      const i = o.at % fs.length
      const j = o.to % fs.length
      const out = fs.slice()
      switch (o.kind) {
        case 'pad-tag': out[i] = { ...out[i], tag: padded(out[i].tag) }; break
        case 'pad-len': if (out[i].wireType === 2) out[i] = { ...out[i], len: padded(out[i].len) }; break
        case 'pad-value': if (out[i].wireType === 0) out[i] = { ...out[i], value: padded(out[i].value) }; break
        case 'dup': out.splice(j, 0, out[i]); break
        case 'swap': [out[i], out[j]] = [out[j], out[i]]; break
        case 'flip': {
          // inside length-delimited values only, so that the field boundaries stay
          const v = out[i].value.slice()
          if (out[i].wireType === 2 && v.length > 0) v[o.to % v.length] ^= 1 << o.bit
          out[i] = { ...out[i], value: v }
        }
      }
      return out
    }
    let opened = 0
    await fc.assert(fc.asyncProperty(
      fc.nat(messages.length - 1), fc.array(op, { maxLength: 3 }), fc.array(op, { maxLength: 3 }), fc.constantFrom('resign', 'tail', 'none'),
      async (m, envOps, bodyOps, how) => {
        const original = signed[m]
        const env = fields(original)
        let candidate: Uint8Array
        if (how === 'tail') {
          // what a relay can do: edit the signature field only
          candidate = join([...env.slice(0, -1), ...envOps.reduce((fs, o) => apply(fs, { ...o, at: 0, to: 0 }), [env.at(-1)!])])
        } else {
          let prefix = env.slice(0, -1)
          prefix = prefix.map(f => {
            if (f.field !== 3) return f
            const payload = join(bodyOps.reduce(apply, fields(Uint8Array.from(f.value))))
            return { ...f, len: varint(payload.length), value: [...payload] }
          })
          prefix = envOps.reduce(apply, prefix)
          candidate = how === 'resign'
            ? await signPrefix(key, join(prefix))
            : join([...prefix, env.at(-1)!])
        }
        let result
        try {
          result = await openEnvelope(candidate)
        } catch (err) {
          expect(err).to.be.instanceOf(ValidationError)
          return
        }
        opened++
        const decoded = Envelope.decode(candidate)
        expect(Envelope.encode(decoded)).to.deep.equal(candidate)
        expect(encodeBody(result.message)).to.deep.equal(decoded.payload)
        expect(decoded.senderKey).to.deep.equal(publicKeyToProtobuf(key.publicKey))
        expect(isCanonicalSecp256k1Der(decoded.signature)).to.equal(true)
      }
    ), { numRuns: 600, seed: 9 })
    // not vacuous: the unchanged envelopes (no ops) and harmless edits open
    expect(opened).to.be.greaterThan(10)
  })
})
