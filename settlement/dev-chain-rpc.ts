/**
 * What a dev chain answers over JSON-RPC, and how each request is checked before the EVM sees
 * it. The EVM (Hardhat's EDR) is native code that aborts the whole process on some inputs
 * (`evm_increaseTime` by 2^64 - 1 then `evm_mine`; `eth_estimateGas` with a value of 2^256 - 1)
 * and loops for minutes on others (`eth_getLogs` to block 2^64 - 1), so nothing reaches it
 * unchecked: every served method has a schema for its parameters, numbers are bounded well
 * inside what the EVM handles, and anything else is "method not found".
 *
 * Served to anyone: what nodes and viem's clients send (measured on `hitch chain` with
 * `hitch drive` and `hitch ride --close`, and the channel crash tests), a few harmless reads
 * wallets ask for, and Hitch's `hitch_info` / `hitch_fund`. Served only with the admin token: a
 * handful of test methods that steer the chain (`evm_increaseTime`, `evm_mine`, …).
 */
import { isAddress, parseTransaction, toHex, type Address, type Hex } from 'viem'
import type { EmbeddedEvm } from './embedded-chain.js'

/** A JSON-RPC error to answer with */
export class RpcError extends Error {
  override readonly name = 'RpcError'
  constructor (readonly rpcCode: number, message: string) { super(message) }
}

/** JSON-RPC error codes the dev chain answers with */
export const RPC_INVALID_REQUEST = -32600
export const RPC_METHOD_NOT_FOUND = -32601
export const RPC_INVALID_PARAMS = -32602
export const RPC_INTERNAL = -32603
/** "limit exceeded" (EIP-1474): a log query over too many blocks, a response too large */
export const RPC_LIMIT_EXCEEDED = -32005
/** the method exists but needs the admin token */
export const RPC_UNAUTHORIZED = -32001

type Param = (value: unknown, name: string) => unknown

const bad = (name: string, what: string): RpcError => new RpcError(RPC_INVALID_PARAMS, `${name}: expected ${what}`)

const HEX_QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/

/** A hex quantity below 2^bits (the EVM's own bounds are far above these) */
const quantity = (bits: number): Param => (v, name) => {
  if (typeof v !== 'string' || v.length > 2 + Math.ceil(bits / 4) || !HEX_QUANTITY.test(v) || BigInt(v) >= 2n ** BigInt(bits)) {
    throw bad(name, `a hex quantity below 2^${bits}`)
  }
  return v
}

const BLOCK_TAGS = new Set(['latest', 'earliest', 'pending', 'safe', 'finalized'])
/** A block tag or number; numbers below 2^53 */
const blockTag: Param = (v, name) => {
  if (typeof v === 'string' && BLOCK_TAGS.has(v)) return v
  return quantity(53)(v, name)
}
const address: Param = (v, name) => {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(v)) throw bad(name, 'a 20-byte hex address')
  return v
}
const hash: Param = (v, name) => {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(v)) throw bad(name, 'a 32-byte hex hash')
  return v
}
const data = (maxBytes: number): Param => (v, name) => {
  if (typeof v !== 'string' || v.length > 2 + 2 * maxBytes || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw bad(name, `hex data of at most ${maxBytes} bytes`)
  return v
}
const bool: Param = (v, name) => {
  if (typeof v !== 'boolean') throw bad(name, 'true or false')
  return v
}
const list = (item: Param, max: number): Param => (v, name) => {
  if (!Array.isArray(v) || v.length > max) throw bad(name, `an array of at most ${max} items`)
  return v.map((x, i) => item(x, `${name}[${i}]`))
}
const oneOf = (...items: Param[]): Param => (v, name) => {
  let last: unknown
  for (const item of items) {
    try {
      return item(v, name)
    } catch (err) {
      last = err
    }
  }
  throw last
}
const nullable = (item: Param): Param => (v, name) => v === null ? null : item(v, name)
/** A strict object: only these keys, each optional, each checked */
const object = (fields: Record<string, Param>): Param => (v, name) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(name, 'an object')
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(v)) {
    if (!Object.prototype.hasOwnProperty.call(fields, key)) throw bad(`${name}.${key}`, 'no such field')
    if (value !== undefined) out[key] = fields[key](value, `${name}.${key}`)
  }
  return out
}

