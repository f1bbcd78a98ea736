/**
 * @packageDocumentation
 *
 * The researchers' simulator: many Hitch peers on a real road network with
 * real trip demand, measured beside a centralized dispatcher on the same
 * demand. Scenarios, demand, a discrete-event world (scheduler, virtual
 * clock, simulated `Network`), the centralized baseline, the decentralized
 * run of the real roles, metrics and the report.
 */
export {
  SCENARIO_FIELDS, DEFAULT_SCENARIO, defaultScenario, resolveScenario, loadScenario, applyFlags,
  scenarioFlagOptions, scenarioFlagHelp, getScenarioField, parseDurationMs
} from './scenario.js'
export type {
  Scenario, ScenarioInput, ScenarioField, ScenarioFlags, CityOptions, DemandOptions, NetworkOptions, NetworkMode, SimTransport, SimKeyType
} from './scenario.js'
export {
  buildDemand, loadTrips, parseTripsCsv, loadHourlyProfile, parseHourlyProfile, requestTimes, syntheticTrips
} from './demand.js'
export type { Demand, DemandStats, DemandMap, TripRequest, RawTrip, ParsedTrips, BuildDemandOptions } from './demand.js'
export { EventScheduler, VirtualClock } from './event-scheduler.js'
export type { EventHandle, VirtualClockInit } from './event-scheduler.js'
export {
  SimulatedWorld, SimulatedNetwork, DEFAULT_SIM_LATENCY_MS, DEFAULT_SIM_JITTER_MS, DEFAULT_SIM_BANDWIDTH_BPS, DEFAULT_SIM_LOOKUP_MS
} from './simulated-network.js'
export type { LinkModel, SimulatedWorldInit, WorldStats } from './simulated-network.js'
export { Vehicle, initialPositions } from './vehicle.js'
export { runCentralized, initialRecords, DEFAULT_BATCH_S, DEFAULT_DRAIN_S } from './centralized.js'
export type { CentralizedOptions, RunOptions, RunProgress, DispatchMap } from './centralized.js'
export { DecentralizedRun, simulatedRoleTimings } from './decentralized.js'
export { SIM_EPOCH_MS, anchoredClock, simZero } from './share.js'
export type { ShareDriver, ShareResult, ShareStatus, RiderOutcome, DriverTrip, SimTimeBase } from './share.js'
export type { DecentralizedInit } from './decentralized.js'
export type { RequestRecord, RequestStatus, VehicleRecord, NodeNetworkRecord, PaymentRecord, RunRecords } from './records.js'
export { computeMetrics, distribution } from './metrics.js'
export type { RunMetrics, Distribution, PerNodeTraffic, MetricsOptions } from './metrics.js'
export { runSimulation, hitchVersion } from './runner.js'
export { runLibp2p, hitchCommand, WORKER_STEP_TIMEOUT_MS } from './libp2p-run.js'
export type { Libp2pRunOptions, Libp2pRunInit } from './libp2p-run.js'
export { Fleet, simPeerKey, simPeerIdKey, checkPeerKeyType, NODE_PEER_KEY_TYPES, driverRole } from './fleet.js'
export type { FleetInit, FleetStatus, NodePeerKey, PeerFactory, PeerNodeOptions, PeerRole } from './fleet.js'
export { mergeShares } from './merge.js'
export { PeerShare, BOOTSTRAP_PER_SHARE } from './libp2p-peers.js'
export type { PeerShareInit } from './libp2p-peers.js'
export {
  simLibp2pOptions, simRoleTimings, SIM_REAL_TIMINGS_MS, SIM_GOSSIP_HEARTBEAT_MS, SIM_DHT_QUERY_SELF_INTERVAL_MS, SIM_IO_TIMEOUT_MS
} from './libp2p-tuning.js'
export type { ScaledRoleTimings, SimRoleTimings } from './libp2p-tuning.js'
export { runSimWorker, DEFAULT_WORKER_STATUS_INTERVAL_MS } from './worker.js'
export type { SimWorkerInit } from './worker.js'
export { WORKER_PROTOCOL_VERSION, WORKER_TOKEN_ENV, parseHostPort } from './worker-protocol.js'
export type { WorkerMessage, CoordinatorMessage } from './worker-protocol.js'
export type { SimulationOptions, SimulationResults, SimulationOutput, RunKind } from './runner.js'
export { RUN_INVARIANTS, checkInvariants, channelMoney } from './invariants.js'
export type { RunInvariant, InvariantResult } from './invariants.js'
export type { ChannelMoney, RecordFacts } from './records.js'
export { ScenarioError, DemandError, SimulatedNetworkError, SimulationError } from './errors.js'
export type { SimErrorCode } from './errors.js'
export { DilatingClock, DEFAULT_MAX_LAG_SIM_MS, PROCESS_REAL_TIME } from './dilating-clock.js'
export type { DilatingClockInit, DilationReport, RealTime } from './dilating-clock.js'
export { enableKeyParseCache } from './key-cache.js'
