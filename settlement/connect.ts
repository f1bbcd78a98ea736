import type { AbortOptions, Logger } from '@libp2p/interface'
import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Chain } from './chain.js'
import { normalizePrivateKey } from '../protocol/channel/state.js'
import { EmbeddedEvm, type EmbeddedChain } from './embedded-chain.js'
import { RpcChain } from './rpc-chain.js'

/** Options of `connectChain`. */
export interface ConnectChainOptions extends AbortOptions {
  /** the account's secp256k1 key (the node's identity key) */
  privateKeyHex: Hex | string
  /**
   * The adjudicator's address (JSON-RPC only).
   * @default asked of a Hitch dev chain with `hitch_info`
   */
  adjudicator?: Address
  /**
   * Challenge period of a new embedded chain, in seconds.
   * @default DEFAULT_DEV_CHALLENGE_PERIOD_S (600)
   */
  challengePeriodS?: number
  /**
   * Ether given to the account on an embedded chain, in wei.
   * @default 1000 ether
   */
  fundWei?: bigint
  /**
   * JSON-RPC polling interval, in milliseconds.
   * @default 250
   */
  pollingIntervalMs?: number
  /**
   * Most blocks asked for in one `eth_getLogs` call (JSON-RPC only: providers cap the range).
   * @default DEFAULT_MAX_LOG_BLOCK_RANGE (1,000)
   */
  maxLogBlockRange?: number
  /**
   * The client's lines: the node's `hitch:chain` logger, so that they name the node (the
   * adapter's own lines go to its `rpc` or `embedded` scope below it).
   * @default the settlement modules' loggers
   */
  log?: Logger
}

/**
 * A `Chain` for `spec`: `'embedded'` starts a private in-process EVM (owned by the returned
 * client, stopped with it) and funds the account; a URL connects over JSON-RPC.
 */
export async function connectChain (spec: 'embedded' | string, options: ConnectChainOptions): Promise<Chain> {
  if (spec === 'embedded') {
    const key = normalizePrivateKey(options.privateKeyHex)
    const evm = await EmbeddedEvm.start({
      challengePeriodS: options.challengePeriodS,
      fund: [privateKeyToAccount(key).address],
      fundWei: options.fundWei,
      log: options.log
    })
    const chain: EmbeddedChain = await evm.connect(key, { log: options.log })
    chain.ownsEvm = true
    return chain
  }
  return await RpcChain.connect(spec, {
    privateKeyHex: options.privateKeyHex,
    adjudicator: options.adjudicator,
    pollingIntervalMs: options.pollingIntervalMs,
    maxLogBlockRange: options.maxLogBlockRange,
    log: options.log
  }, options)
}
