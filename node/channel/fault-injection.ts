/**
 * TEST HOOK, off unless a test passes one: the points of a channel update at which a crash test
 * may kill the process (`ChannelManagerInit.faults`), so that it can check that no money is lost
 * whatever the moment of a crash. A node never reads the environment for it: the crash tests'
 * peer process (`test/fixtures/crash-plan.ts`) builds its injector from `HITCH_CRASH_AT`.
 *
 * Points, for the side that reaches them:
 * - rider: `before-persist` (proposal signed, not on disk), `after-persist` (on disk, not sent),
 *   `before-send` (about to send), `after-send` (the driver's answer arrived, not handled),
 *   `after-countersign` (countersignature verified, not on disk);
 * - driver: `after-countersign` and `before-persist` (countersigned, not on disk),
 *   `after-persist` and `before-send` (on disk, answer not sent), `after-send` (the answer was
 *   delivered: the rider's next message arrived, not handled), `in-persist` (the countersigned
 *   state is the channel's in memory, its write not started: a step that may be held);
 * - chain steps (nonce 0 unless said): `open-mined` and `topup-mined` (rider: the transaction is
 *   mined, the channel or deposit not stored), `final-signed@<side>` (the final state is signed
 *   and on disk, its signature not sent: nonce 1 for the side asking to close, 2 for the side
 *   answering), `close-mined` (a co-operative close is mined, not recorded), `unilateral-mined`,
 *   `challenge-mined` (nonce: the challenging state's), `finalize-mined`.
 */
export type CrashPoint = 'before-persist' | 'after-persist' | 'before-send' | 'after-send' | 'after-countersign' | 'in-persist' |
'open-mined' | 'topup-mined' | 'final-signed' | 'close-mined' | 'unilateral-mined' | 'challenge-mined' | 'finalize-mined'

/** Every point of {@link CrashPoint}. */
export const CRASH_POINTS: readonly CrashPoint[] = [
  'before-persist', 'after-persist', 'before-send', 'after-send', 'after-countersign', 'in-persist',
  'open-mined', 'topup-mined', 'final-signed', 'close-mined', 'unilateral-mined', 'challenge-mined', 'finalize-mined'
]

/**
 * A crash hook: `reached(point, nonce)` is called at each point (a crash test's injector may
 * kill the process there); `hold(point, nonce)` is what a step awaits where an injector may hold
 * it (a promise that never settles), or undefined to go on at once.
 */
export interface FaultInjector {
  reached: (point: CrashPoint, nonce: bigint) => void
  hold?: (point: CrashPoint, nonce: bigint) => Promise<void> | undefined
}

/** The injector of every node outside the crash tests: it does nothing. */
export const NO_FAULTS: FaultInjector = { reached: () => {} }
