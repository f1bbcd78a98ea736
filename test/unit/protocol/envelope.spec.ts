import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { openEnvelope, signEnvelope } from '../../../protocol/envelope.js'
import { ValidationError } from '../../../protocol/errors.js'
import { Envelope, RideRequest } from '../../../protocol/pb/messages.js'
import { NOW, nonce, quote, request, secpKey } from './fixtures.js'

async function expectCode (p: Promise<unknown>, code: string): Promise<ValidationError> {
  try {
    await p
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError)
    expect((err as ValidationError).code).to.equal(code)
    return err as ValidationError
  }
  expect.fail(`expected ${code}`)
}

describe('protocol/envelope', () => {
  it('round-trips a typed message and derives the sender', async () => {
    const key = await secpKey()
    const n = nonce()
    const bytes = await signEnvelope(key, request(), { now: NOW, ttlMs: 60_000, nonce: n })
    const opened = await openEnvelope(bytes)
    expect(opened.message).to.deep.equal(request())
    expect(opened.sender.equals(peerIdFromPrivateKey(key))).to.equal(true)
    expect(opened.expiresAt).to.equal(NOW + 60_000)
    expect(opened.nonce).to.deep.equal(n)
    expect(opened.msgId).to.equal(`${peerIdFromPrivateKey(key).toString()}/${Buffer.from(n).toString('hex')}`)
  })

  it('detects any altered byte of a signed envelope', async () => {
    const key = await secpKey()
    const bytes = await signEnvelope(key, quote(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    const original = await openEnvelope(bytes)
    for (let i = 0; i < bytes.length; i++) {
      const copy = bytes.slice()
      copy[i] ^= 0x01
      let opened
      try {
        opened = await openEnvelope(copy)
      } catch (err) {
        expect(err, `byte ${i}`).to.be.instanceOf(ValidationError)
        continue
      }
      // a flip that still opens must not change what was said or who said it
      expect(opened.message, `byte ${i}`).to.deep.equal(original.message)
      expect(opened.sender.equals(original.sender), `byte ${i}`).to.equal(true)
      expect(opened.expiresAt).to.equal(original.expiresAt)
    }
  })

  it('refuses an envelope without signature, or with the signature not last', async () => {
    const key = await secpKey()
    const bytes = await signEnvelope(key, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    const env = Envelope.decode(bytes)
    await expectCode(openEnvelope(Envelope.encode({ ...env, signature: new Uint8Array(0) })), 'unsigned')
    // protons writes the fields in number order, so an extra field 8 after the signature breaks the rule
    const trailing = new Uint8Array([...bytes, 0x40, 0x01])
    await expectCode(openEnvelope(trailing), 'unsigned')
  })

  it('refuses a signature by another key', async () => {
    const a = await secpKey()
    const b = await secpKey()
    const bytes = await signEnvelope(a, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    const other = Envelope.decode(await signEnvelope(b, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() }))
    const env = Envelope.decode(bytes)
    const forged = Envelope.encode({ ...env, signature: other.signature })
    await expectCode(openEnvelope(forged), 'bad-signature')
  })

  it('refuses keys other than Ed25519 and secp256k1, and garbage', async () => {
    const ecdsa = await generateKeyPair('ECDSA')
    await expectCode(signEnvelope(ecdsa, request(), { now: NOW, ttlMs: 1000, nonce: nonce() }), 'unsupported-key')
    await expectCode(openEnvelope(new Uint8Array([0xff, 0xff, 0xff])), 'malformed')
  })

  it('signs and opens with an Ed25519 peer key (every node\'s now), and detects any altered byte', async () => {
    const ed = await generateKeyPair('Ed25519')
    const bytes = await signEnvelope(ed, quote(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    const opened = await openEnvelope(bytes)
    expect(opened.sender.equals(peerIdFromPrivateKey(ed))).to.equal(true)
    expect(opened.senderKey.type).to.equal('Ed25519')
    expect(opened.message).to.deep.equal(quote())
    for (let i = 0; i < bytes.length; i++) {
      const copy = bytes.slice()
      copy[i] ^= 0x01
      const changed = await openEnvelope(copy).then(o => o.message, () => undefined)
      // a flipped byte is refused, or (a byte outside what the message says) opens to the same message
      if (changed != null) expect(changed).to.deep.equal(quote())
    }
  })

  it('refuses an Ed25519 signature whose S is not reduced (S + L verifies under lax checks)', async () => {
    const ed = await generateKeyPair('Ed25519')
    const bytes = await signEnvelope(ed, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    const env = Envelope.decode(bytes)
    const L = (1n << 252n) + 27742317777372353535851937790883648493n
    let s = 0n
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(env.signature[i])
    const big = s + L
    const signature = env.signature.slice()
    for (let i = 0; i < 32; i++) signature[32 + i] = Number((big >> BigInt(8 * i)) & 0xffn)
    await expectCode(openEnvelope(Envelope.encode({ ...env, signature })), 'non-canonical')
    // and a signature of the wrong length for the key
    await expectCode(openEnvelope(Envelope.encode({ ...env, signature: env.signature.subarray(0, 63) })), 'non-canonical')
  })

  it('ignores (not rejects) a newer envelope version', async () => {
    const key = await secpKey()
    const bytes = await signEnvelope(key, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() })
    const env = Envelope.decode(bytes)
    const err = await expectCode(openEnvelope(Envelope.encode({ ...env, version: 2 })), 'unsupported-version')
    expect(err.verdict).to.equal('ignore')
  })

  it('ignores unknown body fields from newer peers', async () => {
    const key = await secpKey()
    const body = RideRequest.encode((request() as any).body)
    // field 50, varint 7: unknown to this version
    const payload = new Uint8Array([...body, 0x90, 0x03, 0x07])
    const env = Envelope.decode(await signEnvelope(key, request(), { now: NOW, ttlMs: 60_000, nonce: nonce() }))
    const unsigned = Envelope.encode({ ...env, payload, signature: new Uint8Array(0) })
    const { concat } = await import('uint8arrays/concat')
    const { fromString } = await import('uint8arrays/from-string')
    const signature = await key.sign(concat([fromString('hitch/envelope/1\n'), unsigned]))
    const opened = await openEnvelope(concat([unsigned, Envelope.encode({ signature } as Envelope)]))
    expect(opened.message).to.deep.equal(request())
  })

  it('rejects bad nonces when signing', async () => {
    const key = await secpKey()
    await expectCode(signEnvelope(key, request(), { now: NOW, ttlMs: 1000, nonce: new Uint8Array(2) }), 'bad-field')
  })
})
