/**
 * A node's messaging: signing envelopes with its peer key, publishing and sending them,
 * validating the gossip and direct messages that arrive (replays, rate limits, the protocol's
 * rules) and handing them to the roles' handlers.
 */
import {
  RIDE_PROTOCOL, ValidationError, openEnvelope, parseCellTopic, signEnvelope, toHex, validateDirect, validateGossip,
  DEFAULT_MAX_GOSSIP_BYTES
} from '../protocol/index.js'
import { BadAnswerError } from './hitch-node-api.js'
import type { HitchDirectHandler, HitchGossipHandler, SendOptions } from './hitch-node-api.js'
import type { RandomSource } from './hitch-node-init.js'
import type { Clock } from './clock/index.js'
import type { Network } from './network/index.js'
import type { HitchMessage, OpenedEnvelope, ReplayCache, VerifyCache } from '../protocol/index.js'
import type { SignatureBackend } from './signatures/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'
import type { PeerKey } from './hitch-node-init.js'

/** Bytes of random nonce per signed message. */
const NONCE_BYTES = 16

const EMPTY = new Uint8Array(0)

/** The parts of a node its messaging works with. */
export interface NodeMessagingInit {
  peerId: string
  /** signs the node's envelopes */
  peerKey: PeerKey
  network: Network
  clock: Clock
  /** nonces */
  random: RandomSource
  /** lifetime of the messages the node signs, clock ms */
  ttlMs: number
  signatures: SignatureBackend
  verifyCache: VerifyCache
  /** message ids of accepted gossip, against replays */
  gossipReplay: ReplayCache
  /** message ids of accepted direct messages and answers, against replays */
  directReplay: ReplayCache
  log: Logger
  /** told of every gossip message the validator does not accept, with its reason (metrics) */
  onRefused?: (verdict: 'reject' | 'ignore', reason: string) => void
}

/** Signs, sends, validates and delivers the envelopes of one node. */
export class NodeMessaging {
  private readonly peerId: string
  private readonly peerKey: PeerKey
  private readonly network: Network
  private readonly clock: Clock
  private readonly random: RandomSource
  private readonly ttlMs: number
  private readonly signatures: SignatureBackend
  private readonly verifyCache: VerifyCache
  private readonly gossipReplay: ReplayCache
  private readonly directReplay: ReplayCache
  private readonly log: Logger
  private readonly onRefused?: (verdict: 'reject' | 'ignore', reason: string) => void
  private readonly gossipHandlers = new Set<HitchGossipHandler>()
  private readonly directHandlers = new Set<HitchDirectHandler>()
  /** envelopes opened by the validator, so delivery does not verify the signature twice */
  private readonly opened = new WeakMap<Uint8Array, OpenedEnvelope>()

  constructor (init: NodeMessagingInit) {
    this.peerId = init.peerId
    this.peerKey = init.peerKey
    this.network = init.network
    this.clock = init.clock
    this.random = init.random
    this.ttlMs = init.ttlMs
    this.signatures = init.signatures
    this.verifyCache = init.verifyCache
    this.gossipReplay = init.gossipReplay
    this.directReplay = init.directReplay
    this.log = init.log
    this.onRefused = init.onRefused
  }

  /** Signs a message with the peer key (a fresh nonce, expiry from the clock). */
  async sign (message: HitchMessage, ttlMs: number = this.ttlMs): Promise<Uint8Array> {
    return signEnvelope(this.peerKey, message, {
      now: Math.floor(this.clock.now()),
      ttlMs: Math.max(1, Math.floor(ttlMs)),
      nonce: this.random(NONCE_BYTES),
      signer: this.signatures.sign
    })
  }

  /** Signs and publishes a message on a gossip topic, remembered against replays. */
  async publish (topic: string, message: HitchMessage, options?: AbortOptions): Promise<{ recipients: number }> {
    const now = Math.floor(this.clock.now())
    const nonce = this.random(NONCE_BYTES)
    const data = await signEnvelope(this.peerKey, message, { now, ttlMs: this.ttlMs, nonce, signer: this.signatures.sign })
    // gossipsub does not validate our own messages: remember them, so a copy replayed to us is not taken as news
    this.gossipReplay.add(`${this.peerId}/${toHex(nonce)}`, now + this.ttlMs, now)
    return this.network.publish(topic, data, options)
  }

  /** Signs and sends a message on the ride protocol; validates the answer and its signer. */
  async send (peerId: string, message: HitchMessage, options: SendOptions = {}): Promise<OpenedEnvelope | undefined> {
    const data = await this.sign(message, options.ttlMs)
    const answer = await this.network.request(peerId, RIDE_PROTOCOL, data, options)
    if (answer.byteLength === 0) {
      return undefined
    }
    const result = await validateDirect(answer, { now: this.clock.now(), remotePeer: peerId, replay: this.directReplay, keyCache: this.verifyCache.keys, verifier: this.signatures.verify })
    if (result.verdict !== 'accept') {
      throw new BadAnswerError(`answer from ${peerId} rejected: ${result.reason}`, { cause: result.error })
    }
    return result.envelope
  }

