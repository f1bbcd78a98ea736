import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generatePrivateKey } from 'viem/accounts'
import { type Hex } from 'viem'
import { EmbeddedEvm, type EmbeddedChain } from '../../../settlement/embedded-chain.js'
import { SettlementError } from '../../../settlement/errors.js'
import type { ChannelSignatures, ChannelState } from '../../../settlement/channel-state.js'

export const ETHER = 10n ** 18n

/** A fresh rider, driver and outsider on `evm`, each with 10 ether. */
export async function parties (evm: EmbeddedEvm): Promise<{ rider: EmbeddedChain, driver: EmbeddedChain, outsider: EmbeddedChain }> {
  const [rider, driver, outsider] = await Promise.all([0, 1, 2].map(async () => await evm.connect(generatePrivateKey(), { fundWei: 10n * ETHER })))
  return { rider, driver, outsider }
}

/** Both parties' signatures over `state`. */
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
