import { expect } from 'chai'
import { stopDaemons } from '../fixtures/run-cli.js'
import { ADDRESSES, SITES, buildTopology, namespacesWithPrefix, skipUnlessNetns, type Site, type Topology } from '../netns/topology.js'
import { connectFrom, listenIn, type ProbeListener } from '../netns/reachability.js'

/**
 * The NAT test's network (test/netns/topology.ts) before any Hitch process runs in it: private
 * hosts reach the public namespace and are seen there as their NAT's public address; nothing
 * opens a connection to a private host from outside its NAT, not even from behind another NAT or
 * the same carrier-grade NAT; and nothing leaves the namespaces.
 */
describe('netns topology: NAT A, NAT B and a double NAT on one machine (root only)', function () {
  this.timeout(60_000)
  let topology: Topology | undefined
  const listeners: ProbeListener[] = []

  before(async function () {
    await skipUnlessNetns(this, 'the netns topology checks')
    topology = await buildTopology()
  })

  after(async () => {
    await stopDaemons(listeners.map(l => l.child))
    const prefix = topology?.prefix
    await topology?.destroy()
    if (prefix != null) expect(namespacesWithPrefix(prefix)).to.deep.equal([])
  })

  const listen = async (site: Site): Promise<ProbeListener> => {
    const l = await listenIn(topology!, site)
    listeners.push(l)
    return l
  }

  it('private hosts reach pub, which sees each as its outermost NAT\'s public address', async () => {
    const server = await listen('pub')
    const from: Array<[Site, string]> = [['drvA', ADDRESSES.natA], ['ridB', ADDRESSES.natB], ['drvD', ADDRESSES.natC], ['ridE', ADDRESSES.natC]]
    for (const [site] of from) {
      const res = await connectFrom(topology!, site, ADDRESSES.pub, server.port)
      expect(res, `${site} -> pub`).to.deep.equal({ ok: true })
    }
    expect(server.accepted()).to.deep.equal(from.map(([, seenAs]) => seenAs))
  })

  it('pub cannot open a connection to a private host, neither at its address nor at its NAT\'s', async () => {
    const drvA = await listen('drvA')
    const drvD = await listen('drvD')
    // the listeners are open: their own hosts reach them
    expect(await connectFrom(topology!, 'drvA', ADDRESSES.drvA, drvA.port)).to.deep.equal({ ok: true })
    const attempts = await Promise.all([
      connectFrom(topology!, 'pub', ADDRESSES.drvA, drvA.port),
      connectFrom(topology!, 'pub', ADDRESSES.natA, drvA.port),
      connectFrom(topology!, 'pub', ADDRESSES.drvD, drvD.port),
      connectFrom(topology!, 'pub', ADDRESSES.natC, drvD.port),
      connectFrom(topology!, 'pub', ADDRESSES.natD, drvD.port)
    ])
    for (const res of attempts) expect(res.ok).to.equal(false)

    // even a neighbour that routes the NAT's LAN through it (pub given the route) is dropped by
    // the NAT's firewall: only connections opened from inside come back in
    const route = ['route', 'add', '192.168.1.0/24', 'via', ADDRESSES.natA]
    expect((await topology!.run('pub', 'ip', route)).code).to.equal(0)
    try {
      expect(await connectFrom(topology!, 'pub', ADDRESSES.drvA, drvA.port)).to.deep.equal({ ok: false, code: 'ETIMEDOUT' })
    } finally {
      await topology!.run('pub', 'ip', ['route', 'del', '192.168.1.0/24'])
    }
    expect(drvA.accepted().filter(a => a !== ADDRESSES.drvA)).to.deep.equal([])
    expect(drvD.accepted()).to.deep.equal([])
  })

  it('two private hosts cannot reach each other directly, behind two NATs or behind the same double NAT', async () => {
    const drvA = await listen('drvA')
    const drvD = await listen('drvD')
    const attempts = await Promise.all([
      connectFrom(topology!, 'ridB', ADDRESSES.drvA, drvA.port),
      connectFrom(topology!, 'ridB', ADDRESSES.natA, drvA.port),
      connectFrom(topology!, 'ridE', ADDRESSES.drvD, drvD.port),
      connectFrom(topology!, 'ridE', ADDRESSES.natD, drvD.port),
      connectFrom(topology!, 'ridE', ADDRESSES.natC, drvD.port),
      connectFrom(topology!, 'drvA', ADDRESSES.drvD, drvD.port)
    ])
    for (const res of attempts) expect(res.ok).to.equal(false)
    expect(drvA.accepted()).to.deep.equal([])
    expect(drvD.accepted()).to.deep.equal([])
  })

  it('nothing leaves the namespaces: no route out, and every veth\'s peer is inside the topology', async () => {
    const out = await Promise.all([
      connectFrom(topology!, 'pub', '1.1.1.1', 80),
      connectFrom(topology!, 'drvA', '1.1.1.1', 80),
      connectFrom(topology!, 'ridE', '8.8.8.8', 53)
    ])
    for (const res of out) expect(res.ok).to.equal(false)
    const route = await topology!.run('pub', 'ip', ['route', 'get', '1.1.1.1'])
    expect(route.code, route.stdout).to.not.equal(0)
    for (const site of SITES) {
      const links = await topology!.run(site, 'ip', ['-d', '-o', 'link', 'show', 'type', 'veth'])
      expect(links.code, links.stderr).to.equal(0)
      for (const line of links.stdout.trim().split('\n').filter(l => l !== '')) {
        // a veth whose peer sits in another namespace names it; one in the host's would name no topology namespace
        const peer = /link-netns (\S+)/.exec(line)?.[1]
        expect(peer, `${site}: ${line}`).to.be.a('string')
        expect(peer!.startsWith(topology!.prefix), `${site}: ${line}`).to.equal(true)
      }
    }
  })
})
