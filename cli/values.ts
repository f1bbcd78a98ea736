import { parseDurationMs } from '../sim/duration.js'
import { UsageError } from './errors.js'

/** A WGS84 coordinate as typed on the command line. */
export interface LatLon { lat: number, lon: number }

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/

/**
 * Parses `LAT,LON` (decimal degrees). Rejects anything else, and latitudes
 * outside [-90, 90] or longitudes outside [-180, 180].
 */
export function parseLatLon (text: string | undefined, flag: string): LatLon {
  if (text == null || text === '') throw new UsageError(`${flag} needs a value LAT,LON`)
  const parts = text.split(',').map(s => s.trim())
  if (parts.length !== 2 || !NUMBER.test(parts[0]) || !NUMBER.test(parts[1])) {
    throw new UsageError(`${flag}: "${text}" is not LAT,LON in decimal degrees (e.g. 43.7384,7.4246)`)
  }
  const lat = Number(parts[0])
  const lon = Number(parts[1])
  if (lat < -90 || lat > 90) throw new UsageError(`${flag}: latitude ${lat} is out of range [-90, 90]`)
  if (lon < -180 || lon > 180) throw new UsageError(`${flag}: longitude ${lon} is out of range [-180, 180]`)
  return { lat, lon }
}

/**
 * Parses a duration such as `30s`, `5m`, `2h`, `1h30m` or `250ms` into
 * milliseconds. A bare number is seconds. (The scenario files of `hitch sim`
 * read durations with the same parser.)
 */
export function parseDuration (text: string | undefined, flag: string): number {
  if (text == null || text === '') throw new UsageError(`${flag} needs a duration such as 30s, 5m or 2h`)
  const ms = parseDurationMs(text)
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: "${text}" is not a duration (use e.g. 30s, 5m, 2h, 1h30m)`)
  if (ms < 0) throw new UsageError(`${flag}: duration must not be negative`)
  return Math.round(ms)
}

/** Parses a whole number within [min, max]. */
export function parseInteger (text: string | undefined, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (text == null || !/^[-+]?\d+$/.test(text.trim())) throw new UsageError(`${flag}: "${text ?? ''}" is not a whole number`)
  const n = Number(text)
  if (n < min || n > max) throw new UsageError(`${flag}: ${n} is out of range [${min}, ${max}]`)
  return n
}

/** Parses a non-negative decimal number. */
export function parseAmount (text: string | undefined, flag: string): number {
  if (text == null || !NUMBER.test(text.trim())) throw new UsageError(`${flag}: "${text ?? ''}" is not a number`)
  const n = Number(text)
  if (!(n >= 0) || !Number.isFinite(n)) throw new UsageError(`${flag}: must be a non-negative number`)
  return n
}
