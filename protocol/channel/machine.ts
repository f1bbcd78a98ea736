/**
 * The payment channel between one rider (payer) and one driver (payee), as one party sees it:
 * a pure "cranker", `channelStep(channel, event) -> { channel, actions }`, in the style of
 * statechannels. No I/O, no clock, no keys: the node signs, recovers signers, persists and
 * sends, and feeds the outcomes back as events.
 *
 * Rules (the driver enforces them on every proposal):
 * - nonces are strictly monotonic: a proposal is valid iff `nonce = latest + 1`;
 * - the driver's balance never decreases;
 * - `balanceRider + balanceDriver <= deposit` (the adjudicator returns the rest to the rider);
 * - the channel id is the channel's.
 *
 * The order of `actions` matters: `persist` comes before any action that lets a signature leave
 * the node (`send-*`, `resolve`), so a crash never loses a state the peer may hold.
 *
 * The final state (nonce `FINAL_NONCE`, the latest co-signed balances) is the last state a node
 * signs on a channel: once it signed one (as the party asking to close or the one answering), the
 * channel's phase is `final` and no other state is signed, whatever the peer sends. Otherwise a
 * peer could collect the final signature early, go on being served, and settle with the old
 * final state at once (the adjudicator cannot tell which state is newer).
 */
import { FINAL_NONCE, ZERO_HASH, type ChannelState } from './state.js'
import { ChannelProtocolError, type ChannelRejectCode } from './errors.js'
import type { Address, Hex } from 'viem'

/** Which side of the channel this node is. */
export type ChannelRole = 'rider' | 'driver'

/**
 * Where the channel is in its life, as far as this node knows: `open` (states are signed),
 * `final` (this node signed the final state: no other state will be signed; the co-operative
 * close is pending on chain), `closing` (a unilateral close is pending on chain), `finalized`.
 */
export type ChannelPhase = 'open' | 'final' | 'closing' | 'finalized'

/** A state signed by both parties. */
export interface CoSignedState {
  state: ChannelState
  riderSig: Hex
  driverSig: Hex
}

/** A state the rider signed and persisted, waiting for the driver's countersignature. */
export interface ProposedState {
  state: ChannelState
  riderSig: Hex
}

/** The final state this node signed, with the peer's signature once it has it. */
export interface FinalState {
  state: ChannelState
  riderSig?: Hex
  driverSig?: Hex
}

/** A close on chain that this node knows of. */
export interface ClosingInfo {
  /** nonce of the state the chain currently holds for the close */
  nonce: bigint
  /** unix seconds (chain time) after which the close can be finalized */
  closesAt: bigint
  /** the address that started the close */
  by: Address
}

/** Everything one party knows about one channel: the machine's state, persisted as is. */
export interface Channel {
  channelId: Hex
  role: ChannelRole
  rider: Address
  driver: Address
  /** the counterparty's peer id */
  peer: string
  /** the deposit on chain as last seen (wei) */
  deposit: bigint
  /** the latest state both signed; undefined until the first one (the nonce-0 refund applies) */
  latest?: CoSignedState
  /** rider only: proposals signed and persisted but not countersigned yet, ascending nonce */
  proposals: ProposedState[]
  phase: ChannelPhase
  /** the final state, once this node signed it (phase `final`, and kept while closing) */
  final?: FinalState
  closing?: ClosingInfo
  /**
   * driver only: what the rider owes for the service so far (set by the role); `arrears` is this
   * minus what the latest co-signed state pays
   */
  owedToDriver: bigint
}

