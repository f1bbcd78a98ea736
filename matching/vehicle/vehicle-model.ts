import { InvalidParametersError } from '@libp2p/interface'
import { lightestEdge } from '../graph/lightest-edge.js'
import { completeNextStop, planRoute } from '../insertion/plan.js'
import type { RoadGraph } from '../graph/road-graph.js'
import type { RouteSource, ServedStop, VehiclePlan } from '../insertion/plan.js'

/** Options of {@link VehicleModel}. */
export interface VehicleModelInit {
  graph: RoadGraph
  router: RouteSource
  /** the vertex the car starts at */
  position: number
  /** passenger seats */
  capacity: number
  /** the time the car is at `position`, seconds */
  time: number
  /** the car drives this many times faster than the graph's travel times. @default 1 */
  speedUp?: number
}

/** One edge the car drove. */
export interface DrivenEdge {
  from: number
  to: number
  /** the edge's index in the graph, -1 when the graph has none (then 0 m) */
  edge: number
  metres: number
  /** when the car reached `to`, seconds */
  time: number
}

/** Metres a car drove, by what it carried. */
export interface Odometer {
  /** with nobody aboard */
  emptyM: number
  /** with at least one rider aboard */
  occupiedM: number
  /** summed over metres of the seats occupied */
  passengerM: number
}

/**
 * A car moving along the road path of its plan in time, edge by edge at the graph's speeds
 * (of parallel edges the one a fastest route uses, {@link lightestEdge}), making its stops on
 * the way and counting the metres it drives. Pure: the time is always passed in; the
 * simulated fleet advances it to event times, the driver's car to its clock.
 *
 * Between vertices the car is committed to its edge: {@link planAt} reports it at the next
 * vertex it reaches, at the time it gets there, which is where a new plan can start from.
 */
export class VehicleModel {
  readonly capacity: number
  private readonly graph: RoadGraph
  private readonly router: RouteSource
  private readonly speedUp: number
  private current: VehiclePlan
  /** Path from the first vertex still relevant; `times[i]` is the arrival at `nodes[i]`, seconds */
  private nodes: number[]
  private times: number[]
  /** Path index where each remaining stop is made */
  private stopAt: number[] = []
  /** Index of the last vertex reached */
  private cursor = 0
  private readonly metres: Odometer = { emptyM: 0, occupiedM: 0, passengerM: 0 }

  constructor (init: VehicleModelInit) {
    this.capacity = init.capacity
    this.graph = init.graph
    this.router = init.router
    this.speedUp = init.speedUp ?? 1
    this.current = { position: init.position, time: init.time, capacity: init.capacity, onboard: 0, stops: [] }
    this.nodes = [init.position]
    this.times = [init.time]
  }

  /** The remaining stops and seats aboard (position and time: of the last stop made) */
  get plan (): VehiclePlan {
    return this.current
  }

  /** True when the car has no stop left */
  isIdle (): boolean {
    return this.current.stops.length === 0
  }

  /** The last vertex the car reached */
  position (): number {
    return this.nodes[this.cursor]
  }

  /** When the car reaches the next vertex of its path, seconds; undefined at its end */
  nextArrival (): number | undefined {
    return this.cursor + 1 < this.nodes.length ? this.times[this.cursor + 1] : undefined
  }

  /** Metres driven so far, by what the car carried */
  odometer (): Odometer {
    return { ...this.metres }
  }

  /**
   * Drives along the path until `time` (seconds): every edge finished by then is counted and
   * every stop reached is made, in order.
   */
  advanceTo (time: number): ServedStop[] {
    const out = this.stopsHere()
    while (this.cursor + 1 < this.nodes.length && this.times[this.cursor + 1] <= time) {
      this.driveEdge()
      out.push(...this.stopsHere())
    }
    return out
  }

