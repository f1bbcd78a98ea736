/**
 * The `Chain` port without an EVM: a `MemoryLedger` keeps the adjudicator's state and applies
 * its rules (the same checks, in the same order, with the same custom errors as
 * `contracts/Adjudicator.sol`), and a `MemoryChain` is one account's client of it. Channel-engine
 * tests run on it in milliseconds; `test/unit/settlement/memory-chain.spec.ts` runs the same
 * command sequences on it and on the real contract and requires the same outcomes.
 *
 * Not modelled: gas beyond a nominal figure per call, payouts to contracts that refuse them
 * (every payout succeeds, so `withdraw` has nothing to pay), re-entrancy (nothing calls back).
 * Time is the ledger's own (`increaseTime`), a block is mined per transaction.
 */
import { encodeAbiParameters, getAddress, keccak256, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  FINAL_NONCE, channelStateDigest, normalizePrivateKey, recoverChannelStateDigestSigner, signChannelState,
  type ChannelDomain, type ChannelSignatures, type ChannelState
} from '../protocol/channel/state.js'
import { DISPUTE_GAS } from './chain.js'
import type { SettlementError } from './errors.js';
import { RevertedError, RpcFailedError } from './errors.js'
import type { AdjudicatorEvent, Chain, ChannelInfo, ChannelStatus, OpenResult, TxResult, Watcher, WatchOptions } from './chain.js'
import type { AbortOptions } from '@libp2p/interface'

/** Nominal gas of each call (the real contract's order of magnitude; bench/channel-gas measures the real one). */
export const MEMORY_GAS = {
  open: 75_000n,
  topUp: 35_000n,
  closeCooperative: 90_000n,
  ...DISPUTE_GAS,
  withdraw: 30_000n
} as const

/** The address the ledger's adjudicator answers at (no contract lives there). */
export const MEMORY_ADJUDICATOR: Address = '0x00000000000000000000000000000000000ad1ad'

/** Options of {@link MemoryLedger}. */
export interface MemoryLedgerInit {
  /** @default 31337 */
  chainId?: number
  /** @default 60 */
  challengePeriodS?: number
  /** @default 1_000_000_000n (1 gwei) */
  gasPrice?: bigint
  /** Unix seconds of the first block. @default 1_700_000_000 */
  startTimeS?: number
}

interface ChannelRecord {
  rider: Address
  driver: Address
  status: ChannelStatus
  deposit: bigint
  nonce: bigint
  balanceDriver: bigint
  tripRecordHash: Hex
  closesAt: bigint
}

type EventBody = AdjudicatorEvent extends infer E ? E extends AdjudicatorEvent ? Omit<E, 'blockNumber' | 'txHash' | 'logIndex'> : never : never

const ZERO32: Hex = `0x${'0'.repeat(64)}`

function revert (name: string, ...args: unknown[]): SettlementError {
  return new RevertedError(`reverted: ${name}`, { revert: name, revertArgs: args })
}

/** The adjudicator's state and rules, and the accounts' balances, in memory. */
export class MemoryLedger {
  readonly chainId: number
  readonly adjudicator = MEMORY_ADJUDICATOR
  readonly challengePeriodS: number
  readonly gasPrice: bigint
  private timeS: bigint
  private block = 0n
  private readonly balances = new Map<Address, bigint>()
  private readonly channels = new Map<Hex, ChannelRecord>()
  private readonly generations = new Map<string, bigint>()
  private readonly log: AdjudicatorEvent[] = []
  private readonly listeners = new Set<() => void>()

  constructor (init: MemoryLedgerInit = {}) {
    this.chainId = init.chainId ?? 31337
    this.challengePeriodS = init.challengePeriodS ?? 60
    this.gasPrice = init.gasPrice ?? 1_000_000_000n
    this.timeS = BigInt(init.startTimeS ?? 1_700_000_000)
  }

  get domain (): ChannelDomain {
    return { chainId: this.chainId, verifyingContract: this.adjudicator }
  }

  /** The latest block's number. */
  get blockNumber (): bigint {
    return this.block
  }

