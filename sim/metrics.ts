import type { RunRecords } from './records.js'

/** Mean, median, 95th percentile and extremes of a sample (`null` when empty) */
export interface Distribution {
  n: number
  mean: number | null
  p50: number | null
  p95: number | null
  min: number | null
  max: number | null
}

/** Traffic of one kind per node */
export interface PerNodeTraffic {
  messagesPerNode: number
  bytesPerNode: number
  /** Largest count of one node (sent + received) */
  maxMessagesOneNode: number
}

/** Every figure of one run, from its records */
export interface RunMetrics {
  kind: 'centralized' | 'decentralized'
  requests: number
  served: number
  cancelled: number
  /** Confirmed but not set down when the run ended */
  unfinished: number
  /** served / requests (0 without requests) */
  serviceRate: number
  /** Pickup − request time of served rides, seconds */
  waitS: Distribution
  /** In-car time / direct time of served rides */
  detourRatio: Distribution
  /** In-car time − direct time of served rides, seconds */
  detourExtraS: Distribution
  vehicleKm: { empty: number, occupied: number, total: number, emptyShare: number }
  /** Seats occupied per occupied kilometre (≥ 1 when anyone rode) */
  occupancy: number
  /** Seats occupied per kilometre driven, empty kilometres included */
  occupancyAllKm: number
  /** Share of served rides that shared the car */
  pooledShare: number
  fares: { totalCents: number, meanCents: number | null }
  /** Request → confirmation */
  matchLatency: { simS: Distribution, wallMs: Distribution }
  /** Per-node network traffic; null for the centralized run */
  network: { nodes: number, gossip: PerNodeTraffic, direct: PerNodeTraffic } | null
  /** Payment figures; each null when the run's rides were not paid */
  payments: {
    channelUpdates: number | null
    onChainTxs: number | null
    gasUsed: number | null
    /** rides whose final channel state was co-signed */
    ridesSettled: number | null
    /** served rides whose payment did not settle */
    ridesUnsettled: number | null
    /** gas of the run's transactions per settled ride */
    gasPerSettledRide: number | null
    /** transactions and gas by adjudicator function */
    byFunction: Record<string, { transactions: number, gasUsed: number }> | null
  }
  resources: {
    wallMs: number
    simulatedS: number
    /** Simulated seconds per wall second */
    speed: number
    /** Nodes (peers or vehicles) the work is divided by */
    nodes: number
    cpuMsPerNode: number
    rssBytesPerNode: number
    cpuMsTotal: number
    peakRssBytes: number
    /** most nodes running at once (libp2p mode); null where not measured */
    peakNodes: number | null
    /** worst p99 event-loop delay over a status interval, real ms (libp2p mode); null where not measured */
    worstLoopDelayMs: number | null
    /** simulated s per real s the clock held when it slowed down for a lagging event loop; null: it kept its speed-up, or not libp2p */
    heldSpeedUp: number | null
  }
  /** Requests and served per time bin of the request time, for plots */
  overTime: Array<{ startS: number, requests: number, served: number }>
  /** Histogram of waiting times of served rides, for plots */
  waitHistogram: Array<{ fromS: number, toS: number, count: number }>
}

/**
 * The summary statistics of a sample: p50/p95 by the nearest-rank method
 * (the smallest value with at least p % of the sample at or below it).
 */
export function distribution (values: readonly number[]): Distribution {
  const xs = values.filter(Number.isFinite).slice().sort((a, b) => a - b)
  const n = xs.length
  if (n === 0) return { n, mean: null, p50: null, p95: null, min: null, max: null }
  const rank = (p: number): number => xs[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]
  return { n, mean: xs.reduce((s, x) => s + x, 0) / n, p50: rank(0.5), p95: rank(0.95), min: xs[0], max: xs[n - 1] }
}

/** Options of {@link computeMetrics} */
export interface MetricsOptions {
  /**
   * Width of the bins of `overTime`, seconds.
   *
   * @default 600
   */
  binS?: number
  /**
   * Width of the bins of `waitHistogram`, seconds.
   *
   * @default 60
   */
  waitBinS?: number
  /**
   * The run's duration (for `overTime`); the last request time when absent.
   */
  durationS?: number
}

