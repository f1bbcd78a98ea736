import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { followJsonLines, runHitch, spawnHitch, type JsonLines } from '../fixtures/run-cli.js'
import type { ChildProcess } from 'node:child_process'

/**
 * `hitch relay` and `hitch drive` as processes on 127.0.0.1: the driver has no address a peer
 * could dial from outside (loopback is private), so it reserves on the relay it bootstraps from
 * and says so in its JSON events.
 */
describe('hitch relay + hitch drive (processes over TCP on 127.0.0.1)', function () {
  this.timeout(60_000)
  let dir: string
  const children: ChildProcess[] = []

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hitch-relay-cli-'))
  })

  after(async () => {
    for (const child of children) if (child.exitCode == null) child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
  })

  async function stop (child: ChildProcess, lines: JsonLines): Promise<any> {
    child.kill('SIGTERM')
    return await lines.next(e => e.event === 'stopped', 'the stopped event')
  }

  it('a driver reserves on its bootstrap relay and reports "relayed", then "private" when the relay stops', async () => {
    const relay = spawnHitch(['relay', '--json', '--data-dir', join(dir, 'relay'), '--listen', '/ip4/127.0.0.1/tcp/0', '--max-per-ip', '2'], { env: { HITCH_CACHE_DIR: join(dir, 'cache') } })
    children.push(relay)
    const relayLines = followJsonLines(relay)
    const listening = await relayLines.next(e => e.event === 'listening', 'the relay listening')
    const limits = await relayLines.next(e => e.event === 'relay', 'the relay limits')
    expect(limits).to.include({ maxReservationsPerIp: 2, maxReservations: 128 })
    expect(limits.durationLimitMs).to.be.greaterThan(2 * 60_000)

    const driver = spawnHitch(['drive', '--json', '--data-dir', join(dir, 'driver'), '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', listening.address], { env: { HITCH_CACHE_DIR: join(dir, 'cache') } })
    children.push(driver)
    const driverLines = followJsonLines(driver)
    await driverLines.next(e => e.event === 'listening', 'the driver listening')
    const relayed = await driverLines.next(e => e.event === 'reachability' && e.status === 'relayed', 'the driver relayed')
    expect(relayed.relays).to.deep.equal([listening.peerId])

    expect(await stop(relay, relayLines)).to.include({ event: 'stopped', refusedPerIp: 0 })
    const lost = await driverLines.next(e => e.event === 'reachability' && e.status === 'private', 'the driver losing its relay')
    expect(lost.relays).to.deep.equal([])
    await stop(driver, driverLines)
  })

  it('bad relay flags are refused with a clear message', async () => {
    const res = await runHitch(['relay', '--max-per-ip', '0'])
    expect(res.code).to.equal(2)
    expect(res.stderr).to.match(/--max-per-ip: 0 is out of range/)
    const nat = await runHitch(['drive', '--relay', '--no-nat'])
    expect(nat.code).to.equal(2)
    expect(nat.stderr).to.match(/--no-nat: a relay needs NAT traversal on/)
    const stun = await runHitch(['ride', '--from', '1,1', '--to', '1,1', '--stun', 'http://x'])
    expect(stun.code).to.equal(2)
    expect(stun.stderr).to.match(/--stun: "http:\/\/x" is not a STUN URL/)
  })
})
