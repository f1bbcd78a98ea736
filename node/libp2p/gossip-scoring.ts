/**
 * gossipsub peer scoring for Hitch's topics.
 *
 * Without topic score parameters gossipsub scores no topic, so a REJECT verdict never lowered
 * anybody's score. Hitch's cell topics (`/hitch/1/cell/<h3>`) are created as drivers and
 * riders move, so they cannot be listed up front. gossipsub looks a topic's parameters up by
 * name at every use (`params.topics[topic]` in `PeerScore`: when it creates a peer's stats for
 * a topic, when it computes and when it decays a score), so the lookup table may answer for
 * names it has never seen: {@link scoreTopicsByPrefix} makes it answer for every name under a
 * prefix.
 */
import { UnsupportedOperationError } from '@libp2p/interface'
import { TOPIC_PREFIX } from '../../protocol/index.js'
import type { GossipSub, GossipsubOpts } from '@libp2p/gossipsub'
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/** How often gossipsub decays scores, ms (its default). */
export const SCORE_DECAY_INTERVAL_MS = 1_000

/** The factor that halves a counter in `halfLifeMs` when applied every `SCORE_DECAY_INTERVAL_MS` */
export function decayFactor (halfLifeMs: number): number {
  return Math.pow(0.5, SCORE_DECAY_INTERVAL_MS / halfLifeMs)
}

/**
 * Score parameters of every cell topic.
 *
 * - P1 time in mesh: +0.01 a second, at most +6 (10 minutes): a long-meshed peer is worth a
 *   little more than a newcomer.
 * - P2 first deliveries: +0.5 a message first delivered, at most +10, half-life 2 minutes:
 *   peers that bring news rank higher.
 * - P3 / P3b mesh delivery rates: off. A cell is quiet most of the time; a mesh peer that has
 *   nothing to relay is not failing.
 * - P4 invalid messages (a REJECT verdict): -5 times the square of the count, half-life 5
 *   minutes: 2 rejects reach the gossip threshold, 3 the publish threshold, 4 the graylist.
 *   Honest peers do not send what Hitch rejects (malformed, badly signed, signer not the
 *   author, flooding); what an honest peer may send (expired, replayed, newer version, over a
 *   relay's budget) is only ignored.
 */
export const CELL_TOPIC_SCORE_PARAMS: TopicScoreParams = Object.freeze({
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 600,
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesDecay: decayFactor(120_000),
  firstMessageDeliveriesCap: 20,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 1,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5_000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: -5,
  invalidMessageDeliveriesDecay: decayFactor(300_000)
})

/**
 * Below `gossipThreshold` a peer gets no gossip (IHAVE) from us and its gossip is ignored;
 * below `publishThreshold` we do not publish to it; below `graylistThreshold` every RPC it
 * sends is dropped unread. Positive scores stop at `TOPIC_SCORE_CAP`, so that a long good
 * record cannot buy many rejects.
 */
export const HITCH_SCORE_THRESHOLDS: PeerScoreThresholds = Object.freeze({
  gossipThreshold: -20,
  publishThreshold: -40,
  graylistThreshold: -80,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 3
})

/** Highest total of the topic scores (P1..P4) of a peer. */
export const TOPIC_SCORE_CAP = 20

/**
 * IP colocation (P6): more than this many peers connected from one IP address cost each of
 * them `IP_COLOCATION_WEIGHT` times the square of the surplus. Peers behind one NAT (an
 * office, a carrier-grade NAT) are honest and many; 16 sybils plus a few honest peers on one
 * address cost nothing, 30 peers -50 each (below the publish threshold), 33 or more reach the
 * graylist.
 */
export const IP_COLOCATION_THRESHOLD = 20
/** @see IP_COLOCATION_THRESHOLD */
export const IP_COLOCATION_WEIGHT = -0.5

/**
 * Hitch's gossipsub score parameters. `topics` is empty: cell topics get their parameters by
 * prefix (see {@link scoreTopicsByPrefix}). With `ipColocation: false` (many nodes on one
 * host: tests, simulations) P6 is off.
 */
export function hitchScoreParams (options: { ipColocation: boolean }): Partial<PeerScoreParams> {
  return {
    topics: {},
    topicScoreCap: TOPIC_SCORE_CAP,
    IPColocationFactorThreshold: IP_COLOCATION_THRESHOLD,
    IPColocationFactorWeight: options.ipColocation ? IP_COLOCATION_WEIGHT : 0,
    decayInterval: SCORE_DECAY_INTERVAL_MS,
    decayToZero: 0.01
  }
}

/** gossipsub options of Hitch's scoring */
export function hitchScoringOptions (options: { ipColocation: boolean }): Pick<GossipsubOpts, 'scoreParams' | 'scoreThresholds'> {
  return {
    scoreParams: hitchScoreParams(options),
    scoreThresholds: { ...HITCH_SCORE_THRESHOLDS }
  }
}

/**
 * Makes `gossipsub` score every topic whose name starts with `prefix` with `params` (and the
 * topics listed in its options as before), including topics nobody knew of when it started.
 */
export function scoreTopicsByPrefix (gossipsub: GossipSub, prefix: string = TOPIC_PREFIX, params: TopicScoreParams = CELL_TOPIC_SCORE_PARAMS): void {
  const score = (gossipsub as unknown as { score?: { params?: PeerScoreParams } }).score
  if (score?.params == null) {
    throw new UnsupportedOperationError('this gossipsub has no score parameters to extend')
  }
  const listed = score.params.topics
  score.params.topics = new Proxy(listed, {
    get: (target, topic) => {
      if (typeof topic === 'string' && Object.hasOwn(target, topic)) return target[topic]
      if (typeof topic === 'string' && topic.startsWith(prefix)) return params
      return undefined
    },
    has: (target, topic) => typeof topic === 'string' && (Object.hasOwn(target, topic) || topic.startsWith(prefix))
  })
}

interface RetainedStats { connected: boolean, expire: number }

/**
 * Makes gossipsub keep a disconnected peer's retained score when it comes back. gossipsub
 * retains a non-positive score for `retainScore` after a disconnect "so that a peer cannot
 * reset a negative score by disconnecting and reconnecting", but its `PeerScore.addPeer`
 * (called on every new connection or stream) replaces the retained stats with fresh ones: a
 * graylisted peer was clean again after a reconnect, or after making its own stream fail.
 * As go-libp2p-pubsub does, a known peer's stats are kept and marked connected again.
 */
export function retainScoresOnReconnect (gossipsub: GossipSub): void {
  const score = (gossipsub as unknown as { score?: { peerStats?: Map<string, RetainedStats>, addPeer?: (id: string) => void } }).score
  const addPeer = score?.addPeer
  if (score?.peerStats == null || typeof addPeer !== 'function') {
    throw new UnsupportedOperationError('this gossipsub has no peer score to patch')
  }
  const stats = score.peerStats
  score.addPeer = (id: string): void => {
    const retained = stats.get(id)
    if (retained != null && !retained.connected) {
      retained.connected = true
      retained.expire = 0
      return
    }
    addPeer.call(score, id)
  }
}
