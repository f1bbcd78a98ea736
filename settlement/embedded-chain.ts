/**
 * An in-process EVM (Hardhat 3's EDR, reached through a programmatic Hardhat runtime with an
 * inline config: nothing is read from or written to the user's working directory, nothing is
 * downloaded) with the adjudicator deployed on it.
 */
import { fileURLToPath } from 'node:url'
import { logger } from '@libp2p/logger'
import { createPublicClient, createWalletClient, custom, decodeFunctionData, keccak256, toHex, type Address, type EIP1193RequestFn, type Hex, type PublicClient } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { AbortOptions, Logger } from '@libp2p/interface'
import { adjudicatorAbi, adjudicatorBytecode } from './abi.js'
import { normalizePrivateKey } from '../protocol/channel/state.js'
import { ChainStoppedError, InvalidSettlementArgumentError, NoAdjudicatorError } from './errors.js'
import { ViemChain, viemChainFor } from './viem-chain.js'

/** The EVM's lines when it is given no logger */
const moduleLog = logger('hitch:chain:embedded')

/** Default challenge period of embedded and dev chains, in seconds. */
export const DEFAULT_DEV_CHALLENGE_PERIOD_S = 600
/** Default chain id of embedded and dev chains (Hardhat's). */
export const DEFAULT_DEV_CHAIN_ID = 31337
/** Default amount `fund` gives an account: 1000 ether. */
export const DEFAULT_FUND_WEI = 1000n * 10n ** 18n
/** How often embedded clients poll; blocks are mined at once, so this can be short. */
const EMBEDDED_POLLING_MS = 20

/**
 * The deployer of the embedded adjudicator. Deliberately public: it only ever holds dev-chain
 * ether, and a fixed deployer gives the adjudicator the same address on every embedded chain.
 */
const DEPLOYER_KEY: Hex = keccak256(toHex('hitch embedded chain deployer'))

/** The transactions mined on a chain over a span of blocks, as `EmbeddedEvm.activitySince` counts them. */
export interface ChainActivity {
  /** first and last block counted */
  fromBlock: bigint
  toBlock: bigint
  transactions: number
  gasUsed: bigint
  /** by the adjudicator function called (`open`, `closeCooperative`, ...), or `other` */
  byFunction: Record<string, { transactions: number, gasUsed: bigint }>
}

/** An EIP-1193 provider, as EDR exposes it. */
export interface Eip1193Provider {
  request: (args: { method: string, params?: unknown[] | object }) => Promise<unknown>
}

/** Options of `EmbeddedEvm.start`. */
export interface EmbeddedEvmInit {
  /**
   * The adjudicator's challenge period, in seconds.
   * @default DEFAULT_DEV_CHALLENGE_PERIOD_S (600: ten minutes, time to answer a stale close)
   */
  challengePeriodS?: number
  /**
   * Chain id.
   * @default 31337
   */
  chainId?: number
  /** Addresses to give `fundWei` each at start. */
  fund?: readonly string[]
  /**
   * What each funded address gets, in wei.
   * @default 1000 ether
   */
  fundWei?: bigint
  /**
   * A `hitch:chain` logger (a node's, when the EVM is the node's own: `connectChain('embedded')`);
   * the EVM's lines go to its `embedded` scope, `hitch:chain:embedded` under the same prefix.
   * @default the module's `hitch:chain:embedded` logger
   */
  log?: Logger
}

/** Options of `EmbeddedEvm.connect`. */
export interface EmbeddedConnectOptions {
  /** Ether given to the account, in wei. @default none */
  fundWei?: bigint
  /** The client's lines (`ViemChainInit.log`: the node's `hitch:chain` logger). @default the module's */
  log?: Logger
}

interface HardhatConnection { provider: Eip1193Provider, close: () => Promise<void> }
interface HardhatRuntime {
  network: { connect: (params: { network: string, override?: Record<string, unknown> }) => Promise<HardhatConnection> }
}

let runtime: Promise<HardhatRuntime> | undefined

