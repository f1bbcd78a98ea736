/**
 * Shared plumbing of the long-running commands: where the data directory is,
 * how the node is built from flags, and a clean stop on the first SIGINT or
 * SIGTERM (the second one forces the exit).
 */
import { defaultDataDir } from '../node/identity/index.js'
import { UsageError } from './errors.js'
import { parseInteger } from './values.js'
import { PASSPHRASE_FLAG_HELP, PASSPHRASE_FLAG_OPTIONS } from './passphrase.js'

/** Flags every node command shares. */
export interface NodeFlags {
  'data-dir'?: string
  profile?: string
  listen?: string[]
  bootstrap?: string[]
  mdns?: boolean
  map?: string
  'passphrase-file'?: string
}

export const NODE_FLAG_OPTIONS = {
  'data-dir': { type: 'string' },
  profile: { type: 'string' },
  listen: { type: 'string', multiple: true },
  bootstrap: { type: 'string', multiple: true },
  mdns: { type: 'boolean' },
  map: { type: 'string' },
  ...PASSPHRASE_FLAG_OPTIONS
} as const

export const NODE_FLAG_HELP = `
  --map FILE            .osm.pbf road map (default: the built-in synthetic city)
  --listen MULTIADDR    address to listen on, repeatable (default: /ip4/0.0.0.0/tcp/0)
  --bootstrap MULTIADDR a peer to connect to at start (with /p2p/<id>), repeatable
  --mdns                also find peers on the local network
  --data-dir DIR        identity key and LevelDB store (default: ~/.hitch/<profile>)
  --profile NAME        profile for the default data directory${PASSPHRASE_FLAG_HELP}`

/** The data directory of a command: `--data-dir`, or the profile's default. */
export function dataDirOf (flags: NodeFlags, defaultProfile: string): string {
  return flags['data-dir'] ?? defaultDataDir(flags.profile ?? defaultProfile)
}

/** Multiaddrs must at least look like one; libp2p reports the rest. */
export function checkMultiaddrs (list: string[] | undefined, flag: string): string[] | undefined {
  for (const a of list ?? []) {
    if (!a.startsWith('/')) throw new UsageError(`${flag}: "${a}" is not a multiaddr (e.g. /ip4/127.0.0.1/tcp/4001/p2p/16Uiu2…)`)
  }
  return list
}

/** Parses `--speedup` (a factor ≥ 1). */
export function parseSpeedup (text: string | undefined): number {
  if (text == null) return 1
  const n = Number(text)
  if (!Number.isFinite(n) || n < 1 || n > 10_000) throw new UsageError(`--speedup: "${text}" must be a number in [1, 10000]`)
  return n
}

export { parseInteger }

/**
 * Runs `stop` on the first SIGINT/SIGTERM and resolves when it is done; a
 * second signal exits at once. Returns the promise of the stop and a function
 * that removes the handlers.
 */
export function onShutdown (stop: (signal: string) => Promise<void>): { stopped: Promise<string>, dispose: () => void } {
  let stoppingAt: number | undefined
  let resolve!: (signal: string) => void
  const stopped = new Promise<string>(r => { resolve = r })
  const handler = (signal: NodeJS.Signals): void => {
    if (stoppingAt != null) {
      // npm/npx wrappers forward the terminal's Ctrl+C, so one keypress can arrive twice:
      // only a second signal a moment later means "force".
      if (Date.now() - stoppingAt < 1000) return
      process.stderr.write(`hitch: ${signal} again, exiting now\n`)
      process.exit(130)
    }
    stoppingAt = Date.now()
    stop(signal).then(() => { resolve(signal) }, (err) => {
      process.stderr.write(`hitch: error while stopping: ${String(err?.message ?? err)}\n`)
      resolve(signal)
    })
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
  return {
    stopped,
    dispose: () => {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    }
  }
}

/** JSON with bigint and Error support, one line. */
export function jsonLine (value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (typeof v === 'bigint') return v.toString()
    if (v instanceof Error) return { name: v.name, code: (v as any).code, message: v.message }
    return v
  }) + '\n'
}

/** Formats integer cents as money, e.g. 1234 → 12.34. */
export function formatCents (cents: string | number | bigint): string {
  const n = BigInt(cents)
  const sign = n < 0n ? '-' : ''
  const abs = n < 0n ? -n : n
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`
}

/** Parses money in main units with at most two decimals (12.5 → 1250 cents). */
export function parseMoneyCents (text: string | undefined, flag: string): bigint {
  if (text == null || !/^\d+(\.\d{1,2})?$/.test(text.trim())) throw new UsageError(`${flag}: "${text ?? ''}" is not an amount such as 12 or 12.50`)
  const [whole, frac = ''] = text.trim().split('.')
  return BigInt(whole) * 100n + BigInt(frac.padEnd(2, '0'))
}
