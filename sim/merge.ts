/**
 * The records of a decentralized run, merged from the results of its shares (one per process
 * of a `libp2p`-mode run; the one fleet of a `simulated`-mode run): each rider's view joined
 * with the view of the driver that took it.
 */
import { paymentRecord } from './payments.js'
import type { SharePayments } from './payments.js'
import type { RequestRecord, RunRecords } from './records.js'
import type { DriverTrip, ShareResult } from './share.js'
import type { ChainActivity } from '../settlement/index.js'

/**
 * The run's records from the shares' results: each rider's view joined with
 * the view of the driver that took it (pickup and dropoff as the driver
 * logged them, pooling), on the base records of the demand.
 */
export function mergeShares (base: RequestRecord[], results: readonly ShareResult[], extra: { wallMs: number, simulatedS: number, processes: number, notes: string[], chain?: ChainActivity }): RunRecords {
  const requests = base.map(r => ({ ...r }))
  const trips = new Map<string, DriverTrip>()
  for (const res of results) for (const t of res.trips) trips.set(t.requestId, t)
  for (const res of results) {
    for (const o of res.riders) {
      const rec = requests[o.index]
      if (rec == null) continue
      const trip = o.requestId != null ? trips.get(o.requestId) : undefined
      rec.status = o.status
      rec.matchWallMs = o.matchWallMs
      rec.pickupTimeS = trip?.pickupTimeS ?? o.pickupTimeS
      // the rider hears the confirmation a moment after the driver sent it: a driver already at
      // the pickup may have logged the pickup in between
      rec.assignTimeS = o.assignTimeS != null && rec.pickupTimeS != null ? Math.min(o.assignTimeS, rec.pickupTimeS) : o.assignTimeS
      rec.dropoffTimeS = o.status === 'served' ? (trip?.dropoffTimeS ?? o.dropoffTimeS) : (trip?.dropoffTimeS ?? null)
      rec.inCarS = rec.dropoffTimeS != null && rec.pickupTimeS != null ? rec.dropoffTimeS - rec.pickupTimeS : null
      rec.fareCents = o.fareCents
      rec.vehicle = o.vehicle
      rec.pooled = trip?.pooled ?? false
      if (o.record !== undefined) rec.record = o.record
      if (o.quotedWei !== undefined) rec.quotedWei = o.quotedWei
      if (o.paidWei !== undefined) rec.paidWei = o.paidWei
    }
  }
  const notes = [...new Set(results.flatMap(r => r.notes))]
  return {
    kind: 'decentralized',
    requests,
    vehicles: results.flatMap(r => r.vehicles),
    nodes: results.flatMap(r => r.nodes),
    payments: extra.chain != null && results.every(r => r.payments != null)
      ? paymentRecord(results.map(r => r.payments as SharePayments), extra.chain)
      : null,
    simulatedS: extra.simulatedS,
    wallMs: extra.wallMs,
    cpuUs: results.reduce((a, r) => a + r.cpuUs, 0),
    peakRssBytes: results.reduce((a, r) => a + r.peakRssBytes, 0),
    processes: extra.processes,
    peakNodes: results.reduce((a, r) => a + r.peakNodes, 0),
    ...(results.some(r => r.worstLoopDelayMs != null) ? { worstLoopDelayMs: Math.max(...results.map(r => r.worstLoopDelayMs ?? 0)) } : {}),
    ...(results.some(r => r.heldSpeedUp !== undefined)
      ? { heldSpeedUp: results.some(r => r.heldSpeedUp != null) ? Math.min(...results.map(r => r.heldSpeedUp ?? Infinity)) : null }
      : {}),
    notes: [...notes, ...extra.notes]
  }
}
