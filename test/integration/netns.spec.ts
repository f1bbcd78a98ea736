import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { followJsonLines, hitchArgv, stopDaemons } from '../fixtures/run-cli.js'
import { ADDRESSES, buildTopology, skipUnlessNetns, type Site, type Topology } from '../netns/topology.js'
import type { ChildProcess } from 'node:child_process'

/** The relay's fixed port in `pub` (the namespace is this run's own, so nothing else holds it). */
const RELAY_PORT = 4001
/** The dev chain's challenge period, seconds. */
const CHALLENGE_PERIOD_S = 5

/**
 * How long the rider has to notice that its driver is gone before it is stopped (a safety net,
 * not a measurement): three failed reachability checks, 10 s apart, and the dials they make.
 */
const RIDER_NOTICES_MS = 60_000

/**
 * Hitch across real NATs on one machine (test/netns/topology.ts): `hitch chain` and `hitch relay`
 * in the public namespace, `hitch drive` and `hitch ride` processes behind NAT A and NAT B, and
 * both behind one carrier-grade double NAT. A ride completes and is paid, and the test records
 * which path carried it: relayed (through the relay's circuit) or direct (after a hole punch),
 * from the nodes' `direct` events and from what the routers forwarded between the NATs.
 */
describe('netns: hitch drive and hitch ride behind NATs, a relay in public (root only)', function () {
  this.timeout(90_000)
  let topology: Topology | undefined
  let dir: string
  const daemons: ChildProcess[] = []
  let chainUrl: string
  let adminToken: string
  let relayAddr: string
  let relayPeer: string
  const env = (): NodeJS.ProcessEnv => ({ HITCH_CACHE_DIR: join(dir, 'cache') })

  before(async function () {
    await skipUnlessNetns(this, 'the netns ride tests')
    dir = await mkdtemp(join(tmpdir(), 'hitch-netns-'))
    topology = await buildTopology()
    // a short challenge period: a channel closed unilaterally (a ride cut short) is final soon
    const chain = topology.spawnHitch('pub', ['chain', '--json', '--host', ADDRESSES.pub, '--challenge-period', `${CHALLENGE_PERIOD_S}s`], { env: env() })
    daemons.push(chain)
    // a relay on a public host knows its address: it announces it (AutoNAT has no one to confirm it)
    const listen = `/ip4/${ADDRESSES.pub}/tcp/${RELAY_PORT}`
    const relay = topology.spawnHitch('pub', ['relay', '--json', '--listen', listen, '--announce', listen, '--data-dir', join(dir, 'relay')], { env: env() })
    daemons.push(relay)
    const chainInfo = await followJsonLines(chain).next(e => e.event === 'listening', 'the chain listening')
    chainUrl = chainInfo.url
    adminToken = chainInfo.adminToken
    expect(chainUrl).to.equal(`http://${ADDRESSES.pub}:${new URL(chainUrl).port}`)
    const listening = await followJsonLines(relay).next(e => e.event === 'listening', 'the relay listening')
    relayPeer = listening.peerId
    relayAddr = `${listen}/p2p/${relayPeer}`
    expect(listening.addrs).to.include(relayAddr)
  })

  after(async () => {
    // riders and drivers first, then the relays and the chain they use
    await stopDaemons([...daemons].reverse())
    await topology?.destroy()
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  /** A `hitch drive` daemon in `site`, paid through the chain, bootstrapped from the relay; resolves once it holds a reservation there. */
  const startDriver = async (site: Site, name: string, relay = { addr: relayAddr, peer: relayPeer }): Promise<{ child: ChildProcess, events: ReturnType<typeof followJsonLines>, peerId: string, ethAddress: string }> => {
    const child = topology!.spawnHitch(site, ['drive', '--json', '--chain', chainUrl, '--bootstrap', relay.addr, '--data-dir', join(dir, name),
      '--speedup', '30', '--seats', '2'], { env: env() })
    daemons.push(child)
    const events = followJsonLines(child)
    const listening = await events.next(e => e.event === 'listening', `the driver in ${site} listening`)
    // behind a NAT it has no public address of its own (only, once reserved, the relay's circuit)
    expect(listening.addrs.filter((a: string) => !a.includes('/p2p-circuit') && !/^\/ip4\/(127|192\.168)\./.test(a)), listening.addrs.join(' ')).to.deep.equal([])
    await events.next(e => e.event === 'payments' && e.enabled === true, `the driver in ${site} paid through the chain`)
    await events.next(e => e.event === 'reachability' && e.status === 'relayed' && e.relays.includes(relay.peer), `the driver in ${site} reserving on the relay`)
    return { child, events, peerId: listening.peerId, ethAddress: listening.ethAddress }
  }

  /** Runs a JSON-RPC call against the chain from inside `pub` (the host itself has no route to it). */
  const rpc = async (method: string, params: unknown[], admin = false): Promise<any> => {
    const headers = { 'content-type': 'application/json', ...(admin ? { authorization: `Bearer ${adminToken}` } : {}) }
    const script = `fetch(${JSON.stringify(chainUrl)}, { method: 'POST', headers: ${JSON.stringify(headers)}, body: ${JSON.stringify(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }))} })` +
      '.then(r => r.json()).then(j => process.stdout.write(JSON.stringify(j)))'
    const res = await topology!.run('pub', process.execPath, ['-e', script])
    expect(res.code, res.stderr).to.equal(0)
    return JSON.parse(res.stdout).result
  }

  /**
   * A paid ride from a driver in `driverSite` to a rider in `riderSite`; `direct` and `relayed`
   * are the routers' counters of what went straight between the two NATs and what went to the
   * relay. Returns the path that carried it.
   */
  const rideAcross = async (label: string, driverSite: Site, riderSite: Site,
    counters: (t: Topology) => Promise<{ direct: Array<{ read: () => Promise<{ bytes: number }> }>, relayed: Array<{ read: () => Promise<{ bytes: number }> }> }>): Promise<'relayed' | 'direct'> => {
    const driver = await startDriver(driverSite, `driver-${driverSite}`)
    const { direct, relayed } = await counters(topology!)
    const before = BigInt(await rpc('eth_getBalance', [driver.ethAddress, 'latest']))

    // the rider is given the relay and the driver's relayed address, as cli-pay gives it the driver's
    const rider = topology!.spawnHitch(riderSite, ['ride', '--json', '--yes', '--close', '--chain', chainUrl, '--data-dir', join(dir, `rider-${riderSite}`),
      '--bootstrap', relayAddr, '--bootstrap', `${relayAddr}/p2p-circuit/p2p/${driver.peerId}`,
      '--from', '40.7495,-73.9800', '--to', '40.7570,-73.9720', '--timeout', '30s'], { env: env() })
    daemons.push(rider)
    let stderr = ''
    rider.stderr?.on('data', (b: Buffer) => { stderr += b.toString() })
    const riderEvents = followJsonLines(rider)
    const code = await new Promise(resolve => rider.once('exit', resolve))
    expect(code, stderr).to.equal(0)
    const events = riderEvents.events
    const record = events.at(-1)
    expect(record.header.driver).to.equal(driver.peerId)

    // paid in steps, closed co-operatively, and the chain moved the fare to the driver
    const opened = events.find(e => e.event === 'channel:opened')
    expect(opened?.txHash).to.match(/^0x[0-9a-f]{64}$/)
    expect(events.filter(e => e.event === 'paid' && !e.final && BigInt(e.rideWei) > 0n).length).to.be.greaterThanOrEqual(2)
    const closed = events.find(e => e.event === 'channel:closed')
    expect(closed?.kind).to.equal('cooperative')
    const fareWei = BigInt(record.header.fare) * 10n ** 13n
    expect(record.header.amountPaid).to.equal(String(fareWei))
    await driver.events.next(e => e.event === 'paid' && e.final === true, 'the driver seeing the final payment')
    const after = BigInt(await rpc('eth_getBalance', [driver.ethAddress, 'latest']))
    expect(after - before).to.equal(fareWei)

    // which path carried it
    const upgrades = [
      ...events.filter(e => e.event === 'direct' && e.peer === driver.peerId),
      ...driver.events.events.filter(e => e.event === 'direct' && e.peer === record.header.rider)
    ]
    const sum = async (list: Array<{ read: () => Promise<{ bytes: number }> }>): Promise<number> =>
      (await Promise.all(list.map(async c => (await c.read()).bytes))).reduce((a, b) => a + b, 0)
    const directBytes = await sum(direct)
    const relayedBytes = await sum(relayed)
    const path = upgrades.length > 0 || directBytes > 0 ? 'direct' : 'relayed'
    if (path === 'relayed') expect(relayedBytes).to.be.greaterThan(0)
    console.log(`      netns: ${label} ride carried ${path} (${upgrades.length} 'direct' event(s)` +
      `${upgrades.length > 0 ? `: ${upgrades.map(u => u.transport as string).join(', ')}` : ''}; ` +
      `${directBytes} B straight between the NATs, ${relayedBytes} B sent to the relay; fare ${String(record.header.fare)} cents paid and closed)`)
    await stopDaemons([driver.child])
    return path
  }

  it('a driver behind NAT A and one behind the double NAT reserve on the relay in public and report "relayed"', async () => {
    // what the rides below build on: each is reachable only through its reservation
    const drivers = [await startDriver('drvA', 'reserve-drvA'), await startDriver('drvD', 'reserve-drvD')]
    await stopDaemons(drivers.map(d => d.child))
  })

  it('NAT A ↔ NAT B: a ride completes and is paid, and the path that carried it is recorded', async () => {
    const path = await rideAcross('NAT A ↔ NAT B', 'drvA', 'ridB', async t => ({
      direct: [
        await t.count('pub', 'FORWARD', ['-s', ADDRESSES.natA, '-d', ADDRESSES.natB]),
        await t.count('pub', 'FORWARD', ['-s', ADDRESSES.natB, '-d', ADDRESSES.natA])
      ],
      relayed: [
        await t.count('pub', 'INPUT', ['-p', 'tcp', '--dport', String(RELAY_PORT), '-s', ADDRESSES.natA]),
        await t.count('pub', 'INPUT', ['-p', 'tcp', '--dport', String(RELAY_PORT), '-s', ADDRESSES.natB])
      ]
    }))
    expect(path).to.be.oneOf(['relayed', 'direct'])
  })

  it('both behind one double NAT: a ride completes and is paid, and the path that carried it is recorded', async () => {
    const path = await rideAcross('double NAT (both behind one carrier NAT)', 'drvD', 'ridE', async t => ({
      // a direct path between the two homes turns inside the carrier's NAT
      direct: [
        await t.count('natC', 'FORWARD', ['-i', 'd0', '-o', 'e0']),
        await t.count('natC', 'FORWARD', ['-i', 'e0', '-o', 'd0'])
      ],
      relayed: [await t.count('pub', 'INPUT', ['-p', 'tcp', '--dport', String(RELAY_PORT), '-s', ADDRESSES.natC])]
    }))
    expect(path).to.be.oneOf(['relayed', 'direct'])
  })

  it('the relay dies in the middle of a ride (NAT A ↔ NAT B): no money is lost, and the ride ends cleanly', async function () {
    this.timeout(150_000)
    // a relay of its own, so that the other cases keep theirs
    const listen = `/ip4/${ADDRESSES.pub}/tcp/${RELAY_PORT + 1}`
    const relay = topology!.spawnHitch('pub', ['relay', '--json', '--listen', listen, '--announce', listen, '--data-dir', join(dir, 'relay-dies')], { env: env() })
    daemons.push(relay)
    const peer = (await followJsonLines(relay).next(e => e.event === 'listening', 'the second relay listening')).peerId as string
    const addr = `${listen}/p2p/${peer}`
    const driver = await startDriver('drvA', 'driver-relay-dies', { addr, peer })

    const riderDir = join(dir, 'rider-relay-dies')
    const rider = topology!.spawnHitch('ridB', ['ride', '--json', '--yes', '--close', '--chain', chainUrl, '--data-dir', riderDir,
      '--bootstrap', addr, '--bootstrap', `${addr}/p2p-circuit/p2p/${driver.peerId}`,
      '--from', '40.7495,-73.9800', '--to', '40.7570,-73.9720', '--timeout', '30s'], { env: env() })
    daemons.push(rider)
    let stderr = ''
    rider.stderr?.on('data', (b: Buffer) => { stderr += b.toString() })
    const riderEvents = followJsonLines(rider)
    const exited = new Promise<number | null>(resolve => rider.once('exit', resolve))
    const step = await riderEvents.next(e => e.event === 'paid' && !e.final && BigInt(e.rideWei) > 0n, 'a first step of the fare paid')
    relay.kill('SIGKILL')

    // the rider must notice: it ends (its ride failed or, reconnected, completed) on its own;
    // the bound is a safety net for a rider that waits forever, after which it is stopped as Ctrl+C would
    let timer: NodeJS.Timeout | undefined
    const endedAlone = await Promise.race([exited.then(() => true), new Promise<false>(resolve => { timer = setTimeout(() => resolve(false), RIDER_NOTICES_MS) })])
    clearTimeout(timer)
    if (!endedAlone) await stopDaemons([rider])
    const code = await exited
    const lastLine = stderr.trim().split('\n').filter(l => l !== '').at(-1) ?? ''

    // no money lost: the channel settles on chain at the latest state both signed, which is what the driver countersigned last
    const channelId = step.channelId as string
    const cosigned = driver.events.events.filter(e => e.event === 'paid' && e.channelId === channelId).map(e => BigInt(e.totalWei))
    const owed = cosigned.reduce((a, b) => (b > a ? b : a), 0n)
    expect(owed > 0n, 'a step of the fare was co-signed').to.equal(true)
    const phaseOf = async (): Promise<any> => {
      const list = await topology!.run('ridB', process.execPath, [...hitchArgv(), 'channels', '--json', '--chain', chainUrl, '--data-dir', riderDir], 60_000)
      expect(list.code, list.stderr).to.equal(0)
      return list.stdout.trim().split('\n').map(l => JSON.parse(l)).find(c => c.channelId === channelId)
    }
    const settle = async (): Promise<void> => {
      if ((await phaseOf())?.phase !== 'finalized') {
        // the rider's deposit must not stay locked: close it as a user would (unilaterally: the driver is out of reach)
        const close = await topology!.run('ridB', process.execPath, [...hitchArgv(), 'channels', 'close', channelId, '--json', '--chain', chainUrl, '--data-dir', riderDir], 60_000)
        expect(close.code, close.stdout + close.stderr).to.equal(0)
      }
    }
    // the dev chain's clock moves only with its blocks: while closes wait out the challenge period, move it on
    const ticker = setInterval(() => {
      rpc('evm_increaseTime', [CHALLENGE_PERIOD_S], true).then(async () => await rpc('evm_mine', [], true)).catch(() => {})
    }, 1000)
    try {
      await settle()
    } finally {
      clearInterval(ticker)
    }
    const settled = await phaseOf()
    expect(settled.phase).to.equal('finalized')
    expect(BigInt(settled.paidToDriver)).to.equal(owed)
    // the driver's daemon follows the chain too: it saw the adjudicator pay it that state, and the
    // rest of the deposit back to the rider (nothing stuck, nothing lost)
    const paidOut = await driver.events.next(e => e.event === 'channel:settled' && e.channelId === channelId, 'the driver seeing the channel settled on chain', 30_000)
    expect(BigInt(paidOut.paidDriver)).to.equal(owed)
    expect(BigInt(paidOut.paidRider) + BigInt(paidOut.paidDriver)).to.equal(BigInt(settled.deposit))
    console.log(`      netns: relay killed mid-ride: the rider ${endedAlone ? `ended by itself (exit ${String(code)}: ${lastLine})` : `was still waiting ${RIDER_NOTICES_MS / 1000} s later and was stopped`}; ` +
      `the channel settled at the last co-signed state (${String(owed)} wei to the driver), nothing lost`)

    // and the ride ended cleanly: the rider noticed by itself and said why in one line
    expect(endedAlone, 'the rider ended by itself after losing its driver').to.equal(true)
    expect(lastLine).to.match(/^hitch: /)
    await stopDaemons([driver.child])
  })
})
