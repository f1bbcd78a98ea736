import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { MAX_SEATS } from '../../../protocol/index.js'
import { DEFAULT_SCENARIO, SCENARIO_FIELDS, ScenarioError, applyFlags, defaultScenario, loadScenario, parseDurationMs, resolveScenario } from '../../../sim/index.js'

describe('sim/scenario', () => {
  it('fills every field from the defaults', () => {
    const s = resolveScenario({})
    expect(s).to.deep.equal(DEFAULT_SCENARIO)
    expect(s.network.mode).to.equal('simulated')
    expect(s.batchS).to.equal(30)
  })

  it('reads groups, durations as text and resolves paths against the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hitch-scenario-'))
    const file = join(dir, 'scenario.json')
    await writeFile(file, JSON.stringify({
      map: 'maps/x.osm.pbf', riders: 10, drivers: 3, durationS: '2h', patienceS: '5m',
      network: { mode: 'libp2p', latencyMs: '1s', loss: 0.1 }, demand: { trips: 't.csv', startHour: 17 }, fare: { baseCents: 300 }
    }))
    const s = await loadScenario(file)
    expect(s.map).to.equal(join(dir, 'maps/x.osm.pbf'))
    expect(s.demand.trips).to.equal(join(dir, 't.csv'))
    expect(s.durationS).to.equal(7200)
    expect(s.patienceS).to.equal(300)
    expect(s.network).to.include({ mode: 'libp2p', latencyMs: 1000, loss: 0.1, jitterMs: 10 })
    expect(s.fare.baseCents).to.equal(300)
    expect(s.fare.perKmCents).to.equal(DEFAULT_SCENARIO.fare.perKmCents)
  })

  const bad: Array<[unknown, string]> = [
    [{ drivrs: 3 }, 'drivrs'],
    [{ network: { latency: 3 } }, 'network.latency'],
    [{ drivers: 'three' }, 'drivers'],
    [{ drivers: 2.5 }, 'drivers'],
    [{ drivers: 0 }, 'drivers'],
    [{ network: { mode: 'carrier-pigeon' } }, 'network.mode'],
    [{ network: { loss: 2 } }, 'network.loss'],
    [{ durationS: 'soon' }, 'durationS'],
    [{ network: 3 }, 'network'],
    [{ out: null }, 'out'],
    [{ riders: '10' }, 'riders']
  ]
  for (const [input, field] of bad) {
    it(`rejects ${JSON.stringify(input)} naming ${field}`, () => {
      let caught: unknown
      try { resolveScenario(input) } catch (err) { caught = err }
      expect(caught).to.be.instanceOf(ScenarioError)
      expect((caught as ScenarioError).code).to.equal('ERR_SCENARIO')
      expect((caught as ScenarioError).field).to.equal(field)
    })
  }

  it('names the file when it is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hitch-scenario-'))
    const file = join(dir, 'bad.json')
    await writeFile(file, '{ nope')
    try {
      await loadScenario(file)
      expect.fail('no error')
    } catch (err) {
      expect(err).to.be.instanceOf(ScenarioError)
    }
  })

  it('applies flags over a scenario, every field has a flag', () => {
    const s = applyFlags(defaultScenario(), {
      drivers: '7', riders: '100', duration: '90m', network: 'libp2p', latency: '50ms', seed: '9', map: 'none', trips: 'a.csv', json: true
    })
    expect(s.drivers).to.equal(7)
    expect(s.riders).to.equal(100)
    expect(s.durationS).to.equal(5400)
    expect(s.network.mode).to.equal('libp2p')
    expect(s.network.latencyMs).to.equal(50)
    expect(s.seed).to.equal(9)
    expect(s.map).to.equal(null)
    expect(s.demand.trips).to.equal('a.csv')
    const flags = new Set(SCENARIO_FIELDS.map(f => f.flag))
    expect(flags.size).to.equal(SCENARIO_FIELDS.length)
    for (const f of SCENARIO_FIELDS) {
      const leaf = f.path.split('.').reduce<any>((o, k) => o?.[k], DEFAULT_SCENARIO)
      expect(leaf, f.path).to.not.equal(undefined)
    }
  })

  it('rejects a bad flag naming it', () => {
    expect(() => applyFlags(defaultScenario(), { drivers: 'many' })).to.throw(ScenarioError, '--drivers')
    expect(() => applyFlags(defaultScenario(), { duration: '2 hours' })).to.throw(ScenarioError, '--duration')
    expect(() => applyFlags(defaultScenario(), { workers: '4' })).to.throw(ScenarioError, 'workers')
  })

  it('refuses more seats than the protocol carries, so that both fleets seat what the scenario says', () => {
    // the decentralized fleet used to cap seats at 8 while the centralized one took the scenario's value
    expect(applyFlags(defaultScenario(), { seats: String(MAX_SEATS) }).seats).to.equal(MAX_SEATS)
    expect(() => applyFlags(defaultScenario(), { seats: String(MAX_SEATS + 1) })).to.throw(ScenarioError, '--seats')
    expect(() => resolveScenario({ seats: 12 })).to.throw(ScenarioError, 'seats')
  })

  it('parses durations', () => {
    expect(parseDurationMs('30s')).to.equal(30_000)
    expect(parseDurationMs('1h30m')).to.equal(5_400_000)
    expect(parseDurationMs('250ms')).to.equal(250)
    expect(parseDurationMs('12')).to.equal(12_000)
    expect(parseDurationMs('12', 1)).to.equal(12)
    expect(parseDurationMs('x')).to.be.NaN
  })
})