/** Largest call data, raw transaction or code, in bytes: twice the EIP-3860 initcode limit */
const MAX_DATA_BYTES = 98_304

/**
 * A call or a transaction to estimate. Gas, prices and value are bounded so that gas × price +
 * value stays far below 2^256: the EVM panics (aborting the process) when that sum overflows.
 */
const callRequest = object({
  from: address,
  to: nullable(address),
  gas: quantity(64),
  gasPrice: quantity(96),
  maxFeePerGas: quantity(96),
  maxPriorityFeePerGas: quantity(96),
  value: quantity(128),
  data: data(MAX_DATA_BYTES),
  input: data(MAX_DATA_BYTES),
  nonce: quantity(53),
  type: (v, name) => { if (v !== '0x0' && v !== '0x1' && v !== '0x2') throw bad(name, '0x0, 0x1 or 0x2'); return v },
  chainId: quantity(53),
  accessList: list(object({ address, storageKeys: list(hash, 256) }), 256)
})

/** A log filter; the block range is checked against the chain's head by the caller */
const logFilter = object({
  fromBlock: blockTag,
  toBlock: blockTag,
  blockHash: hash,
  address: oneOf(address, list(address, 64)),
  topics: list(nullable(oneOf(hash, list(nullable(hash), 16))), 4)
})

const percentiles: Param = (v, name) => {
  const values = list((x, n) => { if (typeof x !== 'number' || !(x >= 0 && x <= 100)) throw bad(n, 'a percentile 0..100'); return x }, 100)(v, name) as number[]
  for (let i = 1; i < values.length; i++) if (values[i] < values[i - 1]) throw bad(name, 'ascending percentiles')
  return values
}

/** A method's parameters: the schema of each position, and how many are required */
interface MethodSpec { params: Param[], required?: number }

/** What nodes and viem's clients send, and harmless reads: served to anyone */
export const PUBLIC_METHODS: Readonly<Record<string, MethodSpec>> = Object.freeze({
  eth_chainId: { params: [] },
  net_version: { params: [] },
  web3_clientVersion: { params: [] },
  eth_syncing: { params: [] },
  eth_accounts: { params: [] },
  eth_blockNumber: { params: [] },
  eth_gasPrice: { params: [] },
  eth_maxPriorityFeePerGas: { params: [] },
  eth_feeHistory: { params: [quantity(11), blockTag, percentiles], required: 2 },
  eth_getBalance: { params: [address, blockTag], required: 1 },
  eth_getCode: { params: [address, blockTag], required: 1 },
  eth_getTransactionCount: { params: [address, blockTag], required: 1 },
  eth_getStorageAt: { params: [address, quantity(256), blockTag], required: 2 },
  eth_call: { params: [callRequest, blockTag], required: 1 },
  eth_estimateGas: { params: [callRequest, blockTag], required: 1 },
  eth_sendRawTransaction: { params: [data(MAX_DATA_BYTES)] },
  eth_getTransactionReceipt: { params: [hash] },
  eth_getTransactionByHash: { params: [hash] },
  eth_getBlockByNumber: { params: [blockTag, bool], required: 1 },
  eth_getBlockByHash: { params: [hash, bool], required: 1 },
  eth_getLogs: { params: [logFilter] }
})

/** Largest single clock step of `evm_increaseTime` / `evm_setNextBlockTimestamp`: about 317 years */
const MAX_TIME_STEP_S = 10_000_000_000

const seconds: Param = (v, name) => {
  const n = typeof v === 'string' ? (HEX_QUANTITY.test(v) && v.length <= 12 ? Number(BigInt(v)) : NaN) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_TIME_STEP_S) throw bad(name, `whole seconds from 0 to ${MAX_TIME_STEP_S}`)
  return n
}

/** Test methods: only with the admin token, with bounded parameters */
export const ADMIN_METHODS: Readonly<Record<string, MethodSpec>> = Object.freeze({
  evm_increaseTime: { params: [seconds] },
  evm_mine: { params: [] },
  evm_setNextBlockTimestamp: { params: [seconds] },
  evm_snapshot: { params: [] },
  evm_revert: { params: [quantity(64)] },
  hardhat_setBalance: { params: [address, quantity(200)] }
})

