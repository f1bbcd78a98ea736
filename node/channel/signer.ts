/**
 * This node's signatures over channel states and its checks of the peer's: EIP-712 digests
 * computed once per state object, and one precomputed verifier per counterparty key, least
 * recently used dropped first.
 */
import { privateKeyToAccount } from 'viem/accounts'
import {
  ChannelSignatureVerifier, channelSigningKey, channelStateDigest, recoverChannelStateDigestSigner, signChannelStateDigest,
  type Channel, type ChannelState, type CoSignedState
} from '../../protocol/channel/index.js'
import { InvalidChannelArgumentError } from './errors.js'
import type { Chain } from '../../settlement/index.js'
import type { Address, Hex } from 'viem'

const lower = (a: string): string => a.toLowerCase()

/** What the machine is told signed a signature that verifies for nobody (its checks then refuse it). */
const NO_SIGNER: Address = '0x0000000000000000000000000000000000000000'

/** Options of {@link ChannelSigner}. */
export interface ChannelSignerInit {
  /** the node identity's key (never logged) */
  ethPrivateKeyHex: Hex
  /** the chain client, which must use the same key; its `domain` is what states are signed in */
  chain: Pick<Chain, 'address' | 'domain'>
  /** counterparties whose verifier tables are kept */
  maxSignerTables: number
}

/** Signs channel states with the node's key and tells who signed the peer's. */
export class ChannelSigner {
  private readonly chain: Pick<Chain, 'address' | 'domain'>
  private readonly maxSignerTables: number
  /** the identity's key as signing needs it (never logged) */
  private readonly secretKey: Uint8Array
  /** one per counterparty address, least recently used first: checks its signatures against its known public key */
  private readonly verifiers = new Map<string, ChannelSignatureVerifier>()
  /** EIP-712 digests of the states in flight, computed once per state object */
  private readonly digests = new WeakMap<ChannelState, Uint8Array>()

  constructor (init: ChannelSignerInit) {
    this.chain = init.chain
    this.maxSignerTables = init.maxSignerTables
    this.secretKey = channelSigningKey(init.ethPrivateKeyHex)
    if (lower(privateKeyToAccount(init.ethPrivateKeyHex).address) !== lower(init.chain.address)) {
      throw new InvalidChannelArgumentError('the chain client must use the node identity\'s key')
    }
  }

  /** Our signature over a state (EIP-712, low-s, v in {27, 28}). */
  sign (state: ChannelState): Hex {
    return signChannelStateDigest(this.secretKey, this.digestOf(state))
  }

  /**
   * Who signed `state`, as the adjudicator's `ecrecover` would tell: `expected` when the
   * signature is its (checked against its known public key, no full recovery), otherwise the
   * recovered address, or `NO_SIGNER` for a signature the adjudicator refuses.
   */
  signerOf (state: ChannelState, sig: Hex, expected: Address): Address {
    const digest = this.digestOf(state)
    const key = lower(expected)
    let verifier = this.verifiers.get(key)
    if (verifier != null) {
      this.verifiers.delete(key)
    } else {
      verifier = new ChannelSignatureVerifier(expected)
      if (this.verifiers.size >= this.maxSignerTables) this.verifiers.delete(this.verifiers.keys().next().value!)
    }
    this.verifiers.set(key, verifier)
    if (verifier.verify(digest, sig)) return expected
    return recoverChannelStateDigestSigner(digest, sig) ?? NO_SIGNER
  }

  /** The signers of a co-signed state, checked against the channel's parties. */
  signersOf (channel: Channel, c: CoSignedState): { rider: Address, driver: Address } {
    return { rider: this.signerOf(c.state, c.riderSig, channel.rider), driver: this.signerOf(c.state, c.driverSig, channel.driver) }
  }

  /** Who signed `state` when no signer is expected yet (full recovery); undefined for a signature that recovers to nobody. */
  recover (state: ChannelState, sig: Hex): Address | undefined {
    return recoverChannelStateDigestSigner(this.digestOf(state), sig)
  }

  private digestOf (state: ChannelState): Uint8Array {
    let digest = this.digests.get(state)
    if (digest == null) {
      digest = channelStateDigest(state, this.chain.domain)
      this.digests.set(state, digest)
    }
    return digest
  }
}
