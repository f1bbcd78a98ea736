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
 *   delivered: the rider's next message arrived, not handled).
 */
export type CrashPoint = 'before-persist' | 'after-persist' | 'before-send' | 'after-send' | 'after-countersign'

/** The environment variable of the hook. */
export const CRASH_ENV = 'HITCH_CRASH_AT'

const POINTS: readonly string[] = ['before-persist', 'after-persist', 'before-send', 'after-send', 'after-countersign']

interface CrashPlan { point: CrashPoint, nonce?: bigint }

/** Parses `HITCH_CRASH_AT`; undefined when unset or not a known point. */
export function parseCrashPlan (value: string | undefined): CrashPlan | undefined {
  if (value == null || value === '') return undefined
  const [point, nonce] = value.split('@')
  if (!POINTS.includes(point)) return undefined
  if (nonce != null && !/^[0-9]+$/.test(nonce)) return undefined
  return { point: point as CrashPoint, ...(nonce != null ? { nonce: BigInt(nonce) } : {}) }
}

/** A crash hook: `reached(point, nonce)` kills the process if the plan says so. */
export interface FaultInjector {
  reached: (point: CrashPoint, nonce: bigint) => void
}

/** The hook as configured by the environment (a no-op unless `HITCH_CRASH_AT` is set). */
export function faultInjectorFromEnv (env: NodeJS.ProcessEnv = process.env): FaultInjector {
  const plan = parseCrashPlan(env[CRASH_ENV])
  if (plan == null) return { reached: () => {} }
  return {
    reached: (point, nonce) => {
      if (point !== plan.point || (plan.nonce != null && plan.nonce !== nonce)) return
      process.kill(process.pid, 'SIGKILL')
    }
  }
}
