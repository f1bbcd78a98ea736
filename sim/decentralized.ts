import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { mulberry32 } from '../matching/index.js'
import { createHitchPeer } from '../node/hitch-peer.js'
import { identityFromKey } from '../node/identity/index.js'
import { libsecp256k1Signatures } from '../node/index.js'
import { NoDriverError } from '../node/roles/index.js'
import { VerifyCache } from '../protocol/index.js'
import { EventScheduler, VirtualClock } from './event-scheduler.js'
import { SimulationError } from './errors.js'
import { SIM_EPOCH_MS } from './share.js'
import { seededRandomSource } from './random.js'
import { SimulatedWorld } from './simulated-network.js'
import { initialRecords } from './centralized.js'
import { countChannelUpdates, emptySharePayments, feedAccess, paymentRecord, RunChain, settleRide, simPeerPayments } from './payments.js'
import type { FeedAccess } from './payments.js'
import type { ChainActivity } from '../settlement/index.js'
import type { Driver, Rider } from '../node/roles/index.js'
import type { RunOptions } from './centralized.js'
import type { TripRequest } from './demand.js'
import { attributeDriven, networkRecordOf, servedRideFacts } from './records.js'
import type { NodeNetworkRecord, RequestRecord, RunRecords, VehicleRecord } from './records.js'
import type { Scenario } from './scenario.js'
import type { DriverPeer as HitchDriverPeer, HitchPeerInit } from '../node/hitch-peer.js'
import type { RoutedMap } from '../node/map/index.js'
import type { Network } from '../node/network/index.js'
import type { Secp256k1PrivateKey } from '@libp2p/interface'

const log = logger('hitch:sim:decentralized')


/** A rider whose ride ended stays online this long (clock ms), so its last answers arrive. @default 5000 */
const RIDER_LINGER_MS = 5_000

/** Options of {@link DecentralizedRun} */
export interface DecentralizedInit {
  map: RoutedMap
  requests: readonly TripRequest[]
  scenario: Scenario
  /** Starting vertex of each driver (the centralized fleet's, for a fair comparison) */
  positions: readonly number[]
}

interface DriverPeer {
  id: string
  peer: HitchDriverPeer
  driver: Driver
  aboard: Set<string>
  odometerM: number
  onboard: number
  metres: { empty: number, occupied: number, passenger: number }
  served: number
}

/**
 * The decentralized run: one Hitch peer per driver and per rider, running
 * the real `Driver` and `Rider` roles of `node/roles` (real signatures, real
 * validation, real negotiation machines), either on the discrete-event
 * {@link SimulatedWorld} with one {@link VirtualClock} (mode `'simulated'`,
 * deterministic, as fast as the CPU allows), or, in mode `'libp2p'`, on
 * real libp2p nodes (handed to `runLibp2p` in sim/libp2p-run.ts).
 * Riders appear at their request time, give up after their patience, and
 * leave the network once their ride ends.
 */
export class DecentralizedRun {
  private readonly map: RoutedMap
  private readonly requests: readonly TripRequest[]
  private readonly scenario: Scenario
  private readonly positions: readonly number[]

  constructor (init: DecentralizedInit) {
    this.map = init.map
    this.requests = init.requests
    this.scenario = init.scenario
    this.positions = init.positions
  }