/** Inputs of the machine. Signers are recovered by the node (EIP-712 `ecrecover`). */
export type ChannelEvent =
  /** rider: a proposal was built with `nextProposal` and signed */
  | { type: 'proposal-signed', proposal: ProposedState }
  /** rider: the driver answered a proposal with its signature, recovered to `signer` */
  | { type: 'countersign-received', nonce: bigint, driverSig: Hex, signer: Address }
  /**
   * rider: the driver refused a proposal; `latest` is its latest co-signed state, if sent;
   * `resent` when the refused proposal was a re-send after a gap (it is not re-sent again)
   */
  | { type: 'reject-received', nonce: bigint, code: ChannelRejectCode, detail?: string, latest?: CoSignedState, latestSigners?: { rider: Address, driver: Address }, resent?: boolean }
  /**
   * driver: a proposal arrived and `validateProposal` accepted it; `driverSig` is ours; `peer`
   * is the peer id it came from (a rider's signature proves who sent it: a rider that comes back
   * with another peer id is answered there from now on)
   */
  | { type: 'proposal-accepted', proposal: ProposedState, driverSig: Hex, peer?: string }
  /** either: the peer's latest co-signed state (sync after a restart), signers recovered */
  | { type: 'latest-received', latest: CoSignedState, signers: { rider: Address, driver: Address } }
  /**
   * either: this node signed the final state (asking to close, or answering a close request
   * whose signature, recovered to `peerSigner`, was checked); `sigs` holds what this node has
   */
  | { type: 'final-signed', state: ChannelState, riderSig?: Hex, driverSig?: Hex }
  /** either: the peer's signature over our final state arrived, recovered to `signer` */
  | { type: 'final-countersigned', sig: Hex, signer: Address }
  /** either: the deposit on chain changed (top-up) */
  | { type: 'deposit-changed', deposit: bigint }
  /**
   * rider: the driver speaks under another peer id now (its binding to the channel's driver
   * address was checked, e.g. on its quote): proposals go there from now on
   */
  | { type: 'peer-moved', peer: string }
  /** driver: the role updates what the rider owes */
  | { type: 'owed-changed', owedToDriver: bigint }
  /** either: a close started or was challenged on chain */
  | { type: 'close-observed', nonce: bigint, closesAt: bigint, by: Address }
  /** either: the channel was settled on chain (co-operatively or finalized) */
  | { type: 'settled' }

/** What the machine asks the node to do, in order. */
export type ChannelAction =
  /** write the channel record durably before doing anything that follows */
  | { type: 'persist' }
  /** rider: send the proposal with this nonce to the driver */
  | { type: 'send-proposal', nonce: bigint }
  /** driver: answer the proposal with our countersignature */
  | { type: 'send-countersign', nonce: bigint, driverSig: Hex }
  /** rider: the payment with this nonce is done (co-signed, or adopted from the driver's latest) */
  | { type: 'resolve', nonce: bigint, cosigned: CoSignedState }
  /** rider: the payment with this nonce failed (its proposal may stay, to be re-sent by a sync) */
  | { type: 'fail', nonce: bigint, code: ChannelRejectCode, detail?: string }
  /** either: answer a stale close on chain with our newer co-signed state */
  | { type: 'challenge', cosigned: CoSignedState }
  /** either: the final state is signed by both: it can be submitted (`closeCooperative`) */
  | { type: 'final-ready', cosigned: CoSignedState }
  /** either: finalize the close once the chain's clock passes `closesAt` */
  | { type: 'schedule-finalize', closesAt: bigint }
  /** driver: the rider fell behind by more than allowed */
  | { type: 'arrears-exceeded', arrears: bigint }

/** One step of the machine. */
export interface ChannelTransition {
  channel: Channel
  actions: ChannelAction[]
}

/** The outcome of validating a proposal. */
export type ProposalVerdict =
  | { ok: true }
  | { ok: false, code: ChannelRejectCode, detail: string }

/** A fresh channel record, as either party first learns of it. */
export function newChannel (init: { channelId: Hex, role: ChannelRole, rider: Address, driver: Address, peer: string, deposit: bigint }): Channel {
  return { ...init, proposals: [], phase: 'open', owedToDriver: 0n }
}

/** The latest co-signed nonce (0 before any). */
export function latestNonce (channel: Channel): bigint {
  return channel.latest?.state.nonce ?? 0n
}

/** What the latest co-signed state pays the driver (0 before any). */
export function paidToDriver (channel: Channel): bigint {
  return channel.latest?.state.balanceDriver ?? 0n
}

