import { WEI_PER_CENT } from '../../node/payments/index.js'
import { recordHash, toHex, verifyTripRecord } from '../../protocol/index.js'
import { MemoryChain, MemoryLedger } from '../../settlement/index.js'
import { SimWorld, WORLD_EPOCH_MS } from './sim-world-fixtures.js'
import type { ChannelManager } from '../../node/channel/index.js'
import type { Driver, DriverInit, DriverPeer, HitchPeerInit, LatLonPoint, RideRequestOptions, RideResult, Rider, RiderPeer, RiderQuote } from '../../node/index.js'
import type { LostPickReason } from '../../protocol/index.js'
import type { DriverPayments, RiderPayments } from '../../node/payments/index.js'
import type { RoutedMap } from '../../node/map/index.js'

/*
 * A table-driven scenario runner on the simulated world: drivers and riders as rows describe
 * them, on one virtual clock (no real-time margin anywhere), paid through payment channels on
 * a `MemoryLedger` when the row says so, and an outcome that names peers by the row's names.
 */

/** Ether each paying peer's account gets: far more than any deposit of a scenario. */
const FUND_WEI = 10n ** 20n

/** A driver of a scenario. */
export interface ScenarioDriver {
  name: string
  position: LatLonPoint
  seats: number
  fare?: DriverInit['fare']
  /** how long its quotes hold, clock ms. @default the driver's (DEFAULT_QUOTE_TTL_MS) */
  quoteTtlMs?: number
  /**
   * `silent`: after its first quote the driver's node answers nothing (requests to it time
   * out, it hears no gossip), a peer that hangs. `vanishes`: its node stops a second after its
   * first quote (the quote is delivered; requests to it fail at once).
   */
  misbehave?: 'silent' | 'vanishes'
}

/** A rider of a scenario. */
export interface ScenarioRider {
  name: string
  from: LatLonPoint
  to: LatLonPoint
  /** simulated ms after the drivers started at which it requests. @default 0 */
  at?: number
  /** options of its rides. @default a 60 s deadline (`timeoutMs`), the rider's defaults otherwise */
  options?: Pick<RideRequestOptions, 'timeoutMs' | 'quoteWindowMs' | 'maxWaitMs'>
  /** `stops-paying`: it opens its channel, then never pays for the distance. */
  misbehave?: 'stops-paying'
  /** a second ride, requested once the first ended (and settled); its outcome is `<name> again` */
  again?: { from: LatLonPoint, to: LatLonPoint }
  /**
   * An interactive rider (`choose`): its answers, one per time it is asked, in order. Asked
   * more often than this, it takes the first quote offered.
   */
  picks?: ScenarioPick[]
}

/** A rider's answer when asked to pick: the quote of `driver`, `afterMs` simulated ms after the question. */
export interface ScenarioPick {
  driver: string
  /** @default 0 */
  afterMs?: number
}

export interface Scenario {
  name: string
  seed: number
  drivers: ScenarioDriver[]
  riders: ScenarioRider[]
  /** rides paid through channels on a memory ledger */
  payments?: boolean
  /** at the end, each rider closes its channels co-operatively */
  close?: boolean
}

/** What a rider got: its ride, or the error code its request failed with. */
export interface RiderOutcome {
  driver?: string
  error?: string
  result?: RideResult
  /** `[from, to]` driver names of each fallback (`to` undefined: back to waiting for quotes) */
  fallbacks: Array<[string, string | undefined]>
  /** notes of the cancels the rider was told of */
  cancelled: string[]
  /** an interactive rider: the drivers of the quotes offered each time it was asked to pick */
  asked: string[][]
  /** an interactive rider: the picks it was told were lost (`pick-lost`), by the driver picked */
  lostPicks: Array<{ driver?: string, reason: LostPickReason, askAgain: boolean }>
  /** the final channel state's driver balance and record hash, and what the channel owed before */
  paid?: { balanceDriver: bigint, baseWei: bigint, tripRecordHash: string, channelId: string }
}

export interface DriverOutcome {
  declined: string[]
  cancelled: string[]
  nonPayment: number
  maxOnboard: number
  /** seats free when the scenario ended */
  freeSeats: number
  /** price of each quote it sent, by quote id */
  quotes: Map<string, string>
  /** channels it closed */
  closed: number
}

