/** A point in degrees WGS84. */
export interface LatLonPoint {
  lat: number
  lon: number
}

/** What both roles know about a confirmed ride, as payment hooks see it. */
export interface RideInfo {
  requestId: string
  /** the rider's peer id */
  rider: string
  /** the driver's peer id */
  driver: string
  quoteId: string
  /** the agreed fare, decimal string of `currency` units */
  price: string
  currency: string
  seats: number
  /** shared with another rider for part of the ride */
  pooled: boolean
}

/**
 * Where payment channels plug in (next issue). Every hook is optional; a hook's failure is
 * reported as an `error` event and does not stop the ride. The default does nothing.
 */
export interface PaymentHooks {
  /** the driver confirmed: open or reuse a channel, deposit */
  onAccepted?: (ride: RideInfo) => void | Promise<void>
  /** the car moved with the rider aboard: sign a state paying `fareSoFar` (integer string of the currency) */
  onProgress?: (ride: RideInfo, distanceM: number, fareSoFar: string) => void | Promise<void>
  /** the rider is dropped off: the final state pays `fare` */
  onDropoff?: (ride: RideInfo, fare: string) => void | Promise<void>
}
