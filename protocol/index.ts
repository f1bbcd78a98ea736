/**
 * The Hitch wire protocol: messages, signed envelopes, gossip validation, topics, trip
 * records and the negotiation state machines. Pure: no sockets, timers, disk or clock;
 * callers pass `now` and execute the returned actions.
 */
export * from './errors.js'
export * from './hitch-message.js'
export * from './envelope.js'
export * from './replay-cache.js'
export * from './verify-cache.js'
export * from './validation.js'
export * from './topics.js'
export * from './trip-record.js'
export {
  Envelope, LatLon, FareSummary, VehicleOffer, RideRequest, Quote, Accept, Confirm, Reveal, IdentityBinding, Decline,
  Cancel, TripUpdate, TripEvent as TripEventPb, TripHeader as TripHeaderPb, TripRecord as TripRecordPb
} from './pb/messages.js'
export * from './negotiation/index.js'