/** Most wei one `hitch_fund` call mints: a million ether */
export const MAX_FUND_WEI = 10n ** 24n
/** No balance is funded beyond this: far from the EVM's 2^256 */
const MAX_FUNDED_BALANCE = 2n ** 200n

/** Options of {@link DevChainRpc} */
export interface DevChainRpcInit {
  evm: EmbeddedEvm
  /** what `hitch_info` answers */
  info: object
  /** most blocks one `eth_getLogs` may span */
  maxLogBlockRange: number
  /** what `hitch_fund` gives without an amount, in wei */
  defaultFundWei: bigint
  /** most gas a call, an estimate or a transaction may use */
  maxGas: number
}

/**
 * Most gas a call, an estimate or a transaction may use by default: about eight times what the
 * adjudicator's costliest function needs (`open`, ~130k). EDR runs an endless loop at roughly a
 * million gas a second on the 2-core development machine, so an unbounded `eth_call` (EDR's
 * default allows hundreds of millions) held the chain for about 100 s; one million keeps a
 * request to about a second.
 */
export const DEFAULT_MAX_GAS = 1_000_000

/** The dev chain's JSON-RPC methods, checked */
export class DevChainRpc {
  constructor (private readonly init: DevChainRpcInit) {}

  /** Whether `method` exists (publicly or for the admin) */
  knows (method: string): boolean {
    return Object.prototype.hasOwnProperty.call(PUBLIC_METHODS, method) ||
      Object.prototype.hasOwnProperty.call(ADMIN_METHODS, method) ||
      method === 'hitch_info' || method === 'hitch_fund'
  }

  /**
   * Answers one call. `admin` says whether the request carried the admin token.
   *
   * @throws {RpcError} for a method not served, parameters that do not fit, a limit exceeded
   */
  async call (method: string, rawParams: unknown, admin: boolean): Promise<unknown> {
    if (rawParams != null && !Array.isArray(rawParams)) throw new RpcError(RPC_INVALID_PARAMS, 'params must be an array')
    const given = (rawParams ?? []) as unknown[]
    if (method === 'hitch_info') return this.init.info
    if (method === 'hitch_fund') return await this.fund(given)
    let spec = Object.prototype.hasOwnProperty.call(PUBLIC_METHODS, method) ? PUBLIC_METHODS[method] : undefined
    if (spec == null && Object.prototype.hasOwnProperty.call(ADMIN_METHODS, method)) {
      if (!admin) throw new RpcError(RPC_UNAUTHORIZED, `${method} needs the dev chain's admin token (Authorization: Bearer …)`)
      spec = ADMIN_METHODS[method]
    }
    if (spec == null) throw new RpcError(RPC_METHOD_NOT_FOUND, `the method ${method.slice(0, 64)} does not exist / is not available`)
    const params = checkParams(method, spec, given)
    if (method === 'eth_getLogs') await this.checkLogRange(params[0] as Record<string, unknown>)
    if (method === 'eth_call' || method === 'eth_estimateGas') params[0] = this.capGas(params[0] as Record<string, unknown>)
    if (method === 'eth_sendRawTransaction') this.checkRawTransaction(params[0] as Hex)
    return await this.init.evm.provider.request({ method, params })
  }

  private async fund (given: unknown[]): Promise<string> {
    if (given.length < 1 || given.length > 2) throw new RpcError(RPC_INVALID_PARAMS, 'hitch_fund expects [address, wei?]')
    const [who, amount] = given
    if (typeof who !== 'string' || !isAddress(who)) throw new RpcError(RPC_INVALID_PARAMS, 'hitch_fund expects an address')
    let wei = this.init.defaultFundWei
    if (amount != null) {
      if (typeof amount !== 'string' || !(HEX_QUANTITY.test(amount) || /^\d{1,30}$/.test(amount))) throw new RpcError(RPC_INVALID_PARAMS, 'hitch_fund: the amount is a hex quantity or decimal wei')
      wei = BigInt(amount)
    }
    if (wei > MAX_FUND_WEI) throw new RpcError(RPC_INVALID_PARAMS, `hitch_fund gives at most ${MAX_FUND_WEI} wei a call`)
    const balance = BigInt(await this.init.evm.provider.request({ method: 'eth_getBalance', params: [who, 'latest'] }) as string)
    if (balance + wei > MAX_FUNDED_BALANCE) throw new RpcError(RPC_LIMIT_EXCEEDED, 'hitch_fund: that account has enough ether')
    return toHex(await this.init.evm.fund(who as Address, wei))
  }

