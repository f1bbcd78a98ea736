import { logger } from '@libp2p/logger'
import {
  BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient,
  type Address, type Hex, type PublicClient, type Transport, type WalletClient, type Chain as ViemChainDef,
  type PrivateKeyAccount, defineChain
} from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { AbortOptions, Logger } from '@libp2p/interface'
import { adjudicatorAbi } from './abi.js'
import { normalizePrivateKey, type ChannelDomain, type ChannelSignatures, type ChannelState } from '../protocol/channel/state.js'
import { channelStateTypedData } from '../protocol/channel/state.js'
import { InvalidSettlementArgumentError, RevertedError, RpcFailedError, SettlementError } from './errors.js'
import type { AdjudicatorEvent, Chain, ChannelInfo, ChannelStatus, OpenResult, TxResult, Watcher, WatchOptions } from './chain.js'

/** The lines of a client given no logger: not a node's (the caller's) */
const moduleLog = logger('hitch:chain')

const STATUSES: readonly ChannelStatus[] = ['none', 'open', 'closing', 'finalized']

/** How a `ViemChain` is put together by its adapters. */
export interface ViemChainInit {
  transport: Transport
  chainId: number
  adjudicator: Address
  privateKeyHex: Hex | string
  challengePeriodS: number
  /** how often to poll for receipts and new blocks, in milliseconds */
  pollingIntervalMs: number
  /**
   * Most blocks asked for in one `eth_getLogs` call: public RPC providers refuse wider ranges, so
   * a node that was down for a while reads its backlog page by page.
   * @default DEFAULT_MAX_LOG_BLOCK_RANGE (1,000)
   */
  maxLogBlockRange?: number
  /**
   * Where the client's lines go: the node's `hitch:chain` logger (`node.logger('hitch:chain')`,
   * as `createHitchPeer` passes it), so that a line of a run of many nodes names its node. Never
   * given the key: lines name addresses, channels and transactions only.
   * @default the module's `hitch:chain` logger
   */
  log?: Logger
}

/** @see ViemChainInit.maxLogBlockRange */
export const DEFAULT_MAX_LOG_BLOCK_RANGE = 1_000

/** A viem chain definition for a chain we only know the id of. */
export function viemChainFor (chainId: number, rpcUrl = 'http://127.0.0.1'): ViemChainDef {
  return defineChain({
    id: chainId,
    name: `chain-${chainId}`,
    nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
    rpcUrls: { default: { http: [rpcUrl] } }
  })
}

/** Wraps a viem error into a `SettlementError`, decoding adjudicator custom errors. */
export function toSettlementError (err: unknown, what: string): SettlementError {
  if (err instanceof SettlementError) return err
  if (err instanceof BaseError) {
    const reverted = err.walk(e => e instanceof ContractFunctionRevertedError)
    if (reverted instanceof ContractFunctionRevertedError) {
      const name = reverted.data?.errorName ?? reverted.reason ?? 'unknown'
      return new RevertedError(`${what} reverted: ${name}`, {
        cause: err, revert: name, revertArgs: reverted.data?.args ?? []
      })
    }
    return new RpcFailedError(`${what} failed: ${err.shortMessage}`, { cause: err })
  }
  return new RpcFailedError(`${what} failed: ${String((err as Error)?.message ?? err)}`, { cause: err })
}

async function raceSignal<T> (promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal == null) return await promise
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    if (onAbort != null) signal.removeEventListener('abort', onAbort)
  }
}

type WriteName = 'open' | 'topUp' | 'closeCooperative' | 'closeUnilateral' | 'challenge' | 'finalize' | 'withdraw'

/**
 * The `Chain` port over viem clients; the adapters (`EmbeddedChain`, `RpcChain`) only choose the
 * transport. Transactions of one client are sent one at a time so their nonces never collide.
 */
export class ViemChain implements Chain {
  readonly address: Address
  readonly chainId: number
  readonly adjudicator: Address
  readonly challengePeriodS: number
  readonly domain: ChannelDomain
  readonly publicClient: PublicClient
  readonly walletClient: WalletClient
  protected readonly account: PrivateKeyAccount
  protected readonly pollingIntervalMs: number
  private readonly maxLogBlockRange: bigint
  /** @see ViemChainInit.log */
  private readonly log: Logger
  private sendQueue: Promise<unknown> = Promise.resolve()
  private readonly watchers = new Set<Watcher>()