/** Rider: the highest nonce signed so far (co-signed or proposed). */
export function highestNonce (channel: Channel): bigint {
  const last = channel.proposals.at(-1)
  return last != null ? last.state.nonce : latestNonce(channel)
}

/** Rider: the highest total promised to the driver so far (co-signed or proposed). */
export function highestTotal (channel: Channel): bigint {
  const last = channel.proposals.at(-1)
  return last != null ? last.state.balanceDriver : paidToDriver(channel)
}

/** Driver: what the rider owes beyond what the latest co-signed state pays (never negative). */
export function arrears (channel: Channel): bigint {
  const d = channel.owedToDriver - paidToDriver(channel)
  return d > 0n ? d : 0n
}

/**
 * Rider: the next state, paying `totalToDriver` in all (not an increment). It follows the
 * highest state signed so far, so several can be in flight (pipelining).
 */
export function nextProposal (channel: Channel, totalToDriver: bigint, tripRecordHash?: Hex): ChannelState {
  if (channel.role !== 'rider') throw new ChannelProtocolError('invalid-request', 'only the rider proposes states')
  if (channel.phase !== 'open') throw new ChannelProtocolError('not-open', `channel is ${channel.phase}`)
  const previous = highestTotal(channel)
  if (totalToDriver < previous) {
    throw new ChannelProtocolError('driver-balance-decreased', `total ${totalToDriver} is below the ${previous} already promised`)
  }
  if (totalToDriver > channel.deposit) {
    throw new ChannelProtocolError('over-deposit', `total ${totalToDriver} exceeds the deposit ${channel.deposit}`)
  }
  const last = channel.proposals.at(-1)?.state ?? channel.latest?.state
  return {
    channelId: channel.channelId,
    nonce: highestNonce(channel) + 1n,
    balanceRider: channel.deposit - totalToDriver,
    balanceDriver: totalToDriver,
    tripRecordHash: tripRecordHash ?? last?.tripRecordHash ?? ZERO_HASH
  }
}

/** Driver: is this proposal (whose rider signature recovered to `signer`) acceptable now? */
export function validateProposal (channel: Channel, state: ChannelState, signer: Address): ProposalVerdict {
  if (state.channelId.toLowerCase() !== channel.channelId.toLowerCase()) {
    return { ok: false, code: 'unknown-channel', detail: 'channel id mismatch' }
  }
  if (channel.phase !== 'open') return { ok: false, code: 'not-open', detail: `channel is ${channel.phase}` }
  if (signer.toLowerCase() !== channel.rider.toLowerCase()) {
    return { ok: false, code: 'bad-signature', detail: 'not signed by the rider' }
  }
  const latest = latestNonce(channel)
  if (state.nonce <= latest) return { ok: false, code: 'stale', detail: `nonce ${state.nonce} <= latest ${latest}` }
  if (state.nonce !== latest + 1n) return { ok: false, code: 'gap', detail: `nonce ${state.nonce} skips ${latest + 1n}` }
  if (state.balanceDriver < paidToDriver(channel)) {
    return { ok: false, code: 'driver-balance-decreased', detail: `${state.balanceDriver} < ${paidToDriver(channel)}` }
  }
  if (state.balanceRider < 0n || state.balanceDriver < 0n) return { ok: false, code: 'malformed', detail: 'negative balance' }
  if (state.balanceRider + state.balanceDriver > channel.deposit) {
    return { ok: false, code: 'over-deposit', detail: `${state.balanceRider + state.balanceDriver} > ${channel.deposit}` }
  }
  return { ok: true }
}

/**
 * The state both sign to close co-operatively: the latest co-signed balances with
 * `FINAL_NONCE` (before any co-signed state: the whole deposit back to the rider).
 */