  /** Receive validated gossip; returns a function that removes the handler. */
  onGossip (handler: HitchGossipHandler): () => void {
    this.gossipHandlers.add(handler)
    return () => { this.gossipHandlers.delete(handler) }
  }

  /** Receive validated direct messages; returns a function that removes the handler. */
  onDirect (handler: HitchDirectHandler): () => void {
    this.directHandlers.add(handler)
    return () => { this.directHandlers.delete(handler) }
  }

  /**
   * The one gossip validator, cheapest checks first: the topic, the size, the envelope's
   * canonical form and signature (cached by bytes), the signer against gossipsub's author, a
   * replay seen before, the rate limits of the signer and the topic (the network's), and only
   * then the protocol rules and the replay cache, before any work of the roles.
   */
  readonly validate = async (topic: string, _from: string, data: Uint8Array, source: string, author?: string): Promise<'accept' | 'ignore' | 'reject'> => {
    const { verdict, reason } = await this.judge(topic, data, source, author)
    if (verdict !== 'accept') {
      this.log('gossip on %s from %s %s: %s', topic, source, verdict, reason)
      this.onRefused?.(verdict, reason)
    }
    return verdict
  }

  /** The validator's verdict on a gossip message, and why. */
  private async judge (topic: string, data: Uint8Array, source: string, author?: string): Promise<{ verdict: 'accept' | 'ignore' | 'reject', reason: string }> {
    let topicCell: string
    try {
      topicCell = parseCellTopic(topic)
    } catch {
      return { verdict: 'reject', reason: 'bad-topic' }
    }
    if (data.byteLength > DEFAULT_MAX_GOSSIP_BYTES) {
      return { verdict: 'reject', reason: 'too-large' }
    }
    let opened: OpenedEnvelope
    try {
      opened = await openEnvelope(data, { verifyCache: this.verifyCache, verifier: this.signatures.verify })
    } catch (err) {
      return err instanceof ValidationError ? { verdict: err.verdict, reason: err.code } : { verdict: 'ignore', reason: 'unreadable' }
    }
    const signer = opened.sender.toString()
    if (author != null && signer !== author) {
      // gossipsub checked the author's signature: an envelope it did not sign is a forgery or a replay
      return { verdict: 'reject', reason: 'signer-not-author' }
    }
    if (this.gossipReplay.has(opened.msgId, this.clock.now())) {
      // before the rate limits: a replayed copy must not use up its signer's budget
      return { verdict: 'ignore', reason: 'replay' }
    }
    const admitted = this.network.admitGossip?.({ topic, kind: opened.message.type, signer, source }) ?? 'accept'
    if (admitted !== 'accept') {
      return { verdict: admitted, reason: 'rate-limited' }
    }
    const result = await validateGossip(data, { now: this.clock.now(), replay: this.gossipReplay, topicCell, verifyCache: this.verifyCache, verifier: this.signatures.verify })
    if (result.verdict === 'accept') {
      this.opened.set(data, result.envelope)
      return { verdict: 'accept', reason: 'ok' }
    }
    return { verdict: result.verdict, reason: result.reason }
  }

  /** Hands a gossip message the network delivered to the gossip handlers, opened. */
  deliverGossip (topic: string, data: Uint8Array): void {
    if (this.gossipHandlers.size === 0) {
      return
    }
    let cell: string
    try {
      cell = parseCellTopic(topic)
    } catch {
      return
    }
    const known = this.opened.get(data)
    const deliver = (envelope: OpenedEnvelope): void => {
      for (const handler of this.gossipHandlers) {
        try {
          handler({ topic, cell, envelope })
        } catch (err) {
          this.log.error('gossip handler failed - %e', err)
        }
      }
    }
    if (known != null) {
      deliver(known)
      return
    }
    // the validator ran on another copy of the bytes: open again (it was accepted already)
    openEnvelope(data, { verifyCache: this.verifyCache, verifier: this.signatures.verify }).then(deliver, err => { this.log('delivered gossip does not open - %e', err) })
  }

  /**
   * Serves one request of the ride protocol: validates the envelope, runs the direct handlers
   * and answers with the last message they return, signed, or a bare acknowledgement.
   */
  async serve (from: string, data: Uint8Array, options: Required<AbortOptions>): Promise<Uint8Array | undefined> {
    const result = await validateDirect(data, { now: this.clock.now(), remotePeer: from, replay: this.directReplay, keyCache: this.verifyCache.keys, verifier: this.signatures.verify })
    if (result.verdict !== 'accept') {
      this.log('direct message from %s %s: %s', from, result.verdict, result.reason)
      // closing without an answer tells the sender it was not taken
      return undefined
    }
    let answer: HitchMessage | undefined
    for (const handler of this.directHandlers) {
      try {
        answer = (await handler(from, result.envelope, options)) ?? answer
      } catch (err) {
        this.log.error('direct handler failed on %s from %s - %e', result.envelope.message.type, from, err)
      }
    }
    return answer == null ? EMPTY : this.sign(answer)
  }
}