  /** The next block's timestamp, unix seconds. */
  get now (): bigint {
    return this.timeS
  }

  /** Moves the next block's time forward. */
  increaseTime (seconds: number): void {
    this.timeS += BigInt(seconds)
  }

  /** Gives an account coins (a faucet). */
  fund (address: Address, wei: bigint): void {
    this.balances.set(getAddress(address), this.balanceOf(address) + wei)
  }

  balanceOf (address: Address): bigint {
    return this.balances.get(getAddress(address)) ?? 0n
  }

  /** The contract's `channelIdFor`. */
  channelIdFor (rider: Address, driver: Address): Hex {
    const generation = this.generations.get(pairKey(rider, driver)) ?? 0n
    return keccak256(encodeAbiParameters(
      [{ type: 'address' }, { type: 'address' }, { type: 'address' }, { type: 'uint256' }, { type: 'uint256' }],
      [rider, driver, this.adjudicator, BigInt(this.chainId), generation]
    ))
  }

  getChannel (channelId: Hex): ChannelInfo {
    const c = this.channels.get(channelId)
    if (c == null) {
      return { channelId, status: 'none', rider: ZERO_ADDRESS, driver: ZERO_ADDRESS, deposit: 0n, nonce: 0n, balanceDriver: 0n, tripRecordHash: ZERO32, closesAt: 0n }
    }
    return { channelId, ...c }
  }

  events (fromBlock: bigint, toBlock?: bigint): AdjudicatorEvent[] {
    return this.log.filter(e => e.blockNumber >= fromBlock && (toBlock == null || e.blockNumber <= toBlock))
  }

