import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { runHitch } from '../fixtures/run-cli.js'
import type { SimulationResults } from '../../sim/index.js'

describe('cli: hitch sim', function () {
  this.timeout(120_000)
  let dir: string

  before(async () => { dir = await mkdtemp(join(tmpdir(), 'hitch-cli-sim-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('refuses a bad scenario file with one line on stderr and a non-zero exit', async () => {
    const file = join(dir, 'bad.json')
    await writeFile(file, JSON.stringify({ drivers: 'many', riders: 10 }))
    const res = await runHitch(['sim', file, '--out', join(dir, 'never')])
    expect(res.code).to.not.equal(0)
    expect(res.stderr.trim().split('\n')).to.have.length(1)
    expect(res.stderr).to.match(/drivers/)
    expect(res.stderr).to.not.match(/\n\s+at /)
  })

  it('refuses a scenario file that is not JSON, and an unknown key, the same way', async () => {
    const notJson = join(dir, 'not.json')
    await writeFile(notJson, '{ drivers: 3')
    const a = await runHitch(['sim', notJson])
    expect(a.code).to.not.equal(0)
    expect(a.stderr.trim().split('\n')).to.have.length(1)
    const unknown = join(dir, 'unknown.json')
    await writeFile(unknown, JSON.stringify({ driverz: 3 }))
    const b = await runHitch(['sim', unknown])
    expect(b.code).to.not.equal(0)
    expect(b.stderr.trim().split('\n')).to.have.length(1)
    expect(b.stderr).to.match(/driverz/)
  })

  it('a tiny simulated run writes results.json with the service rate of both runs side by side', async () => {
    const out = join(dir, 'tiny')
    const res = await runHitch(['sim', '--drivers', '3', '--riders', '6', '--duration', '10m', '--drain', '30m', '--seed', '2', '--out', out, '--no-progress'])
    expect(res.code, res.stderr).to.equal(0)
    // the summary table: one column per run
    expect(res.stdout).to.match(/decentralized\s*\|\s*centralized/)
    expect(res.stdout).to.match(/served/)
    expect(res.stderr).to.include('results.json')
    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as SimulationResults
    expect(results.scenario.network.mode).to.equal('simulated')
    for (const run of [results.centralized, results.decentralized]) {
      expect(run).to.not.equal(null)
      expect(run?.requests).to.equal(6)
      expect(run?.serviceRate).to.be.within(0, 1)
      expect(run?.serviceRate).to.equal((run?.served ?? 0) / 6)
    }
    expect(results.centralized?.served).to.be.greaterThan(0)
    expect(results.decentralized?.served).to.be.greaterThan(0)
    expect(await readFile(join(out, 'report.html'), 'utf8')).to.include('<html')
  })

  it('hitch sim worker needs a coordinator address', async () => {
    const res = await runHitch(['sim', 'worker'])
    expect(res.code).to.equal(2)
    expect(res.stderr.trim().split('\n')).to.have.length(1)
    expect(res.stderr).to.match(/--connect/)
  })
})
