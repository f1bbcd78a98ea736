/**
 * @packageDocumentation
 *
 * A channel state as EIP-712 typed data (what both parties sign and the adjudicator
 * `ecrecover`s), the payment channel's rules as a pure state machine (`channelStep`), the validation of
 * proposals and final states, and the wire codec of `/hitch/pay/2.0.0` messages and of the
 * long-lived `/hitch/pay/2.1.0` stream's frames.
 */
export {
  type Channel, type ChannelRole, type ChannelPhase, type CoSignedState, type ProposedState, type ClosingInfo,
  type ChannelEvent, type ChannelAction, type ChannelTransition, type ProposalVerdict,
  newChannel, latestNonce, paidToDriver, highestNonce, highestTotal, arrears,
  nextProposal, validateProposal, finalStateOf, validateFinal, sameState, channelStep, cosignedFinal, bestState, type FinalState
} from './machine.js'
export {
  NONCE_GAP_WAIT_MS, nonceGapWaitMs, awaitsLowerNonces, type CloseFailure, closeFallback, unilateralCloseState,
  type DepositPlan, availableDeposit, depositPlan, refreshesDeposit, depositToAdopt
} from './rules.js'
export {
  type ChannelMessage, encodeChannelMessage, decodeChannelMessage, MAX_CHANNEL_MESSAGE_BYTES,
  type PayFrame, encodePayFrame, decodePayFrame, MAX_PAY_FRAME_BYTES, PAY_STREAM_PROTOCOL
} from './codec.js'
export {
  type ChannelState, type ChannelDomain, type ChannelSignatures,
  FINAL_NONCE, ZERO_HASH, DOMAIN_NAME, DOMAIN_VERSION, CHANNEL_STATE_TYPES,
  channelStateTypedData, hashChannelState, signChannelState, recoverChannelStateSigner,
  finalChannelState, normalizePrivateKey,
  channelDomainSeparator, channelStateDigest, channelSigningKey, signChannelStateDigest,
  recoverChannelStateDigestSigner, ChannelSignatureVerifier, DEFAULT_VERIFIER_WINDOW
} from './state.js'
export { ChannelProtocolError, type ChannelRejectCode } from './errors.js'
