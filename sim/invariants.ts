/**
 * What every simulated run must hold, declared once and checked after each run (as Lodestar's
 * simulation tests declare their assertions): a run that breaks one is a protocol defect, whatever
 * its service figures. Pure: each invariant reads the run's records and names what broke it.
 *
 * - `served-rides-are-signed`: every served ride has a trip record both sides signed (and that
 *   verifies);
 * - `nobody-paid-more-than-the-quote`: no rider paid its driver more than the quote it accepted;
 * - `channels-pay-out-their-deposits`: every channel that closed during the run paid out exactly
 *   what was deposited in it, and the chain holds exactly the deposits of the channels still open.
 *
 * "The same seed gives the same results" is the fourth, checked by running a scenario twice
 * (test/integration/sim-determinism.spec.ts): it cannot be seen in one run.
 */
import type { AdjudicatorEvent } from '../settlement/index.js'
import type { ChannelMoney, RunRecords } from './records.js'

/** The money flows of the adjudicator's events of a run. */
export function channelMoney (events: readonly AdjudicatorEvent[]): ChannelMoney {
  const deposits = new Map<string, bigint>()
  const paid = new Map<string, bigint>()
  for (const e of events) {
    const before = deposits.get(e.channelId) ?? 0n
    if (e.type === 'Opened') deposits.set(e.channelId, before + e.deposit)
    else if (e.type === 'ToppedUp') deposits.set(e.channelId, before + e.amount)
    else if (e.type === 'ClosedCooperatively' || e.type === 'Finalized') paid.set(e.channelId, (paid.get(e.channelId) ?? 0n) + e.paidRider + e.paidDriver)
  }
  let depositedClosed = 0n
  let paidOut = 0n
  let stillHeld = 0n
  const mismatched: string[] = []
  for (const [channelId, deposit] of deposits) {
    const out = paid.get(channelId)
    if (out == null) {
      stillHeld += deposit
      continue
    }
    depositedClosed += deposit
    paidOut += out
    if (out !== deposit) mismatched.push(channelId)
  }
  return { depositedClosedWei: String(depositedClosed), paidOutWei: String(paidOut), stillHeldWei: String(stillHeld), mismatched }
}

/** One declared invariant of a run. */
export interface RunInvariant {
  id: string
  /** what it asserts, in a sentence */
  description: string
  /** the violations in this run (empty: it holds); `null` when the run has nothing it applies to */
  check: (run: RunRecords) => string[] | null
}

/** The outcome of one invariant on one run. */
export interface InvariantResult {
  id: string
  description: string
  /** 'skipped': the run has nothing it applies to (an unpaid run has no channels) */
  status: 'held' | 'broken' | 'skipped'
  /** what broke it (at most a few examples, and how many in all) */
  violations: string[]
}

/** At most this many examples of a violation are kept. */
const MAX_EXAMPLES = 5

/** Every invariant of a run, in order. */
export const RUN_INVARIANTS: readonly RunInvariant[] = [
  {
    id: 'served-rides-are-signed',
    description: 'every served ride has a trip record both sides signed',
    check: run => {
      const served = run.requests.filter(r => r.status === 'served')
      if (run.kind !== 'decentralized' || served.length === 0) return null
      return served.filter(r => r.record == null || !r.record.signedByDriver || !r.record.signedByRider || !r.record.verified)
        .map(r => `${r.id}: ${r.record == null ? 'no trip record' : `record ${r.record.hash} signed by driver ${String(r.record.signedByDriver)}, rider ${String(r.record.signedByRider)}, verified ${String(r.record.verified)}`}`)
    }
  },
  {
    id: 'nobody-paid-more-than-the-quote',
    description: 'no rider paid more than the quote it accepted',
    check: run => {
      const paid = run.requests.filter(r => r.paidWei != null)
      if (paid.length === 0) return null
      return paid.filter(r => r.quotedWei == null || BigInt(r.paidWei as string) > BigInt(r.quotedWei))
        .map(r => `${r.id}: paid ${String(r.paidWei)} wei, quoted ${String(r.quotedWei)}`)
    }
  },
  {
    id: 'channels-pay-out-their-deposits',
    description: 'every channel closed in the run paid out exactly its deposits',
    check: run => {
      const money = run.payments?.money
      if (money == null) return null
      const out: string[] = money.mismatched.map(id => `channel ${id} paid out other than its deposits`)
      if (money.depositedClosedWei !== money.paidOutWei) out.push(`closed channels took ${money.depositedClosedWei} wei and paid out ${money.paidOutWei}`)
      return out
    }
  },
  {
    id: 'cars-carried-their-riders',
    description: 'a car that served rides drove occupied, and carried at least one seat over every occupied kilometre',
    check: run => {
      const serving = run.vehicles.filter(v => v.ridesServed > 0)
      if (serving.length === 0) return null
      // a metre is counted in the vehicle model as it is driven: passenger-km adds the seats aboard
      const EPS_KM = 1e-9
      return serving.filter(v => !(v.kmOccupied > 0) || v.passengerKm + EPS_KM < v.kmOccupied)
        .map(v => `${v.id}: ${v.ridesServed} rides served, ${v.kmOccupied.toFixed(3)} km occupied, ${v.passengerKm.toFixed(3)} passenger-km`)
    }
  }
]

/** Checks a run against the invariants. */
export function checkInvariants (run: RunRecords, invariants: readonly RunInvariant[] = RUN_INVARIANTS): InvariantResult[] {
  return invariants.map(inv => {
    const violations = inv.check(run)
    if (violations == null) return { id: inv.id, description: inv.description, status: 'skipped', violations: [] }
    const shown = violations.slice(0, MAX_EXAMPLES)
    if (violations.length > MAX_EXAMPLES) shown.push(`… ${violations.length - MAX_EXAMPLES} more`)
    return { id: inv.id, description: inv.description, status: violations.length === 0 ? 'held' : 'broken', violations: shown }
  })
}
