import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { createPublicClient, http } from 'viem'
import { followJsonLines as follow, runHitch, spawnHitch, stopDaemons } from '../fixtures/run-cli.js'
import type { ChildProcess } from 'node:child_process'

/**
 * The README's "Paying" walk-through as processes over TCP on 127.0.0.1: `hitch chain`, a
 * `hitch drive --chain URL` daemon and `hitch ride --chain URL --close`; then the chain says
 * the driver was paid the fare.
 */
describe('hitch chain + hitch drive --chain + hitch ride --chain --close (processes)', function () {
  this.timeout(150_000)
  let dir: string
  let chainProc: ChildProcess | undefined
  let driverProc: ChildProcess | undefined
  let url: string
  let driverInfo: any
  let driverEvents: ReturnType<typeof follow>
  const env = (): NodeJS.ProcessEnv => ({ HITCH_CACHE_DIR: join(dir, 'cache') })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-cli-pay-'))
    chainProc = spawnHitch(['chain', '--json'], { env: env() })
    const chainEvents = follow(chainProc)
    url = (await chainEvents.next(e => e.event === 'listening', 'the chain listening')).url
    driverProc = spawnHitch(['drive', '--json', '--chain', url, '--data-dir', join(dir, 'driver'), '--listen', '/ip4/127.0.0.1/tcp/0',
      '--speedup', '30', '--seats', '2'], { env: env() })
    driverEvents = follow(driverProc)
    driverInfo = await driverEvents.next(e => e.event === 'listening', 'the driver listening')
    const payments = await driverEvents.next(e => e.event === 'payments', 'the driver payments line')
    expect(payments.enabled).to.equal(true)
  })

  after(async () => {
    await stopDaemons([driverProc, chainProc])
    await rm(dir, { recursive: true, force: true })
  })

  it('the ride is paid in steps and closed; the driver\'s balance on chain rises by the fare', async () => {
    const client = createPublicClient({ transport: http(url) })
    const before = await client.getBalance({ address: driverInfo.ethAddress })

    const res = await runHitch(['ride', '--json', '--yes', '--close', '--chain', url, '--data-dir', join(dir, 'rider'),
      '--bootstrap', driverInfo.address, '--from', '40.7495,-73.9800', '--to', '40.7570,-73.9720', '--timeout', '30s'],
    { env: env(), timeoutMs: 120_000 })
    expect(res.code, res.stderr).to.equal(0)
    const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
    const record = lines.at(-1)
    const events = lines.slice(0, -1)

    const opened = events.find(e => e.event === 'channel:opened')
    expect(opened.txHash).to.match(/^0x[0-9a-f]{64}$/)
    const paid = events.filter(e => e.event === 'paid')
    const nonces = new Set(paid.map(p => p.nonce))
    expect(nonces.size, JSON.stringify(paid)).to.be.greaterThanOrEqual(4) // the first, at least two steps, the final
    expect(paid.filter(p => !p.final && BigInt(p.rideWei) > 0n).length).to.be.greaterThanOrEqual(2)
    const closed = events.find(e => e.event === 'channel:closed')
    expect(closed.kind).to.equal('cooperative')
    expect(closed.txHash).to.match(/^0x[0-9a-f]{64}$/)

    const fareWei = BigInt(record.header.fare) * 10n ** 13n
    expect(record.header.channelId).to.equal(opened.channelId.toLowerCase())
    expect(record.header.amountPaid).to.equal(String(fareWei))
    expect(record.closeTxHash).to.equal(closed.txHash.toLowerCase())

    const after = await client.getBalance({ address: driverInfo.ethAddress })
    expect(after - before).to.equal(fareWei)

    // the receipt still verifies (closeTxHash is not signed), and the rider's store lists the channel settled
    const file = join(dir, 'receipt.json')
    await writeFile(file, JSON.stringify(record))
    const ok = await runHitch(['receipt', 'verify', file])
    expect(ok.code, ok.stdout + ok.stderr).to.equal(0)
    const list = await runHitch(['channels', '--json', '--data-dir', join(dir, 'rider')], { env: env() })
    expect(list.code, list.stderr).to.equal(0)
    const channels = list.stdout.trim().split('\n').map(l => JSON.parse(l))
    expect(channels).to.have.length(1)
    expect(channels[0].channelId).to.equal(opened.channelId)
    expect(channels[0].phase).to.equal('finalized')
    expect(channels[0].paidToDriver).to.equal(String(fareWei))

    // the driver saw the ride paid in full
    await driverEvents.next(e => e.event === 'paid' && e.final === true, 'the driver sees the final payment')
  })

  it('--chain embedded is refused with the reason, and --close needs --chain', async () => {
    const res = await runHitch(['ride', '--chain', 'embedded', '--yes', '--data-dir', join(dir, 'other'),
      '--from', '40.7495,-73.9800', '--to', '40.7570,-73.9720'], { env: env() })
    expect(res.code).to.equal(2)
    expect(res.stderr).to.match(/hitch chain/)
    const close = await runHitch(['ride', '--close', '--yes', '--from', '40.7495,-73.9800', '--to', '40.7570,-73.9720'], { env: env() })
    expect(close.code).to.equal(2)
    expect(close.stderr).to.match(/--close needs --chain/)
  })
})
