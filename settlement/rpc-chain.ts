/** The `Chain` port over any Ethereum JSON-RPC endpoint. */
import { logger } from '@libp2p/logger'
import { createPublicClient, http, isAddress, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { AbortOptions, Logger } from '@libp2p/interface'
import { adjudicatorAbi } from './abi.js'
import { normalizePrivateKey } from '../protocol/channel/state.js'
import { InvalidSettlementArgumentError, NoAdjudicatorError } from './errors.js'
import { ViemChain, toSettlementError } from './viem-chain.js'

/** The adapter's lines when the client is given no logger */
const moduleLog = logger('hitch:chain:rpc')

/** What a Hitch dev chain answers to `hitch_info`. */
export interface DevChainInfo {
  adjudicator: Address
  chainId: number
  challengePeriodS: number
}

/** Options of `RpcChain.connect`. */
export interface RpcChainInit {
  privateKeyHex: Hex | string
  /**
   * The adjudicator's address.
   * @default asked of the endpoint with `hitch_info` (Hitch dev chains only)
   */
  adjudicator?: Address
  /**
   * When the account has no ether and the endpoint is a Hitch dev chain, ask it for some with
   * `hitch_fund`.
   * @default true
   */
  autoFund?: boolean
  /**
   * How often to poll for receipts and new blocks, in milliseconds.
   * @default 250
   */
  pollingIntervalMs?: number
  /**
   * Per-request timeout, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number
  /**
   * Most blocks asked for in one `eth_getLogs` call (providers cap the range).
   * @default DEFAULT_MAX_LOG_BLOCK_RANGE (1,000)
   */
  maxLogBlockRange?: number
  /**
   * The client's lines (`ViemChainInit.log`: the node's `hitch:chain` logger); this adapter's own
   * go to its `rpc` scope, `hitch:chain:rpc` under the same prefix.
   * @default the module's `hitch:chain` and `hitch:chain:rpc` loggers
   */
  log?: Logger
}

/** Default polling interval of JSON-RPC clients. */
export const DEFAULT_RPC_POLLING_MS = 250

/** The `Chain` port over JSON-RPC (HTTP). */
export class RpcChain extends ViemChain {
  readonly url: string

  private constructor (url: string, init: ConstructorParameters<typeof ViemChain>[0]) {
    super(init)
    this.url = url
  }

  /**
   * Connects to `url`. Without `adjudicator`, the endpoint must be a Hitch dev chain (it answers
   * `hitch_info`).
   */
  static async connect (url: string, init: RpcChainInit, options?: AbortOptions): Promise<RpcChain> {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch (err) {
      // not echoed: what is not a URL may be anything, a key pasted in the wrong place too
      throw new InvalidSettlementArgumentError('the chain is not a URL', { cause: err })
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new InvalidSettlementArgumentError(`only http(s) JSON-RPC URLs are supported, not ${parsed.protocol}`)
    }
    const pollingIntervalMs = init.pollingIntervalMs ?? DEFAULT_RPC_POLLING_MS
    const transport = http(url, { timeout: init.timeoutMs ?? 30_000, retryCount: 1, batch: false })
    const probe = createPublicClient({ transport })
    options?.signal?.throwIfAborted()

    const info = await devChainInfo(probe)
    let chainId: number
    try {
      chainId = await probe.getChainId()
    } catch (err) {
      throw toSettlementError(err, 'eth_chainId')
    }
    const adjudicator = init.adjudicator ?? info?.adjudicator
    if (adjudicator == null || !isAddress(adjudicator)) {
      throw new NoAdjudicatorError(`no adjudicator address given and ${shownUrl(parsed)} is not a Hitch dev chain`)
    }
    const code = await probe.getCode({ address: adjudicator }).catch((err: unknown) => { throw toSettlementError(err, 'eth_getCode') })
    if (code == null || code === '0x') {
      throw new NoAdjudicatorError(`no contract at ${adjudicator} on chain ${chainId}`)
    }
    options?.signal?.throwIfAborted()
    const challengePeriod = await probe.readContract({ address: adjudicator, abi: adjudicatorAbi, functionName: 'challengePeriod' })
      .catch((err: unknown) => { throw toSettlementError(err, 'challengePeriod') })

    const key = normalizePrivateKey(init.privateKeyHex)
    const log = init.log?.newScope('rpc') ?? moduleLog
    if (info != null && (init.autoFund ?? true)) {
      const address = privateKeyToAccount(key).address
      const balance = await probe.getBalance({ address })
      if (balance === 0n) {
        await probe.request({ method: 'hitch_fund' as any, params: [address] as any })
        log('funded %s from the dev chain', address)
      }
    }
    return new RpcChain(url, {
      transport, chainId, adjudicator, privateKeyHex: key, challengePeriodS: Number(challengePeriod), pollingIntervalMs,
      ...(init.maxLogBlockRange != null ? { maxLogBlockRange: init.maxLogBlockRange } : {}),
      log: init.log
    })
  }
}

/**
 * An endpoint as messages and log lines show it: its origin only. A provider's URL often carries
 * the account's API key, in its path (`/v3/KEY`), its query or as user:password.
 */
function shownUrl (url: URL): string {
  const more = url.pathname !== '/' || url.search !== '' || url.hash !== ''
  return `${url.origin}${more ? '/…' : ''}`
}

/** Asks an endpoint for `hitch_info`; undefined if it is not a Hitch dev chain. */
export async function devChainInfo (client: { request: (args: any) => Promise<unknown> }): Promise<DevChainInfo | undefined> {
  try {
    const info = await client.request({ method: 'hitch_info', params: [] }) as DevChainInfo
    if (info != null && typeof info.adjudicator === 'string' && typeof info.chainId === 'number') return info
  } catch {
    // an ordinary node answers "method not found"
  }
  return undefined
}
