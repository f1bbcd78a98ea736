/**
 * The car in motion: one pure model of a vehicle following its plan along the road graph in
 * time, for the driver's car and the simulated fleet alike.
 */
export { VehicleModel } from './vehicle-model.js'
export type { VehicleModelInit, DrivenEdge, Odometer } from './vehicle-model.js'
