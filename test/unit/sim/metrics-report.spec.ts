import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { openRoutedMap } from '../../../node/map/index.js'
import { computeMetrics, distribution, runSimulation } from '../../../sim/index.js'
import { summaryTable, writeReport } from '../../../cli/sim/report.js'
import { defaultScenario } from '../../../sim/index.js'
import type { RequestRecord, RunRecords } from '../../../sim/index.js'

function rec (id: string, over: Partial<RequestRecord>): RequestRecord {
  return {
    id, status: 'served', requestTimeS: 0, assignTimeS: 10, matchWallMs: 2, pickupTimeS: 100, dropoffTimeS: 400, directTimeS: 200,
    directDistanceM: 2000, inCarS: 300, fareCents: 800, pooled: false, vehicle: 'v0', seats: 1,
    pickupLat: 40.75, pickupLon: -73.98, dropoffLat: 40.76, dropoffLon: -73.97, ...over
  }
}

function records (): RunRecords {
  return {
    kind: 'decentralized',
    requests: [
      rec('a', { requestTimeS: 0, pickupTimeS: 60, inCarS: 200, pooled: true }),
      rec('b', { requestTimeS: 100, assignTimeS: 110, pickupTimeS: 220, inCarS: 300 }),
      rec('c', { requestTimeS: 700, assignTimeS: 730, pickupTimeS: 1000, inCarS: 400, pooled: true, fareCents: 600 }),
      rec('d', { status: 'cancelled', requestTimeS: 800, assignTimeS: null, matchWallMs: null, pickupTimeS: null, dropoffTimeS: null, inCarS: null, fareCents: null })
    ],
    vehicles: [
      { id: 'v0', kmEmpty: 1, kmOccupied: 4, passengerKm: 6, ridesServed: 2 },
      { id: 'v1', kmEmpty: 3, kmOccupied: 2, passengerKm: 2, ridesServed: 1 }
    ],
    nodes: [
      { peerId: 'p1', role: 'driver', gossipMessagesIn: 10, gossipMessagesOut: 2, gossipBytesIn: 1000, gossipBytesOut: 200, directMessagesIn: 3, directMessagesOut: 3, directBytesIn: 30, directBytesOut: 30 },
      { peerId: 'p2', role: 'rider', gossipMessagesIn: 0, gossipMessagesOut: 4, gossipBytesIn: 0, gossipBytesOut: 400, directMessagesIn: 1, directMessagesOut: 1, directBytesIn: 10, directBytesOut: 10 }
    ],
    payments: null,
    simulatedS: 1200,
    wallMs: 600,
    cpuUs: 4000,
    peakRssBytes: 2_000_000,
    processes: 1,
    notes: []
  }
}

describe('sim/metrics', () => {
  it('summarises a sample by nearest rank', () => {
    expect(distribution([5, 1, 3, 2, 4])).to.deep.equal({ n: 5, mean: 3, p50: 3, p95: 5, min: 1, max: 5 })
    expect(distribution([])).to.include({ n: 0, mean: null })
  })

  it('computes every metric from hand-made records', () => {
    const m = computeMetrics(records(), { durationS: 1200, binS: 600 })
    expect(m).to.include({ requests: 4, served: 3, cancelled: 1, unfinished: 0, serviceRate: 0.75 })
    expect(m.waitS).to.include({ n: 3, mean: 160, p50: 120, p95: 300 })
    expect(m.detourRatio).to.include({ n: 3, p50: 1.5 })
    expect(m.detourExtraS.mean).to.equal(100)
    expect(m.vehicleKm).to.deep.equal({ empty: 4, occupied: 6, total: 10, emptyShare: 0.4 })
    expect(m.occupancy).to.be.closeTo(8 / 6, 1e-12)
    expect(m.pooledShare).to.be.closeTo(2 / 3, 1e-12)
    expect(m.fares).to.deep.equal({ totalCents: 2200, meanCents: 2200 / 3 })
    expect(m.matchLatency.simS).to.include({ n: 3, p50: 10 })
    expect(m.network?.nodes).to.equal(2)
    expect(m.network?.gossip.messagesPerNode).to.equal(8)
    expect(m.network?.direct.bytesPerNode).to.equal(40)
    expect(m.payments).to.deep.equal({ channelUpdates: null, onChainTxs: null, gasUsed: null, ridesSettled: null, ridesUnsettled: null, gasPerSettledRide: null, byFunction: null })
    expect(m.resources).to.include({ nodes: 2, cpuMsPerNode: 2, rssBytesPerNode: 1_000_000, speed: 2000 })
    expect(m.overTime).to.deep.equal([{ startS: 0, requests: 2, served: 2 }, { startS: 600, requests: 2, served: 1 }])
    expect(m.waitHistogram.reduce((s, b) => s + b.count, 0)).to.equal(3)
  })

  it('carries the payment record through, with the gas per settled ride', () => {
    const run = records()
    run.payments = {
      channelUpdates: 30, onChainTxs: 6, gasUsed: 540_000, ridesSettled: 3, ridesUnsettled: 0, channelsClosed: 3, paidWei: '22000000000000000',
      byFunction: { open: { transactions: 3, gasUsed: 280_000 }, closeCooperative: { transactions: 3, gasUsed: 260_000 } }
    }
    const m = computeMetrics(run, { durationS: 1200, binS: 600 })
    expect(m.payments).to.deep.equal({
      channelUpdates: 30, onChainTxs: 6, gasUsed: 540_000, ridesSettled: 3, ridesUnsettled: 0, gasPerSettledRide: 180_000,
      byFunction: { open: { transactions: 3, gasUsed: 280_000 }, closeCooperative: { transactions: 3, gasUsed: 260_000 } }
    })
  })
})

describe('sim/report', () => {
  it('writes results.json and a self-contained report.html from a small simulation', async function () {
    this.timeout(120_000)
    const map = await openRoutedMap()
    const s = defaultScenario()
    s.riders = 30
    s.drivers = 8
    s.durationS = 900
    s.out = await mkdtemp(join(tmpdir(), 'hitch-sim-'))
    const { results } = await runSimulation(s, { map, runs: ['centralized'] })
    const files = await writeReport(s.out, results, map.graph)
    const json = JSON.parse(await readFile(files.resultsJson, 'utf8'))
    expect(json.seed).to.equal(s.seed)
    expect(json.scenario).to.deep.equal(JSON.parse(JSON.stringify(s)))
    expect(json.versions.node).to.equal(process.version)
    expect(json.centralized.requests).to.equal(30)
    expect(json.records.centralized.requests).to.have.length(30)
    const html = await readFile(files.reportHtml, 'utf8')
    expect(html).to.match(/^<!doctype html>/)
    expect(html).to.not.match(/https?:\/\//)
    expect(html).to.not.match(/<(script|link|img|iframe)\b/i)
    expect(html).to.not.match(/\b(src|href)=/i)
    expect((html.match(/<svg /g) ?? []).length).to.be.at.least(4)
    expect(html).to.include('Waiting time').and.to.include('Service rate over time').and.to.include('centralized: trips')
    const table = summaryTable(results)
    expect(table.split('\n')[0]).to.match(/metric\s+\|\s+decentralized\s+\|\s+centralized/)
    expect(table).to.include('n/a')
  })
})
