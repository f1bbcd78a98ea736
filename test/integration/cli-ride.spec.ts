import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { expect } from 'chai'
import { runHitch, spawnHitch } from '../fixtures/run-cli.js'
import type { ChildProcess } from 'node:child_process'

/**
 * The README's walk-through as processes: `hitch drive` in one "terminal",
 * `hitch ride` in another, then `hitch receipt verify` on what the rider got.
 */
describe('hitch drive + hitch ride (processes over TCP on 127.0.0.1)', function () {
  this.timeout(120_000)
  let dir: string
  let driver: ChildProcess | undefined
  const events: any[] = []
  let listening: any

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-cli-ride-'))
    driver = spawnHitch(['drive', '--json', '--data-dir', join(dir, 'driver'), '--listen', '/ip4/127.0.0.1/tcp/0', '--speedup', '30', '--seats', '2'], { env: { HITCH_CACHE_DIR: join(dir, 'cache') } })
    const lines = createInterface({ input: driver.stdout! })
    listening = await new Promise((resolve, reject) => {
      driver!.once('exit', code => { reject(new Error(`driver exited early with ${String(code)}`)) })
      lines.on('line', line => {
        const e = JSON.parse(line)
        events.push(e)
        if (e.event === 'listening') resolve(e)
      })
    })
  })

  after(async () => {
    if (driver?.exitCode == null) driver?.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('the daemon announces itself first: peer id, a dialable address, all addresses', () => {
    expect(events[0].event).to.equal('listening')
    expect(listening.peerId).to.match(/^16Uiu2/)
    expect(listening.address).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//)
    expect(listening.addrs).to.include(listening.address)
  })

  it('a rider gets a ride, and its last line is a trip record both signed that verifies', async () => {
    const res = await runHitch(['ride', '--json', '--yes', '--data-dir', join(dir, 'rider'), '--bootstrap', listening.address,
      '--from', '40.7495,-73.9800', '--to', '40.7540,-73.9750', '--timeout', '30s'], { env: { HITCH_CACHE_DIR: join(dir, 'cache') }, timeoutMs: 100_000 })
    expect(res.code, res.stderr).to.equal(0)
    const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
    const kinds = lines.slice(0, -1).map(l => l.event)
    expect(kinds).to.include.members(['quote', 'accepted', 'confirmed', 'update'])
    const record = lines[lines.length - 1]
    expect(record.header.driver).to.equal(listening.peerId)
    expect(record.signatures.driver).to.be.a('string')
    expect(record.signatures.rider).to.be.a('string')
    expect(record.events.map((e: any) => e.type)).to.include.members(['accepted', 'picked-up', 'dropped-off', 'fare'])

    const file = join(dir, 'receipt.json')
    await writeFile(file, JSON.stringify(record))
    const ok = await runHitch(['receipt', 'verify', file])
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0)

    // one altered byte of the fare is caught, and named
    const tampered = JSON.stringify(record).replace(`"fare":"${String(record.header.fare)}"`, `"fare":"${String(Number(record.header.fare) + 1)}"`)
    await writeFile(file, tampered)
    const bad = await runHitch(['receipt', 'verify', file])
    expect(bad.code).to.equal(1)
    expect(bad.stdout).to.match(/FAIL/)
  })

  it('a ride nobody can serve ends with a clear message and a non-zero exit code', async () => {
    // far corner of the synthetic city but no driver knows this rider: no bootstrap
    const res = await runHitch(['ride', '--yes', '--data-dir', join(dir, 'lonely'), '--listen', '/ip4/127.0.0.1/tcp/0',
      '--from', '40.7495,-73.9800', '--to', '40.7540,-73.9750', '--timeout', '3s'], { env: { HITCH_CACHE_DIR: join(dir, 'cache') } })
    expect(res.code).to.not.equal(0)
    expect(res.stderr).to.match(/no driver/)
  })

  it('the daemon stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>(resolve => driver!.once('exit', resolve))
    driver!.kill('SIGTERM')
    expect(await exited).to.equal(0)
    expect(events.some(e => e.event === 'trip-record')).to.equal(true)
  })
})