async function hardhatRuntime (): Promise<HardhatRuntime> {
  runtime ??= (async () => {
    const { createHardhatRuntimeEnvironment } = await import('hardhat/hre')
    // Hardhat wants a project root with a package.json: the Hitch package itself (this file
    // lives in settlement/ or dist/settlement/), never the user's cwd.
    const projectRoot = fileURLToPath(new URL('..', import.meta.url))
    const hre = await createHardhatRuntimeEnvironment({
      networks: {
        embedded: {
          type: 'edr-simulated',
          chainType: 'l1',
          chainId: DEFAULT_DEV_CHAIN_ID,
          hardfork: 'cancun',
          accounts: [],
          mining: { auto: true, interval: 0 },
          // as geth estimates: only the top-level call must succeed (a payout to a receiver that
          // burns its bounded gas fails inside a finalize that succeeds)
          gasEstimationMode: 'topLevelSuccess'
        }
      }
    } as any, {}, projectRoot)
    return hre as unknown as HardhatRuntime
  })()
  runtime.catch(() => { runtime = undefined })
  return await runtime
}

/**
 * One in-process EVM with the adjudicator deployed. Many `EmbeddedChain` clients (one per
 * account) can share it; tests steer its clock with `increaseTime`.
 */
export class EmbeddedEvm {
  readonly provider: Eip1193Provider
  readonly chainId: number
  readonly adjudicator: Address
  readonly challengePeriodS: number
  private readonly connection: HardhatConnection
  private readonly publicClient: PublicClient
  private stopped = false

  private constructor (connection: HardhatConnection, chainId: number, adjudicator: Address, challengePeriodS: number) {
    this.connection = connection
    this.provider = connection.provider
    this.chainId = chainId
    this.adjudicator = adjudicator
    this.challengePeriodS = challengePeriodS
    this.publicClient = createPublicClient({ chain: viemChainFor(chainId), transport: this.transport(), pollingInterval: EMBEDDED_POLLING_MS })
  }

  /** Starts a fresh EVM, deploys the adjudicator and funds `init.fund`. */
  static async start (init: EmbeddedEvmInit = {}): Promise<EmbeddedEvm> {
    const chainId = init.chainId ?? DEFAULT_DEV_CHAIN_ID
    const challengePeriodS = init.challengePeriodS ?? DEFAULT_DEV_CHALLENGE_PERIOD_S
    if (!Number.isInteger(challengePeriodS) || challengePeriodS < 0) {
      throw new InvalidSettlementArgumentError('the challenge period is a whole number of seconds')
    }
    const hre = await hardhatRuntime()
    const connection = await hre.network.connect({ network: 'embedded', override: { chainId } })
    try {
      const transport = custom({ request: connection.provider.request.bind(connection.provider) as EIP1193RequestFn })
      const chain = viemChainFor(chainId)
      const deployer = privateKeyToAccount(DEPLOYER_KEY)
      await connection.provider.request({ method: 'hardhat_setBalance', params: [deployer.address, toHex(DEFAULT_FUND_WEI)] })
      const wallet = createWalletClient({ chain, transport, account: deployer })
      const pub = createPublicClient({ chain, transport, pollingInterval: EMBEDDED_POLLING_MS })
      const hash = await wallet.deployContract({ abi: adjudicatorAbi, bytecode: adjudicatorBytecode, args: [BigInt(challengePeriodS)] })
      const receipt = await pub.waitForTransactionReceipt({ hash })
      if (receipt.contractAddress == null) throw new NoAdjudicatorError('adjudicator deployment failed')
      const evm = new EmbeddedEvm(connection, chainId, receipt.contractAddress, challengePeriodS)
      const log = init.log?.newScope('embedded') ?? moduleLog
      log('embedded chain %d: adjudicator %s (deploy gas %d), challenge period %ds', chainId, evm.adjudicator, receipt.gasUsed, challengePeriodS)
      for (const address of init.fund ?? []) {
        await evm.fund(address as Address, init.fundWei ?? DEFAULT_FUND_WEI)
      }
      return evm
    } catch (err) {
      await connection.close().catch(() => {})
      throw err
    }
  }

  /** A viem transport onto this EVM. */
  transport (): ReturnType<typeof custom> {
    return custom({ request: this.provider.request.bind(this.provider) as EIP1193RequestFn }, { retryCount: 0 })
  }