export interface ScenarioOutcome {
  riders: Record<string, RiderOutcome>
  drivers: Record<string, DriverOutcome>
  /** simulated ms from the start until every request ended */
  elapsedMs: number
  /** the types of the ledger's events, in chain order (payments only) */
  chainEvents: string[]
  /** what each driver's account gained on the ledger while riders closed their channels (`close` only) */
  paidOnClose: Record<string, bigint>
  /** a JSON summary naming everything by the row's names: equal runs give equal summaries */
  summary: string
}

interface DriverSide {
  spec: ScenarioDriver
  driver: Driver
  /** its payment account */
  address: `0x${string}`
  payments?: DriverPayments
  manager?: ChannelManager
  outcome: DriverOutcome
}

/** Runs a scenario to the end of every request (and payment) and returns its outcome. */
export async function runScenario (map: RoutedMap, scenario: Scenario, maxMs = 1_800_000): Promise<ScenarioOutcome> {
  const w = new SimWorld(map, scenario.seed)
  const ledger = scenario.payments === true ? new MemoryLedger({ startTimeS: Math.floor(WORLD_EPOCH_MS / 1000), challengePeriodS: 60 }) : undefined
  const paying = (): Partial<HitchPeerInit> => ledger == null
    ? {}
    : {
        chain: async identity => {
          const chain = new MemoryChain({ ledger, privateKeyHex: identity.ethPrivateKeyHex })
          ledger.fund(chain.address, FUND_WEI)
          return chain
        },
        channels: { clock: w.clock, finalizeRetryMs: 1_000, finalizeMarginMs: 0 }
      }
  // the ledger's time follows the virtual clock (it moves only with transactions otherwise), so
  // a challenge period ends in simulated time
  let ticking = true
  const tick = (): void => {
    if (!ticking || ledger == null) return
    const behind = BigInt(Math.floor(w.clock.now() / 1000)) - ledger.now
    if (behind > 0n) ledger.increaseTime(Number(behind))
    w.clock.setTimeout(tick, 1_000)
  }
  tick()

  const names = new Map<string, string>()
  const nameOf = (peerId: string | undefined): string | undefined => peerId == null ? undefined : names.get(peerId) ?? peerId
  const drivers: DriverSide[] = []
  const riders: Array<{ spec: ScenarioRider, rider: Rider, payments?: RiderPayments, manager?: ChannelManager, outcome: RiderOutcome, done: boolean }> = []
  const outcomes: Array<[string, RiderOutcome]> = []
  /** every quote offered to an interactive rider, by quote id */
  const offered = new Map<string, RiderQuote>()
  try {
    for (const spec of scenario.drivers) {
      const peer = await w.peer<DriverPeer>(spec.name, {
        ...paying(),
        driverPayments: { graceMs: 10_000 },
        driver: {
          position: spec.position,
          seats: spec.seats,
          ...(spec.fare != null ? { fare: spec.fare } : {}),
          ...(spec.quoteTtlMs != null ? { quoteTtlMs: spec.quoteTtlMs } : {})
        }
      })
      names.set(peer.driver.peerId, spec.name)
      const outcome: DriverOutcome = { declined: [], cancelled: [], nonPayment: 0, maxOnboard: 0, freeSeats: spec.seats, quotes: new Map(), closed: 0 }
      const d = peer.driver
      d.on('declined', e => { outcome.declined.push(e.reason) })
      d.on('cancelled', e => { outcome.cancelled.push(e.reason) })
      d.on('position', e => { outcome.maxOnboard = Math.max(outcome.maxOnboard, e.onboard) })
      d.on('quote', e => {
        outcome.quotes.set(e.quoteId, e.price)
        if (outcome.quotes.size === 1 && spec.misbehave != null) misbehave(w, peer, spec.misbehave)
      })
      peer.payments?.on('non-payment', () => { outcome.nonPayment++ })
      peer.channels?.on('channel:closed', () => { outcome.closed++ })
      drivers.push({ spec, driver: d, address: peer.node.ethAddress, payments: peer.payments, manager: peer.channels, outcome })
      await peer.start()
    }
    for (const spec of scenario.riders) {
      const peer = await w.peer<RiderPeer>(spec.name, { ...paying(), rider: {} })
      names.set(peer.rider.peerId, spec.name)
      if (spec.misbehave === 'stops-paying' && peer.payments != null) {
        // it opened its channel (and signed the zero state); it never pays for the distance
        Object.defineProperty(peer.payments, 'onProgress', { value: async () => {} })
      }
      const outcome: RiderOutcome = { fallbacks: [], cancelled: [], asked: [], lostPicks: [] }
      const r = { spec, rider: peer.rider, payments: peer.payments, manager: peer.channels, outcome, done: false }
      // its rides come one after the other: the events belong to the current one
      peer.rider.on('fallback', e => { r.outcome.fallbacks.push([e.from, e.to ?? '']) })
      peer.rider.on('cancelled', e => { r.outcome.cancelled.push(e.note) })
      peer.rider.on('pick-lost', e => {
        r.outcome.lostPicks.push({ driver: nameOf(offered.get(e.quoteId)?.driver), reason: e.reason, askAgain: e.askAgain })
      })
      riders.push(r)
      outcomes.push([spec.name, outcome])
      await peer.start()
    }

    const start = w.clock.now()
    for (const r of [...riders].sort((a, b) => (a.spec.at ?? 0) - (b.spec.at ?? 0))) {
      const wait = start + (r.spec.at ?? 0) - w.clock.now()
      if (wait > 0) await w.run(wait)
      const picks = [...r.spec.picks ?? []]
      // an interactive rider answers after a while of simulated time, as a user does
      const choose: RideRequestOptions['choose'] = async quotes => {
        quotes.forEach(q => offered.set(q.quoteId, q))
        r.outcome.asked.push(quotes.map(q => nameOf(q.driver)!))
        const pick = picks.shift()
        if (pick == null) return quotes[0]
        if ((pick.afterMs ?? 0) > 0) await new Promise<void>(resolve => { w.clock.setTimeout(resolve, pick.afterMs ?? 0) })
        return quotes.find(q => nameOf(q.driver) === pick.driver)
      }
      const ride = async (trip: { from: LatLonPoint, to: LatLonPoint }, outcome: RiderOutcome): Promise<void> => {
        r.outcome = outcome
        try {
          const result = await r.rider.requestRide({ ...trip, timeoutMs: 60_000, ...r.spec.options, ...(r.spec.picks != null ? { choose } : {}) })
          outcome.result = result
          if (r.payments != null) {
            const settled = await r.payments.settled(result.requestId)
            outcome.paid = {
              balanceDriver: settled.final.state.balanceDriver,
              baseWei: settled.baseWei,
              tripRecordHash: settled.final.state.tripRecordHash,
              channelId: settled.channelId
            }
          }
        } catch (err) {
          outcome.error = (err as { code?: string }).code ?? String(err)
        }
      }
      const again: RiderOutcome = { fallbacks: [], cancelled: [], asked: [], lostPicks: [] }
      if (r.spec.again != null) outcomes.push([`${r.spec.name} again`, again])
      void ride(r.spec, r.outcome)
        .then(async () => { if (r.spec.again != null) await ride(r.spec.again, again) })
        .finally(() => { r.done = true })
    }
    const ended = await w.until(() => riders.every(r => r.done), maxMs, 1_000)
    if (!ended) throw new Error(`scenario ${scenario.name}: requests still open after ${maxMs} simulated ms`)
    const elapsedMs = w.clock.now() - start
    // the driver's side of what ended: its final states, its closes, its seats
    await w.until(() => drivers.every(d => d.driver.freeSeats === d.spec.seats) && riders.every(r => {
      const paid = r.outcome.paid
      if (paid == null) return true
      const side = drivers.find(d => d.driver.peerId === r.outcome.result?.driver)
      return side?.manager?.latestState(paid.channelId as `0x${string}`)?.state.balanceDriver === paid.balanceDriver
    }) && drivers.every(d => d.outcome.closed >= d.outcome.nonPayment), 300_000, 1_000)

    for (const [, o] of outcomes) {
      o.driver = nameOf(o.result?.driver)
      o.fallbacks = o.fallbacks.map(([from, to]) => [nameOf(from)!, to === '' ? undefined : nameOf(to)])
    }
    for (const d of drivers) d.outcome.freeSeats = d.driver.freeSeats

    const paidOnClose: Record<string, bigint> = {}
    if (scenario.close === true && ledger != null) {
      const before = drivers.map(d => ledger.balanceOf(d.address))
      for (const r of riders) {
        for (const c of r.manager?.listChannels() ?? []) {
          if (c.phase !== 'open' && c.phase !== 'final') continue
          let closed = false
          r.manager!.closeCooperative(c.channelId).finally(() => { closed = true }).catch(() => {})
          await w.until(() => closed, 120_000, 100)
        }
      }
      drivers.forEach((d, i) => { paidOnClose[d.spec.name] = ledger.balanceOf(d.address) - before[i] })
    }

    const outcome: ScenarioOutcome = {
      riders: Object.fromEntries(outcomes),
      drivers: Object.fromEntries(drivers.map(d => [d.spec.name, d.outcome])),
      elapsedMs,
      chainEvents: ledger?.events(0n).map(e => e.type) ?? [],
      paidOnClose,
      summary: ''
    }
    outcome.summary = JSON.stringify({
      elapsedMs,
      riders: outcomes.map(([name, o]) => ({
        name,
        driver: o.driver,
        error: o.error,
        requestId: o.result?.requestId,
        price: o.result?.quote.price,
        pooled: o.result?.quote.pooled,
        record: o.result != null ? toHex(recordHash(o.result.record)) : undefined,
        paid: o.paid != null ? String(o.paid.balanceDriver) : undefined,
        fallbacks: o.fallbacks,
        cancelled: o.cancelled,
        asked: o.asked,
        lostPicks: o.lostPicks
      })),
      drivers: drivers.map(d => ({ ...d.outcome, quotes: [...d.outcome.quotes] })),
      chainEvents: outcome.chainEvents,
      paidOnClose: Object.entries(paidOnClose).map(([n, v]) => [n, String(v)])
    })
    return outcome
  } finally {
    ticking = false
    await w.stop()
  }
}

