/**
 * Gas of the adjudicator's operations, measured on the embedded chain:
 * `npx tsx bench/channel-gas.ts` (or `npm run bench -- channel-gas` once registered).
 */
import { fileURLToPath } from 'node:url'
import { generatePrivateKey } from 'viem/accounts'
import type { Hex } from 'viem'
import { EmbeddedEvm, type EmbeddedChain } from '../settlement/index.js'
import { finalChannelState, type ChannelState } from '../protocol/channel/index.js'

const RIDES_PER_CHANNEL = 10

function state (channelId: Hex, nonce: bigint, balanceRider: bigint, balanceDriver: bigint, trip: number): ChannelState {
  return { channelId, nonce, balanceRider, balanceDriver, tripRecordHash: `0x${trip.toString(16).padStart(64, '0')}` }
}

async function cosign (s: ChannelState, rider: EmbeddedChain, driver: EmbeddedChain): Promise<{ rider: Hex, driver: Hex }> {
  return { rider: await rider.signState(s), driver: await driver.signState(s) }
}

/** Gas used by each adjudicator operation (and amortised figures), keyed by operation. */
export async function reportGas (): Promise<Record<string, number>> {
  const evm = await EmbeddedEvm.start({ challengePeriodS: 60 })
  try {
    const fund = { fundWei: 10n ** 19n }
    const rider = await evm.connect(generatePrivateKey(), fund)
    const driver = await evm.connect(generatePrivateKey(), fund)
    const deposit = 10n ** 16n
    const gas: Record<string, number> = {}

    // a channel that serves ten rides: states move off chain, the chain sees one open and one close
    const opened = await rider.open(driver.address, deposit)
    gas.open = Number(opened.gasUsed)
    gas.openExisting = Number((await rider.open(driver.address, deposit)).gasUsed)
    gas.topUp = Number((await rider.topUp(opened.channelId, deposit)).gasUsed)
    const total = deposit * 3n
    const fare = total / 20n
    let last = state(opened.channelId, 0n, total, 0n, 0)
    for (let ride = 1; ride <= RIDES_PER_CHANNEL; ride++) {
      last = state(opened.channelId, BigInt(ride), total - fare * BigInt(ride), fare * BigInt(ride), ride)
    }
    const final = finalChannelState(last)
    gas.closeCooperative = Number((await driver.closeCooperative(final, await cosign(final, rider, driver))).gasUsed)

    // a dispute on the pair's next channel: a stale close, answered, then finalized
    const second = await rider.open(driver.address, deposit)
    gas.reopen = Number(second.gasUsed)
    const stale = state(second.channelId, 1n, deposit - 1n, 1n, 1)
    const latest = state(second.channelId, 2n, deposit - 2n, 2n, 2)
    gas.closeUnilateral = Number((await rider.closeUnilateral(stale, await cosign(stale, rider, driver))).gasUsed)
    gas.challenge = Number((await driver.challenge(latest, await cosign(latest, rider, driver))).gasUsed)
    await evm.increaseTime(60)
    gas.finalize = Number((await driver.finalize(second.channelId)).gasUsed)
    gas.dispute = gas.closeUnilateral + gas.challenge + gas.finalize

    gas.perRideOneChannelPerRide = gas.open + gas.closeCooperative
    gas[`perRide${RIDES_PER_CHANNEL}RidesPerChannel`] = Math.round((gas.open + gas.closeCooperative) / RIDES_PER_CHANNEL)
    return gas
  } finally {
    await evm.stop()
  }
}

/** Prints the gas table (`--json` for one JSON line). */
export async function run (args: string[]): Promise<void> {
  const gas = await reportGas()
  if (args.includes('--json')) {
    console.log(JSON.stringify(gas))
    return
  }
  const width = Math.max(...Object.keys(gas).map(k => k.length))
  console.log(`${'operation'.padEnd(width)}  gas`)
  for (const [name, value] of Object.entries(gas)) console.log(`${name.padEnd(width)}  ${value.toLocaleString('en-US')}`)
}

if (process.argv[1] != null && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run(process.argv.slice(2))
}
