/**
 * Issue 9, keys: `identity.key` was plaintext. A passphrase-encrypted key file in the format
 * Ethereum keystores use (Web3 Secret Storage v3), checked against geth's published test vectors
 * and against an independent implementation (ox, viem's own library, pure JS) both ways.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
// ox (viem's own library, declared as a dev dependency at viem's version): a second, independent implementation of the format
import { Keystore } from 'ox'
import { privateKeyToAccount } from 'viem/accounts'
import {
  IDENTITY_FILE, IdentityError, decryptIdentityFile, decryptKeystore, encryptIdentityFile, encryptKeystore, identityFileInfo,
  identityFromKey, loadOrCreateIdentity
} from '../../../../node/identity/index.js'

/** Cheap scrypt for tests (the default is geth's standard, 256 MB) */
const FAST = { n: 1 << 10, r: 8, p: 1 }

async function codeOf (p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(() => undefined, (e: unknown) => e)
  if (err == null) return undefined
  expect(err).to.be.instanceOf(IdentityError)
  return (err as IdentityError).code
}

// geth's accounts/keystore/testdata/v3_test_vector.json (the Web3 Secret Storage definition's examples)
const WIKI_SCRYPT = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
    ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
    kdf: 'scrypt',
    kdfparams: { dklen: 32, n: 262144, r: 1, p: 8, salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19' },
    mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097'
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3
}
const WIKI_PBKDF2 = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
    ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
    kdf: 'pbkdf2',
    kdfparams: { c: 262144, dklen: 32, prf: 'hmac-sha256', salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd' },
    mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2'
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3
}
const WIKI_KEY = '7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d'
const SHORT_KEY = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: 'e0c41130a323adc1446fc82f724bca2f' },
    ciphertext: '9517cd5bdbe69076f9bf5057248c6c050141e970efa36ce53692d5d59a3984',
    kdf: 'scrypt',
    kdfparams: { dklen: 32, n: 2, r: 8, p: 1, salt: '711f816911c92d649fb4c84b047915679933555030b3552c1212609b38208c63' },
    mac: 'd5e116151c6aa71470e67a7d42c9620c75c4d23229847dcc127794f0732b0db5'
  },
  id: 'fecfc4ce-e956-48fd-953b-30f8b52ed66c',
  version: 3
}

