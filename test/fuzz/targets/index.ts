/**
 * Every fuzz target, in the order `npm run fuzz` runs them: each entry point where a peer's or a
 * client's bytes come in.
 */
import { channelServeTarget } from './channel-serve.js'
import { channelMessageTarget, payFrameTarget } from './decoders.js'
import { devChainTarget } from './dev-chain.js'
import { simControlParserTarget, simControlTarget } from './sim-control.js'
import { directTarget, gossipTarget } from './validation.js'
import { tripRecordJsonTarget, tripRecordProtoTarget } from './trip-records.js'
import type { FuzzTarget } from '../harness/target.js'

export const TARGETS: readonly FuzzTarget[] = [
  gossipTarget,
  directTarget,
  payFrameTarget,
  channelMessageTarget,
  tripRecordProtoTarget,
  tripRecordJsonTarget,
  channelServeTarget,
  devChainTarget,
  simControlParserTarget,
  simControlTarget
]
