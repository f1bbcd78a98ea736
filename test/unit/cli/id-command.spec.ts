/**
 * Issue 9, keys: how a user makes an encrypted key file (`hitch id --encrypt`) and how a daemon
 * gets its passphrase (`--passphrase-file`, `HITCH_PASSPHRASE_FILE`), through the real command.
 */
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { expect } from 'chai'

const HITCH = resolve(fileURLToPath(import.meta.url), '../../../../cli/hitch.js')

interface Run { code: number, stdout: string, stderr: string }

async function hitch (args: string[], env: Record<string, string> = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [HITCH, ...args], { env: { ...process.env, HITCH_PASSPHRASE_FILE: '', ...env }, timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

describe('cli: hitch id --encrypt / --decrypt and the passphrase of daemons', function () {
  this.timeout(120_000)
  let dir: string
  let pwFile: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-id-cli-'))
    pwFile = join(dir, 'pw')
    await writeFile(pwFile, 'correct horse battery staple\n', { mode: 0o600 })
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('encrypts an existing key in place (same peer id), and every later use needs the passphrase', async () => {
    const data = join(dir, 'node')
    const plain = JSON.parse((await hitch(['id', '--data-dir', data, '--json'])).stdout)
    expect(plain).to.include({ encrypted: false, created: true })

    const enc = await hitch(['id', '--data-dir', data, '--encrypt', '--light-kdf', '--passphrase-file', pwFile, '--json'])
    expect(enc.code, enc.stderr).to.equal(0)
    expect(JSON.parse(enc.stdout)).to.include({ peerId: plain.peerId, address: plain.address, encrypted: true })
    const doc = JSON.parse(await readFile(join(data, 'identity.key'), 'utf8'))
    expect(doc.version).to.equal(3)
    expect(doc.address).to.equal(plain.address.slice(2).toLowerCase())

    const without = await hitch(['id', '--data-dir', data])
    expect(without.code).to.equal(1)
    expect(without.stderr).to.match(/is encrypted: give its passphrase/)

    const viaEnv = await hitch(['id', '--data-dir', data, '--json'], { HITCH_PASSPHRASE_FILE: pwFile })
    expect(viaEnv.code, viaEnv.stderr).to.equal(0)
    expect(JSON.parse(viaEnv.stdout).peerId).to.equal(plain.peerId)

    await writeFile(join(dir, 'wrong'), 'nope\n')
    const wrong = await hitch(['id', '--data-dir', data, '--passphrase-file', join(dir, 'wrong')])
    expect(wrong.code).to.equal(1)
    expect(wrong.stderr).to.match(/wrong passphrase/)

    const twice = await hitch(['id', '--data-dir', data, '--encrypt', '--passphrase-file', pwFile])
    expect(twice.code).to.equal(2)

    const dec = await hitch(['id', '--data-dir', data, '--decrypt', '--passphrase-file', pwFile, '--json'])
    expect(dec.code, dec.stderr).to.equal(0)
    expect(JSON.parse(dec.stdout)).to.include({ peerId: plain.peerId, encrypted: false })
  })

  it('creates a new key encrypted straight away: no plaintext key is ever written', async () => {
    const data = join(dir, 'fresh')
    const run = await hitch(['id', '--data-dir', data, '--encrypt', '--light-kdf', '--passphrase-file', pwFile, '--json'])
    expect(run.code, run.stderr).to.equal(0)
    expect(JSON.parse(run.stdout)).to.include({ created: true, encrypted: true })
    expect((await stat(data)).mode & 0o777).to.equal(0o700)
  })

  it('a daemon refuses an encrypted key without its passphrase, before it starts anything', async () => {
    const data = join(dir, 'driver')
    await hitch(['id', '--data-dir', data, '--encrypt', '--light-kdf', '--passphrase-file', pwFile])
    const run = await hitch(['drive', '--data-dir', data, '--listen', '/ip4/127.0.0.1/tcp/0'])
    expect(run.code).to.equal(1)
    expect(run.stderr).to.match(/identity\.key is encrypted: give its passphrase \(--passphrase-file FILE or HITCH_PASSPHRASE_FILE\)/)
  })

  it('a daemon given the passphrase file starts with the encrypted key (hitch drive, HITCH_PASSPHRASE_FILE)', async () => {
    const data = join(dir, 'driver-ok')
    const made = JSON.parse((await hitch(['id', '--data-dir', data, '--encrypt', '--light-kdf', '--passphrase-file', pwFile, '--json'])).stdout)
    const child = spawn(process.execPath, [HITCH, 'drive', '--data-dir', data, '--listen', '/ip4/127.0.0.1/tcp/0', '--json'], {
      env: { ...process.env, HITCH_PASSPHRASE_FILE: pwFile },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    try {
      const lines = createInterface({ input: child.stdout })
      const [first] = await once(lines, 'line') as [string]
      expect(JSON.parse(first)).to.include({ event: 'listening', peerId: made.peerId, ethAddress: made.address })
    } finally {
      child.kill('SIGINT')
      await once(child, 'exit')
    }
  })

  it('refuses --encrypt with no passphrase source and no terminal', async () => {
    const run = await hitch(['id', '--data-dir', join(dir, 'x'), '--encrypt'])
    expect(run.code).to.equal(2)
    expect(run.stderr).to.match(/--encrypt needs a passphrase/)
  })
})