export function finalStateOf (channel: Channel): ChannelState {
  const latest = channel.latest?.state
  return {
    channelId: channel.channelId,
    nonce: FINAL_NONCE,
    balanceRider: latest?.balanceRider ?? channel.deposit,
    balanceDriver: latest?.balanceDriver ?? 0n,
    tripRecordHash: latest?.tripRecordHash ?? ZERO_HASH
  }
}

/**
 * Is `state` the final state this party agrees to sign? Only with nothing in flight: a rider
 * with unanswered proposals must sync first, or the driver could be owed more than the final
 * state pays.
 */
export function validateFinal (channel: Channel, state: ChannelState): ProposalVerdict {
  if (state.channelId.toLowerCase() !== channel.channelId.toLowerCase()) {
    return { ok: false, code: 'unknown-channel', detail: 'channel id mismatch' }
  }
  if (channel.phase === 'final' && channel.final != null) {
    // the same final state again (our answer was lost): signing it again signs nothing new
    if (sameState(state, channel.final.state)) return { ok: true }
    return { ok: false, code: 'final-mismatch', detail: 'another final state was signed already' }
  }
  if (channel.phase !== 'open') return { ok: false, code: 'not-open', detail: `channel is ${channel.phase}` }
  if (channel.proposals.length > 0) return { ok: false, code: 'gap', detail: 'proposals still in flight' }
  const expected = finalStateOf(channel)
  if (!sameState(state, expected)) return { ok: false, code: 'final-mismatch', detail: 'not the latest co-signed balances' }
  return { ok: true }
}

/** The final state with both signatures, when this node has both. */
export function cosignedFinal (channel: Channel): CoSignedState | undefined {
  const f = channel.final
  if (f?.riderSig == null || f.driverSig == null) return undefined
  return { state: f.state, riderSig: f.riderSig, driverSig: f.driverSig }
}

/** The newest state both signed that this node holds: the final state if co-signed, else the latest. */
export function bestState (channel: Channel): CoSignedState | undefined {
  return cosignedFinal(channel) ?? channel.latest
}

/** Field-by-field equality of two states (ids and hashes case-insensitive). */
export function sameState (a: ChannelState, b: ChannelState): boolean {
  return a.channelId.toLowerCase() === b.channelId.toLowerCase() &&
    a.nonce === b.nonce &&
    a.balanceRider === b.balanceRider &&
    a.balanceDriver === b.balanceDriver &&
    a.tripRecordHash.toLowerCase() === b.tripRecordHash.toLowerCase()
}

/**
 * The machine: one event in, the new channel and the actions to run out. Throws
 * `ChannelProtocolError` for an event that breaks the rules (the caller answers with a reject).
 * The input channel is never mutated.
 */