describe('node/identity: encrypted key files (Web3 Secret Storage v3)', function () {
  this.timeout(60_000)

  describe('the format', () => {
    it('opens geth\'s test vectors (scrypt, PBKDF2, a 31-byte key) and refuses them with another passphrase', async () => {
      expect(Buffer.from(await decryptKeystore(WIKI_SCRYPT, 'testpassword')).toString('hex')).to.equal(WIKI_KEY)
      expect(Buffer.from(await decryptKeystore(WIKI_PBKDF2, 'testpassword')).toString('hex')).to.equal(WIKI_KEY)
      expect(Buffer.from(await decryptKeystore(SHORT_KEY, 'foo')).toString('hex')).to.equal('00fa7b3db73dc7dfdf8c5fbdb796d741e4488628c41fc4febd9160a866ba0f35')
      expect(await codeOf(decryptKeystore(SHORT_KEY, 'bar'))).to.equal('ERR_WRONG_PASSPHRASE')
    })

    it('writes what an independent implementation opens, and opens what it writes', async () => {
      const key = (await generateKeyPair('secp256k1')).raw
      const ours = await encryptKeystore(key, 'correct horse', { scrypt: FAST })
      expect(ours).to.deep.include({ version: 3 })
      expect(ours.crypto).to.deep.include({ cipher: 'aes-128-ctr', kdf: 'scrypt' })
      // (ox's toKeyAsync ignores r and p; its synchronous toKey reads them)
      const oxKey = Keystore.toKey(ours as any, { password: 'correct horse' })
      expect(Keystore.decrypt(ours as any, oxKey)).to.equal(`0x${Buffer.from(key).toString('hex')}`)

      const [k, opts] = Keystore.pbkdf2({ password: 'battery staple', iv: new Uint8Array(16).fill(7) } as any)
      const theirs = Keystore.encrypt(`0x${Buffer.from(key).toString('hex')}`, k, opts)
      expect(Buffer.from(await decryptKeystore(theirs, 'battery staple')).toString('hex')).to.equal(Buffer.from(key).toString('hex'))
    })

    it('detects a changed byte anywhere that matters: ciphertext, MAC, IV or salt', async () => {
      const doc = await encryptKeystore((await generateKeyPair('secp256k1')).raw, 'pw', { scrypt: FAST })
      const flip = (hex: string): string => (hex[0] === '0' ? '1' : '0') + hex.slice(1)
      const variants = [
        { ...doc, crypto: { ...doc.crypto, ciphertext: flip(doc.crypto.ciphertext) } },
        { ...doc, crypto: { ...doc.crypto, mac: flip(doc.crypto.mac) } },
        { ...doc, crypto: { ...doc.crypto, kdfparams: { ...doc.crypto.kdfparams, salt: flip(doc.crypto.kdfparams.salt) } } }
      ]
      for (const v of variants) expect(await codeOf(decryptKeystore(v, 'pw'))).to.equal('ERR_WRONG_PASSPHRASE')
      // the IV is not under the MAC (by the format): a changed IV decrypts to another key, which the address check catches
      const ivChanged = { ...doc, crypto: { ...doc.crypto, cipherparams: { iv: flip(doc.crypto.cipherparams.iv) } } }
      expect(Buffer.from(await decryptKeystore(ivChanged, 'pw'))).to.have.length(32)
    })

    it('refuses hostile or malformed documents before doing any costly work', async () => {
      const base = await encryptKeystore((await generateKeyPair('secp256k1')).raw, 'pw', { scrypt: FAST })
      const withKdf = (kdfparams: object): object => ({ ...base, crypto: { ...base.crypto, kdfparams: { ...base.crypto.kdfparams, ...kdfparams } } })
      const cases: Array<[string, unknown, string]> = [
        ['scrypt n = 2^30 (128 GB)', withKdf({ n: 2 ** 30 }), 'ERR_UNSUPPORTED_KEYSTORE'],
        ['scrypt p = 2^20', withKdf({ p: 2 ** 20 }), 'ERR_UNSUPPORTED_KEYSTORE'],
        ['scrypt n not a power of two', withKdf({ n: 1000 }), 'ERR_UNSUPPORTED_KEYSTORE'],
        ['scrypt n a string', withKdf({ n: '1024' }), 'ERR_CORRUPT_IDENTITY'],
        ['PBKDF2 with 10^12 iterations', { ...WIKI_PBKDF2, crypto: { ...WIKI_PBKDF2.crypto, kdfparams: { ...WIKI_PBKDF2.crypto.kdfparams, c: 1e12 } } }, 'ERR_UNSUPPORTED_KEYSTORE'],
        ['dklen 16', withKdf({ dklen: 16 }), 'ERR_CORRUPT_IDENTITY'],
        ['version 1', { ...base, version: 1 }, 'ERR_UNSUPPORTED_KEYSTORE'],
        ['another cipher', { ...base, crypto: { ...base.crypto, cipher: 'aes-128-cbc' } }, 'ERR_UNSUPPORTED_KEYSTORE'],
        ['another KDF', { ...base, crypto: { ...base.crypto, kdf: 'argon2' } }, 'ERR_UNSUPPORTED_KEYSTORE'],
        ['a 1 MB ciphertext', { ...base, crypto: { ...base.crypto, ciphertext: 'ab'.repeat(1 << 20) } }, 'ERR_CORRUPT_IDENTITY'],
        ['an IV of 15 bytes', { ...base, crypto: { ...base.crypto, cipherparams: { iv: '00'.repeat(15) } } }, 'ERR_CORRUPT_IDENTITY'],
        ['a MAC that is not hex', { ...base, crypto: { ...base.crypto, mac: 'zz'.repeat(32) } }, 'ERR_CORRUPT_IDENTITY'],
        ['null', null, 'ERR_CORRUPT_IDENTITY'],
        ['an array', [], 'ERR_CORRUPT_IDENTITY'],
        ['bytes that are not JSON', Buffer.from('{"crypto": '), 'ERR_CORRUPT_IDENTITY'],
        ['no crypto', { version: 3 }, 'ERR_CORRUPT_IDENTITY']
      ]
      for (const [what, doc, code] of cases) {
        expect(await codeOf(decryptKeystore(doc, 'pw')), what).to.equal(code)
      }
    })
  })

  describe('the data directory', () => {
    let dir: string

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'hitch-keystore-'))
    })

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true })
    })

    it('creates an encrypted key file on first run when asked, with no key bytes in it, and reloads it with the passphrase', async () => {
      const created = await loadOrCreateIdentity(dir, { passphrase: () => 'hunter2', encryptNew: true, scrypt: FAST })
      expect(created.created).to.equal(true)
      const file = join(dir, IDENTITY_FILE)
      const text = await readFile(file, 'utf8')
      expect(text).to.not.include(created.ethPrivateKeyHex.slice(2))
      expect(JSON.parse(text)).to.deep.include({ version: 3, address: created.ethAddress.slice(2).toLowerCase() })
      expect((await stat(file)).mode & 0o777).to.equal(0o600)
      expect(await identityFileInfo(dir)).to.deep.include({ exists: true, encrypted: true })

      const again = await loadOrCreateIdentity(dir, { passphrase: async () => 'hunter2' })
      expect(again.created).to.equal(false)
      expect(again.peerId).to.equal(created.peerId)
      expect(again.ethPrivateKeyHex).to.equal(created.ethPrivateKeyHex)
    })

    it('refuses to start without the passphrase or with a wrong one, and never touches the file', async () => {
      await loadOrCreateIdentity(dir, { passphrase: () => 'hunter2', encryptNew: true, scrypt: FAST })
      const before = await readFile(join(dir, IDENTITY_FILE))
      expect(await codeOf(loadOrCreateIdentity(dir))).to.equal('ERR_PASSPHRASE_REQUIRED')
      expect(await codeOf(loadOrCreateIdentity(dir, { passphrase: () => 'hunter3' }))).to.equal('ERR_WRONG_PASSPHRASE')
      expect(await codeOf(loadOrCreateIdentity(dir, { passphrase: () => '' }))).to.equal('ERR_PASSPHRASE_REQUIRED')
      expect(Buffer.compare(before, await readFile(join(dir, IDENTITY_FILE)))).to.equal(0)
    })

    it('asks for the passphrase only when the file is encrypted', async () => {
      let asked = 0
      await loadOrCreateIdentity(dir)
      await loadOrCreateIdentity(dir, { passphrase: () => { asked++; return 'x' } })
      expect(asked).to.equal(0)
    })

    it('encrypts an existing plaintext key in place (same peer id and address), and decrypts it back', async () => {
      const plain = await loadOrCreateIdentity(dir)
      const enc = await encryptIdentityFile(dir, () => 'pw', { scrypt: FAST })
      expect(enc.peerId).to.equal(plain.peerId)
      expect(await identityFileInfo(dir)).to.deep.include({ encrypted: true })
      expect(await codeOf(encryptIdentityFile(dir, () => 'pw', { scrypt: FAST }))).to.equal('ERR_ALREADY_DONE')
      expect((await loadOrCreateIdentity(dir, { passphrase: () => 'pw' })).ethAddress).to.equal(plain.ethAddress)
      expect(await codeOf(decryptIdentityFile(dir, () => 'wrong'))).to.equal('ERR_WRONG_PASSPHRASE')
      const dec = await decryptIdentityFile(dir, () => 'pw')
      expect(dec.peerId).to.equal(plain.peerId)
      expect(await identityFileInfo(dir)).to.deep.include({ encrypted: false })
      expect((await loadOrCreateIdentity(dir)).peerId).to.equal(plain.peerId)
      const { readdir } = await import('node:fs/promises')
      expect(await readdir(dir)).to.deep.equal([IDENTITY_FILE])
    })

    it('opens a keystore made by another tool for the same account (geth\'s vector) as the node key', async () => {
      await writeFile(join(dir, IDENTITY_FILE), JSON.stringify(WIKI_PBKDF2), { mode: 0o600 })
      const id = await loadOrCreateIdentity(dir, { passphrase: () => 'testpassword' })
      expect(id.ethPrivateKeyHex).to.equal(`0x${WIKI_KEY}`)
      expect(id.ethAddress).to.equal(privateKeyToAccount(`0x${WIKI_KEY}`).address)
    })

    it('refuses a keystore whose clear-text address is another account\'s', async () => {
      const key = await generateKeyPair('secp256k1')
      const other = identityFromKey(await generateKeyPair('secp256k1'))
      const doc = await encryptKeystore(key.raw, 'pw', { scrypt: FAST, address: other.ethAddress })
      await writeFile(join(dir, IDENTITY_FILE), JSON.stringify(doc), { mode: 0o600 })
      expect(await codeOf(loadOrCreateIdentity(dir, { passphrase: () => 'pw' }))).to.equal('ERR_CORRUPT_IDENTITY')
    })

    it('a plaintext key file still loads without a passphrase (tests and simulations)', async () => {
      const key = await generateKeyPair('secp256k1')
      await writeFile(join(dir, IDENTITY_FILE), privateKeyToProtobuf(key), { mode: 0o600 })
      expect((await loadOrCreateIdentity(dir)).peerId).to.equal(identityFromKey(key).peerId)
    })
  })
})