  /** A call or an estimate runs on at most `maxGas`, whatever it asks for */
  private capGas (request: Record<string, unknown>): Record<string, unknown> {
    const cap = BigInt(this.init.maxGas)
    const asked = typeof request.gas === 'string' ? BigInt(request.gas) : cap
    return { ...request, gas: toHex(asked < cap ? asked : cap) }
  }

  /** A transaction the EVM can price without overflow, of a plain type, within the gas cap */
  private checkRawTransaction (raw: Hex): void {
    let tx: ReturnType<typeof parseTransaction>
    try {
      tx = parseTransaction(raw)
    } catch {
      throw new RpcError(RPC_INVALID_PARAMS, 'eth_sendRawTransaction: not a transaction')
    }
    if (tx.type !== 'legacy' && tx.type !== 'eip2930' && tx.type !== 'eip1559') throw new RpcError(RPC_INVALID_PARAMS, `eth_sendRawTransaction: ${String(tx.type)} transactions are not served`)
    const gas = tx.gas ?? 0n
    if (gas > BigInt(this.init.maxGas)) throw new RpcError(RPC_LIMIT_EXCEEDED, `eth_sendRawTransaction: a gas limit above ${this.init.maxGas} is not served`)
    const price = tx.type === 'eip1559' ? tx.maxFeePerGas ?? 0n : tx.gasPrice ?? 0n
    if ((tx.value ?? 0n) >= 2n ** 128n || price >= 2n ** 96n) throw new RpcError(RPC_INVALID_PARAMS, 'eth_sendRawTransaction: value or gas price out of bounds')
  }

  /** A log query spans at most `maxLogBlockRange` blocks, none past the head (EDR walks every block of the range) */
  private async checkLogRange (filter: Record<string, unknown>): Promise<void> {
    if (filter.blockHash != null) {
      if (filter.fromBlock != null || filter.toBlock != null) throw new RpcError(RPC_INVALID_PARAMS, 'eth_getLogs: blockHash or a block range, not both')
      return
    }
    // from the EVM itself: EmbeddedEvm.blockNumber() goes through a viem client that caches it
    const head = BigInt(await this.init.evm.provider.request({ method: 'eth_blockNumber', params: [] }) as string)
    const at = (tag: unknown): bigint => {
      if (tag == null || tag === 'latest' || tag === 'pending' || tag === 'safe' || tag === 'finalized') return head
      if (tag === 'earliest') return 0n
      return BigInt(tag as string)
    }
    const from = at(filter.fromBlock)
    const to = at(filter.toBlock)
    if (to > head) throw new RpcError(RPC_INVALID_PARAMS, `eth_getLogs: toBlock ${to} is past the head (${head})`)
    if (to >= from && to - from + 1n > BigInt(this.init.maxLogBlockRange)) {
      throw new RpcError(RPC_LIMIT_EXCEEDED, `eth_getLogs: at most ${this.init.maxLogBlockRange} blocks per query; page the range`)
    }
  }
}

function checkParams (method: string, spec: MethodSpec, given: unknown[]): unknown[] {
  const required = spec.required ?? spec.params.length
  // trailing nulls stand for absent optional parameters
  let n = given.length
  while (n > required && given[n - 1] == null) n--
  if (n < required || n > spec.params.length) {
    throw new RpcError(RPC_INVALID_PARAMS, `${method} takes ${required === spec.params.length ? required : `${required} to ${spec.params.length}`} parameters, got ${given.length}`)
  }
  return given.slice(0, n).map((v, i) => spec.params[i](v, `${method} parameter ${i + 1}`))
}