export function channelStep (channel: Channel, event: ChannelEvent, options: { maxArrearsWei?: bigint } = {}): ChannelTransition {
  switch (event.type) {
    case 'proposal-signed': {
      const { state } = event.proposal
      if (channel.role !== 'rider') throw new ChannelProtocolError('invalid-request', 'only the rider proposes')
      if (channel.phase !== 'open') throw new ChannelProtocolError('not-open', `channel is ${channel.phase}`)
      if (state.nonce !== highestNonce(channel) + 1n) throw new ChannelProtocolError('gap', `proposal nonce ${state.nonce} is not ${highestNonce(channel) + 1n}`)
      if (state.balanceDriver < highestTotal(channel)) throw new ChannelProtocolError('driver-balance-decreased', 'total decreased')
      if (state.balanceRider + state.balanceDriver > channel.deposit) throw new ChannelProtocolError('over-deposit', 'over the deposit')
      return {
        channel: { ...channel, proposals: [...channel.proposals, event.proposal] },
        actions: [{ type: 'persist' }, { type: 'send-proposal', nonce: state.nonce }]
      }
    }
    case 'countersign-received': {
      const proposal = channel.proposals.find(p => p.state.nonce === event.nonce)
      if (proposal == null) {
        // already settled by an adopted latest, or never ours: nothing to do
        return { channel, actions: [] }
      }
      if (event.signer.toLowerCase() !== channel.driver.toLowerCase()) {
        throw new ChannelProtocolError('bad-signature', 'countersignature is not the driver\'s')
      }
      const cosigned: CoSignedState = { state: proposal.state, riderSig: proposal.riderSig, driverSig: event.driverSig }
      const latest = event.nonce > latestNonce(channel) ? cosigned : channel.latest
      // every proposal at or below a co-signed nonce is superseded: the driver signs in order
      const settled = channel.proposals.filter(p => p.state.nonce <= event.nonce)
      const next: Channel = { ...channel, latest, proposals: channel.proposals.filter(p => p.state.nonce > event.nonce) }
      return {
        channel: next,
        actions: [{ type: 'persist' }, ...settled.map(p => ({
          type: 'resolve' as const,
          nonce: p.state.nonce,
          cosigned: p.state.nonce === event.nonce ? cosigned : latest!
        }))]
      }
    }
    case 'reject-received': {
      let next = channel
      const actions: ChannelAction[] = []
      if (event.latest != null && event.latestSigners != null) {
        const adopted = adoptLatest(channel, event.latest, event.latestSigners)
        next = adopted.channel
        actions.push(...adopted.actions.filter(a => a.type !== 'persist'))
      }
      const detail = event.detail != null ? { detail: event.detail } : {}
      if (event.code === 'gap' && event.resent !== true) {
        // a lower proposal never reached the driver (a timeout, a restart): re-send those, in
        // nonce order, then this one, once
        for (const p of next.proposals) if (p.state.nonce <= event.nonce) actions.push({ type: 'send-proposal', nonce: p.state.nonce })
      } else if (event.code === 'stale' || event.code === 'gap') {
        // the driver holds this nonce already, or still misses a lower one after a re-send: the
        // payment fails, the proposal stays (a sync re-sends it or adopts the driver's latest)
        if (next.proposals.some(p => p.state.nonce === event.nonce)) actions.push({ type: 'fail', nonce: event.nonce, code: event.code, ...detail })
      } else {
        // the driver will never sign this nonce: drop it and everything after it (they depend on it)
        const dropped = next.proposals.filter(p => p.state.nonce >= event.nonce)
        next = { ...next, proposals: next.proposals.filter(p => p.state.nonce < event.nonce) }
        for (const p of dropped) actions.push({ type: 'fail', nonce: p.state.nonce, code: event.code, ...(p.state.nonce === event.nonce ? detail : {}) })
      }
      return { channel: next, actions: [{ type: 'persist' }, ...actions] }
    }
    case 'proposal-accepted': {
      const verdict = validateProposal(channel, event.proposal.state, channel.rider)
      if (!verdict.ok) throw new ChannelProtocolError(verdict.code, verdict.detail)
      const latest: CoSignedState = { ...event.proposal, driverSig: event.driverSig }
      const next: Channel = { ...channel, latest, ...(event.peer != null ? { peer: event.peer } : {}) }
      return {
        channel: next,
        actions: [{ type: 'persist' }, { type: 'send-countersign', nonce: latest.state.nonce, driverSig: event.driverSig }]
      }
    }
    case 'latest-received':
      return adoptLatest(channel, event.latest, event.signers)
    case 'final-signed': {
      const verdict = validateFinal(channel, event.state)
      if (!verdict.ok) throw new ChannelProtocolError(verdict.code, verdict.detail)
      const f = channel.final
      const final: FinalState = {
        state: event.state,
        ...((event.riderSig ?? f?.riderSig) != null ? { riderSig: event.riderSig ?? f?.riderSig } : {}),
        ...((event.driverSig ?? f?.driverSig) != null ? { driverSig: event.driverSig ?? f?.driverSig } : {})
      }
      const next: Channel = { ...channel, phase: 'final', final }
      const cosigned = cosignedFinal(next)
      return { channel: next, actions: [{ type: 'persist' }, ...(cosigned != null ? [{ type: 'final-ready' as const, cosigned }] : [])] }
    }
    case 'final-countersigned': {
      const f = channel.final
      if (f == null) throw new ChannelProtocolError('invalid-request', 'no final state was signed')
      const peer = channel.role === 'rider' ? channel.driver : channel.rider
      if (event.signer.toLowerCase() !== peer.toLowerCase()) throw new ChannelProtocolError('bad-signature', 'the final state was not signed by the peer')
      if (cosignedFinal(channel) != null) return { channel, actions: [] }
      const final: FinalState = channel.role === 'rider' ? { ...f, driverSig: event.sig } : { ...f, riderSig: event.sig }
      const next: Channel = { ...channel, final }
      return { channel: next, actions: [{ type: 'persist' }, { type: 'final-ready', cosigned: cosignedFinal(next)! }] }
    }
    case 'peer-moved':
      if (event.peer === channel.peer) return { channel, actions: [] }
      return { channel: { ...channel, peer: event.peer }, actions: [{ type: 'persist' }] }
    case 'deposit-changed':
      if (event.deposit === channel.deposit) return { channel, actions: [] }
      if (event.deposit < channel.deposit) throw new ChannelProtocolError('invalid-request', 'a deposit never shrinks while open')
      return { channel: { ...channel, deposit: event.deposit }, actions: [{ type: 'persist' }] }
    case 'owed-changed': {
      const next = { ...channel, owedToDriver: event.owedToDriver }
      const due = arrears(next)
      const actions: ChannelAction[] = [{ type: 'persist' }]
      if (options.maxArrearsWei != null && due > options.maxArrearsWei) actions.push({ type: 'arrears-exceeded', arrears: due })
      return { channel: next, actions }
    }
    case 'close-observed': {
      const next: Channel = { ...channel, phase: 'closing', closing: { nonce: event.nonce, closesAt: event.closesAt, by: event.by } }
      const actions: ChannelAction[] = [{ type: 'persist' }]
      // a pending close with an older state than ours would rob us: answer it
      const best = bestState(channel)
      if (best != null && best.state.nonce > event.nonce) {
        actions.push({ type: 'challenge', cosigned: best })
      }
      actions.push({ type: 'schedule-finalize', closesAt: event.closesAt })
      // proposals the driver never countersigned can no longer be paid
      for (const p of channel.proposals) actions.push({ type: 'fail', nonce: p.state.nonce, code: 'not-open' })
      return { channel: { ...next, proposals: [] }, actions }
    }
    case 'settled':
      if (channel.phase === 'finalized') return { channel, actions: [] }
      return { channel: { ...channel, phase: 'finalized', proposals: [] }, actions: [{ type: 'persist' }] }
  }
}

