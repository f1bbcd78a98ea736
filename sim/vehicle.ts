import { VehicleModel, mulberry32, randomInt } from '../matching/index.js'
import type { RoadGraph, RouteSource, ServedStop, VehiclePlan } from '../matching/index.js'

/** Of parallel edges `a → b`, the one a fastest route uses, or -1 (matching's `lightestEdge`). */

/** Distance a vehicle drove, by what it carried */
export interface VehicleRecord {
  id: string
  /** Kilometres driven with nobody aboard */
  kmEmpty: number
  /** Kilometres driven with at least one rider aboard */
  kmOccupied: number
  /** Sum over kilometres driven of the seats occupied */
  passengerKm: number
  /** Riders set down */
  ridesServed: number
}

/** Seeded starting vertices of a fleet, the same for every run of a seed */
export function initialPositions (graph: RoadGraph, count: number, seed: number): number[] {
  const rand = mulberry32(seed ^ 0xf1ee7)
  return Array.from({ length: count }, () => randomInt(rand, graph.numNodes))
}

/**
 * A vehicle of the simulated fleet: matching's {@link VehicleModel} (the car following its
 * plan along the road graph in simulated time), with the fleet's bookkeeping of which rides
 * shared the car and how many riders it set down.
 */
export class Vehicle {
  readonly id: string
  readonly capacity: number
  private readonly model: VehicleModel
  private readonly aboard = new Set<string>()
  private readonly shared = new Set<string>()
  private served = 0

  constructor (init: { id: string, position: number, capacity: number, time: number, graph: RoadGraph, router: RouteSource }) {
    this.id = init.id
    this.capacity = init.capacity
    this.model = new VehicleModel(init)
  }

  /** The remaining stops and seats aboard */
  get plan (): VehiclePlan {
    return this.model.plan
  }

  /** True when the vehicle has no stop left */
  isIdle (): boolean {
    return this.model.isIdle()
  }

  /** Where the vehicle is: the last vertex it reached */
  position (): number {
    return this.model.position()
  }

  /** Whether ride `id` shared the car with another ride at some point */
  wasShared (id: string): boolean {
    return this.shared.has(id)
  }

  /**
   * Drives along the path until `time` (seconds): every edge finished by then is counted and
   * every stop reached is made, in order.
   */
  advanceTo (time: number): ServedStop[] {
    const out = this.model.advanceTo(time)
    for (const served of out) {
      const id = served.stop.requestId
      if (served.stop.kind === 'pickup') {
        if (this.aboard.size > 0) {
          this.shared.add(id)
          for (const other of this.aboard) this.shared.add(other)
        }
        this.aboard.add(id)
      } else {
        this.aboard.delete(id)
        this.served++
      }
    }
    return out
  }

  /** The plan a new ride is inserted into at `time` (see {@link VehicleModel.planAt}) */
  planAt (time: number): VehiclePlan {
    return this.model.planAt(time)
  }

  /**
   * Adopts a plan made from {@link planAt}.
   *
   * @throws InvalidPlanError if a stop cannot be reached
   */
  setPlan (plan: VehiclePlan): void {
    this.model.setPlan(plan)
  }

  /** Time the vehicle makes its last stop, or undefined when idle */
  finishTime (): number | undefined {
    return this.model.finishTime()
  }

  /** What the vehicle has driven so far */
  record (): VehicleRecord {
    const m = this.model.odometer()
    return {
      id: this.id,
      kmEmpty: m.emptyM / 1000,
      kmOccupied: m.occupiedM / 1000,
      passengerKm: m.passengerM / 1000,
      ridesServed: this.served
    }
  }
}
