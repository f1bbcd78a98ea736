/**
 * The fuzz suite's short run in CI: every target replays its corpus and then runs a few seeded
 * inputs (the same ones each time: seed `ci`), and must report no crash, no hang and no accepted
 * input that should have been refused. Long runs: `npm run fuzz -- --inputs 1000000` (README).
 */
import { expect } from 'chai'
import { runTarget } from './harness/runner.js'
import { TARGETS } from './targets/index.js'
import type { FindingRecord } from './harness/engine.js'

/** Inputs per target in CI, corpus included: a few seconds each on the 2-core machine. */
const CI_INPUTS: Record<string, number> = {
  gossip: 3_000,
  direct: 3_000,
  'pay-frame': 5_000,
  'channel-message': 5_000,
  'trip-record': 500,
  'trip-record-json': 500,
  'channel-serve': 40,
  'dev-chain': 150,
  'sim-control-parser': 150,
  'sim-control': 40
}
const DEFAULT_CI_INPUTS = 200

function describeFindings (findings: FindingRecord[]): string {
  return findings.map(f => `\n  ${f.kind}: ${f.key} (x${f.count}${f.corpusFile != null ? `, corpus ${f.corpusFile}` : `, input ${f.index}`})\n    ${f.message.split('\n')[0].slice(0, 240)}\n    input ${f.input.slice(0, 160)}${f.input.length > 160 ? '...' : ''}`).join('')
}

describe('fuzz (short seeded run of every target)', function () {
  this.timeout(180_000)
  for (const target of TARGETS) {
    const inputs = CI_INPUTS[target.name] ?? DEFAULT_CI_INPUTS
    it(`${target.name}: the corpus and ${inputs} seeded inputs, no crash, hang or accepted input that should be refused`, async () => {
      const report = await runTarget({ target: target.name, seed: 'ci', inputs })
      expect(report.inputs).to.equal(inputs)
      expect(report.findings.length, describeFindings(report.findings)).to.equal(0)
    })
  }
})
