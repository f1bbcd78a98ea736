import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { compileAdjudicator } from '../../../settlement/solc.js'
import { abiModuleText, artifactJsonText } from '../../../settlement/compile.js'
import { repoPath } from './helpers.js'

describe('settlement/compile', function () {
  this.timeout(60_000)

  it('rebuilds the committed artifact and abi.ts byte for byte (reproducible, offline)', () => {
    const artifact = compileAdjudicator()
    expect(artifact.solcVersion).to.match(/^0\.8\.30\+/)
    expect(artifact.evmVersion).to.equal('cancun')
    const committed = readFileSync(repoPath('settlement/artifacts/Adjudicator.json'), 'utf8')
    const parsed = JSON.parse(committed)
    expect(parsed.bytecode).to.equal(artifact.bytecode)
    expect(parsed.deployedBytecode).to.equal(artifact.deployedBytecode)
    expect(committed).to.equal(artifactJsonText(artifact))
    const abiTs = readFileSync(repoPath('settlement/abi.ts'), 'utf8')
    expect(abiTs).to.equal(abiModuleText(artifact))
  })

  it('stays under the EIP-170 contract size limit', () => {
    const artifact = compileAdjudicator()
    expect((artifact.deployedBytecode.length - 2) / 2).to.be.below(24_576)
  })
})
