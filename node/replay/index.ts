/**
 * @packageDocumentation
 *
 * Replay caches that survive a restart: the ids a node accepted, persisted in batches in its
 * store.
 */
export {
  ReplayJournal,
  journaledReplayCache,
  REPLAY_PREFIX,
  DEFAULT_REPLAY_FLUSH_INTERVAL_MS,
  DEFAULT_REPLAY_MAX_PENDING
} from './replay-journal.js'
export type { JournaledReplayCacheInit, ReplayJournalInit } from './replay-journal.js'
