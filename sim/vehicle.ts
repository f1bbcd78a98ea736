import { InvalidParametersError } from '@libp2p/interface'
import { completeNextStop, mulberry32, planRoute, randomInt } from '../matching/index.js'
import type { RoadGraph, RouteSource, ServedStop, VehiclePlan } from '../matching/index.js'

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

/**
 * The lightest edge `a → b` by travel time (of parallel edges, the one a
 * fastest route uses), or -1.
 */
export function edgeBetween (graph: RoadGraph, a: number, b: number): number {
  let best = -1
  for (let e = graph.firstOut[a], end = graph.firstOut[a + 1]; e < end; e++) {
    if (graph.head[e] !== b) continue
    if (best < 0 || graph.timeMs[e] < graph.timeMs[best] || (graph.timeMs[e] === graph.timeMs[best] && graph.distCm[e] < graph.distCm[best])) best = e
  }
  return best
}

/** Seeded starting vertices of a fleet, the same for every run of a seed */
export function initialPositions (graph: RoadGraph, count: number, seed: number): number[] {
  const rand = mulberry32(seed ^ 0xf1ee7)
  return Array.from({ length: count }, () => randomInt(rand, graph.numNodes))
}

/**
 * A vehicle moving along the road path of its plan in simulated time, edge
 * by edge at the graph's speeds, making its stops on the way and counting
 * the kilometres it drives empty and occupied.
 *
 * Between vertices the vehicle is committed to its edge: {@link planAt}
 * reports it at the next vertex it reaches, at the time it gets there, which
 * is where a new plan can start from.
 */
export class Vehicle {
  readonly id: string
  readonly capacity: number
  private readonly graph: RoadGraph
  private readonly router: RouteSource
  private current: VehiclePlan
  /** Path from the first vertex still relevant; `times[i]` is the arrival at `nodes[i]`, seconds */
  private nodes: number[]
  private times: number[]
  /** Path index where each remaining stop is made */
  private stopAt: number[] = []
  /** Index of the last vertex reached */
  private cursor = 0
  private readonly aboard = new Set<string>()
  private readonly shared = new Set<string>()
  private readonly metres = { empty: 0, occupied: 0, passenger: 0 }
  private served = 0

  constructor (init: { id: string, position: number, capacity: number, time: number, graph: RoadGraph, router: RouteSource }) {
    this.id = init.id
    this.capacity = init.capacity
    this.graph = init.graph
    this.router = init.router
    this.current = { position: init.position, time: init.time, capacity: init.capacity, onboard: 0, stops: [] }
    this.nodes = [init.position]
    this.times = [init.time]
  }

  /** The remaining stops and seats aboard (position: the last vertex reached) */
  get plan (): VehiclePlan {
    return this.current
  }

  /** True when the vehicle has no stop left */
  isIdle (): boolean {
    return this.current.stops.length === 0
  }

  /** Where the vehicle is: the last vertex it reached */
  position (): number {
    return this.nodes[this.cursor]
  }

  /** Whether ride `id` shared the car with another ride at some point */
  wasShared (id: string): boolean {
    return this.shared.has(id)
  }

  /**
   * Drives along the path until `time` (seconds): every edge finished by
   * then is counted and every stop reached is made, in order.
   */
  advanceTo (time: number): ServedStop[] {
    const out: ServedStop[] = []
    this.makeStops(out)
    while (this.cursor + 1 < this.nodes.length && this.times[this.cursor + 1] <= time) {
      const a = this.nodes[this.cursor]
      const b = this.nodes[this.cursor + 1]
      const e = edgeBetween(this.graph, a, b)
      const m = e < 0 ? 0 : this.graph.distCm[e] / 100
      if (this.current.onboard === 0) this.metres.empty += m
      else this.metres.occupied += m
      this.metres.passenger += m * this.current.onboard
      this.cursor++
      this.makeStops(out)
    }
    if (this.isIdle() && this.cursor === this.nodes.length - 1) {
      // forget the driven path; an idle vehicle waits at its last vertex
      const at = this.nodes[this.cursor]
      const t = this.times[this.cursor]
      this.nodes = [at]
      this.times = [t]
      this.cursor = 0
    }
    return out
  }

  private makeStops (out: ServedStop[]): void {
    while (this.stopAt.length > 0 && this.stopAt[0] === this.cursor) {
      this.stopAt.shift()
      const { plan, served } = completeNextStop(this.current, this.times[this.cursor])
      this.current = plan
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
      out.push(served)
    }
  }

  /**
   * The plan a new ride is inserted into at `time` (call {@link advanceTo}
   * first): at the next vertex the vehicle reaches and the time it gets
   * there, or where it waits at `time` when idle.
   */
  planAt (time: number): VehiclePlan {
    const c = this.commitIndex()
    const at = c === this.nodes.length - 1 && this.isIdle() ? Math.max(time, this.times[c]) : this.times[c]
    return { ...this.current, position: this.nodes[c], time: at }
  }

  private commitIndex (): number {
    return Math.min(this.cursor + 1, this.nodes.length - 1)
  }

  /**
   * Adopts a plan made from {@link planAt} (same position and time, same
   * seats aboard): the path up to that vertex is kept, the road path through
   * the new stops follows it.
   *
   * @throws InvalidPlanError if a stop cannot be reached
   */
  setPlan (plan: VehiclePlan): void {
    const c = this.commitIndex()
    if (plan.position !== this.nodes[c]) throw new InvalidParametersError(`plan starts at ${plan.position}, the vehicle is committed to ${this.nodes[c]}`)
    const route = planRoute(plan, this.router)
    this.nodes.length = c + 1
    this.times.length = c + 1
    this.times[c] = plan.time
    let ms = 0
    for (let i = 1; i < route.nodes.length; i++) {
      const e = edgeBetween(this.graph, route.nodes[i - 1], route.nodes[i])
      ms += e < 0 ? 0 : this.graph.timeMs[e]
      this.nodes.push(route.nodes[i])
      this.times.push(plan.time + ms / 1000)
    }
    const n = plan.stops.length
    this.stopAt = route.legs.map((_leg, k) => c + (k + 1 < n ? route.legs[k + 1].startIndex : route.nodes.length - 1))
    this.current = { ...plan, position: this.current.position, time: this.current.time }
  }

  /** Time the vehicle makes its last stop, or undefined when idle */
  finishTime (): number | undefined {
    return this.isIdle() ? undefined : this.times[this.times.length - 1]
  }

  /** What the vehicle has driven so far */
  record (): VehicleRecord {
    return {
      id: this.id,
      kmEmpty: this.metres.empty / 1000,
      kmOccupied: this.metres.occupied / 1000,
      passengerKm: this.metres.passenger / 1000,
      ridesServed: this.served
    }
  }
}
