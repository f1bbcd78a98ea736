/**
 * What `hitch drive`, `hitch ride` and `hitch channels` share about the chain: the
 * `--chain` flag, joining a chain by URL or hosting one, and the lines that report a payment
 * channel's on-chain steps.
 */
import { weiToCents } from '../node/payments/index.js'
import { startDevChain, type DevChain } from '../settlement/index.js'
import { UsageError } from './errors.js'
import { formatCents, jsonLine } from './daemon.js'
import { CHANNEL_EVENT_NAMES } from '../node/channel/index.js'
import type { ChannelEvents, ChannelManager } from '../node/channel/index.js'
import { chainAt, type ChainConnector } from '../node/index.js'

/** The `--chain` flag of `hitch drive` and `hitch ride`, and its help. */
export const CHAIN_FLAG_OPTIONS = { chain: { type: 'string' } } as const

/** Help lines of `--chain`. */
export const CHAIN_FLAG_HELP = `
  --chain URL           pay rides through payment channels settled on this chain:
                        the JSON-RPC URL \`hitch chain\` prints, shared by drivers and
                        riders (default: none, rides are not paid)`

/**
 * Connects the node's account to `--chain`. Only a URL is accepted: `embedded` would give each
 * process a private chain that no other peer can see, so nothing paid there could settle.
 */
export function nodeChain (spec: string): ChainConnector {
  if (spec === 'embedded') {
    throw new UsageError('--chain embedded would run a private chain inside this process, which no other peer can use: pass the URL that `hitch chain` or `hitch drive --chain embedded` prints (--chain http://127.0.0.1:PORT)')
  }
  const connect = chainAt(spec)
  return async (identity, options) => {
    try {
      return await connect(identity, options)
    } catch (err: any) {
      throw new UsageError(`--chain ${spec}: ${String(err?.message ?? err)}`, 1)
    }
  }
}

/**
 * `hitch drive --chain embedded`: the daemon hosts the chain itself — an in-process EVM with the
 * adjudicator deployed, served over JSON-RPC on 127.0.0.1 like `hitch chain` — and joins it by
 * URL, so riders pass that URL as their `--chain`. No separate process to start; stop `dev`
 * after the peer.
 */
export async function hostEmbeddedChain (): Promise<{ connect: ChainConnector, dev: DevChain }> {
  const dev = await startDevChain({ port: 0, host: '127.0.0.1' })
  return { connect: nodeChain(dev.url), dev }
}

/** Wei as the fare it equals, e.g. `12.34 USD`. */
export function weiAsFare (wei: bigint): string {
  return `${formatCents(weiToCents(wei))} USD`
}

/** One line of text for a channel event. */
export function describeChannelEvent<K extends keyof ChannelEvents> (type: K, d: ChannelEvents[K]): string {
  const e = d as any
  switch (type) {
    case 'channel:opened': return `channel ${String(e.channelId)} opened with a deposit of ${weiAsFare(e.deposit)} (tx ${String(e.txHash)}, gas ${String(e.gasUsed)})`
    case 'channel:topped-up': return `channel ${String(e.channelId)} topped up by ${weiAsFare(e.amount)} (tx ${String(e.txHash)})`
    case 'channel:closed': return `channel ${String(e.channelId)} closed ${String(e.kind)}ly, the driver is paid ${weiAsFare(e.balanceDriver)} (tx ${String(e.txHash)})`
    case 'channel:close-observed': return `channel ${String(e.channelId)} is closing at nonce ${String(e.nonce)}`
    case 'channel:challenged': return `answered a stale close of ${String(e.channelId)} (nonce ${String(e.staleNonce)}) with nonce ${String(e.nonce)} (tx ${String(e.txHash)})`
    case 'channel:finalized': return `channel ${String(e.channelId)} finalized: driver ${weiAsFare(e.paidDriver)}, rider ${weiAsFare(e.paidRider)} (tx ${String(e.txHash)})`
    case 'channel:settled': return `channel ${String(e.channelId)} settled on chain (tx ${String(e.txHash)})`
    case 'channel:arrears': return `the rider of ${String(e.channelId)} owes ${weiAsFare(e.arrears)}`
    case 'channel:recovered': return `channel ${String(e.channelId)} with ${String(e.driver)} found on chain after a crash: deposit ${weiAsFare(e.deposit)}`
    case 'channel:low-gas': return `warning: the balance (${String(e.balance)} wei) is below the ${String(e.reserve)} wei that defending ${String(e.channels)} channels in a dispute may cost; top up this account`
    case 'channel:error': return `channel ${String(e.channelId ?? '')} ${String(e.step)} failed: ${String(e.error?.message ?? e.error)}`
    default: return String(type)
  }
}

/**
 * Reports a manager's on-chain steps: JSON lines (`{"event":"channel:opened","txHash":…}`)
 * or text. Returns a function that stops reporting.
 */
export function reportChannelEvents (manager: ChannelManager, json: boolean, write: (line: string) => void): () => void {
  const offs = CHANNEL_EVENT_NAMES.map(type => manager.on(type, detail => {
    if (json) {
      const d: any = { ...detail }
      if (type === 'channel:error') d.error = (detail as any).error?.message ?? String((detail as any).error)
      write(jsonLine({ event: type, ...d }))
    } else {
      write(`${describeChannelEvent(type, detail)}\n`)
    }
  }))
  return () => { for (const off of offs) off() }
}
