/**
 * Settlement: the adjudicator contract and the chain client (the `Chain` port and its adapters).
 */
export type { Chain, ChannelInfo, ChannelStatus, AdjudicatorEvent, OpenResult, TxResult, Watcher, WatchOptions } from './chain.js'
export { DISPUTE_GAS, DEFENCE_GAS } from './chain.js'
export {
  SettlementError, CompileFailedError, RevertedError, RpcFailedError, NoAdjudicatorError, InvalidSettlementArgumentError, ChainStoppedError,
  type SettlementErrorCode, type SettlementErrorOptions
} from './errors.js'
export { connectChain, type ConnectChainOptions } from './connect.js'
export {
  EmbeddedEvm, EmbeddedChain, type EmbeddedEvmInit, type EmbeddedConnectOptions, type Eip1193Provider, type ChainActivity,
  DEFAULT_DEV_CHALLENGE_PERIOD_S, DEFAULT_DEV_CHAIN_ID, DEFAULT_FUND_WEI
} from './embedded-chain.js'
export { RpcChain, type RpcChainInit, type DevChainInfo, devChainInfo, DEFAULT_RPC_POLLING_MS } from './rpc-chain.js'
export { MemoryChain, MemoryLedger, MEMORY_ADJUDICATOR, MEMORY_GAS, type MemoryChainInit, type MemoryLedgerInit } from './memory-chain.js'
export { ViemChain, DEFAULT_MAX_LOG_BLOCK_RANGE } from './viem-chain.js'
export { startDevChain, type DevChain, type DevChainInit } from './dev-chain-server.js'
export { adjudicatorAbi, adjudicatorBytecode } from './abi.js'
