import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { privateKeyToAccount } from 'viem/accounts'
import { inspect } from 'node:util'
import { generateKeyPair, generateKeyPairFromSeed, privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { defaultDataDir, ed25519FromSeed, identityFromKey, IDENTITY_FILE, IdentityError, loadOrCreateIdentity } from '../../../../node/identity/index.js'
import type { Secp256k1PrivateKey } from '@libp2p/interface'

describe('node/identity', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-identity-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('creates a secp256k1 payment key on first run, with an Ed25519 peer id, and reloads the same identity', async () => {
    const dataDir = join(dir, 'nested', 'profile')
    const first = await loadOrCreateIdentity(dataDir)
    expect(first.created).to.equal(true)
    expect(first.privateKey.type).to.equal('secp256k1')
    expect(first.peerKey.type).to.equal('Ed25519')
    expect(first.peerId).to.match(/^12D3KooW/)
    expect(first.peerId).to.equal(peerIdFromPrivateKey(first.peerKey).toString())
    expect(first.ethAddress).to.match(/^0x[0-9a-fA-F]{40}$/)

    const second = await loadOrCreateIdentity(dataDir)
    expect(second.created).to.equal(false)
    expect(second.peerId).to.equal(first.peerId)
    expect(second.ethAddress).to.equal(first.ethAddress)
    expect(second.ethPrivateKeyHex).to.equal(first.ethPrivateKeyHex)
  })

  it('derives the Ethereum address from the same key viem signs with', async () => {
    const id = await loadOrCreateIdentity(dir)
    expect(id.ethPrivateKeyHex).to.match(/^0x[0-9a-f]{64}$/)
    expect(privateKeyToAccount(id.ethPrivateKeyHex).address).to.equal(id.ethAddress)
    expect(Buffer.from(id.privateKey.raw).toString('hex')).to.equal(id.ethPrivateKeyHex.slice(2))
  })

  it('keeps the private key out of serialisation', async () => {
    const id = await loadOrCreateIdentity(dir)
    expect(Object.keys(id)).to.not.include('ethPrivateKeyHex')
    expect(JSON.stringify({ ...id, privateKey: undefined })).to.not.include(id.ethPrivateKeyHex.slice(2))
    const peerSeed = Buffer.from(id.peerKey.raw.subarray(0, 32)).toString('hex')
    for (const shown of [JSON.stringify(id), JSON.stringify({ ...id }), JSON.stringify(id.peerKey), inspect(id, { depth: 5 }), inspect(id.peerKey)]) {
      expect(shown).to.not.include(id.ethPrivateKeyHex.slice(2))
      expect(shown).to.not.include(peerSeed)
    }
  })

  it('derives the peer key from the payment key: the same for the same key, one way, and a working Ed25519 key', async () => {
    const payment = await generateKeyPair('secp256k1')
    const a = identityFromKey(payment)
    const b = identityFromKey(privateKeyFromRaw(payment.raw.slice()) as Secp256k1PrivateKey)
    expect(a.peerId).to.equal(b.peerId)
    expect(identityFromKey(await generateKeyPair('secp256k1')).peerId).to.not.equal(a.peerId)
    // not the payment key's bytes, and it signs and verifies as libp2p's own Ed25519 keys do
    expect(Buffer.from(a.peerKey.raw.subarray(0, 32)).equals(Buffer.from(payment.raw))).to.equal(false)
    const data = new TextEncoder().encode('hitch')
    const sig = await a.peerKey.sign(data)
    expect(await peerIdFromString(a.peerId).publicKey!.verify(data, sig)).to.equal(true)
    // the same derivation as libp2p's own seed path
    const seed = a.peerKey.raw.subarray(0, 32)
    expect((await generateKeyPairFromSeed('Ed25519', seed)).publicKey.equals(a.peerKey.publicKey)).to.equal(true)
    expect(ed25519FromSeed(seed).publicKey.equals(a.peerKey.publicKey)).to.equal(true)
  })

  it('writes the key file with mode 0600 and leaves no temporary files', async () => {
    await loadOrCreateIdentity(dir)
    const info = await stat(join(dir, IDENTITY_FILE))
    expect(info.mode & 0o777).to.equal(0o600)
    const { readdir } = await import('node:fs/promises')
    expect(await readdir(dir)).to.deep.equal([IDENTITY_FILE])
  })

  it('tightens a key file that others can read', async () => {
    const id = await loadOrCreateIdentity(dir)
    await chmod(join(dir, IDENTITY_FILE), 0o644)
    const again = await loadOrCreateIdentity(dir)
    expect(again.peerId).to.equal(id.peerId)
    expect((await stat(join(dir, IDENTITY_FILE))).mode & 0o777).to.equal(0o600)
  })

  it('agrees on one key when two loads race on first run', async () => {
    const [a, b, c] = await Promise.all([loadOrCreateIdentity(dir), loadOrCreateIdentity(dir), loadOrCreateIdentity(dir)])
    expect(new Set([a.peerId, b.peerId, c.peerId]).size).to.equal(1)
    const reloaded = await loadOrCreateIdentity(dir)
    expect(reloaded.peerId).to.equal(a.peerId)
  })

  it('refuses a corrupt key file rather than replacing it', async () => {
    await writeFile(join(dir, IDENTITY_FILE), new Uint8Array([1, 2, 3]), { mode: 0o600 })
    const err = await loadOrCreateIdentity(dir).then(() => undefined, (e: unknown) => e)
    expect(err).to.be.instanceOf(IdentityError)
    expect((err as IdentityError).code).to.equal('ERR_CORRUPT_IDENTITY')
    expect(Array.from(await readFile(join(dir, IDENTITY_FILE)))).to.deep.equal([1, 2, 3])
  })

  it('refuses a key of another type', async () => {
    const { generateKeyPair, privateKeyToProtobuf } = await import('@libp2p/crypto/keys')
    await writeFile(join(dir, IDENTITY_FILE), privateKeyToProtobuf(await generateKeyPair('Ed25519')), { mode: 0o600 })
    const err = await loadOrCreateIdentity(dir).then(() => undefined, (e: unknown) => e)
    expect((err as IdentityError).code).to.equal('ERR_WRONG_KEY_TYPE')
  })

  it('puts the data directory under HITCH_HOME or ~/.hitch', () => {
    const saved = process.env.HITCH_HOME
    try {
      process.env.HITCH_HOME = '/srv/hitch'
      expect(defaultDataDir()).to.equal('/srv/hitch/default')
      expect(defaultDataDir('alice')).to.equal('/srv/hitch/alice')
      delete process.env.HITCH_HOME
      expect(defaultDataDir('bob')).to.match(/\/\.hitch\/bob$/)
    } finally {
      if (saved == null) delete process.env.HITCH_HOME
      else process.env.HITCH_HOME = saved
    }
  })
})