/** Adopts the peer's co-signed state if it is newer than ours and truly signed by both. */
function adoptLatest (channel: Channel, latest: CoSignedState, signers: { rider: Address, driver: Address }): ChannelTransition {
  if (latest.state.channelId.toLowerCase() !== channel.channelId.toLowerCase()) {
    throw new ChannelProtocolError('unknown-channel', 'latest state of another channel')
  }
  if (signers.rider.toLowerCase() !== channel.rider.toLowerCase() || signers.driver.toLowerCase() !== channel.driver.toLowerCase()) {
    throw new ChannelProtocolError('bad-signature', 'latest state is not signed by both parties')
  }
  if (latest.state.nonce <= latestNonce(channel)) return { channel, actions: [] }
  if (latest.state.balanceRider + latest.state.balanceDriver > channel.deposit) {
    // signed by both, so the deposit grew meanwhile: trust the signatures, the chain checks again
    channel = { ...channel, deposit: latest.state.balanceRider + latest.state.balanceDriver }
  }
  const settled = channel.proposals.filter(p => p.state.nonce <= latest.state.nonce)
  const next: Channel = { ...channel, latest, proposals: channel.proposals.filter(p => p.state.nonce > latest.state.nonce) }
  return {
    channel: next,
    actions: [{ type: 'persist' }, ...settled.map(p => ({ type: 'resolve' as const, nonce: p.state.nonce, cosigned: latest }))]
  }
}