  /** Makes the stops due at the last vertex reached, in order. */
  stopsHere (): ServedStop[] {
    const out: ServedStop[] = []
    while (this.stopAt.length > 0 && this.stopAt[0] === this.cursor) {
      this.stopAt.shift()
      const { plan, served } = completeNextStop(this.current, this.times[this.cursor])
      this.current = plan
      out.push(served)
    }
    if (this.isIdle() && this.cursor === this.nodes.length - 1) {
      // forget the driven path; an idle car waits at its last vertex
      this.nodes = [this.nodes[this.cursor]]
      this.times = [this.times[this.cursor]]
      this.cursor = 0
    }
    return out
  }

  /** The next edge of the path, which the car drives in `ms` (at its speed-up); undefined at the end of the path. */
  nextEdge (): Omit<DrivenEdge, 'time'> & { ms: number } | undefined {
    if (this.cursor + 1 >= this.nodes.length) return undefined
    const from = this.nodes[this.cursor]
    const to = this.nodes[this.cursor + 1]
    const edge = lightestEdge(this.graph, from, to)
    return { from, to, edge, metres: edge < 0 ? 0 : this.graph.distCm[edge] / 100, ms: edge < 0 ? 0 : this.graph.timeMs[edge] / this.speedUp }
  }

  /** Drives the next edge of the path (its stops are {@link stopsHere}'s); undefined at the end of the path. */
  driveEdge (): DrivenEdge | undefined {
    const next = this.nextEdge()
    if (next == null) return undefined
    const m = next.metres
    if (this.current.onboard === 0) this.metres.emptyM += m
    else this.metres.occupiedM += m
    this.metres.passengerM += m * this.current.onboard
    this.cursor++
    return { from: next.from, to: next.to, edge: next.edge, metres: m, time: this.times[this.cursor] }
  }

  /**
   * The car is at its last vertex at `time`, later or sooner than the path said (the driver's
   * car runs on a clock that does not wait for it): the rest of its path is shifted to start then.
   */
  retime (time: number): void {
    const shift = time - this.times[this.cursor]
    if (shift === 0) return
    for (let i = this.cursor; i < this.times.length; i++) this.times[i] += shift
  }

  /**
   * The plan a new ride is inserted into at `time` (call {@link advanceTo} first): at the next
   * vertex the car reaches and the time it gets there, or where it waits at `time` when idle.
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
   * Adopts a plan made from {@link planAt} (same position; its time and seats aboard are
   * taken): the path up to that vertex is kept, the road path through the new stops follows it.
   *
   * @throws InvalidPlanError if a stop cannot be reached
   */
  setPlan (plan: VehiclePlan): void {
    const c = this.commitIndex()
    if (plan.position !== this.nodes[c]) throw new InvalidParametersError(`plan starts at ${plan.position}, the vehicle is committed to ${this.nodes[c]}`)
    const route = planRoute(plan, this.router)
    // keep the path from the last vertex reached to the one committed to
    this.nodes = this.nodes.slice(this.cursor, c + 1)
    this.times = this.times.slice(this.cursor, c + 1)
    const c0 = c - this.cursor
    this.cursor = 0
    this.times[c0] = plan.time
    let ms = 0
    for (let i = 1; i < route.nodes.length; i++) {
      const e = lightestEdge(this.graph, route.nodes[i - 1], route.nodes[i])
      ms += e < 0 ? 0 : this.graph.timeMs[e]
      this.nodes.push(route.nodes[i])
      this.times.push(plan.time + ms / this.speedUp / 1000)
    }
    const n = plan.stops.length
    this.stopAt = route.legs.map((_leg, k) => c0 + (k + 1 < n ? route.legs[k + 1].startIndex : route.nodes.length - 1))
    this.current = { ...plan, position: this.current.position, time: this.current.time }
  }

  /** Time the car makes its last stop, or undefined when idle */
  finishTime (): number | undefined {
    return this.isIdle() ? undefined : this.times[this.times.length - 1]
  }
}