  /** Called after every mined block; returns a function that stops it. */
  onBlock (listener: () => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /**
   * One transaction from `from`: pays `value` and nominal gas, runs `body` (which throws a
   * revert, leaving every state untouched, or returns the events it emits), mines a block.
   */
  transact (from: Address, gas: bigint, value: bigint, body: (emit: (e: EventBody) => void) => void): TxResult {
    from = getAddress(from)
    const fee = gas * this.gasPrice
    if (this.balanceOf(from) < value + fee) {
      throw new RpcFailedError(`insufficient funds for gas * price + value: ${from}`)
    }
    const emitted: EventBody[] = []
    // the rules check before they change anything, so a revert leaves the state as it was
    body(e => { emitted.push(e) })
    this.balances.set(from, this.balanceOf(from) - value - fee)
    this.block += 1n
    const txHash = keccak256(encodeAbiParameters([{ type: 'uint256' }, { type: 'address' }], [this.block, from]))
    emitted.forEach((e, logIndex) => { this.log.push({ ...e, blockNumber: this.block, txHash, logIndex } as AdjudicatorEvent) })
    this.timeS += 1n
    for (const l of this.listeners) l()
    return { txHash, gasUsed: gas, blockNumber: this.block }
  }

  // ---- the adjudicator's rules (contracts/Adjudicator.sol) ----------------------------------

  open (sender: Address, driver: Address, value: bigint, emit: (e: EventBody) => void): void {
    if (driver === ZERO_ADDRESS || getAddress(driver) === getAddress(sender)) throw revert('InvalidDriver')
    if (value === 0n) throw revert('ZeroDeposit')
    const channelId = this.channelIdFor(sender, driver)
    const c = this.channels.get(channelId)
    if (c == null) {
      this.channels.set(channelId, { rider: getAddress(sender), driver: getAddress(driver), status: 'open', deposit: value, nonce: 0n, balanceDriver: 0n, tripRecordHash: ZERO32, closesAt: 0n })
      emit({ type: 'Opened', channelId, rider: getAddress(sender), driver: getAddress(driver), deposit: value })
    } else {
      this.addDeposit(channelId, c, value, emit)
    }
  }

  topUp (sender: Address, channelId: Hex, value: bigint, emit: (e: EventBody) => void): void {
    if (value === 0n) throw revert('ZeroDeposit')
    const c = this.channels.get(channelId)
    if (c == null) throw revert('UnknownChannel', channelId)
    if (getAddress(sender) !== c.rider) throw revert('NotRider', getAddress(sender))
    this.addDeposit(channelId, c, value, emit)
  }

  closeCooperative (sender: Address, state: ChannelState, sigs: ChannelSignatures, emit: (e: EventBody) => void): void {
    const c = this.live(state.channelId)
    this.onlyParticipant(c, sender)
    if (state.nonce !== FINAL_NONCE) throw revert('NotFinalState', state.nonce)
    if (c.status === 'closing') throw revert('ChannelClosing', state.channelId)
    this.checkBalances(c, state)
    this.checkSignatures(c, state, sigs.rider, sigs.driver)
    const deposit = c.deposit
    this.settle(c)
    emit({ type: 'ClosedCooperatively', channelId: state.channelId, nonce: state.nonce, paidRider: deposit - state.balanceDriver, paidDriver: state.balanceDriver, tripRecordHash: state.tripRecordHash })
    this.pay(c.rider, deposit - state.balanceDriver)
    this.pay(c.driver, state.balanceDriver)
  }

  closeUnilateral (sender: Address, state: ChannelState, sigs: ChannelSignatures | undefined, emit: (e: EventBody) => void): void {
    const c = this.live(state.channelId)
    if (c.status === 'closing') throw revert('AlreadyClosing', state.channelId)
    this.onlyParticipant(c, sender)
    this.checkBalances(c, state)
    const refund = state.nonce === 0n && (sigs == null || (sigs.rider === '0x' && sigs.driver === '0x'))
    if (refund) {
      if (state.balanceDriver !== 0n) throw revert('BadSignature')
    } else {
      this.checkSignatures(c, state, sigs?.rider ?? '0x', sigs?.driver ?? '0x')
    }
    const closesAt = this.timeS + BigInt(this.challengePeriodS)
    Object.assign(c, { status: 'closing', closesAt, nonce: state.nonce, balanceDriver: state.balanceDriver, tripRecordHash: state.tripRecordHash })
    emit({ type: 'CloseStarted', channelId: state.channelId, by: getAddress(sender), nonce: state.nonce, balanceRider: state.balanceRider, balanceDriver: state.balanceDriver, tripRecordHash: state.tripRecordHash, closesAt })
  }

  challenge (sender: Address, state: ChannelState, sigs: ChannelSignatures, emit: (e: EventBody) => void): void {
    const c = this.live(state.channelId)
    if (c.status !== 'closing') throw revert('NotClosing', state.channelId)
    if (this.timeS >= c.closesAt) throw revert('ChallengePeriodOver', c.closesAt)
    this.onlyParticipant(c, sender)
    if (state.nonce <= c.nonce) throw revert('StaleNonce', c.nonce, state.nonce)
    this.checkBalances(c, state)
    this.checkSignatures(c, state, sigs.rider, sigs.driver)
    Object.assign(c, { nonce: state.nonce, balanceDriver: state.balanceDriver, tripRecordHash: state.tripRecordHash })
    emit({ type: 'Challenged', channelId: state.channelId, by: getAddress(sender), nonce: state.nonce, balanceRider: state.balanceRider, balanceDriver: state.balanceDriver, tripRecordHash: state.tripRecordHash })
  }

  finalize (channelId: Hex, emit: (e: EventBody) => void): void {
    const c = this.live(channelId)
    if (c.status !== 'closing') throw revert('NotClosing', channelId)
    if (this.timeS < c.closesAt) throw revert('ChallengePeriodNotOver', c.closesAt)
    const deposit = c.deposit
    this.settle(c)
    emit({ type: 'Finalized', channelId, nonce: c.nonce, paidRider: deposit - c.balanceDriver, paidDriver: c.balanceDriver, tripRecordHash: c.tripRecordHash })
    this.pay(c.rider, deposit - c.balanceDriver)
    this.pay(c.driver, c.balanceDriver)
  }

  private addDeposit (channelId: Hex, c: ChannelRecord, value: bigint, emit: (e: EventBody) => void): void {
    if (c.status === 'finalized') throw revert('AlreadyFinalized', channelId)
    if (c.status === 'closing') throw revert('ChannelClosing', channelId)
    c.deposit += value
    emit({ type: 'ToppedUp', channelId, amount: value, deposit: c.deposit })
  }

  private live (channelId: Hex): ChannelRecord {
    const c = this.channels.get(channelId)
    if (c == null) throw revert('UnknownChannel', channelId)
    if (c.status === 'finalized') throw revert('AlreadyFinalized', channelId)
    return c
  }

  private onlyParticipant (c: ChannelRecord, sender: Address): void {
    if (getAddress(sender) !== c.rider && getAddress(sender) !== c.driver) throw revert('NotParticipant', getAddress(sender))
  }

  private checkBalances (c: ChannelRecord, state: ChannelState): void {
    const allocated = state.balanceRider + state.balanceDriver
    if (allocated >= 1n << 256n) throw revert('BalanceMismatch', (1n << 256n) - 1n, c.deposit)
    if (allocated > c.deposit) throw revert('BalanceMismatch', allocated, c.deposit)
  }

  private checkSignatures (c: ChannelRecord, state: ChannelState, sigRider: Hex, sigDriver: Hex): void {
    const digest = channelStateDigest(state, this.domain)
    const r = recoverChannelStateDigestSigner(digest, sigRider)
    if (r == null) throw revert('BadSignature')
    if (r !== c.rider) throw revert('SignerNotParticipant', r)
    const d = recoverChannelStateDigestSigner(digest, sigDriver)
    if (d == null) throw revert('BadSignature')
    if (d !== c.driver) throw revert('SignerNotParticipant', d)
  }

  private settle (c: ChannelRecord): void {
    c.status = 'finalized'
    const key = pairKey(c.rider, c.driver)
    this.generations.set(key, (this.generations.get(key) ?? 0n) + 1n)
  }

  private pay (to: Address, amount: bigint): void {
    if (amount > 0n) this.balances.set(to, this.balanceOf(to) + amount)
  }
}

const ZERO_ADDRESS: Address = '0x0000000000000000000000000000000000000000'

function pairKey (rider: Address, driver: Address): string {
  return `${getAddress(rider)}/${getAddress(driver)}`
}

/** Options of {@link MemoryChain}. */
export interface MemoryChainInit {
  ledger: MemoryLedger
  /** the account's key (32 bytes of hex) */
  privateKeyHex: Hex | string
  /** @default 50 */
  pollIntervalMs?: number
}

/** One account's `Chain` on a {@link MemoryLedger}. */
export class MemoryChain implements Chain {
  readonly address: Address
  readonly ledger: MemoryLedger
  private readonly key: Hex
  private readonly watchers = new Set<Watcher>()

