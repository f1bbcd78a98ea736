import { readFile, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { defaultScenario, runSimulation } from '../../sim/index.js'
import { writeReport } from '../../cli/sim/report.js'
import { runHitch } from '../fixtures/run-cli.js'
import type { SimulationResults } from '../../sim/index.js'

describe('sim: the libp2p network mode (real libp2p nodes)', function () {
  let out: string

  before(async () => { out = await mkdtemp(join(tmpdir(), 'hitch-sim-libp2p-')) })
  after(async () => { await rm(out, { recursive: true, force: true }) })

  it('runs 22 libp2p nodes over the memory transport in one process: riders served, results.json and report.html written', async function () {
    this.timeout(240_000)
    const map = await openRoutedMap()
    const s = defaultScenario()
    s.network.mode = 'libp2p'
    s.network.transport = 'memory'
    s.drivers = 6
    s.riders = 16
    s.durationS = 600
    s.drainS = 1800
    s.speedup = 30
    s.seed = 3
    const { results } = await runSimulation(s, { map })
    const files = await writeReport(join(out, 'memory'), results, map.graph)

    const d = results.decentralized
    const c = results.centralized
    expect(d).to.not.equal(null)
    expect(c).to.not.equal(null)
    if (d == null || c == null) return
    const rec = results.records.decentralized
    // every driver and every rider was a libp2p node of its own
    expect(rec?.nodes).to.have.length(22)
    expect(new Set(rec?.nodes.map(n => n.peerId)).size).to.equal(22)
    expect(rec?.processes).to.equal(1)
    expect(d.requests).to.equal(16)
    expect(d.served).to.be.at.least(8)
    expect(d.served + d.cancelled + d.unfinished).to.equal(16)
    for (const r of rec?.requests ?? []) {
      if (r.status !== 'served') continue
      expect(r.assignTimeS as number).to.be.at.least(r.requestTimeS)
      expect(r.pickupTimeS as number).to.be.at.least(r.assignTimeS as number)
      expect(r.dropoffTimeS as number).to.be.greaterThan(r.pickupTimeS as number)
      expect(r.fareCents as number).to.be.greaterThan(0)
      // the vehicle that took the ride is one of the fleet's peers
      expect(rec?.vehicles.map(v => v.id)).to.include(r.vehicle)
    }
    expect(d.network?.gossip.messagesPerNode).to.be.greaterThan(0)
    expect(d.network?.direct.messagesPerNode).to.be.greaterThan(0)
    expect(d.vehicleKm.total).to.be.greaterThan(0)
    expect(results.notes.join('\n')).to.match(/22 nodes over the memory transport in one process/)
    // the run's health is measured, and the clock never ran faster than asked
    expect(d.resources.peakNodes).to.be.within(6, 22)
    expect(d.resources.worstLoopDelayMs).to.be.a('number')
    if (d.resources.heldSpeedUp != null) {
      expect(d.resources.heldSpeedUp).to.be.within(0, 30)
      expect(results.notes.join('\n')).to.match(/time dilation keeps one event-loop lag under 2\.0 simulated s/)
    }

    // the rides were paid through channels on the run's embedded chain: every served ride's
    // final state co-signed, each rider's channel opened and closed on chain
    const pay = rec?.payments
    expect(pay, 'payments of the run').to.not.equal(null)
    if (pay == null) return
    expect(pay.ridesSettled).to.equal(d.served)
    expect(pay.ridesUnsettled).to.equal(0)
    expect(pay.channelsClosed).to.equal(d.served)
    expect(pay.byFunction.open?.transactions).to.equal(d.served)
    expect(pay.byFunction.closeCooperative?.transactions).to.equal(d.served)
    expect(pay.onChainTxs).to.equal(2 * d.served)
    expect(pay.gasUsed).to.be.greaterThan(0)
    // at least a first state, one in between and a final one per ride
    expect(pay.channelUpdates).to.be.at.least(3 * d.served)
    expect(BigInt(pay.paidWei)).to.equal(BigInt(d.fares.totalCents) * 10n ** 13n)
    expect(d.payments.gasPerSettledRide).to.be.greaterThan(0)

    const written = JSON.parse(await readFile(files.resultsJson, 'utf8')) as SimulationResults
    expect(written.decentralized?.served).to.equal(d.served)
    expect(written.scenario.network.mode).to.equal('libp2p')
    expect((await stat(files.reportHtml)).size).to.be.greaterThan(1000)
    expect(await readFile(files.reportHtml, 'utf8')).to.include('<svg')
  })

  it('spreads the nodes over two worker processes (hitch sim --workers 2) that talk over TCP on 127.0.0.1', async function () {
    this.timeout(240_000)
    const dir = join(out, 'workers')
    const res = await runHitch([
      'sim', '--network', 'libp2p', '--workers', '2', '--drivers', '4', '--riders', '6',
      '--duration', '10m', '--drain', '30m', '--speedup', '30', '--seed', '4', '--out', dir, '--no-progress'
    ], { timeoutMs: 220_000 })
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stdout).to.match(/served/)
    const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8')) as SimulationResults
    const rec = results.records.decentralized
    expect(rec?.processes).to.equal(2)
    expect(rec?.nodes).to.have.length(10)
    expect(rec?.vehicles).to.have.length(4)
    expect(results.decentralized?.served).to.be.at.least(2)
    // the workers' peers paid on the coordinator's dev chain, over JSON-RPC
    expect(rec?.payments?.ridesSettled).to.equal(results.decentralized?.served)
    expect(rec?.payments?.byFunction.open?.transactions).to.equal(results.decentralized?.served)
    // what the workers sent back holds the declared invariants (trip records, payments, channels)
    expect(results.invariants.decentralized?.map(i => i.status)).to.deep.equal(['held', 'held', 'held', 'held'])
    expect(results.notes.join('\n')).to.match(/10 nodes in 2 worker processes on 1 host\(s\), over TCP/)
    await stat(join(dir, 'report.html'))
  })
})