  constructor (init: ViemChainInit) {
    this.account = privateKeyToAccount(normalizePrivateKey(init.privateKeyHex))
    this.address = this.account.address
    this.chainId = init.chainId
    this.adjudicator = init.adjudicator
    this.challengePeriodS = init.challengePeriodS
    this.pollingIntervalMs = init.pollingIntervalMs
    const range = init.maxLogBlockRange ?? DEFAULT_MAX_LOG_BLOCK_RANGE
    if (!Number.isInteger(range) || range < 1) throw new InvalidSettlementArgumentError('maxLogBlockRange must be a positive integer')
    this.maxLogBlockRange = BigInt(range)
    this.log = init.log ?? moduleLog
    this.domain = { chainId: init.chainId, verifyingContract: init.adjudicator }
    const chain = viemChainFor(init.chainId)
    this.publicClient = createPublicClient({ chain, transport: init.transport, pollingInterval: init.pollingIntervalMs })
    this.walletClient = createWalletClient({ chain, transport: init.transport, account: this.account, pollingInterval: init.pollingIntervalMs })
  }

  async balanceOf (address?: Address, options?: AbortOptions): Promise<bigint> {
    return await this.read('balanceOf', async () => await this.publicClient.getBalance({ address: address ?? this.address }), options)
  }

  async open (driver: Address, amount: bigint, options?: AbortOptions): Promise<OpenResult> {
    const channelId = await this.channelIdFor(this.address, driver, options)
    const tx = await this.send('open', [driver], amount, options)
    this.log('opened %s with %s: %d wei (gas %d)', channelId, driver, amount, tx.gasUsed)
    return { ...tx, channelId }
  }

  async topUp (channelId: Hex, amount: bigint, options?: AbortOptions): Promise<TxResult> {
    return await this.send('topUp', [channelId], amount, options)
  }

  async getChannel (channelId: Hex, options?: AbortOptions): Promise<ChannelInfo> {
    const c = await this.read('getChannel', async () => await this.publicClient.readContract({
      address: this.adjudicator, abi: adjudicatorAbi, functionName: 'getChannel', args: [channelId]
    }), options)
    return {
      channelId,
      status: STATUSES[c.status] ?? 'none',
      rider: c.rider,
      driver: c.driver,
      deposit: c.deposit,
      nonce: c.nonce,
      balanceDriver: c.balanceDriver,
      tripRecordHash: c.tripRecordHash,
      closesAt: c.closesAt
    }
  }

  async channelIdFor (rider: Address, driver: Address, options?: AbortOptions): Promise<Hex> {
    return await this.read('channelIdFor', async () => await this.publicClient.readContract({
      address: this.adjudicator, abi: adjudicatorAbi, functionName: 'channelIdFor', args: [rider, driver]
    }), options)
  }

  async closeCooperative (state: ChannelState, sigs: ChannelSignatures, options?: AbortOptions): Promise<TxResult> {
    return await this.send('closeCooperative', [state, sigs.rider, sigs.driver], 0n, options)
  }

  async closeUnilateral (state: ChannelState, sigs?: ChannelSignatures, options?: AbortOptions): Promise<TxResult> {
    return await this.send('closeUnilateral', [state, sigs?.rider ?? '0x', sigs?.driver ?? '0x'], 0n, options)
  }

  async challenge (state: ChannelState, sigs: ChannelSignatures, options?: AbortOptions): Promise<TxResult> {
    return await this.send('challenge', [state, sigs.rider, sigs.driver], 0n, options)
  }

  async finalize (channelId: Hex, options?: AbortOptions): Promise<TxResult> {
    return await this.send('finalize', [channelId], 0n, options)
  }

  async withdraw (options?: AbortOptions): Promise<TxResult> {
    return await this.send('withdraw', [], 0n, options)
  }

  async signState (state: ChannelState): Promise<Hex> {
    return await this.account.signTypedData(channelStateTypedData(state, this.domain))
  }

  async blockNumber (options?: AbortOptions): Promise<bigint> {
    return await this.read('blockNumber', async () => await this.publicClient.getBlockNumber({ cacheTime: 0 }), options)
  }

  async gasPrice (options?: AbortOptions): Promise<bigint> {
    return await this.read('gasPrice', async () => await this.publicClient.getGasPrice(), options)
  }

  async events (fromBlock: bigint, toBlock?: bigint, options?: AbortOptions): Promise<AdjudicatorEvent[]> {
    const out: AdjudicatorEvent[] = []
    await this.pages(fromBlock, toBlock, async (from, to) => { out.push(...await this.eventsIn(from, to, undefined, options)) }, options)
    return out
  }

  async openedBy (rider: Address, fromBlock: bigint, toBlock?: bigint, options?: AbortOptions): Promise<AdjudicatorEvent[]> {
    const out: AdjudicatorEvent[] = []
    await this.pages(fromBlock, toBlock, async (from, to) => { out.push(...await this.eventsIn(from, to, rider, options)) }, options)
    return out
  }

