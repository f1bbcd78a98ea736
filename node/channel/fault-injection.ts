/**
 * TEST HOOK, off by default: crash the process at a chosen point of a channel update, so the
 * crash tests can check that no money is lost whatever the moment of a crash.
 *
 * `HITCH_CRASH_AT=<point>` or `<point>@<nonce>` (only at the update with that nonce) makes the
 * channel manager `SIGKILL` its own process when it reaches that point. Nothing else reads the
 * variable, and an unset or empty variable costs one string comparison per update.
 *
 * Points, for the side that reaches them:
 * - rider: `before-persist` (proposal signed, not on disk), `after-persist` (on disk, not sent),
 *   `before-send` (about to send), `after-send` (the driver's answer arrived, not handled),
 *   `after-countersign` (countersignature verified, not on disk);
 * - driver: `after-countersign` and `before-persist` (countersigned, not on disk),
 *   `after-persist` and `before-send` (on disk, answer not sent), `after-send` (the answer was
 *   delivered: the rider's next message arrived, not handled), `in-persist` (the countersigned
 *   state is the channel's in memory, its write not started: with a hold, see below);
 * - chain steps (nonce 0 unless said): `open-mined` and `topup-mined` (rider: the transaction is
 *   mined, the channel or deposit not stored), `final-signed@<side>` (the final state is signed
 *   and on disk, its signature not sent: nonce 1 for the side asking to close, 2 for the side
 *   answering), `close-mined` (a co-operative close is mined, not recorded), `unilateral-mined`,
 *   `challenge-mined` (nonce: the challenging state's), `finalize-mined`.
 *
 * `<point>@<nonce>~<ms>` holds the process at the point (the step waits forever) and kills it
 * `ms` later: what the node does meanwhile (answer a sync, say) is what a crash then tests.
 */
export type CrashPoint = 'before-persist' | 'after-persist' | 'before-send' | 'after-send' | 'after-countersign' | 'in-persist' |
'open-mined' | 'topup-mined' | 'final-signed' | 'close-mined' | 'unilateral-mined' | 'challenge-mined' | 'finalize-mined'

/** The environment variable of the hook. */
export const CRASH_ENV = 'HITCH_CRASH_AT'

const POINTS: readonly string[] = [
  'before-persist', 'after-persist', 'before-send', 'after-send', 'after-countersign', 'in-persist',
  'open-mined', 'topup-mined', 'final-signed', 'close-mined', 'unilateral-mined', 'challenge-mined', 'finalize-mined'
]

interface CrashPlan { point: CrashPoint, nonce?: bigint, holdMs?: number }

/** Parses `HITCH_CRASH_AT`; undefined when unset or not a known point. */
export function parseCrashPlan (value: string | undefined): CrashPlan | undefined {
  if (value == null || value === '') return undefined
  const m = /^([a-z-]+)(?:@([0-9]+))?(?:~([0-9]+))?$/.exec(value)
  if (m == null || !POINTS.includes(m[1])) return undefined
  return {
    point: m[1] as CrashPoint,
    ...(m[2] != null ? { nonce: BigInt(m[2]) } : {}),
    ...(m[3] != null ? { holdMs: Number(m[3]) } : {})
  }
}

/**
 * A crash hook: `reached(point, nonce)` kills the process if the plan says so; `hold(point,
 * nonce)` is what a step awaits where the plan may hold it (a promise that never settles, with
 * the kill scheduled), or undefined to go on at once.
 */
export interface FaultInjector {
  reached: (point: CrashPoint, nonce: bigint) => void
  hold?: (point: CrashPoint, nonce: bigint) => Promise<void> | undefined
}

/** The hook as configured by the environment (a no-op unless `HITCH_CRASH_AT` is set). */
export function faultInjectorFromEnv (env: NodeJS.ProcessEnv = process.env): FaultInjector {
  const plan = parseCrashPlan(env[CRASH_ENV])
  if (plan == null) return { reached: () => {} }
  const matches = (point: CrashPoint, nonce: bigint): boolean => point === plan.point && (plan.nonce == null || plan.nonce === nonce)
  return {
    reached: (point, nonce) => {
      if (plan.holdMs != null || !matches(point, nonce)) return
      process.kill(process.pid, 'SIGKILL')
    },
    hold: (point, nonce) => {
      if (plan.holdMs == null || !matches(point, nonce)) return undefined
      // the test waits for this line before it acts on the held process (a crash plan is only
      // ever set by a test: this is its signal, not presentation)
      // eslint-disable-next-line no-restricted-properties
      process.stderr.write(`${CRASH_ENV}: holding at ${point}@${nonce}\n`)
      setTimeout(() => { process.kill(process.pid, 'SIGKILL') }, plan.holdMs)
      return new Promise<void>(() => {})
    }
  }
}
