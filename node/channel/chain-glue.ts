/**
 * The glue between the chain watch and the engine: what the adjudicator's events, the
 * reconciliation at start and the recovered opens find on chain becomes machine steps of the
 * engine, run while the manager lives.
 */
import { ChainWatch, type ChainWatchHost, type ChainWatchInit } from './chain-watch.js'
import type { ChannelEngine } from './engine.js'
import type { Lifecycle } from './lifecycle.js'

/** What the watch needs besides the engine and the manager's run. */
export type ChainGlueInit = Omit<ChainWatchHost, 'get' | 'all' | 'step' | 'adopt' | 'track' | 'started' | 'lifetime'>

/** The chain watch of `engine`'s channels: chain events are stepped through the engine. */
export function watchChain (engine: ChannelEngine, lifecycle: Lifecycle, host: ChainGlueInit, init: ChainWatchInit): ChainWatch {
  return new ChainWatch({
    ...host,
    get: id => engine.get(id),
    all: () => engine.all(),
    step: async (id, event) => await engine.step(id, event),
    adopt: async channel => {
      if (engine.has(channel.channelId)) return
      await engine.add(channel)
    },
    track: p => { lifecycle.track(p) },
    started: () => lifecycle.started,
    lifetime: () => lifecycle.signal
  }, init)
}
