/**
 * The decisions the node used to take beside the machine, as pure functions of a channel: how
 * long and whether a proposal waits for the lower nonces (driver), whether a failed co-operative
 * close falls back to a unilateral one and with which state, and when a deposit is re-read or
 * topped up. The node runs the effects (timers, chain calls, the network); these say what to do.
 * (The rider's retry after a nonce gap is a machine step: `reject-received`.)
 */
import { ZERO_HASH, type ChannelState } from './state.js'
import { bestState, finalStateOf, highestTotal, latestNonce, type Channel, type CoSignedState, type ProposalVerdict } from './machine.js'

// ------------------------------------------------------------------ nonce gaps (driver)

/** How long a proposal waits at most for the lower nonces before it to be countersigned, in ms. */
export const NONCE_GAP_WAIT_MS = 2_000

/** The wait for a nonce gap to fill: `NONCE_GAP_WAIT_MS`, never longer than a peer is given to answer. */
export function nonceGapWaitMs (unresponsiveTimeoutMs: number): number {
  return Math.max(0, Math.min(unresponsiveTimeoutMs, NONCE_GAP_WAIT_MS))
}

/**
 * Driver: must a proposal of nonce `nonce` wait for the lower nonces before it is checked?
 * Pipelined proposals arrive on separate streams, possibly out of order; only while the channel
 * is open (a close ends every wait) and while a lower nonce is still missing.
 */
export function awaitsLowerNonces (channel: Channel, nonce: bigint): boolean {
  return channel.phase === 'open' && latestNonce(channel) < nonce - 1n
}

// ------------------------------------------------------------------ the close fallback

/** How a co-operative close failed: the peer did not answer, refused, answered nonsense, or something else went wrong. */
export type CloseFailure = 'unresponsive' | 'refused' | 'bad-response' | 'other'

/**
 * After a co-operative close failed: close unilaterally (the peer cannot be relied on to sign
 * the final state) or give up and report the failure (our own error, the chain's, an abort).
 */
export function closeFallback (failure: CloseFailure): 'unilateral' | 'give-up' {
  return failure === 'unresponsive' || failure === 'refused' || failure === 'bad-response' ? 'unilateral' : 'give-up'
}

/**
 * The state a unilateral close submits: the newest state both signed (the final state when
 * both signed it, else the latest) with its signatures; before any, the nonce-0 refund of the
 * whole deposit, which needs none.
 */
export function unilateralCloseState (channel: Channel): { state: ChannelState, cosigned?: CoSignedState } {
  const best = bestState(channel)
  if (best != null) return { state: best.state, cosigned: best }
  return {
    state: { ...finalStateOf(channel), nonce: 0n, balanceRider: channel.deposit, balanceDriver: 0n, tripRecordHash: ZERO_HASH }
  }
}

// ------------------------------------------------------------------ deposits

/** What the rider does about an open channel's deposit to have `wanted` wei available: reuse it as is, or top it up. */
export type DepositPlan = { type: 'reuse' } | { type: 'top-up', amount: bigint }

/** Rider: what is left of the deposit once everything promised so far (co-signed or proposed) is paid. */
export function availableDeposit (channel: Channel): bigint {
  return channel.deposit - highestTotal(channel)
}

/** Rider: reuse the open channel if `wanted` wei are still available, else top it up by what is missing. */
export function depositPlan (channel: Channel, wanted: bigint): DepositPlan {
  const available = availableDeposit(channel)
  return available >= wanted ? { type: 'reuse' } : { type: 'top-up', amount: wanted - available }
}

/** Driver: does this refusal of a proposal call for re-reading the deposit on chain (a top-up not seen yet)? */
export function refreshesDeposit (verdict: ProposalVerdict): boolean {
  return !verdict.ok && verdict.code === 'over-deposit'
}

/**
 * The deposit to adopt after the chain reported `chain` for the channel: the chain's when the
 * channel is open there, not closing or settled here, and it holds more (a top-up); else none
 * (a deposit never shrinks while open; a close or a settlement on chain is another event).
 */
export function depositToAdopt (channel: Channel, chain: { status: string, deposit: bigint }): bigint | undefined {
  const live = channel.phase === 'open' || channel.phase === 'final'
  return chain.status === 'open' && live && chain.deposit > channel.deposit ? chain.deposit : undefined
}
