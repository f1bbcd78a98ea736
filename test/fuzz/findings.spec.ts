/**
 * The defects the fuzzer found, one test each: every corpus file marked with a `defect` runs
 * through its target, and the test fails while the oracle still objects. Each test name says the
 * defect and the issue item it belongs to; the file's `note` says what the input is. These fail
 * on the code as the fuzzer found it and pass once the defect is fixed. The valid corpus files
 * run in `fuzz.spec.ts`, with the rest of the corpus.
 */
import { expect } from 'chai'
import { loadCorpus } from './harness/corpus.js'
import { runOne } from './harness/engine.js'
import { TARGETS } from './targets/index.js'

describe('fuzz findings (defects the fuzzer found, as regression tests)', function () {
  this.timeout(120_000)
  for (const target of TARGETS) {
    for (const entry of loadCorpus(target.name).filter(e => e.defect != null)) {
      it(`defect (${target.name}/${entry.file}): ${entry.defect ?? ''}`, async () => {
        const result = await runOne(target, entry.input)
        const finding = result.finding
        expect(finding, finding != null ? `${finding.kind}: ${finding.key}: ${finding.message} (input: ${entry.note})` : '').to.equal(undefined)
      })
    }
  }
})
