/**
 * What the abuse bench (`abuse.ts`) and its attacking process (`abuse-attacker.ts`) share: the
 * floods, the messages between them, and the bench's flags. No side effects: the attacker's
 * module listens on its IPC channel as soon as it loads, so the parent imports this instead.
 */

/** The floods, in the order the bench runs them */
export const FLOODS = [
  'requests-one-peer', 'requests-200-keys', 'invalid-gossip', 'direct-requests',
  'pay-frames', 'pay-requests', 'idle-pay-pipes'
] as const
export type FloodName = typeof FLOODS[number]

/** Parent -> attacker */
export type AttackerCommand =
  | { cmd: 'setup', driverAddress: string, driverPeerId: string, topic: string, cell: string, localAddress: string }
  | { cmd: 'prepare', flood: FloodName }
  | { cmd: 'start' }
  | { cmd: 'stop' }
  | { cmd: 'probe' }
  | { cmd: 'exit' }

/** Attacker -> parent */
export type AttackerReport =
  | { event: 'ready' }
  | { event: 'configured' }
  | { event: 'prepared', flood: FloodName }
  | { event: 'stopped', flood: FloodName, sent: number, note: string }
  | { event: 'probe', graylisted: boolean | undefined, note: string }
  | { event: 'error', message: string }

export interface AbuseOptions {
  floods: FloodName[]
  ridesPerPhase: number
  riderCount: number
  speedup: number
}

/**
 * `[--rides N] [--riders N] [--speedup N] [--floods a,b,...]`, checked before anything starts.
 * @throws RangeError naming the flag
 */
export function parseAbuseArgs (args: string[]): AbuseOptions {
  const value = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`)
    if (i < 0) return undefined
    const v = args[i + 1]
    if (v == null || v.startsWith('--')) throw new RangeError(`--${name} needs a value`)
    return v
  }
  const count = (name: string, fallback: number): number => {
    const v = value(name)
    if (v == null) return fallback
    if (!/^[1-9]\d{0,5}$/.test(v)) throw new RangeError(`--${name} must be a positive integer, not "${v}"`)
    return Number(v)
  }
  const list = value('floods')
  const floods = list == null ? [...FLOODS] : list.split(',')
  for (const f of floods) {
    if (!(FLOODS as readonly string[]).includes(f)) {
      throw new RangeError(`--floods: unknown flood "${f}" (known: ${FLOODS.join(', ')})`)
    }
  }
  return { floods: floods as FloodName[], ridesPerPhase: count('rides', 20), riderCount: count('riders', 4), speedup: count('speedup', 60) }
}
