import type { HitchNode } from '../hitch-node.js'

/** A point in degrees WGS84. */
export interface LatLonPoint {
  lat: number
  lon: number
}

/** What both roles know about a confirmed ride, as payment hooks see it. */
export interface RideInfo {
  requestId: string
  /** the rider's peer id (a fresh key per ride) */
  rider: string
  /**
   * Driver: the rider's long-lived payment address (lower-case), from the identity binding the
   * rider sent with its exact points, checked. Channels are matched to rides by it.
   */
  riderAddress?: string
  /** the driver's peer id */
  driver: string
  /**
   * Rider: the driver's payment address (lower-case), from the identity binding on its quote,
   * checked. The rider's channel pays it.
   */
  driverAddress?: string
  quoteId: string
  /** the agreed fare, decimal string of `currency` units */
  price: string
  currency: string
  seats: number
  /** shared with another rider for part of the ride */
  pooled: boolean
  /**
   * Length of the rider's direct route from pickup to dropoff, metres: the fare is due pro rata
   * of it (`fareSoFar`). Both sides compute it on their own map from the exact points.
   */
  routeM?: number
}

/** The payment a trip record header names: the channel and what its state for this ride pays. */
export interface PaymentTerms {
  /** 0x + 64 lower-case hex */
  channelId: string
  /** wei, decimal: what the channel state that settles this ride pays the driver in all */
  amountPaid: string
}

/**
 * Where payment channels plug in (`node/payments`). Every hook is optional; a hook's failure is
 * reported as an `error` event and does not stop the ride. The default does nothing.
 */
export interface PaymentHooks {
  /**
   * Rider: the driver that confirmed fitted the exact points (its first trip update came): open
   * or reuse a channel, deposit. Driver: the exact points fitted and the binding checked.
   */
  onAccepted?: (ride: RideInfo) => void | Promise<void>
  /** the car moved with the rider aboard: sign a state paying `fareSoFar` (integer string of the currency) */
  onProgress?: (ride: RideInfo, distanceM: number, fareSoFar: string) => void | Promise<void>
  /**
   * The rider is dropped off: the final state pays `fare`. The rider calls it once it has
   * countersigned the trip record, with the record's hash (the final state carries it).
   */
  onDropoff?: (ride: RideInfo, fare: string, tripRecordHash?: `0x${string}`) => void | Promise<void>
  /**
   * The payment the trip record header names: the driver writes it into the record it signs,
   * the rider refuses a record that names another. `undefined`: the ride is not paid.
   */
  recordTerms?: (ride: RideInfo) => PaymentTerms | undefined | Promise<PaymentTerms | undefined>
  /**
   * Driver: whether the rider fell too far behind with its payments. Asked after each
   * `onProgress` has settled; when true, the driver cancels the ride and drops its stops.
   */
  isBehind?: (ride: RideInfo) => boolean
}

/**
 * The node services a role runs on, in js-libp2p's `(components, init)` shape: what the role
 * uses of its node (keys, network, clock, map, store, messaging), never the node itself, so a
 * role neither starts nor stops it; the composition root (`createHitchPeer`) does.
 */
export type RoleNodeServices = Pick<HitchNode,
'peerId' | 'peerKey' | 'ethAddress' | 'identity' | 'network' | 'clock' | 'map' | 'store' |
'random' | 'logger' | 'publish' | 'send' | 'onGossip' | 'onDirect'>

/** The components of a role: its node's services and its payments. */
export interface RoleComponents extends RoleNodeServices {
  /** payment hooks (`node/payments`: `DriverPayments`, `RiderPayments`). @default none: rides are not paid */
  payments?: PaymentHooks
}

/** A role's components from a node's services (and the role's payment hooks). */
export function roleComponents (node: RoleNodeServices, payments?: PaymentHooks): RoleComponents {
  return {
    peerId: node.peerId,
    peerKey: node.peerKey,
    ethAddress: node.ethAddress,
    identity: node.identity,
    network: node.network,
    clock: node.clock,
    map: node.map,
    store: node.store,
    random: bytes => node.random(bytes),
    logger: component => node.logger(component),
    publish: async (topic, message, options) => await node.publish(topic, message, options),
    send: async (peerId, message, options) => await node.send(peerId, message, options),
    onGossip: handler => node.onGossip(handler),
    onDirect: handler => node.onDirect(handler),
    ...(payments != null ? { payments } : {})
  }
}
