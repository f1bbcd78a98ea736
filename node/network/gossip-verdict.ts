import { GossipValidationError } from './errors.js'
import type { TopicValidator, ValidationResult } from './network.js'
import type { Logger } from '@libp2p/interface'

/**
 * Runs a topic validator and returns its verdict: what it returned, or, when it threw, the
 * verdict a `GossipValidationError` carries; any other exception counts as `'ignore'` (and is
 * logged), so that a bug in our own validation never penalises honest peers. The one place both
 * network adapters (libp2p, simulated) turn a validator's outcome into a verdict.
 */
export async function gossipVerdict (validator: TopicValidator, args: Parameters<TopicValidator>, log?: Logger): Promise<ValidationResult> {
  try {
    return await validator(...args)
  } catch (err) {
    if (err instanceof GossipValidationError) return err.verdict
    log?.error('validator threw on %s, ignoring the message - %e', args[0], err)
    return 'ignore'
  }
}
