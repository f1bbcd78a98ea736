/**
 * What a fuzz target is: an entry point where a peer's or a client's bytes come in, how to build
 * inputs for it, and the oracle that judges each outcome.
 */
import type { Prng } from './prng.js'

/** What an oracle found wrong. */
export type FindingKind =
  /** an error other than the project's typed ones, or a process that died */
  | 'crash'
  /** an input that took longer than the target's bound (or blocked the event loop) */
  | 'hang'
  /** an accepted input that should have been refused (malleable, non-canonical, a rule broken) */
  | 'refuse'

/**
 * Thrown by an oracle. `key` names the class of the problem without positions or values, so that
 * a run reports each class once (with a count) instead of a million times.
 */
export class Finding extends Error {
  override readonly name = 'Finding'
  readonly kind: FindingKind
  readonly key: string

  constructor (kind: FindingKind, key: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.kind = kind
    this.key = key
  }
}

/** Shorthand for an accepted input that should have been refused. */
export function refused (key: string, message: string): Finding {
  return new Finding('refuse', key, message)
}

/** The inputs a run mutates: seeds, the corpus files and inputs that gave a new outcome. */
export interface Pool<I> {
  readonly items: readonly I[]
}

/** What a target's setup gets. */
export interface TargetContext {
  /** the run's seed (targets derive their keys from it) */
  seed: string
  /** a line for the run's log (stderr of `npm run fuzz`) */
  log: (line: string) => void
}

/** One target, ready to run inputs. */
export interface TargetRun<I> {
  /** valid inputs to start from (the corpus files are added to them) */
  seeds: I[]
  /** the next input: generated afresh or mutated from the pool */
  generate: (rng: Prng, pool: Pool<I>) => I | Promise<I>
  /**
   * Runs one input through the entry point and judges the outcome. Returns a short label of
   * what happened (e.g. `reject:bad-signature`); throws a `Finding` when the oracle objects.
   * Any other exception is a crash.
   */
  execute: (input: I, signal: AbortSignal) => string | Promise<string>
  /** the input as bytes (corpus files, hang reports) and back */
  serialize: (input: I) => Uint8Array
  deserialize: (bytes: Uint8Array) => I
  /**
   * Whether an input's outcome depends on it alone (not on earlier inputs), so that a finding
   * can be shrunk by re-running smaller inputs.
   * @default false
   */
  stateless?: boolean
  /** Brings the target back to a usable state after an input that hung. @default nothing */
  recover?: () => Promise<void>
  /** Releases everything the target holds. */
  close: () => Promise<void>
}

/** A fuzz target. */
export interface FuzzTarget<I = any> {
  name: string
  /** one line: the entry point and the oracle */
  description: string
  /** a million inputs is a practical run (else the long run uses fewer, see the README) */
  cheap: boolean
  /**
   * Bound on one input, in ms of wall time; longer is a hang.
   * @default 2_000
   */
  timeoutMs?: number
  /** whether the serialized inputs are text, worth showing as such in reports and corpus files */
  textual?: boolean
  setup: (ctx: TargetContext) => Promise<TargetRun<I>>
}
