/**
 * Offline Solidity compilation with the npm `solc` package (pinned, bundled soljson): nothing is
 * downloaded, and the same source gives byte-identical output (no metadata hash in the bytecode).
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { CompileFailedError } from './errors.js'

const require = createRequire(import.meta.url)

/** The EVM version every Hitch contract is compiled for. */
export const EVM_VERSION = 'cancun'

/** Optimizer settings; fixed so that builds reproduce. */
export const OPTIMIZER = { enabled: true, runs: 200 } as const

/** A compiled contract, as committed in `settlement/artifacts/`. */
export interface ContractArtifact {
  contractName: string
  sourceName: string
  solcVersion: string
  evmVersion: string
  optimizer: { enabled: boolean, runs: number }
  abi: unknown[]
  bytecode: `0x${string}`
  deployedBytecode: `0x${string}`
}

interface SolcModule { version: () => string, compile: (input: string) => string }

let solcModule: SolcModule | undefined

function loadSolc (): SolcModule {
  // loaded lazily: soljson is large and only the compile script and some tests need it
  solcModule ??= require('solc') as SolcModule
  return solcModule
}

/** The version string of the bundled compiler, e.g. `0.8.30+commit.73712a01.Emscripten.clang`. */
export function solcVersion (): string {
  return loadSolc().version()
}

interface SolcOutput {
  errors?: Array<{ severity: string, formattedMessage: string }>
  contracts?: Record<string, Record<string, {
    abi: unknown[]
    evm: { bytecode: { object: string }, deployedBytecode: { object: string } }
  }>>
}

/**
 * Compiles Solidity sources (file name -> text) and returns the named contract's artifact.
 * Sources may import each other by file name; nothing is read from disk.
 *
 * @throws {SettlementError} code `COMPILE_FAILED` on any compiler error
 */
export function compileSolidity (sources: Record<string, string>, sourceName: string, contractName: string): ContractArtifact {
  const solc = loadSolc()
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries(Object.entries(sources).map(([name, content]) => [name, { content }])),
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: OPTIMIZER,
      metadata: { bytecodeHash: 'none', appendCBOR: false },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } }
    }
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (output.errors ?? []).filter(e => e.severity === 'error')
  if (errors.length > 0) {
    throw new CompileFailedError(errors.map(e => e.formattedMessage).join('\n'))
  }
  const contract = output.contracts?.[sourceName]?.[contractName]
  if (contract == null) {
    throw new CompileFailedError(`no contract ${contractName} in ${sourceName}`)
  }
  return {
    contractName,
    sourceName,
    solcVersion: solc.version(),
    evmVersion: EVM_VERSION,
    optimizer: { ...OPTIMIZER },
    abi: contract.abi,
    bytecode: `0x${contract.evm.bytecode.object}`,
    deployedBytecode: `0x${contract.evm.deployedBytecode.object}`
  }
}

/** Where the adjudicator's Solidity source lives (next to this module's source folder). */
export function adjudicatorSourcePath (): string {
  // works from settlement/ (tsx) and from dist/settlement/ (built): the .sol file is not copied by tsc
  const here = fileURLToPath(new URL('.', import.meta.url))
  const candidates = [
    new URL('./contracts/Adjudicator.sol', import.meta.url),
    new URL('../../settlement/contracts/Adjudicator.sol', import.meta.url)
  ].map(u => fileURLToPath(u))
  for (const path of candidates) {
    try {
      readFileSync(path)
      return path
    } catch {}
  }
  throw new CompileFailedError(`Adjudicator.sol not found from ${here}`)
}

/** Compiles `settlement/contracts/Adjudicator.sol`. */
export function compileAdjudicator (): ContractArtifact {
  const source = readFileSync(adjudicatorSourcePath(), 'utf8')
  return compileSolidity({ 'Adjudicator.sol': source }, 'Adjudicator.sol', 'Adjudicator')
}