/** Makes a driver's peer misbehave from now on. */
function misbehave (w: SimWorld, peer: DriverPeer, how: 'silent' | 'vanishes'): void {
  const network = w.world.peer(peer.node.peerId)!
  if (how === 'vanishes') {
    // once the quote it is sending arrived (well within the rider's quote window)
    w.clock.setTimeout(() => { network.stop().catch(() => {}) }, 1_000)
    return
  }
  // requests reach it and are never answered; gossip reaches it and is ignored
  network.serveRequest = () => {}
  network.receiveGossip = async () => {}
}

/**
 * What every served ride of a scenario must satisfy, whatever the row: the record verifies and
 * names the driver and rider that rode, its fare is the quote the rider accepted, which is the
 * price the driver quoted; a paid ride's final channel state pays the driver the whole fare on
 * top of what the channel owed before and carries the record's hash, as the record says.
 * Returns the problems found (none: an empty list).
 */
export async function checkServedRides (outcome: ScenarioOutcome, payments: boolean): Promise<string[]> {
  const problems: string[] = []
  for (const [name, r] of Object.entries(outcome.riders)) {
    const result = r.result
    if (result == null) continue
    const check = await verifyTripRecord(result.record)
    if (!check.ok) problems.push(`${name}: record does not verify: ${JSON.stringify(check)}`)
    const h = result.record.header
    if (h.driver !== result.driver) problems.push(`${name}: record names driver ${h.driver}, rode with ${result.driver}`)
    if (h.fare !== result.quote.price) problems.push(`${name}: record fare ${h.fare} != accepted price ${result.quote.price}`)
    const quoted = outcome.drivers[r.driver!]?.quotes.get(result.quote.quoteId)
    if (quoted !== result.quote.price) problems.push(`${name}: accepted price ${result.quote.price}, driver ${r.driver} quoted ${quoted}`)
    const types = result.record.events.map(e => e.type)
    if (types[0] !== 'accepted' || !types.includes('picked-up') || types.slice(-2).join() !== 'dropped-off,fare') {
      problems.push(`${name}: record events ${types.join()}`)
    }
    if (payments) {
      const paid = r.paid
      const fareWei = BigInt(result.quote.price) * WEI_PER_CENT
      if (paid == null) {
        problems.push(`${name}: paid ride without a settled channel state`)
        continue
      }
      if (paid.balanceDriver !== paid.baseWei + fareWei) problems.push(`${name}: final state pays ${paid.balanceDriver}, fare is ${fareWei} on ${paid.baseWei}`)
      if (paid.tripRecordHash !== `0x${toHex(recordHash(result.record))}`) problems.push(`${name}: final state carries another record hash`)
      if (h.channelId !== paid.channelId.toLowerCase()) problems.push(`${name}: record names channel ${h.channelId}, paid through ${paid.channelId}`)
      if (h.amountPaid !== String(paid.balanceDriver)) problems.push(`${name}: record says ${h.amountPaid} paid, state ${paid.balanceDriver}`)
    }
  }
  return problems
}
