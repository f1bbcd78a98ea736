/**
 * `npm run compile:contract`: compiles the adjudicator offline with solc from npm and writes
 * `settlement/artifacts/Adjudicator.json` and `settlement/abi.ts` (both committed).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { abiModuleText, artifactJsonText } from '../settlement/compile.js'
import { compileAdjudicator } from '../settlement/solc.js'

const settlement = new URL('../settlement/', import.meta.url)
const artifact = compileAdjudicator()
mkdirSync(new URL('./artifacts/', settlement), { recursive: true })
writeFileSync(new URL('./artifacts/Adjudicator.json', settlement), artifactJsonText(artifact))
writeFileSync(new URL('./abi.ts', settlement), abiModuleText(artifact))
process.stdout.write(`Adjudicator: ${(artifact.deployedBytecode.length - 2) / 2} bytes deployed, solc ${artifact.solcVersion}\n`)