  /** Runs every driver and rider to the end of the scenario and returns the records */
  async run (options: RunOptions = {}): Promise<RunRecords> {
    const s = this.scenario
    if (s.network.mode !== 'simulated') throw new SimulationError(`the simulated network runs a scenario of network mode 'simulated', not '${s.network.mode}'`)
    const wallStart = performance.now()
    const cpuStart = process.cpuUsage()
    let peakRss = process.memoryUsage().rss
    const keyRand = mulberry32(s.seed ^ 0x6b657973)
    const newKey = (): Secp256k1PrivateKey => {
      // a seeded key: the same peer ids every run (a valid scalar with overwhelming probability)
      const raw = new Uint8Array(32)
      for (let i = 0; i < 32; i++) raw[i] = Math.floor(keyRand() * 256)
      raw[0] = (raw[0] & 0x7f) | 0x01
      return privateKeyFromRaw(raw) as Secp256k1PrivateKey
    }

    // from here on the mode is 'simulated': one discrete-event world and its virtual clock
    const scheduler = new EventScheduler()
    const world = new SimulatedWorld({ scheduler, seed: s.seed, latencyMs: s.network.latencyMs, jitterMs: s.network.jitterMs, bandwidthBps: s.network.bandwidthBps, loss: s.network.loss, lookupMs: s.network.lookupMs })
    const clock = new VirtualClock(scheduler, { epochMs: SIM_EPOCH_MS })
    const simS = (): number => (clock.now() - SIM_EPOCH_MS) / 1000
    const notes: string[] = []
    const networks: Array<{ role: 'driver' | 'rider', net: Network }> = []
    // one world, one cache: each gossip message is verified once, not once per receiver
    const verifyCache = new VerifyCache({ maxEntries: 65_536 })
    const signatures = libsecp256k1Signatures()

    const peerInit = (name: string): HitchPeerInit => {
      const privateKey = newKey()
      const network = world.createPeer({ peerId: identityFromKey(privateKey).peerId, logPrefix: name, clock })
      return {
        privateKey,
        network,
        clock,
        map: this.map,
        logPrefix: name,
        random: seededRandomSource(s.seed, name),
        verifyCache,
        signatures,
        ...simPeerPayments(access, clock)
      }
    }

    // payments: the real channels on one embedded EVM, called between the scheduler's events
    let chain: RunChain | undefined
    let access: FeedAccess | undefined
    const tally = emptySharePayments()
    if (s.payments === 'channels') {
      chain = await RunChain.embedded()
      access = await feedAccess(chain.access(), clock, async work => await scheduler.track(work))
    }
    let activity: ChainActivity | undefined
    const noted = new Set<string>()
    const note = (text: string): void => { if (!noted.has(text)) { noted.add(text); notes.push(text) } }

    const records = initialRecords(this.map, this.requests)
    const byProtocolId = new Map<string, RequestRecord>()
    const drivers: DriverPeer[] = []
    const endS = s.durationS + s.drainS
    let finishedRiders = 0
    let served = 0
    let cancelled = 0

    // what quoting on cells costs: at each reveal, the exact plan's pickup against the quoted minutes
    const revealDelays: number[] = []
    const cancelledConfirmed: string[] = []

    // drivers first: they subscribe to their cells and announce them
    for (let i = 0; i < this.positions.length; i++) {
      const v = this.positions[i]
      const hitch = await createHitchPeer({
        ...peerInit(`driver-${i}`),
        driver: {
          position: { lat: this.map.graph.lat[v], lon: this.map.graph.lon[v] },
          seats: s.seats,
          fare: s.fare,
          insertion: { maxWaitS: s.patienceS, maxDetourFactor: s.maxDetourFactor, detourSlackS: s.detourSlackS },
          offerIntervalMs: s.offerIntervalS * 1000
        }
      })
      countChannelUpdates(hitch, tally)
      const { node, driver } = hitch
      const peer: DriverPeer = { id: node.peerId, peer: hitch, driver, aboard: new Set(), odometerM: 0, onboard: 0, metres: { empty: 0, occupied: 0, passenger: 0 }, served: 0 }
      driver.on('pickup', ({ requestId, time }) => {
        const rec = byProtocolId.get(requestId)
        if (rec != null) rec.pickupTimeS = (time - SIM_EPOCH_MS) / 1000
        if (peer.aboard.size > 0) {
          for (const other of [...peer.aboard, requestId]) {
            const r = byProtocolId.get(other)
            if (r != null) r.pooled = true
          }
        }
        peer.aboard.add(requestId)
      })
      driver.on('dropoff', ({ requestId, time, distanceM }) => {
        peer.aboard.delete(requestId)
        peer.served++
        const rec = byProtocolId.get(requestId)
        if (rec == null) return
        rec.dropoffTimeS = (time - SIM_EPOCH_MS) / 1000
        rec.inCarS = rec.dropoffTimeS - (rec.pickupTimeS ?? rec.dropoffTimeS)
        peer.metres.passenger += distanceM * rec.seats
      })
      driver.on('position', ({ odometerM, onboard }) => {
        attributeDriven(peer, odometerM, onboard)
      })
      driver.on('revealed', ({ quotedPickupMinutes, exactPickupS }) => { revealDelays.push(exactPickupS - quotedPickupMinutes * 60) })
      driver.on('cancelled', ({ reason }) => { if (reason !== 'non-payment') cancelledConfirmed.push(reason) })
      drivers.push(peer)
      networks.push({ role: 'driver', net: node.network })
    }

    const liveRiders = new Set<Rider>()
    let shuttingDown = false
    const startRider = async (req: TripRequest, rec: RequestRecord): Promise<void> => {
      if (shuttingDown) return
      const peer = await createHitchPeer({ ...peerInit(`rider-${req.index}`), rider: { republishMs: s.republishS * 1000 } })
      const { node, rider } = peer
      networks.push({ role: 'rider', net: node.network })
      liveRiders.add(rider)
      const asked = performance.now()
      const g = this.map.graph
      rider.on('confirmed', ({ requestId }) => {
        rec.assignTimeS = simS()
        rec.matchWallMs = performance.now() - asked
        rec.status = 'unfinished'
        byProtocolId.set(requestId, rec)
      })
      try {
        await peer.start()
        const result = await rider.requestRide({
          from: { lat: g.lat[req.pickup], lon: g.lon[req.pickup] },
          to: { lat: g.lat[req.dropoff], lon: g.lon[req.dropoff] },
          seats: req.seats,
          maxWaitMs: s.patienceS * 1000,
          timeoutMs: s.patienceS * 1000
        })
        rec.status = 'served'
        Object.assign(rec, await servedRideFacts(result, peer.payments != null))
        if (rec.dropoffTimeS == null) rec.dropoffTimeS = simS()
        served++
        if (peer.channels != null && peer.payments != null) rec.paidWei = await settleRide(result.requestId, { channels: peer.channels, payments: peer.payments }, tally, note, log)
      } catch (err) {
        if (err instanceof NoDriverError) {
          rec.status = 'cancelled'
          cancelled++
        } else {
          log('rider %s failed - %e', req.id, err)
          if (rec.status !== 'unfinished') {
            rec.status = 'cancelled'
            cancelled++
          }
        }
      } finally {
        finishedRiders++
        // the countersigned trip record is still on its way back to the driver: linger a moment
        await clock.sleep(RIDER_LINGER_MS).catch(() => {})
        liveRiders.delete(rider)
        await peer.stop().catch(() => {})
      }
    }

    const riderTasks: Array<Promise<void>> = []
    for (let i = 0; i < this.requests.length; i++) {
      const req = this.requests[i]
      const rec = records[i]
      clock.setTimeout(() => { riderTasks.push(startRider(req, rec)) }, req.timeS * 1000)
    }

    const progress = (): void => {
      options.onProgress?.({ run: 'decentralized', simS: simS(), totalS: s.durationS, served, cancelled, requests: this.requests.length })
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
    }
    const allDone = (): boolean => finishedRiders === this.requests.length && drivers.every(d => d.driver.currentPlan.stops.length === 0)

    try {
      clock.setTimeout(() => {
        for (const d of drivers) void d.peer.start()
      }, 0)
      let lastProgress = performance.now()
      for (let t = 0; t <= endS; t += 1) {
        await scheduler.runUntilAsync(t * 1000, { signal: options.signal })
        if (performance.now() - lastProgress > 500) {
          progress()
          lastProgress = performance.now()
        }
        if (t >= s.durationS && allDone()) break
      }
    } finally {
      shuttingDown = true
      const stopAll = async (): Promise<void> => {
        for (const d of drivers) await d.driver.stop().catch(() => {})
        // riders still waiting (the run was cut short): abandon their rides, let them wind down
        for (const r of liveRiders) await r.stop().catch(() => {})
        await Promise.allSettled(riderTasks)
        for (const d of drivers) {
          d.peer.payments?.stop()
          await d.peer.channels?.stop()
        }
      }
      // stopping awaits clock events: keep the scheduler turning meanwhile
      const stopping = stopAll()
      let done = false
      void stopping.finally(() => { done = true })
      while (!done) await scheduler.runUntilAsync(scheduler.now() + 1000)
      await Promise.allSettled(riderTasks)
      for (const d of drivers) await d.peer.stop().catch(() => {})
      if (chain != null) {
        try {
          activity = await chain.activity()
        } catch (err) {
          log('reading the chain\'s activity failed - %e', err)
        } finally {
          await access?.stop()
          await chain.stop().catch(() => {})
        }
      }
    }
    progress()

    const nodes: NodeNetworkRecord[] = networks.map(({ role, net }) => networkRecordOf(role, net))
    const vehicles: VehicleRecord[] = drivers.map(d => ({
      id: d.id,
      kmEmpty: d.metres.empty / 1000,
      kmOccupied: d.metres.occupied / 1000,
      passengerKm: d.metres.passenger / 1000,
      ridesServed: d.served
    }))
    notes.push('vehicle km empty/occupied come from the drivers\' position events (every 250 m), so they are accurate to about 250 m per change of load')
    if (revealDelays.length > 0) {
      const sorted = [...revealDelays].sort((a, b) => a - b)
      const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length
      notes.push(`quoting on cells: at the reveal, the exact plan picks up ${mean.toFixed(0)} s later than the quoted minutes on average ` +
        `(p50 ${sorted[sorted.length >> 1].toFixed(0)} s, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(0)} s, over ${sorted.length} rides; ` +
        `negative: earlier); ${cancelledConfirmed.length} confirmed rides cancelled by their driver${cancelledConfirmed.length > 0 ? ` (${[...new Set(cancelledConfirmed)].join(', ')})` : ''}`)
    }
    if (s.workers > 1) notes.push(`workers: ${s.workers} requested, but every peer ran in this one process`)
    const cpu = process.cpuUsage(cpuStart)
    return {
      kind: 'decentralized',
      requests: records,
      vehicles,
      nodes,
      payments: activity != null ? paymentRecord([tally], activity) : null,
      simulatedS: Math.min(simS(), endS),
      wallMs: performance.now() - wallStart,
      cpuUs: cpu.user + cpu.system,
      peakRssBytes: Math.max(peakRss, process.memoryUsage().rss),
      processes: 1,
      notes
    }
  }
}
