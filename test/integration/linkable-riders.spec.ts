import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { createHitchNode } from '../../node/index.js'
import { cellOf, cellTopic, openEnvelope } from '../../protocol/index.js'
import { followJsonLines as follow, runHitch, spawnHitch, stopDaemons } from '../fixtures/run-cli.js'
import { waitFor } from '../fixtures/wait-for.js'
import type { HitchNode } from '../../node/index.js'
import type { ChildProcess } from 'node:child_process'

const FROM = '40.7495,-73.9800'
const TO = '40.7570,-73.9720'

/**
 * Attack (issue 9, "linkable riders"): a third peer on the pickup cell's topic records who
 * signs and who authors every ride request. A rider that signed its gossip with its long-lived
 * key made all its rides linkable. Now each `hitch ride` runs under a fresh peer id, bound to
 * the rider's payment identity only on the direct stream to the driver that confirmed.
 */
describe('attack: linking one rider\'s rides on gossip (hitch chain + hitch drive + hitch ride twice, processes)', function () {
  this.timeout(240_000)
  let dir: string
  let chainProc: ChildProcess | undefined
  let driverProc: ChildProcess | undefined
  let listener: HitchNode | undefined
  let url: string
  let driverInfo: any
  let driverEvents: ReturnType<typeof follow>
  /** request id -> the envelope signers and gossip authors the listener saw for it */
  const heard = new Map<string, { signers: Set<string>, authors: Set<string> }>()
  const env = (): NodeJS.ProcessEnv => ({ HITCH_CACHE_DIR: join(dir, 'cache') })

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-linkable-'))
    chainProc = spawnHitch(['chain', '--json'], { env: env() })
    url = (await follow(chainProc).next(e => e.event === 'listening', 'the chain listening')).url
    driverProc = spawnHitch(['drive', '--json', '--chain', url, '--data-dir', join(dir, 'driver'), '--listen', '/ip4/127.0.0.1/tcp/0',
      '--speedup', '30', '--seats', '2', '--at', FROM], { env: env() })
    driverEvents = follow(driverProc)
    driverInfo = await driverEvents.next(e => e.event === 'listening', 'the driver listening')

    // the listener: an honest-looking peer of the pickup cell, connected to the driver
    const [lat, lon] = FROM.split(',').map(Number)
    const topic = cellTopic(cellOf(lat, lon))
    listener = await createHitchNode({ transport: 'tcp', listen: ['/ip4/127.0.0.1/tcp/0'], loopbackFriendly: true, bootstrap: [driverInfo.address], dht: false })
    // every ride request delivered on the topic: its gossip author (gossipsub's signed `from`)
    // and its envelope's signer
    listener.network.onMessage(m => {
      if (m.topic !== topic) return
      openEnvelope(m.data).then(envelope => {
        if (envelope.message.type !== 'ride-request') return
        const id = envelope.message.body.requestId
        const entry = heard.get(id) ?? { signers: new Set<string>(), authors: new Set<string>() }
        entry.signers.add(envelope.sender.toString())
        entry.authors.add(m.from)
        heard.set(id, entry)
      }, () => {})
    })
    await listener.start()
    listener.network.subscribe(topic)
    await listener.network.dial(driverInfo.address)
    await waitFor(() => listener!.network.topicPeers(topic).includes(driverInfo.peerId), { what: 'the listener meshed with the driver' })
  })
  after(async () => {
    await listener?.stop().catch(() => {})
    await stopDaemons([driverProc, chainProc])
    await rm(dir, { recursive: true, force: true })
  })

  it('two paid rides of one data dir share no signer and no gossip author; the driver is paid and both records name the rider\'s address', async () => {
    const id = await runHitch(['id', '--json', '--data-dir', join(dir, 'rider')], { env: env() })
    const identity = JSON.parse(id.stdout)
    const rides: Array<{ requestId: string, record: any }> = []
    for (let i = 0; i < 2; i++) {
      const res = await runHitch(['ride', '--json', '--yes', '--chain', url, '--data-dir', join(dir, 'rider'),
        '--bootstrap', driverInfo.address, '--from', FROM, '--to', TO, '--timeout', '30s'], { env: env(), timeoutMs: 150_000 })
      expect(res.code, res.stderr).to.equal(0)
      const lines = res.stdout.trim().split('\n').map(l => JSON.parse(l))
      const requested = lines.find(e => e.event === 'requested')
      rides.push({ requestId: requested.requestId, record: lines.at(-1) })
    }
    await waitFor(() => rides.every(r => heard.has(r.requestId)), { what: 'the listener heard both requests' })

    // who signed and who authored each ride's requests, as the listener saw them
    const [a, b] = rides.map(r => heard.get(r.requestId)!)
    const overlap = (x: Set<string>, y: Set<string>): string[] => [...x].filter(v => y.has(v))
    expect(overlap(a.signers, b.signers), 'a signer common to both rides').to.deep.equal([])
    expect(overlap(a.authors, b.authors), 'a gossip author common to both rides').to.deep.equal([])
    // nor is any of them the rider's long-lived identity
    for (const s of [...a.signers, ...b.signers, ...a.authors, ...b.authors]) expect(s).to.not.equal(identity.peerId)

    // the records: another peer id per ride, the same (long-lived) payment address, the same
    // channel (reused, found by the driver by address), paid in full, and each still verifies
    const [r1, r2] = rides.map(r => r.record)
    expect(r1.header.rider).to.not.equal(r2.header.rider)
    expect(r1.header.riderAddress).to.equal(identity.address.toLowerCase())
    expect(r2.header.riderAddress).to.equal(identity.address.toLowerCase())
    expect(r2.header.channelId).to.equal(r1.header.channelId)
    const wei = (cents: string): bigint => BigInt(cents) * 10n ** 13n
    expect(BigInt(r2.header.amountPaid)).to.equal(wei(r1.header.fare) + wei(r2.header.fare))
    for (const [i, record] of [r1, r2].entries()) {
      const file = join(dir, `receipt-${i}.json`)
      await writeFile(file, JSON.stringify(record))
      const ok = await runHitch(['receipt', 'verify', file])
      expect(ok.code, ok.stdout + ok.stderr).to.equal(0)
    }
    // the driver saw both rides paid in full
    await waitFor(() => driverEvents.events.filter(e => e.event === 'paid' && e.final === true).length >= 2, { what: 'the driver sees both final payments', timeoutMs: 30_000 })
  })
})
