import { expect } from 'chai'
import fc from 'fast-check'
import { generatePrivateKey } from 'viem/accounts'
import { finalChannelState } from '../../../protocol/channel/index.js'
import { EmbeddedEvm } from '../../../settlement/embedded-chain.js'
import { SettlementError } from '../../../settlement/errors.js'
import { MemoryChain, MemoryLedger } from '../../../settlement/memory-chain.js'
import { ETHER, state } from './helpers.js'
import type { AdjudicatorEvent, Chain } from '../../../settlement/index.js'
import type { ChannelSignatures, ChannelState } from '../../../protocol/channel/index.js'
import type { Hex } from 'viem'

const PERIOD = 50

type Command =
  | { kind: 'open', pair: number, amount: number }
  | { kind: 'topUp', pair: number, amount: number, by: 'rider' | 'driver' }
  | { kind: 'coop', pair: number, driverShare: number, final: boolean }
  | { kind: 'unilateral', pair: number, driverShare: number, by: 'rider' | 'driver' }
  | { kind: 'refund', pair: number, driverShare: number }
  | { kind: 'challenge', pair: number, driverShare: number, stale: boolean }
  | { kind: 'forged', pair: number }
  | { kind: 'overDeposit', pair: number }
  | { kind: 'outsider', pair: number }
  | { kind: 'wait' }
  | { kind: 'finalize', pair: number }
  | { kind: 'withdraw' }

const pair = fc.integer({ min: 0, max: 1 })
const share = fc.integer({ min: 0, max: 100 })
const by = fc.constantFrom('rider' as const, 'driver' as const)
const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('open' as const), pair, amount: fc.integer({ min: 0, max: 10_000 }) }),
  fc.record({ kind: fc.constant('topUp' as const), pair, amount: fc.integer({ min: 0, max: 10_000 }), by }),
  fc.record({ kind: fc.constant('coop' as const), pair, driverShare: share, final: fc.boolean() }),
  fc.record({ kind: fc.constant('unilateral' as const), pair, driverShare: share, by }),
  fc.record({ kind: fc.constant('refund' as const), pair, driverShare: fc.constantFrom(0, 10) }),
  fc.record({ kind: fc.constant('challenge' as const), pair, driverShare: share, stale: fc.boolean() }),
  fc.record({ kind: fc.constant('forged' as const), pair }),
  fc.record({ kind: fc.constant('overDeposit' as const), pair }),
  fc.record({ kind: fc.constant('outsider' as const), pair }),
  fc.constant({ kind: 'wait' as const }),
  fc.record({ kind: fc.constant('finalize' as const), pair }),
  fc.constant({ kind: 'withdraw' as const })
)

interface World {
  pairs: Array<{ rider: Chain, driver: Chain, channelId?: Hex }>
  outsider: Chain
  wait: (seconds: number) => Promise<void>
}

async function cosign (s: ChannelState, rider: Chain, driver: Chain): Promise<ChannelSignatures> {
  return { rider: await rider.signState(s), driver: await driver.signState(s) }
}

/** What a run of commands did: each command's outcome, the channels at the end, the events. */
async function play (w: World, commands: Command[]): Promise<{ outcomes: string[], channels: unknown[], events: unknown[] }> {
  const outcomes: string[] = []
  const start = (await w.outsider.blockNumber()) + 1n
  let nextNonce = 1n
  const attempt = async (action: () => Promise<unknown>): Promise<string> => {
    try {
      await action()
      return 'ok'
    } catch (err) {
      if (!(err instanceof SettlementError) || err.code !== 'REVERTED') throw err
      return String(err.revert)
    }
  }
  for (const c of commands) {
    if (c.kind === 'wait') {
      await w.wait(PERIOD)
      outcomes.push('waited')
      continue
    }
    if (c.kind === 'withdraw') {
      outcomes.push(await attempt(async () => await w.pairs[0].driver.withdraw()))
      continue
    }
    const p = w.pairs[c.pair]
    if (c.kind === 'open') {
      outcomes.push(await attempt(async () => { p.channelId = (await p.rider.open(p.driver.address, BigInt(c.amount))).channelId }))
      continue
    }
    if (p.channelId == null) {
      outcomes.push('no channel')
      continue
    }
    const id = p.channelId
    const { deposit, nonce: current } = await p.rider.getChannel(id)
    const split = (driverShare: number, nonce: bigint): ChannelState => {
      const toDriver = deposit * BigInt(driverShare) / 100n
      return state(id, nonce, deposit - toDriver, toDriver, Number(nonce % 7n))
    }
    switch (c.kind) {
      case 'topUp':
        outcomes.push(await attempt(async () => await p[c.by].topUp(id, BigInt(c.amount))))
        break
      case 'coop': {
        const s = c.final ? finalChannelState(split(c.driverShare, 0n)) : split(c.driverShare, nextNonce++)
        outcomes.push(await attempt(async () => await p.driver.closeCooperative(s, await cosign(s, p.rider, p.driver))))
        break
      }
      case 'unilateral': {
        const s = split(c.driverShare, nextNonce++)
        outcomes.push(await attempt(async () => await p[c.by].closeUnilateral(s, await cosign(s, p.rider, p.driver))))
        break
      }
      case 'refund':
        outcomes.push(await attempt(async () => await p.rider.closeUnilateral(split(c.driverShare, 0n))))
        break
      case 'challenge': {
        // stale: the nonce the close in progress already has
        const s = split(c.driverShare, c.stale ? current : nextNonce++)
        outcomes.push(await attempt(async () => await p.driver.challenge(s, await cosign(s, p.rider, p.driver))))
        break
      }
      case 'forged': {
        // the driver's state, "co-signed" by an outsider in the rider's place
        const s = split(100, nextNonce++)
        outcomes.push(await attempt(async () => await p.driver.closeUnilateral(s, { rider: await w.outsider.signState(s), driver: await p.driver.signState(s) })))
        break
      }
      case 'overDeposit': {
        const s = state(id, nextNonce++, deposit, 1n)
        outcomes.push(await attempt(async () => await p.driver.closeUnilateral(s, await cosign(s, p.rider, p.driver))))
        break
      }
      case 'outsider':
        outcomes.push(await attempt(async () => await w.outsider.finalize(id)))
        break
      case 'finalize':
        outcomes.push(await attempt(async () => await p.rider.finalize(id)))
        break
    }
  }
  const channels = []
  for (const p of w.pairs) {
    if (p.channelId == null) continue
    const { status, deposit, nonce, balanceDriver, tripRecordHash } = await p.rider.getChannel(p.channelId)
    channels.push({ status, deposit, nonce, balanceDriver, tripRecordHash })
  }
  // what the events say, without the ids, addresses, blocks and times that differ between chains
  const events = (await w.outsider.events(start)).map((e: AdjudicatorEvent) => {
    const { channelId: _c, blockNumber: _b, txHash: _t, logIndex: _l, ...rest } = e as any
    delete rest.rider
    delete rest.driver
    delete rest.by
    delete rest.closesAt
    return rest
  })
  return { outcomes, channels, events }
}