  /** Calls `fn` on consecutive block ranges of at most `maxLogBlockRange` blocks, in order. */
  private async pages (fromBlock: bigint, toBlock: bigint | undefined, fn: (from: bigint, to: bigint) => Promise<void>, options?: AbortOptions): Promise<void> {
    const last = toBlock ?? await this.blockNumber(options)
    for (let from = fromBlock; from <= last; from += this.maxLogBlockRange) {
      const to = from + this.maxLogBlockRange - 1n < last ? from + this.maxLogBlockRange - 1n : last
      await fn(from, to)
    }
  }

  /** The adjudicator's events in one page of blocks; only `Opened` by `rider` when it is given. */
  private async eventsIn (fromBlock: bigint, toBlock: bigint, rider: Address | undefined, options?: AbortOptions): Promise<AdjudicatorEvent[]> {
    const logs = await this.read('events', async () => rider != null
      ? await this.publicClient.getContractEvents({ address: this.adjudicator, abi: adjudicatorAbi, eventName: 'Opened', args: { rider }, fromBlock, toBlock, strict: true })
      : await this.publicClient.getContractEvents({ address: this.adjudicator, abi: adjudicatorAbi, fromBlock, toBlock, strict: true }), options)
    const out: AdjudicatorEvent[] = []
    for (const l of logs) {
      switch (l.eventName) {
        case 'Opened': case 'ToppedUp': case 'ClosedCooperatively': case 'CloseStarted': case 'Challenged': case 'Finalized':
          out.push({
            type: l.eventName,
            ...l.args,
            blockNumber: l.blockNumber,
            txHash: l.transactionHash,
            logIndex: l.logIndex
          } as AdjudicatorEvent)
          break
        default:
          // PayoutDeferred / Withdrawn concern accounts, not channels
          break
      }
    }
    return out
  }

  watch (handler: (event: AdjudicatorEvent) => void | Promise<void>, options: WatchOptions = {}): Watcher {
    const interval = options.pollIntervalMs ?? this.pollingIntervalMs
    const controller = new AbortController()
    let next: bigint | undefined = options.fromBlock
    let timer: ReturnType<typeof setTimeout> | undefined
    let running: Promise<void> = Promise.resolve()

    const poll = async (): Promise<void> => {
      const signal = controller.signal
      try {
        const latest = await this.blockNumber({ signal })
        next ??= latest + 1n
        // page by page, so a long backlog never asks a provider for more blocks than it serves
        await this.pages(next, latest, async (from, to) => {
          for (const event of await this.eventsIn(from, to, undefined, { signal })) {
            if (signal.aborted) return
            await handler(event)
          }
          if (!signal.aborted) next = to + 1n
        }, { signal })
      } catch (err) {
        if (signal.aborted) return
        this.log.error('watch poll failed: %e', err)
        options.onError?.(err as Error)
      }
    }
    const schedule = (): void => {
      if (controller.signal.aborted) return
      timer = setTimeout(() => {
        running = poll().finally(schedule)
      }, interval)
    }
    running = poll().finally(schedule)

    const watcher: Watcher = {
      stop: async () => {
        controller.abort()
        clearTimeout(timer)
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

  private async read<T> (what: string, fn: () => Promise<T>, options?: AbortOptions): Promise<T> {
    options?.signal?.throwIfAborted()
    try {
      return await raceSignal(fn(), options?.signal)
    } catch (err) {
      if (options?.signal?.aborted === true) throw err
      throw toSettlementError(err, what)
    }
  }

  /** Simulates (so reverts decode into custom errors), sends, and waits for the receipt. */
  protected async send (functionName: WriteName, args: readonly unknown[], value: bigint, options?: AbortOptions): Promise<TxResult> {
    const run = async (): Promise<TxResult> => {
      options?.signal?.throwIfAborted()
      let hash: Hex
      try {
        const { request } = await this.publicClient.simulateContract({
          account: this.account,
          address: this.adjudicator,
          abi: adjudicatorAbi,
          functionName,
          args,
          value: value > 0n ? value : undefined
        } as any)
        hash = await this.walletClient.writeContract(request as any)
      } catch (err) {
        throw toSettlementError(err, functionName)
      }
      const receipt = await raceSignal(this.publicClient.waitForTransactionReceipt({ hash, pollingInterval: this.pollingIntervalMs }), options?.signal)
      if (receipt.status !== 'success') {
        throw new RevertedError(`${functionName} reverted on chain (tx ${hash})`, { revert: 'unknown' })
      }
      return { txHash: hash, gasUsed: receipt.gasUsed, blockNumber: receipt.blockNumber }
    }
    const result = this.sendQueue.then(run, run)
    this.sendQueue = result.catch(() => {})
    return await result
  }
}