  /** A client of the adjudicator for one account (funded with `fundWei` if given). */
  async connect (privateKeyHex: Hex | string, options: EmbeddedConnectOptions = {}): Promise<EmbeddedChain> {
    this.assertRunning()
    const chain = new EmbeddedChain(this, privateKeyHex, { log: options.log })
    if (options.fundWei != null && options.fundWei > 0n) await this.fund(chain.address, options.fundWei)
    return chain
  }

  /** Adds `amountWei` to `address`'s balance (dev chain only: it mints ether). */
  async fund (address: Address, amountWei: bigint = DEFAULT_FUND_WEI): Promise<bigint> {
    this.assertRunning()
    const balance = await this.publicClient.getBalance({ address })
    const next = balance + amountWei
    await this.provider.request({ method: 'hardhat_setBalance', params: [address, toHex(next)] })
    return next
  }

  /** Moves the chain's clock forward and mines a block stamped with the new time. */
  async increaseTime (seconds: number, options?: AbortOptions): Promise<void> {
    this.assertRunning()
    options?.signal?.throwIfAborted()
    await this.provider.request({ method: 'evm_increaseTime', params: [seconds] })
    await this.mine()
  }

  /** Mines one empty block. */
  async mine (): Promise<void> {
    this.assertRunning()
    await this.provider.request({ method: 'evm_mine', params: [] })
  }

  /** The latest block's timestamp, in unix seconds. */
  async now (): Promise<bigint> {
    const block = await this.publicClient.getBlock({ blockTag: 'latest' })
    return block.timestamp
  }

  /** The number of the latest block. */
  async blockNumber (): Promise<bigint> {
    this.assertRunning()
    return await this.publicClient.getBlockNumber({ cacheTime: 0 })
  }

  /**
   * Every transaction mined after block `afterBlock`, with the gas it used, by the adjudicator
   * function it called: what a run cost on chain, whoever sent it.
   */
  async activitySince (afterBlock: bigint): Promise<ChainActivity> {
    this.assertRunning()
    const toBlock = await this.publicClient.getBlockNumber({ cacheTime: 0 })
    const activity: ChainActivity = { fromBlock: afterBlock + 1n, toBlock, transactions: 0, gasUsed: 0n, byFunction: {} }
    for (let n = afterBlock + 1n; n <= toBlock; n++) {
      const block = await this.publicClient.getBlock({ blockNumber: n, includeTransactions: true })
      for (const tx of block.transactions) {
        const receipt = await this.publicClient.getTransactionReceipt({ hash: tx.hash })
        let fn = 'other'
        if (tx.to?.toLowerCase() === this.adjudicator.toLowerCase()) {
          try {
            fn = decodeFunctionData({ abi: adjudicatorAbi, data: tx.input }).functionName
          } catch {}
        }
        const entry = activity.byFunction[fn] ??= { transactions: 0, gasUsed: 0n }
        entry.transactions++
        entry.gasUsed += receipt.gasUsed
        activity.transactions++
        activity.gasUsed += receipt.gasUsed
      }
    }
    return activity
  }

  /** Releases the EVM. Idempotent. */
  async stop (): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    await this.connection.close()
  }

  get isStopped (): boolean {
    return this.stopped
  }

  private assertRunning (): void {
    if (this.stopped) throw new ChainStoppedError('the embedded chain was stopped')
  }
}

/** The `Chain` port for one account on an `EmbeddedEvm`. */
export class EmbeddedChain extends ViemChain {
  readonly evm: EmbeddedEvm
  /** whether `stop()` also stops the EVM (set by `connectChain('embedded')`) */
  ownsEvm = false

  constructor (evm: EmbeddedEvm, privateKeyHex: Hex | string, options: Pick<EmbeddedConnectOptions, 'log'> = {}) {
    super({
      transport: evm.transport(),
      chainId: evm.chainId,
      adjudicator: evm.adjudicator,
      privateKeyHex: normalizePrivateKey(privateKeyHex),
      challengePeriodS: evm.challengePeriodS,
      pollingIntervalMs: EMBEDDED_POLLING_MS,
      log: options.log
    })
    this.evm = evm
  }

  /** Moves the chain's clock forward (and mines a block). */
  async increaseTime (seconds: number, options?: AbortOptions): Promise<void> {
    await this.evm.increaseTime(seconds, options)
  }

  override async stop (): Promise<void> {
    await super.stop()
    if (this.ownsEvm) await this.evm.stop()
  }
}
