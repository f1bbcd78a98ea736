import { expect } from 'chai'
import { openRoutedMap } from '../../node/map/index.js'
import { defaultScenario, runSimulation } from '../../sim/index.js'
import { hasSharedData, sharedData } from '../fixtures/shared-data.js'
import type { RoutedMap } from '../../node/map/index.js'
import type { Scenario, SimulationResults } from '../../sim/index.js'

/** Fields that measure the host, not the simulation: wall clock, CPU, memory */
const HOST_FIELDS = new Set(['resources', 'wallMs', 'matchWallMs', 'cpuUs', 'peakRssBytes'])

/** results.json as written, without the host's figures */
function comparable (results: SimulationResults): unknown {
  return JSON.parse(JSON.stringify(results, (key, value) => HOST_FIELDS.has(key) ? undefined : value))
}

async function decentralized (scenario: Scenario, map: RoutedMap): Promise<SimulationResults> {
  const { results } = await runSimulation(scenario, { map, runs: ['decentralized'] })
  return results
}

describe('sim: the simulated mode is deterministic', function () {
  this.timeout(240_000)

  it('one seed gives identical results.json twice (synthetic city, jitter and loss on); another seed does not', async () => {
    const map = await openRoutedMap()
    const s = defaultScenario()
    s.drivers = 5
    s.riders = 24
    s.durationS = 900
    s.drainS = 1800
    s.seed = 11
    s.network.loss = 0.01
    s.offerIntervalS = 30
    const a = await decentralized(s, map)
    const b = await decentralized(s, map)
    const d = a.decentralized
    expect(d?.served).to.be.greaterThan(12)
    // negotiations, rides, pooling and losses all happened, so there was something to repeat
    expect(d?.network?.direct.messagesPerNode).to.be.greaterThan(0)
    expect(a.records.decentralized?.requests.some(r => r.pooled)).to.equal(true)
    // the rides were paid on the run's EVM, between the scheduler's events
    expect(d?.payments?.ridesSettled).to.be.greaterThan(0)
    expect(d?.payments?.onChainTxs).to.be.greaterThan(0)
    expect(comparable(b)).to.deep.equal(comparable(a))

    const other = await decentralized({ ...s, seed: 12 }, map)
    expect(comparable(other)).to.not.deep.equal(comparable(a))
  })

  it('one seed gives identical results.json twice on manhattan-midtown with the NYC trips', async function () {
    const files = ['maps/manhattan-midtown.osm.pbf', 'trips/nyc-taxi-sample-a.csv', 'trips/nyc-hourly-pickups-2016.csv.gz']
    if (!files.every(hasSharedData)) {
      this.skip()
    }
    const s = defaultScenario()
    s.map = sharedData(files[0])
    s.demand.trips = sharedData(files[1])
    s.demand.profile = sharedData(files[2])
    s.demand.startHour = 17
    s.drivers = 8
    s.riders = 30
    s.durationS = 900
    s.drainS = 1800
    s.seed = 3
    const map = await openRoutedMap(s.map)
    const a = await decentralized(s, map)
    const b = await decentralized(s, map)
    expect(a.decentralized?.served).to.be.greaterThan(10)
    expect(comparable(b)).to.deep.equal(comparable(a))
  })
})
