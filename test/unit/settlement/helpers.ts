import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generatePrivateKey } from 'viem/accounts'
import { type Abi, type Hex } from 'viem'
import { adjudicatorAbi } from '../../../settlement/abi.js'
import { compileSolidity } from '../../../settlement/solc.js'
import { EmbeddedEvm, type EmbeddedChain } from '../../../settlement/embedded-chain.js'
import { SettlementError } from '../../../settlement/errors.js'
import type { ChannelSignatures, ChannelState } from '../../../protocol/channel/index.js'

export const ETHER = 10n ** 18n

/** A fresh rider, driver and outsider on `evm`, each with 10 ether. */
export async function parties (evm: EmbeddedEvm): Promise<{ rider: EmbeddedChain, driver: EmbeddedChain, outsider: EmbeddedChain }> {
  const [rider, driver, outsider] = await Promise.all([0, 1, 2].map(async () => await evm.connect(generatePrivateKey(), { fundWei: 10n * ETHER })))
  return { rider, driver, outsider }
}

/** Both parties' signatures over `state`. */
/** A channel the rider opened to the driver with `deposit` (two fresh funded parties and an outsider). */
export async function openDepositChannel (evm: EmbeddedEvm, deposit = ETHER): Promise<Awaited<ReturnType<typeof parties>> & { channelId: Hex, deposit: bigint }> {
  const p = await parties(evm)
  const { channelId } = await p.rider.open(p.driver.address, deposit)
  return { ...p, channelId, deposit }
}

/** Starts one embedded EVM with the adjudicator (challenge period `periodS`) for the enclosing `describe`, stopped after it. */
export function useEvm (periodS: number): () => EmbeddedEvm {
  let evm: EmbeddedEvm | undefined
  before(async () => { evm = await EmbeddedEvm.start({ challengePeriodS: periodS }) })
  after(async () => { await evm?.stop() })
  return () => {
    if (evm == null) throw new Error('the EVM is started in a before hook')
    return evm
  }
}

export async function cosign (state: ChannelState, rider: EmbeddedChain, driver: EmbeddedChain): Promise<ChannelSignatures> {
  return { rider: await rider.signState(state), driver: await driver.signState(state) }
}

export function state (channelId: Hex, nonce: bigint, balanceRider: bigint, balanceDriver: bigint, trip = 0): ChannelState {
  return { channelId, nonce, balanceRider, balanceDriver, tripRecordHash: `0x${trip.toString(16).padStart(64, '0')}` }
}

/** Asserts that `promise` is refused by the adjudicator with custom error `name`. */
export async function expectRevert (promise: Promise<unknown>, name: string): Promise<SettlementError> {
  try {
    await promise
  } catch (err) {
    expect(err).to.be.instanceOf(SettlementError)
    const e = err as SettlementError
    expect(e.code).to.equal('REVERTED')
    expect(e.revert).to.equal(name)
    return e
  }
  expect.fail(`expected a ${name} revert`)
}

/** A file of the repository, from test/unit/settlement/ (tsx) or dist/test/unit/settlement/ (built). */
export function repoPath (relative: string): string {
  for (const up of ['../../../', '../../../../']) {
    const path = fileURLToPath(new URL(up + relative, import.meta.url))
    if (existsSync(path)) return path
  }
  throw new Error(`${relative} not found`)
}

/**
 * A rider that is a contract (`test/fixtures/ReentrantReceiver.sol`): it opens a channel of 1,000
 * wei with a fresh driver and starts its refund, whose challenge period is over on return; its
 * `receive` behaves as `setMode` says once the payout comes.
 */
export async function contractRider (evm: EmbeddedEvm, periodS: number) {
  const source = readFileSync(repoPath('test/fixtures/ReentrantReceiver.sol'), 'utf8')
  const artifact = compileSolidity({ 'ReentrantReceiver.sol': source }, 'ReentrantReceiver.sol', 'ReentrantReceiver')
  const abi = artifact.abi as Abi
  const { rider: operator, driver } = await parties(evm)
  const hash = await operator.walletClient.deployContract({ abi, bytecode: artifact.bytecode, args: [evm.adjudicator], account: operator.walletClient.account!, chain: operator.walletClient.chain })
  const { contractAddress } = await operator.publicClient.waitForTransactionReceipt({ hash })
  const address = contractAddress!
  const write = async (functionName: string, args: unknown[] = [], value?: bigint): Promise<void> => {
    const h = await operator.walletClient.writeContract({ address, abi, functionName, args, value, account: operator.walletClient.account!, chain: operator.walletClient.chain })
    const receipt = await operator.publicClient.waitForTransactionReceipt({ hash: h })
    expect(receipt.status).to.equal('success')
  }
  const read = async (functionName: string): Promise<any> => await operator.publicClient.readContract({ address, abi, functionName })
  const owed = async (): Promise<bigint> => await operator.publicClient.readContract({ address: evm.adjudicator, abi: adjudicatorAbi, functionName: 'owed', args: [address] })
  await write('openChannel', [driver.address], 1000n)
  const channelId = await read('channelId') as Hex
  await write('startRefund', [1000n])
  await evm.increaseTime(periodS)
  return { operator, driver, address, write, read, owed, channelId }
}
