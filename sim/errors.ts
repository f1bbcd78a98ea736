/** Every code a simulator error can carry */
export type SimErrorCode =
  | 'ERR_SCENARIO'
  | 'ERR_DEMAND'
  | 'ERR_SIM_NETWORK'
  | 'ERR_SIMULATION'

/**
 * A scenario file or flag is invalid: an unknown key, a value of the wrong
 * type or out of range. `field` names it (`network.latencyMs`, `--drivers`).
 */
export class ScenarioError extends Error {
  static readonly code = 'ERR_SCENARIO'
  readonly code = ScenarioError.code
  override name = 'ScenarioError'
  /** The scenario field (dotted path) or flag at fault */
  readonly field: string

  constructor (field: string, message: string, options?: { cause?: unknown }) {
    super(`${field}: ${message}`, options)
    this.field = field
  }
}

/** Demand could not be built: a file is unreadable or yields no usable trip */
export class DemandError extends Error {
  static readonly code = 'ERR_DEMAND'
  readonly code = DemandError.code
  override name = 'DemandError'
}

/** The simulated network was misused (e.g. a duplicate peer id in one world) */
export class SimulatedNetworkError extends Error {
  static readonly code = 'ERR_SIM_NETWORK'
  readonly code = SimulatedNetworkError.code
  override name = 'SimulatedNetworkError'
}

/** A simulation run failed or was aborted */
export class SimulationError extends Error {
  static readonly code = 'ERR_SIMULATION'
  readonly code = SimulationError.code
  override name = 'SimulationError'
}
