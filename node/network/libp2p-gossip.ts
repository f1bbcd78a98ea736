/**
 * Gossip on libp2p: publishing and subscribing on gossipsub, the topic validator that runs
 * the node's validator on `/hitch/1/` topics, the delivery of accepted messages to the
 * handlers, and the gossip rate limits (per neighbour before gossipsub reads a message).
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { gossipVerdict } from './gossip-verdict.js'
import { HITCH_TOPIC_PREFIX } from './network.js'
import type { GossipAdmission, GossipLimits, GossipLimitStats } from './gossip-limits.js'
import type { Libp2pContext } from './libp2p-context.js'
import type { MessageHandler, NetworkStats, TopicValidator, ValidationResult } from './network.js'
import type { HitchLibp2p } from '../libp2p/create-libp2p.js'
import type { Message } from '@libp2p/gossipsub'
import type { Logger, PeerId } from '@libp2p/interface'

const VERDICTS: Record<ValidationResult, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  ignore: TopicValidatorResult.Ignore,
  reject: TopicValidatorResult.Reject
}

/** The gossip side of a `Libp2pNetwork` */
export class Libp2pGossip {
  private readonly libp2p: HitchLibp2p
  private readonly log: Logger
  private readonly counters: NetworkStats
  private readonly gossipLimits?: GossipLimits
  private readonly handlers = new Set<MessageHandler>()
  private validator: TopicValidator | undefined

  constructor (ctx: Libp2pContext, gossipLimits: GossipLimits | undefined) {
    this.libp2p = ctx.libp2p
    this.log = ctx.log
    this.counters = ctx.counters
    this.gossipLimits = gossipLimits
    this.limitGossipSources()
  }

  /** Starts delivering gossipsub's messages to the handlers (before libp2p starts) */
  attach (): void {
    this.libp2p.services.pubsub.addEventListener('message', this.onGossip)
  }

  /** Drops the topic validators and stops delivering (before libp2p stops) */
  detach (): void {
    for (const topic of this.libp2p.services.pubsub.getTopics()) {
      this.libp2p.services.pubsub.topicValidators.delete(topic)
    }
    this.libp2p.services.pubsub.removeEventListener('message', this.onGossip)
  }

  /** Subscribes to `topic`, validated by the node's validator if it is a Hitch topic */
  subscribe (topic: string): void {
    if (topic.startsWith(HITCH_TOPIC_PREFIX)) {
      this.libp2p.services.pubsub.topicValidators.set(topic, this.gossipValidator)
    }
    this.libp2p.services.pubsub.subscribe(topic)
  }

  /** Unsubscribes from `topic` and drops its validator */
  unsubscribe (topic: string): void {
    this.libp2p.services.pubsub.unsubscribe(topic)
    this.libp2p.services.pubsub.topicValidators.delete(topic)
  }

  /** Publishes `data` on `topic`, counted */
  async publish (topic: string, data: Uint8Array): Promise<{ recipients: number }> {
    const result = await this.libp2p.services.pubsub.publish(topic, data)
    this.counters.gossip.messagesOut++
    this.counters.gossip.bytesOut += data.byteLength
    return { recipients: result.recipients.length }
  }

  /** Adds a handler of accepted messages; returns a function that removes it */
  onMessage (handler: MessageHandler): () => void {
    this.handlers.add(handler)
    return () => { this.handlers.delete(handler) }
  }

  /** Sets the node's validator of Hitch topics */
  setValidator (validator: TopicValidator | undefined): void {
    // topic entries call through this field, so a new validator applies at once
    this.validator = validator
  }

  /** The signer and topic budgets' verdict on a message whose signature was checked */
  admit (message: GossipAdmission): ValidationResult {
    return this.gossipLimits?.admit(message) ?? 'accept'
  }

  /** What the rate limits dropped, if there are any */
  limitStats (): GossipLimitStats | undefined {
    return this.gossipLimits?.stats()
  }

  /**
   * Counts every gossip message of a neighbour against its budget before gossipsub decodes
   * its envelope or checks its signature (`StrictSign`: a secp256k1 verification in pure
   * JavaScript per message), dropping those over it unread. gossipsub's `handleReceivedRpc`
   * is the one entry of a peer's RPCs (its own comments call it overridable); wrapping it on
   * this instance is the only hook before that work.
   */
  private limitGossipSources (): void {
    const limits = this.gossipLimits
    const pubsub = this.libp2p.services.pubsub as unknown as {
      handleReceivedRpc?: (from: PeerId, rpc: { messages?: unknown[] }) => Promise<void>
    }
    const original = pubsub.handleReceivedRpc
    if (limits == null || typeof original !== 'function') {
      if (limits != null) this.log.error('gossipsub has no handleReceivedRpc: gossip is not limited per neighbour')
      return
    }
    pubsub.handleReceivedRpc = async function (this: unknown, from: PeerId, rpc: { messages?: unknown[] }): Promise<void> {
      if (rpc.messages != null && rpc.messages.length > 0) {
        const source = from.toString()
        rpc.messages = rpc.messages.filter(() => limits.fromSource(source))
      }
      await original.call(this, from, rpc)
    }
  }

  private readonly onGossip = (evt: CustomEvent<Message>): void => {
    const msg = evt.detail
    const from = msg.type === 'signed' ? msg.from.toString() : 'anonymous'
    this.counters.gossip.messagesIn++
    this.counters.gossip.bytesIn += msg.data.byteLength
    for (const handler of this.handlers) {
      try {
        handler({ topic: msg.topic, from, data: msg.data })
      } catch (err) {
        this.log.error('message handler failed on %s - %e', msg.topic, err)
      }
    }
  }

  private readonly gossipValidator = async (propagationSource: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    const validator = this.validator
    if (validator == null) {
      return TopicValidatorResult.Accept
    }
    const source = propagationSource.toString()
    const author = msg.type === 'signed' ? msg.from.toString() : undefined
    const verdict = await gossipVerdict(validator, [msg.topic, author ?? source, msg.data, source, author], this.log)
    if (verdict === 'reject') {
      this.counters.gossip.rejected++
    } else if (verdict === 'ignore') {
      this.counters.gossip.ignored++
    }
    return VERDICTS[verdict] ?? TopicValidatorResult.Ignore
  }
}