  constructor (init: MemoryChainInit) {
    this.ledger = init.ledger
    this.key = normalizePrivateKey(init.privateKeyHex)
    this.address = privateKeyToAccount(this.key).address
  }

  get chainId (): number { return this.ledger.chainId }
  get adjudicator (): Address { return this.ledger.adjudicator }
  get challengePeriodS (): number { return this.ledger.challengePeriodS }
  get domain (): ChannelDomain { return this.ledger.domain }

  async balanceOf (address?: Address, options?: AbortOptions): Promise<bigint> {
    options?.signal?.throwIfAborted()
    return this.ledger.balanceOf(address ?? this.address)
  }

  async open (driver: Address, amount: bigint, options?: AbortOptions): Promise<OpenResult> {
    options?.signal?.throwIfAborted()
    const channelId = this.ledger.channelIdFor(this.address, driver)
    const tx = this.ledger.transact(this.address, MEMORY_GAS.open, amount, emit => { this.ledger.open(this.address, driver, amount, emit) })
    return { ...tx, channelId }
  }

  async topUp (channelId: Hex, amount: bigint, options?: AbortOptions): Promise<TxResult> {
    options?.signal?.throwIfAborted()
    return this.ledger.transact(this.address, MEMORY_GAS.topUp, amount, emit => { this.ledger.topUp(this.address, channelId, amount, emit) })
  }

