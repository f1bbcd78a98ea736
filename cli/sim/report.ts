import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RoadGraph } from '../../matching/index.js'
import type { RunMetrics, RunRecords, SimulationResults } from '../../sim/index.js'

/** Where {@link writeReport} wrote */
export interface ReportFiles {
  resultsJson: string
  reportHtml: string
}

const COLORS = { decentralized: '#1f77b4', centralized: '#ff7f0e' } as const

function esc (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function fmt (x: number | null | undefined, digits = 1): string {
  if (x == null || !Number.isFinite(x)) return '–'
  return x.toFixed(digits)
}

function pct (x: number | null | undefined): string {
  return x == null ? '–' : `${(x * 100).toFixed(1)} %`
}

/** The rows of the summary: label, then the decentralized and centralized value */
export function summaryRows (results: SimulationResults): Array<[string, string, string]> {
  const d = results.decentralized
  const c = results.centralized
  const row = (label: string, f: (m: RunMetrics) => string): [string, string, string] => [label, d == null ? 'n/a' : f(d), c == null ? 'n/a' : f(c)]
  return [
    row('requests', m => String(m.requests)),
    row('served', m => `${m.served} (${pct(m.serviceRate)})`),
    row('cancelled', m => String(m.cancelled)),
    row('unfinished', m => String(m.unfinished)),
    row('wait mean / p50 / p95 (s)', m => `${fmt(m.waitS.mean, 0)} / ${fmt(m.waitS.p50, 0)} / ${fmt(m.waitS.p95, 0)}`),
    row('in-car / direct mean / p95', m => `${fmt(m.detourRatio.mean, 2)} / ${fmt(m.detourRatio.p95, 2)}`),
    row('extra in-car time mean (s)', m => fmt(m.detourExtraS.mean, 0)),
    row('vehicle km empty / occupied', m => `${fmt(m.vehicleKm.empty)} / ${fmt(m.vehicleKm.occupied)}`),
    row('occupancy (seats per occupied km)', m => fmt(m.occupancy, 2)),
    row('pooled rides', m => pct(m.pooledShare)),
    row('fares paid ($)', m => fmt(m.fares.totalCents / 100, 2)),
    row('match latency p50 (sim s)', m => fmt(m.matchLatency.simS.p50, 1)),
    row('match latency p50 (wall ms)', m => fmt(m.matchLatency.wallMs.p50, 1)),
    row('gossip msgs / node', m => m.network == null ? '–' : fmt(m.network.gossip.messagesPerNode, 0)),
    row('direct msgs / node', m => m.network == null ? '–' : fmt(m.network.direct.messagesPerNode, 0)),
    row('bytes / node (gossip+direct)', m => m.network == null ? '–' : fmt(m.network.gossip.bytesPerNode + m.network.direct.bytesPerNode, 0)),
    row('channel updates / on-chain txs', m => `${m.payments.channelUpdates ?? '–'} / ${m.payments.onChainTxs ?? '–'}`),
    row('rides settled / gas per ride', m => m.payments.ridesSettled == null ? '–' : `${m.payments.ridesSettled} / ${fmt(m.payments.gasPerSettledRide, 0)}`),
    row('CPU ms / node', m => fmt(m.resources.cpuMsPerNode, 1)),
    row('wall time (s)', m => fmt(m.resources.wallMs / 1000, 1)),
    row('sim speed (x real time)', m => fmt(m.resources.speed, 0))
  ]
}

/** The terminal summary: one row per metric, decentralized | centralized */
export function summaryTable (results: SimulationResults): string {
  const rows: Array<[string, string, string]> = [['metric', 'decentralized', 'centralized'], ...summaryRows(results)]
  const w = [0, 1, 2].map(i => Math.max(...rows.map(r => r[i].length)))
  const line = (r: [string, string, string]): string => `${r[0].padEnd(w[0])} | ${r[1].padStart(w[1])} | ${r[2].padStart(w[2])}`
  const sep = `${'-'.repeat(w[0])}-+-${'-'.repeat(w[1])}-+-${'-'.repeat(w[2])}`
  return [line(rows[0]), sep, ...rows.slice(1).map(line), ...invariantLines(results)].join('\n')
}

/** One line per invariant the decentralized run was checked against, and what broke one. */
export function invariantLines (results: SimulationResults): string[] {
  const checked = results.invariants?.decentralized
  if (checked == null) return []
  return ['', 'invariants of the decentralized run:', ...checked.map(i =>
    `  ${i.status === 'held' ? 'held   ' : i.status === 'broken' ? 'BROKEN ' : 'skipped'} ${i.description}${i.violations.length > 0 ? `: ${i.violations.join('; ')}` : ''}`)]
}

// ---- SVG plots ------------------------------------------------------------------------

interface Series { name: string, color: string, values: number[] }

const W = 520
const H = 240
const PAD = { l: 48, r: 12, t: 24, b: 36 }

function frame (title: string, xLabel: string, yLabel: string, body: string, yMax: number, legend: Series[]): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(f => {
    const y = H - PAD.b - f * (H - PAD.t - PAD.b)
    return `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${PAD.l - 4}" y="${y + 4}" text-anchor="end" font-size="10">${esc(fmtTick(yMax * f))}</text>`
  }).join('')
  const leg = legend.map((s, i) => `<rect x="${W - PAD.r - 130}" y="${PAD.t + i * 14 - 9}" width="10" height="10" fill="${s.color}"/><text x="${W - PAD.r - 116}" y="${PAD.t + i * 14}" font-size="11">${esc(s.name)}</text>`).join('')
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
    `<text x="${W / 2}" y="14" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>${ticks}${body}` +
    `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${H - PAD.b}" y2="${H - PAD.b}" stroke="#333"/>` +
    `<text x="${W / 2}" y="${H - 4}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>` +
    `<text x="12" y="${H / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${H / 2})">${esc(yLabel)}</text>${leg}</svg>`
}

