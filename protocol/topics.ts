import { sha256 } from '@noble/hashes/sha2.js'
import { getResolution, gridDisk, isValidCell, latLngToCell } from 'h3-js'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { TopicError } from './errors.js'

/**
 * The H3 resolution of gossip cells: 7, hexagons of about 5.2 km² (edge ≈ 1.4 km).
 *
 * Why 7: a cell must be coarse enough that publishing it says little about where a rider
 * stands (thousands of homes share one, and requests never carry exact points), yet small
 * enough that a driver subscribed to its cell and one ring around it (7 cells, ≈ 36 km², a few
 * minutes' drive) hears only requests it could plausibly serve. Resolution 8 (0.7 km²) would
 * narrow a rider to a few blocks; resolution 6 (36 km² per cell) would flood a city driver
 * with requests from across town.
 */
export const GOSSIP_RESOLUTION = 7

/** Prefix of every Hitch gossip topic. */
export const TOPIC_PREFIX = '/hitch/1/cell/'

/**
 * The ride negotiation protocol (quotes, accepts, reveals, trip updates on a direct stream).
 * Version 2: quotes in whole minutes from cells, exact points only in a Reveal after the confirm
 * (a version-1 peer is refused at the stream's negotiation, not misunderstood).
 */
export const RIDE_PROTOCOL = '/hitch/ride/2.0.0'

/** Reserved for payment channels (channel states on a direct stream). */
export const PAY_PROTOCOL = '/hitch/pay/2.0.0'

/** The protocol ids Hitch speaks, by name. */
export const PROTOCOLS = Object.freeze({ ride: RIDE_PROTOCOL, pay: PAY_PROTOCOL })

/** The name of a Hitch stream protocol. */
export type HitchProtocolName = keyof typeof PROTOCOLS

const CELL_RE = /^[0-9a-f]{15}$/
const PROTOCOL_RE = /^\/hitch\/(ride|pay)\/(\d+)\.(\d+)\.(\d+)$/

/**
 * True when `cell` is a canonical (lower-case) H3 cell index string, at `resolution` if given.
 */
export function isCell (cell: unknown, resolution?: number): cell is string {
  if (typeof cell !== 'string' || !CELL_RE.test(cell) || !isValidCell(cell)) {
    return false
  }
  return resolution == null || getResolution(cell) === resolution
}

/** True for a finite latitude in [-90, 90] and longitude in [-180, 180]. */
export function isLatLon (lat: unknown, lon: unknown): boolean {
  return typeof lat === 'number' && typeof lon === 'number' &&
    Number.isFinite(lat) && Number.isFinite(lon) &&
    lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180
}

function checkLatLon (lat: number, lon: number): void {
  if (!isLatLon(lat, lon)) {
    throw new TopicError('bad-lat-lon', 'latitude or longitude out of range')
  }
}

function checkCell (cell: string): void {
  if (!isCell(cell, GOSSIP_RESOLUTION)) {
    throw new TopicError('bad-cell', `not an H3 cell of resolution ${GOSSIP_RESOLUTION}`)
  }
}

/**
 * The gossip cell of a point.
 *
 * @param resolution - @default GOSSIP_RESOLUTION
 */
export function cellOf (lat: number, lon: number, resolution: number = GOSSIP_RESOLUTION): string {
  checkLatLon(lat, lon)
  return latLngToCell(lat, lon, resolution)
}

/** The gossip topic of a cell: `/hitch/1/cell/<h3>`. */
export function cellTopic (cell: string): string {
  checkCell(cell)
  return TOPIC_PREFIX + cell
}

/** The cell of a gossip topic; throws {@link TopicError} `bad-topic` / `bad-cell`. */
export function parseCellTopic (topic: string): string {
  if (typeof topic !== 'string' || !topic.startsWith(TOPIC_PREFIX)) {
    throw new TopicError('bad-topic', 'not a Hitch cell topic')
  }
  const cell = topic.slice(TOPIC_PREFIX.length)
  checkCell(cell)
  return cell
}

/**
 * The cells within `k` rings of a point's cell (H3 gridDisk), the point's own cell first: a
 * driver subscribes to the topics of these. k = 1 gives 7 cells.
 */
export function cellsAround (lat: number, lon: number, k: number): string[] {
  if (!Number.isInteger(k) || k < 0 || k > 10) {
    throw new TopicError('bad-cell', 'k must be an integer in 0..10')
  }
  const center = cellOf(lat, lon)
  return [center, ...gridDisk(center, k).filter(c => c !== center)]
}

/** The six cells around a gossip cell (fewer near a pentagon): where drivers that hear it are. */
export function neighbourCells (cell: string): string[] {
  checkCell(cell)
  return gridDisk(cell, 1).filter(c => c !== cell)
}

/** How to move from one set of subscribed cells to another. */
export interface SubscriptionDiff {
  /** cells in the new set and not the old, in the new set's order */
  subscribe: string[]
  /** cells in the old set and not the new, in the old set's order */
  unsubscribe: string[]
}

/** The cells to subscribe and unsubscribe as a driver moves from `oldCells` to `newCells`. */
export function diffSubscriptions (oldCells: Iterable<string>, newCells: Iterable<string>): SubscriptionDiff {
  const before = new Set(oldCells)
  const after = new Set(newCells)
  return {
    subscribe: [...after].filter(c => !before.has(c)),
    unsubscribe: [...before].filter(c => !after.has(c))
  }
}

/** The multicodec code of raw bytes (CID content type). */
const RAW_CODE = 0x55
/** The multihash code of sha2-256. */
const SHA256_CODE = 0x12

/**
 * The kad-dht provider key of a cell: CID v1, raw codec, sha2-256 of the topic string. Peers
 * interested in a sparse cell `provide()` it and find each other with `findProviders()`.
 */
export function providerKey (cell: string): CID {
  const topic = cellTopic(cell)
  const digest = createDigest(SHA256_CODE, sha256(uint8ArrayFromString(topic)))
  return CID.createV1(RAW_CODE, digest)
}

/** A parsed Hitch protocol id. */
export interface ParsedProtocol {
  name: HitchProtocolName
  major: number
  minor: number
  patch: number
}

/** Parses `/hitch/<ride|pay>/<semver>`; throws {@link TopicError} `bad-protocol`. */
export function parseProtocol (protocol: string): ParsedProtocol {
  const m = typeof protocol === 'string' ? PROTOCOL_RE.exec(protocol) : null
  if (m == null) {
    throw new TopicError('bad-protocol', 'not a Hitch protocol id')
  }
  return { name: m[1] as HitchProtocolName, major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4]) }
}
