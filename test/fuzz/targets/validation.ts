/**
 * Gossip validation (`validateGossip`) and direct-stream validation (`validateDirect`), called
 * the way a node calls them (`node/hitch-node.ts`): the node's fast signature backend, one verify
 * cache for gossip and a key cache for streams, a replay cache each. Oracle: `envelopes.ts`.
 */
import { gridDisk } from 'h3-js'
import {
  ReplayCache, VerifyCache, validateDirect, validateGossip, HITCH_MESSAGE_TYPES, type HitchMessageType
} from '../../../protocol/index.js'
import type { FuzzTarget, TargetRun } from '../harness/target.js'
import {
  EnvelopeFactory, deserializeEnvelopeInput, judgeEnvelope, serializeEnvelopeInput, type EnvelopeInput
} from './envelopes.js'
import { HOME_CELL, NOW, parties, validMessage } from './messages.js'
import { directRules, gossipRules, GOSSIP_KINDS } from './spec.js'
import { Prng } from '../harness/prng.js'

/** Topic cells of the gossip contexts: none, the home cell, its neighbours. */
const TOPIC_CELLS: Array<string | undefined> = [undefined, ...gridDisk(HOME_CELL, 1)]

async function seedsOf (factory: EnvelopeFactory, seed: string, name: string, types: readonly HitchMessageType[], context: number): Promise<EnvelopeInput[]> {
  const rng = new Prng(`${seed}/${name}/seeds`)
  const out: EnvelopeInput[] = []
  for (const type of types) {
    for (let i = 0; i < 4; i++) {
      const bytes = await factory.sign(rng, factory.parties[0], validMessage(rng, type, NOW, factory.parties), NOW)
      out.push({ now: NOW, context, signed: true, bytes })
    }
  }
  return out
}

export const gossipTarget: FuzzTarget<EnvelopeInput> = {
  name: 'gossip',
  description: 'validateGossip: only typed verdicts; an accepted envelope was signed as is (not malleable), is canonical and obeys the gossip rules',
  cheap: true,
  timeoutMs: 2_000,
  async setup ({ seed }): Promise<TargetRun<EnvelopeInput>> {
    // mostly gossip kinds, some of every other kind (they must be refused)
    const types = [...GOSSIP_KINDS, ...GOSSIP_KINDS, ...HITCH_MESSAGE_TYPES] as HitchMessageType[]
    const factory = new EnvelopeFactory(parties(seed), types)
    const replay = new ReplayCache()
    const verifyCache = new VerifyCache()
    const seeds = await seedsOf(factory, seed, 'gossip', HITCH_MESSAGE_TYPES, 1)
    return {
      seeds,
      generate: async (rng, pool) => await factory.next(rng, pool, TOPIC_CELLS.length),
      execute: async input => {
        const topicCell = TOPIC_CELLS[input.context % TOPIC_CELLS.length]
        const result = await validateGossip(input.bytes, {
          now: input.now, replay, verifyCache, verifier: factory.signatures.verify, ...(topicCell != null ? { topicCell } : {})
        })
        return await judgeEnvelope(input, result, factory, (i, r) => gossipRules(r.envelope, i.now, topicCell))
      },
      serialize: serializeEnvelopeInput,
      deserialize: deserializeEnvelopeInput,
      close: async () => {}
    }
  }
}

export const directTarget: FuzzTarget<EnvelopeInput> = {
  name: 'direct',
  description: 'validateDirect: only typed verdicts; an accepted envelope was signed as is, is canonical, obeys the rules and is signed by the remote peer',
  cheap: true,
  timeoutMs: 2_000,
  async setup ({ seed }): Promise<TargetRun<EnvelopeInput>> {
    const factory = new EnvelopeFactory(parties(seed), HITCH_MESSAGE_TYPES)
    const replay = new ReplayCache()
    const keyCache = new VerifyCache().keys
    const seeds = await seedsOf(factory, seed, 'direct', HITCH_MESSAGE_TYPES, 1)
    const remoteOf = (context: number): string | undefined => context === 0 ? undefined : factory.parties[(context - 1) % factory.parties.length].peerId
    return {
      seeds,
      generate: async (rng, pool) => await factory.next(rng, pool, factory.parties.length + 1),
      execute: async input => {
        const remotePeer = remoteOf(input.context)
        const result = await validateDirect(input.bytes, {
          now: input.now, replay, keyCache, verifier: factory.signatures.verify, ...(remotePeer != null ? { remotePeer } : {})
        })
        return await judgeEnvelope(input, result, factory, (i, r) => directRules(r.envelope, i.now, remotePeer))
      },
      serialize: serializeEnvelopeInput,
      deserialize: deserializeEnvelopeInput,
      close: async () => {}
    }
  }
}
