/**
 * Issue 9, "the other doors" (keys): what a local attacker or a careless log could take from a
 * node's identity. Each test names the defect it covers.
 */
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { expect } from 'chai'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { IDENTITY_FILE, IdentityError, identityFromKey, loadOrCreateIdentity } from '../../../../node/identity/index.js'
import type { NodeIdentity } from '../../../../node/identity/index.js'

/** Every way the 32 key bytes could show up in text: hex, and the decimal lists of inspect and JSON. */
function secretForms (id: NodeIdentity): string[] {
  const raw = Array.from(id.privateKey.raw)
  return [
    id.ethPrivateKeyHex.slice(2),
    Buffer.from(id.privateKey.raw).toString('base64').slice(0, 24),
    raw.slice(0, 6).join(', '),
    raw.slice(0, 6).join(','),
    raw.slice(0, 6).map((b, i) => `"${i}":${b}`).join(',')
  ]
}

function expectNoSecret (text: string, id: NodeIdentity, what: string): void {
  for (const form of secretForms(id)) {
    expect(text, `${what} shows the private key (${form})`).to.not.include(form)
  }
}

describe('node/identity: hardening (issue 9, keys)', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-identity-h-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  describe('defect: util.inspect and JSON.stringify of an identity print the raw private key', () => {
    it('neither inspect nor JSON of the identity, a copy of it or its key show any form of the key', async () => {
      const id = await loadOrCreateIdentity(dir)
      const texts: Array<[string, string]> = [
        ['inspect(identity)', inspect(id, { depth: 10 })],
        ['inspect(identity, showHidden)', inspect(id, { depth: 10, showHidden: true })],
        ['JSON.stringify(identity)', JSON.stringify(id)],
        ['inspect({...identity})', inspect({ ...id }, { depth: 10 })],
        ['JSON.stringify({...identity})', JSON.stringify({ ...id })],
        ['inspect(identity.privateKey)', inspect(id.privateKey, { depth: 10 })],
        ['JSON.stringify(identity.privateKey)', JSON.stringify(id.privateKey)],
        ['JSON.stringify({ nested: identity })', JSON.stringify({ nested: { id } })],
        ['String(identity)', String(id)]
      ]
      for (const [what, text] of texts) expectNoSecret(text, id, what)
      // what is public stays visible
      expect(inspect(id)).to.include(id.peerId)
      expect(JSON.parse(JSON.stringify(id))).to.deep.include({ peerId: id.peerId, ethAddress: id.ethAddress })
    })

    it('also for an identity built from a key in memory (tests, simulations)', async () => {
      const id = identityFromKey(await generateKeyPair('secp256k1'))
      expectNoSecret(inspect(id, { depth: 10 }), id, 'inspect')
      expectNoSecret(JSON.stringify(id), id, 'JSON')
    })

    it('the key still works where it is needed', async () => {
      const id = await loadOrCreateIdentity(dir)
      expect(id.privateKey.raw).to.have.length(32)
      expect(id.ethPrivateKeyHex.slice(2)).to.equal(Buffer.from(id.privateKey.raw).toString('hex'))
      const sig = await id.privateKey.sign(new Uint8Array([1, 2, 3]))
      expect(await id.privateKey.publicKey.verify(new Uint8Array([1, 2, 3]), sig)).to.equal(true)
    })
  })

  describe('defect: the data directory keeps mode 0755', () => {
    it('an existing data directory open to others is tightened to 0700 on load', async () => {
      const dataDir = join(dir, 'profile')
      await mkdir(dataDir, { mode: 0o755 })
      await chmod(dataDir, 0o755)
      await loadOrCreateIdentity(dataDir)
      expect((await stat(dataDir)).mode & 0o777).to.equal(0o700)
    })

    it('a data directory written by the previous code (0755, a 0644 plaintext key, a store) loads, same key, tightened', async () => {
      const dataDir = join(dir, 'old')
      await mkdir(join(dataDir, 'datastore'), { recursive: true })
      await chmod(dataDir, 0o755)
      const key = await generateKeyPair('secp256k1')
      await writeFile(join(dataDir, IDENTITY_FILE), privateKeyToProtobuf(key), { mode: 0o644 })
      await chmod(join(dataDir, IDENTITY_FILE), 0o644)
      const id = await loadOrCreateIdentity(dataDir)
      expect(id.created).to.equal(false)
      expect(id.peerId).to.equal(identityFromKey(key).peerId)
      expect((await stat(dataDir)).mode & 0o777).to.equal(0o700)
      expect((await stat(join(dataDir, IDENTITY_FILE))).mode & 0o777).to.equal(0o600)
      // still the plaintext format: nothing rewrote it
      expect(Array.from(await readFile(join(dataDir, IDENTITY_FILE)))).to.deep.equal(Array.from(privateKeyToProtobuf(key)))
    })
  })

  describe('defect: a symlinked key file is followed and its target\'s mode changed', () => {
    it('refuses a key file that is a symbolic link, and leaves the target alone', async () => {
      const elsewhere = join(dir, 'elsewhere')
      await mkdir(elsewhere)
      const target = join(elsewhere, 'some-file')
      const key = await generateKeyPair('secp256k1')
      await writeFile(target, privateKeyToProtobuf(key))
      await chmod(target, 0o644)
      const dataDir = join(dir, 'victim')
      await mkdir(dataDir, { mode: 0o700 })
      await symlink(target, join(dataDir, IDENTITY_FILE))

      const err = await loadOrCreateIdentity(dataDir).then(() => undefined, (e: unknown) => e)
      expect(err).to.be.instanceOf(IdentityError)
      expect((err as IdentityError).code).to.equal('ERR_SYMLINKED_KEY')
      expect((err as Error).message).to.include(IDENTITY_FILE)
      expect((await stat(target)).mode & 0o777, 'the target\'s mode was changed').to.equal(0o644)
      expect((await lstat(join(dataDir, IDENTITY_FILE))).isSymbolicLink()).to.equal(true)
    })

    it('refuses a dangling symbolic link rather than creating a key through it', async () => {
      const dataDir = join(dir, 'dangling')
      await mkdir(dataDir, { mode: 0o700 })
      const target = join(dir, 'would-be-created')
      await symlink(target, join(dataDir, IDENTITY_FILE))
      const err = await loadOrCreateIdentity(dataDir).then(() => undefined, (e: unknown) => e)
      expect((err as IdentityError).code).to.equal('ERR_SYMLINKED_KEY')
      expect(await stat(target).then(() => true, () => false)).to.equal(false)
    })

    it('refuses a key "file" that is a directory or a FIFO without blocking on it', async () => {
      const dataDir = join(dir, 'odd')
      await mkdir(join(dataDir, IDENTITY_FILE), { recursive: true })
      const err = await loadOrCreateIdentity(dataDir).then(() => undefined, (e: unknown) => e)
      expect((err as IdentityError).code).to.equal('ERR_NOT_A_FILE')
      const { execFileSync } = await import('node:child_process')
      const fifoDir = join(dir, 'fifo')
      await mkdir(fifoDir)
      execFileSync('mkfifo', [join(fifoDir, IDENTITY_FILE)])
      const fifoErr = await loadOrCreateIdentity(fifoDir).then(() => undefined, (e: unknown) => e)
      expect((fifoErr as IdentityError).code).to.equal('ERR_NOT_A_FILE')
    })
  })
})
