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
    driver = spawnHitch(['drive', '--json', '--data-dir', join(dir, 'driver'), '--listen', '/ip4/127.0.0.1/tcp/0', '--speedup', '30', '--seats', '2', '--metrics', '127.0.0.1:0'], { env: { HITCH_CACHE_DIR: join(dir, 'cache') } })
    const lines = createInterface({ input: driver.stdout! })
    listening = await new Promise((resolve, reject) => {
      driver!.once('exit', code => { reject(new Error(`driver exited early with ${String(code)}`)) })
      lines.on('line', line => {
        const e = JSON.parse(line)
        events.push(e)
        if (e.event === 'metrics') resolve(listening)
        if (e.event === 'listening') listening = e
      })
    })
  })

  after(async () => {
    if (driver?.exitCode == null) driver?.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  it('the daemon announces itself first: peer id, a dialable address, all addresses', () => {
    expect(events[0].event).to.equal('listening')
    // an Ed25519 peer id (its payment key is another, secp256k1 one)
    expect(listening.peerId).to.match(/^12D3KooW/)
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

  it('serves Prometheus metrics that counted the ride: quote sent and won, match latency, the ride, connections', async () => {
    const url = events.find(e => e.event === 'metrics')?.url as string
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    const res = await fetch(url)
    expect(res.status).to.equal(200)
    const text = await res.text()
    const hitch = text.split('\n').filter(l => l.startsWith('hitch_')).join('\n')
    const value = (name: string): number => {
      const line = text.split('\n').find(l => l.startsWith(name + ' '))
      return line == null ? NaN : Number(line.slice(name.length + 1))
    }
    expect(value('hitch_requests_heard_total')).to.be.at.least(1)
    expect(value('hitch_quotes_sent_total')).to.be.at.least(1)
    expect(value('hitch_quotes_won_total'), hitch).to.equal(1)
    expect(value('hitch_match_latency_seconds_count'), hitch).to.equal(1)
    expect(value('hitch_rides_total{outcome="completed"}'), hitch).to.equal(1)
    expect(text).to.match(/^libp2p_connection_manager_connections\{/m)
    expect(text).to.include('# TYPE hitch_store_fsync_seconds histogram')
    expect(value('hitch_store_fsync_seconds_count')).to.be.at.least(1)
    expect((await fetch(url.replace('/metrics', '/other'))).status).to.equal(404)
  })

  it('refuses a --metrics address that is not HOST:PORT, naming the flag', async () => {
    const res = await runHitch(['drive', '--data-dir', join(dir, 'bad-metrics'), '--metrics', 'everywhere'], { env: { HITCH_CACHE_DIR: join(dir, 'cache') } })
    expect(res.code).to.equal(2)
    expect(res.stderr).to.match(/--metrics: expected HOST:PORT/)
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