/** Every metric of a run from its per-request, per-vehicle and per-node records */
export function computeMetrics (run: RunRecords, opts: MetricsOptions = {}): RunMetrics {
  const reqs = run.requests
  const served = reqs.filter(r => r.status === 'served')
  const cancelled = reqs.filter(r => r.status === 'cancelled').length
  const unfinished = reqs.filter(r => r.status === 'unfinished').length
  const waits = served.map(r => (r.pickupTimeS as number) - r.requestTimeS)
  const ratio = served.filter(r => r.directTimeS > 0).map(r => (r.inCarS as number) / r.directTimeS)
  const extra = served.map(r => (r.inCarS as number) - r.directTimeS)
  const empty = run.vehicles.reduce((s, v) => s + v.kmEmpty, 0)
  const occupied = run.vehicles.reduce((s, v) => s + v.kmOccupied, 0)
  const passengerKm = run.vehicles.reduce((s, v) => s + v.passengerKm, 0)
  const total = empty + occupied
  const paid = reqs.filter(r => r.fareCents != null && r.status !== 'cancelled')
  const totalCents = paid.reduce((s, r) => s + (r.fareCents as number), 0)
  const confirmed = reqs.filter(r => r.assignTimeS != null)

  let network: RunMetrics['network'] = null
  if (run.nodes.length > 0) {
    const n = run.nodes.length
    const per = (msgs: (x: typeof run.nodes[number]) => number, bytes: (x: typeof run.nodes[number]) => number): PerNodeTraffic => ({
      messagesPerNode: run.nodes.reduce((s, x) => s + msgs(x), 0) / n,
      bytesPerNode: run.nodes.reduce((s, x) => s + bytes(x), 0) / n,
      maxMessagesOneNode: Math.max(...run.nodes.map(msgs))
    })
    network = {
      nodes: n,
      gossip: per(x => x.gossipMessagesIn + x.gossipMessagesOut, x => x.gossipBytesIn + x.gossipBytesOut),
      direct: per(x => x.directMessagesIn + x.directMessagesOut, x => x.directBytesIn + x.directBytesOut)
    }
  }

  const binS = opts.binS ?? 600
  const lastT = reqs.reduce((m, r) => Math.max(m, r.requestTimeS), 0)
  const span = opts.durationS ?? lastT + 1e-9
  const bins = Math.max(1, Math.ceil(span / binS))
  const overTime = Array.from({ length: bins }, (_, i) => ({ startS: i * binS, requests: 0, served: 0 }))
  for (const r of reqs) {
    const b = Math.min(bins - 1, Math.floor(r.requestTimeS / binS))
    overTime[b].requests++
    if (r.status === 'served') overTime[b].served++
  }
  const waitBinS = opts.waitBinS ?? 60
  const maxWait = waits.reduce((m, w) => Math.max(m, w), 0)
  const waitBins = Math.max(1, Math.floor(maxWait / waitBinS) + 1)
  const waitHistogram = Array.from({ length: waitBins }, (_, i) => ({ fromS: i * waitBinS, toS: (i + 1) * waitBinS, count: 0 }))
  for (const w of waits) waitHistogram[Math.min(waitBins - 1, Math.max(0, Math.floor(w / waitBinS)))].count++

  const nodes = Math.max(1, run.nodes.length > 0 ? run.nodes.length : run.processes)
  const cpuMsTotal = run.cpuUs / 1000
  return {
    kind: run.kind,
    requests: reqs.length,
    served: served.length,
    cancelled,
    unfinished,
    serviceRate: reqs.length === 0 ? 0 : served.length / reqs.length,
    waitS: distribution(waits),
    detourRatio: distribution(ratio),
    detourExtraS: distribution(extra),
    vehicleKm: { empty, occupied, total, emptyShare: total > 0 ? empty / total : 0 },
    occupancy: occupied > 0 ? passengerKm / occupied : 0,
    occupancyAllKm: total > 0 ? passengerKm / total : 0,
    pooledShare: served.length === 0 ? 0 : served.filter(r => r.pooled).length / served.length,
    fares: { totalCents, meanCents: paid.length === 0 ? null : totalCents / paid.length },
    matchLatency: {
      simS: distribution(confirmed.map(r => (r.assignTimeS as number) - r.requestTimeS)),
      wallMs: distribution(confirmed.filter(r => r.matchWallMs != null).map(r => r.matchWallMs as number))
    },
    network,
    payments: {
      channelUpdates: run.payments?.channelUpdates ?? null,
      onChainTxs: run.payments?.onChainTxs ?? null,
      gasUsed: run.payments?.gasUsed ?? null,
      ridesSettled: run.payments?.ridesSettled ?? null,
      ridesUnsettled: run.payments?.ridesUnsettled ?? null,
      gasPerSettledRide: run.payments != null && run.payments.ridesSettled > 0 ? run.payments.gasUsed / run.payments.ridesSettled : null,
      byFunction: run.payments?.byFunction ?? null
    },
    resources: {
      wallMs: run.wallMs,
      simulatedS: run.simulatedS,
      speed: run.wallMs > 0 ? run.simulatedS / (run.wallMs / 1000) : 0,
      nodes,
      cpuMsPerNode: cpuMsTotal / nodes,
      rssBytesPerNode: run.peakRssBytes / nodes,
      cpuMsTotal,
      peakRssBytes: run.peakRssBytes,
      peakNodes: run.peakNodes ?? null,
      worstLoopDelayMs: run.worstLoopDelayMs ?? null,
      heldSpeedUp: run.heldSpeedUp ?? null
    },
    overTime,
    waitHistogram
  }
}