function fmtTick (v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)
}

/** Grouped bars: one group per label, one bar per series */
export function barChart (title: string, labels: string[], series: Series[], xLabel: string, yLabel: string): string {
  const yMax = Math.max(1e-9, ...series.flatMap(s => s.values))
  const n = Math.max(1, labels.length)
  const gw = (W - PAD.l - PAD.r) / n
  const bw = Math.max(1, gw * 0.8 / Math.max(1, series.length))
  const bars = series.map((s, k) => s.values.map((v, i) => {
    const h = (v / yMax) * (H - PAD.t - PAD.b)
    return `<rect x="${(PAD.l + i * gw + gw * 0.1 + k * bw).toFixed(1)}" y="${(H - PAD.b - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"><title>${esc(`${s.name} ${labels[i]}: ${fmtTick(v)}`)}</title></rect>`
  }).join('')).join('')
  const step = Math.max(1, Math.ceil(n / 10))
  const xt = labels.map((l, i) => i % step === 0 ? `<text x="${(PAD.l + i * gw + gw / 2).toFixed(1)}" y="${H - PAD.b + 13}" text-anchor="middle" font-size="10">${esc(l)}</text>` : '').join('')
  return frame(title, xLabel, yLabel, bars + xt, yMax, series)
}

/** Lines over shared x labels */
export function lineChart (title: string, labels: string[], series: Series[], xLabel: string, yLabel: string, yMaxFixed?: number): string {
  const yMax = yMaxFixed ?? Math.max(1e-9, ...series.flatMap(s => s.values))
  const n = labels.length
  const x = (i: number): number => PAD.l + (n <= 1 ? 0.5 : i / (n - 1)) * (W - PAD.l - PAD.r)
  const y = (v: number): number => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b)
  const lines = series.map(s => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`).join('')
  const step = Math.max(1, Math.ceil(n / 10))
  const xt = labels.map((l, i) => i % step === 0 ? `<text x="${x(i).toFixed(1)}" y="${H - PAD.b + 13}" text-anchor="middle" font-size="10">${esc(l)}</text>` : '').join('')
  return frame(title, xLabel, yLabel, lines + xt, yMax, series)
}

function histogram (values: number[], binW: number, bins: number): number[] {
  const out = new Array<number>(bins).fill(0)
  for (const v of values) {
    if (!Number.isFinite(v)) continue
    out[Math.min(bins - 1, Math.max(0, Math.floor(v / binW)))]++
  }
  return out
}

type Runs = Array<{ name: 'decentralized' | 'centralized', records: RunRecords, metrics: RunMetrics }>

function runsOf (results: SimulationResults): Runs {
  const out: Runs = []
  if (results.records.decentralized != null && results.decentralized != null) out.push({ name: 'decentralized', records: results.records.decentralized, metrics: results.decentralized })
  if (results.records.centralized != null && results.centralized != null) out.push({ name: 'centralized', records: results.records.centralized, metrics: results.centralized })
  return out
}

function waitPlot (runs: Runs): string {
  const waits = runs.map(r => r.records.requests.filter(q => q.status === 'served').map(q => (q.pickupTimeS as number) - q.requestTimeS))
  const max = Math.max(60, ...waits.flat())
  const binW = Math.max(30, Math.ceil(max / 20 / 30) * 30)
  const bins = Math.floor(max / binW) + 1
  const labels = Array.from({ length: bins }, (_, i) => `${(i * binW / 60).toFixed(1)}`)
  return barChart('Waiting time (served rides)', labels, runs.map((r, i) => ({ name: r.name, color: COLORS[r.name], values: histogram(waits[i], binW, bins) })), 'minutes from request to pickup', 'rides')
}

function servicePlot (runs: Runs): string {
  const base = runs[0]?.metrics.overTime ?? []
  const labels = base.map(b => `${(b.startS / 60).toFixed(0)}`)
  return lineChart('Service rate over time', labels, runs.map(r => ({
    name: r.name,
    color: COLORS[r.name],
    values: r.metrics.overTime.map(b => b.requests === 0 ? 0 : b.served / b.requests)
  })), 'minute of request', 'share served', 1)
}

function detourPlot (runs: Runs): string {
  const ratios = runs.map(r => r.records.requests.filter(q => q.status === 'served' && q.directTimeS > 0).map(q => (q.inCarS as number) / q.directTimeS))
  const binW = 0.1
  const max = Math.max(1.5, ...ratios.flat())
  const bins = Math.min(60, Math.floor(max / binW) + 1)
  const labels = Array.from({ length: bins }, (_, i) => (i * binW).toFixed(1))
  return barChart('In-car time over direct time', labels, runs.map((r, i) => ({ name: r.name, color: COLORS[r.name], values: histogram(ratios[i], binW, bins) })), 'ratio', 'rides')
}

function messagesPlot (runs: Runs): string {
  const d = runs.find(r => r.name === 'decentralized')
  if (d == null || d.records.nodes.length === 0) return '<p>No per-node network records (the decentralized run did not run).</p>'
  const nodes = d.records.nodes.slice().sort((a, b) => (b.gossipMessagesIn + b.gossipMessagesOut) - (a.gossipMessagesIn + a.gossipMessagesOut))
  const labels = nodes.map((n, i) => `${n.role[0]}${i}`)
  return barChart('Messages per node (sorted)', labels, [
    { name: 'gossip', color: '#2ca02c', values: nodes.map(n => n.gossipMessagesIn + n.gossipMessagesOut) },
    { name: 'direct', color: '#9467bd', values: nodes.map(n => n.directMessagesIn + n.directMessagesOut) }
  ], 'node (d: driver, r: rider)', 'messages in + out')
}

/** An SVG map of the road graph with every trip as a line, coloured by how it ended */
export function mapSvg (graph: RoadGraph, records: RunRecords, title: string): string {
  const { minLat, maxLat, minLon, maxLon } = graph.meta.bbox
  const kx = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180)
  const spanX = Math.max(1e-9, (maxLon - minLon) * kx)
  const spanY = Math.max(1e-9, maxLat - minLat)
  const size = 480
  const scale = size / Math.max(spanX, spanY)
  const w = Math.ceil(spanX * scale) + 20
  const h = Math.ceil(spanY * scale) + 40
  const px = (lon: number): string => (10 + (lon - minLon) * kx * scale).toFixed(1)
  const py = (lat: number): string => (30 + (maxLat - lat) * scale).toFixed(1)
  let roads = ''
  for (let u = 0; u < graph.numNodes; u++) {
    for (let e = graph.firstOut[u]; e < graph.firstOut[u + 1]; e++) {
      const v = graph.head[e]
      if (v < u && hasEdge(graph, v, u)) continue
      roads += `M${px(graph.lon[u])} ${py(graph.lat[u])}L${px(graph.lon[v])} ${py(graph.lat[v])}`
    }
  }
  const colors: Record<string, string> = { served: '#2ca02c', cancelled: '#d62728', unfinished: '#bcbd22' }
  const trips = records.requests.map(r => `<line x1="${px(r.pickupLon)}" y1="${py(r.pickupLat)}" x2="${px(r.dropoffLon)}" y2="${py(r.dropoffLat)}" stroke="${colors[r.status]}" stroke-opacity="0.5" stroke-width="1"/>`).join('')
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">` +
    `<text x="${w / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${esc(title)}</text>` +
    `<path d="${roads}" stroke="#ccc" stroke-width="0.6" fill="none"/>${trips}</svg>`
}

