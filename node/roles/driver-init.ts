/**
 * The options of the driver role: the car, its fares, how far it listens and quotes, its limits
 * on heard requests, and its payments.
 */
import type { LatLonPoint } from './types.js'
import type { FareModel, InsertionOptions } from '../../matching/index.js'

/** Options of {@link Driver}. */
export interface DriverInit {
  /** where the car is now (snapped to the road graph) */
  position: LatLonPoint
  /** passenger seats (MIN_SEATS..MAX_SEATS of the protocol: 1..8) */
  seats: number
  /**
   * The fare model, integer cents.
   *
   * @default DEFAULT_FARE of matching/pricing
   */
  fare?: Partial<FareModel>
  /** @default DEFAULT_CURRENCY ('usd-cent') */
  currency?: string
  /** a short description of the car, in offers. @default '' */
  vehicle?: string
  /** publish a vehicle offer this often, clock ms; 0: never. @default DEFAULT_OFFER_INTERVAL_MS (10 s) */
  offerIntervalMs?: number
  /** subscribe to cells within this many rings of the car's cell. @default DEFAULT_RING (1) */
  ring?: number
  /**
   * announce cells within this many rings of the car's cell in the DHT (at most `ring`).
   * @default DEFAULT_ANNOUNCE_RING (0)
   */
  announceRing?: number
  /** longest a quote is held, clock ms. @default DEFAULT_QUOTE_TTL_MS (60 s) */
  quoteTtlMs?: number
  /**
   * How long a confirmed ride waits for the rider's exact points, clock ms.
   * @default DEFAULT_REVEAL_TIMEOUT_MS of protocol/negotiation (60 s)
   */
  revealTimeoutMs?: number
  /** insertion checks per second of clock on heard requests. @default DEFAULT_CHECKS_PER_S (50) */
  checksPerS?: number
  /** new requests considered per requester per `requesterWindowMs`. @default DEFAULT_REQUESTER_QUOTA (4) */
  requesterQuota?: number
  /** @default DEFAULT_REQUESTER_WINDOW_MS (10 min, clock) */
  requesterWindowMs?: number
  /** quotes held at once. @default DEFAULT_MAX_QUOTED of protocol/negotiation (512) */
  maxQuoted?: number
  /**
   * Refuse a ride whose rider sends no identity binding with its exact points (a missing,
   * expired, malformed or mismatched binding is refused always).
   * @default true when the components carry `payments` (the binding names the address that pays)
   */
  requireBinding?: boolean
  /** send a position update to riders every this many metres driven. @default DEFAULT_POSITION_EVERY_M (250) */
  positionEveryM?: number
  /** limits of insertion (wait, detour). @default matching's defaults */
  insertion?: InsertionOptions
  /** @default DEFAULT_ESTIMATE_SLACK_S (180) */
  estimateSlackS?: number
  /** seconds the car is assumed to need to reach its cell's centre when estimating. @default DEFAULT_CELL_MARGIN_S (120) */
  cellMarginS?: number
  /** quote at once only within this pickup wait, seconds; Infinity: always. @default DEFAULT_QUOTE_NEAR_S (120) */
  quoteNearS?: number
  /** the quoting reach doubles every this long the rider keeps asking, clock ms. @default DEFAULT_QUOTE_WIDEN_MS (4 s) */
  quoteWidenMs?: number
  /** timeout of each direct message to a rider, real ms. @default the network's (10 s) */
  sendTimeoutMs?: number
  /**
   * The car drives this many times faster than the road graph's travel times, in the node's
   * clock (a demo knob for `hitch drive --speedup` that leaves protocol time real). Quotes
   * still promise the graph's times, so they stay upper bounds.
   *
   * @default 1
   */
  driveSpeedUp?: number
}