  async getChannel (channelId: Hex, options?: AbortOptions): Promise<ChannelInfo> {
    options?.signal?.throwIfAborted()
    return this.ledger.getChannel(channelId)
  }

  async channelIdFor (rider: Address, driver: Address, options?: AbortOptions): Promise<Hex> {
    options?.signal?.throwIfAborted()
    return this.ledger.channelIdFor(rider, driver)
  }

  async closeCooperative (state: ChannelState, sigs: ChannelSignatures, options?: AbortOptions): Promise<TxResult> {
    options?.signal?.throwIfAborted()
    return this.ledger.transact(this.address, MEMORY_GAS.closeCooperative, 0n, emit => { this.ledger.closeCooperative(this.address, state, sigs, emit) })
  }

  async closeUnilateral (state: ChannelState, sigs?: ChannelSignatures, options?: AbortOptions): Promise<TxResult> {
    options?.signal?.throwIfAborted()
    return this.ledger.transact(this.address, MEMORY_GAS.closeUnilateral, 0n, emit => { this.ledger.closeUnilateral(this.address, state, sigs, emit) })
  }

  async challenge (state: ChannelState, sigs: ChannelSignatures, options?: AbortOptions): Promise<TxResult> {
    options?.signal?.throwIfAborted()
    return this.ledger.transact(this.address, MEMORY_GAS.challenge, 0n, emit => { this.ledger.challenge(this.address, state, sigs, emit) })
  }

  async finalize (channelId: Hex, options?: AbortOptions): Promise<TxResult> {
    options?.signal?.throwIfAborted()
    return this.ledger.transact(this.address, MEMORY_GAS.finalize, 0n, emit => { this.ledger.finalize(channelId, emit) })
  }

  async withdraw (options?: AbortOptions): Promise<TxResult> {
    options?.signal?.throwIfAborted()
    // every payout of the ledger succeeds, so nothing is ever owed
    return this.ledger.transact(this.address, MEMORY_GAS.withdraw, 0n, () => { throw revert('NothingToWithdraw') })
  }

  async signState (state: ChannelState): Promise<Hex> {
    return await signChannelState(this.key, state, this.domain)
  }

  async blockNumber (options?: AbortOptions): Promise<bigint> {
    options?.signal?.throwIfAborted()
    return this.ledger.blockNumber
  }

  async gasPrice (options?: AbortOptions): Promise<bigint> {
    options?.signal?.throwIfAborted()
    return this.ledger.gasPrice
  }

  async events (fromBlock: bigint, toBlock?: bigint, options?: AbortOptions): Promise<AdjudicatorEvent[]> {
    options?.signal?.throwIfAborted()
    return this.ledger.events(fromBlock, toBlock)
  }

  async openedBy (rider: Address, fromBlock: bigint, toBlock?: bigint, options?: AbortOptions): Promise<AdjudicatorEvent[]> {
    options?.signal?.throwIfAborted()
    return this.ledger.events(fromBlock, toBlock).filter(e => e.type === 'Opened' && e.rider === getAddress(rider))
  }

  /** Hands every event of a new block to `handler`, in chain order, one at a time. */
  watch (handler: (event: AdjudicatorEvent) => void | Promise<void>, options: WatchOptions = {}): Watcher {
    let next = options.fromBlock ?? this.ledger.blockNumber + 1n
    let running: Promise<void> = Promise.resolve()
    let stopped = false
    const drain = (): void => {
      running = running.then(async () => {
        while (!stopped && next <= this.ledger.blockNumber) {
          const block = next
          for (const event of this.ledger.events(block, block)) {
            if (stopped) return
            try {
              await handler(event)
            } catch (err) {
              options.onError?.(err as Error)
            }
          }
          next = block + 1n
        }
      })
    }
    const off = this.ledger.onBlock(drain)
    drain()
    const watcher: Watcher = {
      stop: async () => {
        stopped = true
        off()
        await running.catch(() => {})
        this.watchers.delete(watcher)
      }
    }
    this.watchers.add(watcher)
    return watcher
  }

  async stop (): Promise<void> {
    await Promise.all([...this.watchers].map(async w => { await w.stop() }))
  }
}
