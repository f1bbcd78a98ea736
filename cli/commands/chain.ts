import { isIP } from 'node:net'
import type { Writable } from 'node:stream'
import { parseFlags } from '../flags.js'
import { parseDuration, parseInteger } from '../values.js'
import { UsageError } from '../errors.js'
import { startDevChain, DEFAULT_DEV_CHALLENGE_PERIOD_S } from '../../settlement/index.js'

export const help = `
usage: hitch chain [--host IP] [--port N] [--challenge-period DURATION] [--json]

Runs a local dev chain: an in-process EVM with the Hitch adjudicator deployed, served as
JSON-RPC on 127.0.0.1 (or --host) so that several nodes share it. Nodes pointed at its URL need no other
chain flag: they ask it for the adjudicator (hitch_info) and for test ether (hitch_fund).
Stops on Ctrl+C (a second Ctrl+C forces).

It serves what nodes send (eth_call, eth_sendRawTransaction, eth_getLogs over at most
10,000 blocks, …) to any local program but not to web pages (a request with an Origin
header, or a Host that is a domain name other than localhost, is refused). The test methods
that steer the chain (evm_increaseTime, evm_mine, evm_setNextBlockTimestamp, evm_snapshot,
evm_revert, hardhat_setBalance) need the admin token it prints, as
"Authorization: Bearer TOKEN"; every other method is "method not found".

  --host IP                    the IP address to listen on, e.g. a network namespace's own
                               address; every program that can reach it can use the chain
                               (default: 127.0.0.1)
  --port N                     TCP port (default: 0, the OS picks a free one)
  --challenge-period DURATION  the adjudicator's challenge period, e.g. 30s or 5m
                               (default: ${DEFAULT_DEV_CHALLENGE_PERIOD_S}s)
  --allow-origin ORIGIN        let web pages of ORIGIN (e.g. http://localhost:5173) call it; repeatable
  --json                       print one JSON line {"event":"listening",...,"adminToken":...}
`

interface ChainFlags {
  host?: string
  port?: string
  'allow-origin'?: string[]
  'challenge-period'?: string
  json?: boolean
}

/** Test hooks of `chainCommand`. */
export interface ChainCommandOptions {
  /** stops the chain when aborted (in addition to SIGINT/SIGTERM) */
  signal?: AbortSignal
  /**
   * Where to print.
   * @default process.stdout
   */
  out?: Writable
}

/** `hitch chain`: runs a dev chain until SIGINT/SIGTERM; resolves to the exit code. */
export async function chainCommand (argv: string[], options: ChainCommandOptions = {}): Promise<number> {
  const { values: flags, help: shown } = parseFlags<ChainFlags>(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    'allow-origin': { type: 'string', multiple: true },
    'challenge-period': { type: 'string' },
    json: { type: 'boolean' }
  }, help)
  if (shown) return 0
  const out = options.out ?? process.stdout
  const port = flags.port == null ? 0 : parseInteger(flags.port, '--port', 0, 65535)
  const host = flags.host ?? '127.0.0.1'
  // an IP literal only: a name would be resolved, and the chain's Host check admits IP literals and localhost
  if (isIP(host) === 0) throw new UsageError(`--host: "${host}" is not an IP address such as 127.0.0.1 or 10.77.0.1`)
  let challengePeriodS: number | undefined
  if (flags['challenge-period'] != null) {
    const ms = parseDuration(flags['challenge-period'], '--challenge-period')
    if (ms % 1000 !== 0) throw new UsageError('--challenge-period: the chain counts whole seconds')
    challengePeriodS = ms / 1000
  }

  for (const origin of flags['allow-origin'] ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new UsageError(`--allow-origin: "${origin}" is not an origin such as http://localhost:5173`)
  }
  const dev = await startDevChain({ port, host, challengePeriodS, allowedOrigins: flags['allow-origin'] ?? [] })
  if (flags.json === true) {
    out.write(JSON.stringify({ event: 'listening', url: dev.url, adjudicator: dev.adjudicator, chainId: dev.chainId, challengePeriodS: dev.challengePeriodS, adminToken: dev.adminToken }) + '\n')
  } else {
    out.write([
      `dev chain listening on ${dev.url}`,
      `  adjudicator       ${dev.adjudicator}`,
      `  chain id          ${dev.chainId}`,
      `  challenge period  ${dev.challengePeriodS}s`,
      `  admin token       ${dev.adminToken}  (the test methods: evm_increaseTime, evm_mine, … with Authorization: Bearer TOKEN)`,
      ''
    ].join('\n'))
  }

  let signals = 0
  let wake: () => void = () => {}
  const stopped = new Promise<void>(resolve => { wake = resolve })
  const onSignal = (): void => {
    // the first signal stops cleanly; a second one, while stopping, forces the exit
    signals++
    if (signals > 1) process.exit(130)
    wake()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  options.signal?.addEventListener('abort', () => { wake() }, { once: true })
  if (options.signal?.aborted === true) wake()
  try {
    await stopped
    await dev.stop()
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  if (flags.json === true) out.write(JSON.stringify({ event: 'stopped' }) + '\n')
  else out.write('dev chain stopped\n')
  return 0
}

/** The dispatcher's entry point (`hitch chain`). */
export const run = chainCommand