function hasEdge (graph: RoadGraph, a: number, b: number): boolean {
  for (let e = graph.firstOut[a]; e < graph.firstOut[a + 1]; e++) if (graph.head[e] === b) return true
  return false
}

/**
 * The self-contained HTML report: the summary table, the plots (waiting
 * times, service rate over time, detours, messages per node) and a map of
 * the roads with the trips of each run, decentralized beside centralized.
 * Everything is inline: it opens offline and loads nothing.
 */
export function reportHtml (results: SimulationResults, graph?: RoadGraph): string {
  const runs = runsOf(results)
  const table = `<table><thead><tr><th>metric</th><th>decentralized</th><th>centralized</th></tr></thead><tbody>${summaryRows(results).map(r => `<tr><td>${esc(r[0])}</td><td>${esc(r[1])}</td><td>${esc(r[2])}</td></tr>`).join('')}</tbody></table>`
  const maps = graph == null ? '' : runs.map(r => mapSvg(graph, r.records, `${r.name}: trips (green served, red cancelled, yellow unfinished)`)).join('')
  const s = results.scenario
  const d = results.demand
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hitch simulation report</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:16px}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:12px}
</style></head><body>
<h1>Hitch simulation report</h1>
<p>Map <code>${esc(results.map.source)}</code> (${results.map.vertices} vertices, ${results.map.edges} edges);
${s.drivers} drivers with ${s.seats} seats, ${d.requests} requests over ${(s.durationS / 60).toFixed(0)} minutes;
network <code>${esc(s.network.mode)}</code>; seed ${results.seed}; hitch ${esc(results.versions.hitch)}, Node.js ${esc(results.versions.node)}.</p>
<p>Demand <code>${esc(d.source)}</code>: ${d.rows} rows, ${d.unparsable} unparsable, ${d.badCoordinates} with bad coordinates, ${d.offMap} off the map, ${d.samePoint} too short, ${d.usable} usable, ${d.reused} reused.</p>
<h2>Summary</h2>${table}
<h2>Plots</h2><div class="plots">${runs.length === 0 ? '<p>No run.</p>' : waitPlot(runs) + servicePlot(runs) + detourPlot(runs) + messagesPlot(runs)}</div>
<h2>Map</h2><div class="plots">${maps}</div>
<h2>Notes</h2><ul>${results.notes.map(n => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Scenario</h2><pre>${esc(JSON.stringify(results.scenario, null, 2))}</pre>
</body></html>
`
}

/**
 * Writes `results.json` (every metric and record, the scenario, the seed and
 * the versions) and the self-contained `report.html` into `outDir`.
 */
export async function writeReport (outDir: string, results: SimulationResults, graph?: RoadGraph): Promise<ReportFiles> {
  await mkdir(outDir, { recursive: true })
  const resultsJson = join(outDir, 'results.json')
  const reportFile = join(outDir, 'report.html')
  await writeFile(resultsJson, JSON.stringify(results, jsonReplacer, 2) + '\n')
  await writeFile(reportFile, reportHtml(results, graph))
  return { resultsJson, reportHtml: reportFile }
}

/** JSON has no Infinity: write it as null */
function jsonReplacer (_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value
}