describe('settlement/MemoryChain', function () {
  this.timeout(300_000)

  describe('against the real adjudicator on an embedded EVM', () => {
    let evm: EmbeddedEvm
    before(async () => { evm = await EmbeddedEvm.start({ challengePeriodS: PERIOD }) })
    after(async () => { await evm?.stop() })

    it('gives every command sequence the same outcomes, channels and events', async () => {
      await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 16 }), async (commands) => {
        const connect = async (): Promise<Chain> => await evm.connect(generatePrivateKey(), { fundWei: 10n * ETHER })
        const real: World = {
          pairs: [{ rider: await connect(), driver: await connect() }, { rider: await connect(), driver: await connect() }],
          outsider: await connect(),
          wait: async s => { await evm.increaseTime(s) }
        }
        const ledger = new MemoryLedger({ challengePeriodS: PERIOD })
        const mem = (): Chain => {
          const key = generatePrivateKey()
          const chain = new MemoryChain({ ledger, privateKeyHex: key })
          ledger.fund(chain.address, 10n * ETHER)
          return chain
        }
        const memory: World = {
          pairs: [{ rider: mem(), driver: mem() }, { rider: mem(), driver: mem() }],
          outsider: mem(),
          wait: async s => { ledger.increaseTime(s) }
        }
        const a = await play(real, commands)
        const b = await play(memory, commands)
        expect(b.outcomes, JSON.stringify(commands)).to.deep.equal(a.outcomes)
        expect(b.channels).to.deep.equal(a.channels)
        expect(b.events).to.deep.equal(a.events)
      }), {
        numRuns: 25,
        examples: [
          // each revert the rules have, at least once
          [[{ kind: 'open', pair: 0, amount: 0 }, { kind: 'open', pair: 0, amount: 100 }, { kind: 'topUp', pair: 0, amount: 5, by: 'driver' },
            { kind: 'coop', pair: 0, driverShare: 10, final: false }, { kind: 'forged', pair: 0 }, { kind: 'overDeposit', pair: 0 },
            { kind: 'refund', pair: 0, driverShare: 10 }, { kind: 'challenge', pair: 0, driverShare: 5, stale: false },
            { kind: 'unilateral', pair: 0, driverShare: 20, by: 'rider' }, { kind: 'unilateral', pair: 0, driverShare: 30, by: 'driver' },
            { kind: 'challenge', pair: 0, driverShare: 40, stale: true }, { kind: 'challenge', pair: 0, driverShare: 40, stale: false },
            { kind: 'topUp', pair: 0, amount: 5, by: 'rider' }, { kind: 'coop', pair: 0, driverShare: 10, final: true },
            { kind: 'finalize', pair: 0 }, { kind: 'outsider', pair: 0 }, { kind: 'wait' }, { kind: 'challenge', pair: 0, driverShare: 50, stale: false },
            { kind: 'outsider', pair: 0 }, { kind: 'finalize', pair: 0 }, { kind: 'topUp', pair: 0, amount: 5, by: 'rider' },
            { kind: 'withdraw' }, { kind: 'open', pair: 0, amount: 10 }, { kind: 'refund', pair: 0, driverShare: 0 }]]
        ]
      })
    })
  })

  it('hands a watcher every event of each new block, in chain order', async () => {
    const ledger = new MemoryLedger({ challengePeriodS: PERIOD })
    const rider = new MemoryChain({ ledger, privateKeyHex: generatePrivateKey() })
    const driver = new MemoryChain({ ledger, privateKeyHex: generatePrivateKey() })
    ledger.fund(rider.address, ETHER)
    ledger.fund(driver.address, ETHER)
    const seen: string[] = []
    const watcher = driver.watch(e => { seen.push(e.type) })
    const { channelId } = await rider.open(driver.address, 1000n)
    await rider.topUp(channelId, 10n)
    await rider.closeUnilateral(state(channelId, 0n, 1010n, 0n))
    ledger.increaseTime(PERIOD)
    await driver.finalize(channelId)
    await new Promise(resolve => setImmediate(resolve))
    await watcher.stop()
    expect(seen).to.deep.equal(['Opened', 'ToppedUp', 'CloseStarted', 'Finalized'])
    expect(await rider.balanceOf()).to.equal(ETHER - 1010n - (75_000n + 35_000n + 110_000n) * ledger.gasPrice + 1010n)
  })
})
