/**
 * @packageDocumentation
 *
 * The `Clock` port and its adapters: {@link WallClock} (real time, optionally
 * sped up) for nodes and simulations, {@link ManualClock} for unit tests.
 */
export type { Clock, TimerHandle } from './clock.js'
export { WallClock, DEFAULT_SPEED_UP } from './wall-clock.js'
export type { WallClockInit } from './wall-clock.js'
export { ManualClock } from './manual-clock.js'
export type { ManualClockInit } from './manual-clock.js'
