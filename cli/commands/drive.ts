import { createHitchPeer, type ChainConnector, type DriverPeer } from '../../node/index.js'
import { openRoutedMap } from '../../node/map/index.js'
import { nodePrometheus, startMetricsServer, type MetricsServer } from '../../node/metrics/index.js'
import { parseHostPort } from '../../node/network/index.js'
import { DEFAULT_VEHICLE_SEATS, DRIVER_EVENTS, type DriverEvents } from '../../node/roles/index.js'
import { MAX_SEATS, MIN_SEATS } from '../../protocol/index.js'
import { CHAIN_FLAG_HELP, CHAIN_FLAG_OPTIONS, hostEmbeddedChain, nodeChain, reportChannelEvents, weiAsFare } from '../chain-flags.js'
import type { DevChain } from '../../settlement/index.js'
import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'
import { parseInteger, parseLatLon } from '../values.js'
import {
  NODE_FLAG_HELP, NODE_FLAG_OPTIONS, checkMultiaddrs, dataDirOf, formatCents, jsonLine, natOf, onShutdown, parseSpeedup,
  reportReachability, type NodeFlags
} from '../daemon.js'
import { identityOptionsOf } from '../passphrase.js'

export const help = `
usage: hitch drive [--map FILE] [--at LAT,LON] [--seats N] [--speedup N] [--chain URL] [--json]
                   [--metrics HOST:PORT] [--listen MULTIADDR…] [--bootstrap MULTIADDR…] [--data-dir DIR]
                   [--relay] [--no-nat] [--upnp] [--webrtc] [--announce MULTIADDR…]

A driver's headless daemon. It announces the car on the gossip topics of the
map cells around it, quotes on ride requests it can serve (insertion into its
plan, pooling riders when the plan allows), confirms accepts, drives its plan
along the road graph and sends trip updates, and signs a trip record with
each rider. Stops cleanly on SIGINT/SIGTERM (a second one forces the exit).

Quotes never say where in its map cell the car is: they are estimated from the
cell's centre and give whole minutes. A rider's exact points arrive only once
the driver has confirmed (committed); if they do not fit the plan within the
rider's limits, the driver cancels, and the rider is told so (and tries
another driver). Requests are checked at most 50 a
second, and at most 4 new ones per requester every 10 minutes.

With --chain, riders pay through payment channels: each rider's states are
countersigned as the car moves, a rider more than two steps (2 × 250 m of its
fare) behind is dropped (its ride cancelled, its channel closed), and the
daemon watches the chain: it answers a stale close with the latest state and
finalizes pending closes after the challenge period. Without --chain, rides
are not paid.

  --at LAT,LON          where the car is (default: the middle of the map)
  --seats N             passenger seats, ${MIN_SEATS}..${MAX_SEATS} (default: ${DEFAULT_VEHICLE_SEATS})
  --speedup N           the car drives N times faster than the road graph's speeds (default: 1)
  --metrics HOST:PORT   serve Prometheus metrics at http://HOST:PORT/metrics: libp2p's
                        (connections, streams) and Hitch's (hitch_quotes_sent_total,
                        hitch_match_latency_seconds, hitch_rides_total, …); port 0 picks
                        one (default: off)
  --relay               also serve as a relay for private nodes (a driver with a public
                        address; see hitch relay --help for the limits)
  --json                one JSON event per line on stdout; the first is
                        {"event":"listening","peerId":…,"address":…,"addrs":[…]}; then
                        {"event":"reachability","status":"public"|"relayed"|"private",…}
                        whenever it changes, and {"event":"direct",…} after a hole punch${CHAIN_FLAG_HELP}
                        embedded: host the chain in this daemon (an in-process EVM served on
                        127.0.0.1); it prints the URL riders pass as their --chain${NODE_FLAG_HELP}
`

interface DriveFlags extends NodeFlags {
  chain?: string
  at?: string
  seats?: string
  speedup?: string
  metrics?: string
  json?: boolean
  relay?: boolean
}

/** The address a local rider would bootstrap from: loopback first, then the rest. */
function preferredAddress (addrs: string[]): string | undefined {
  return addrs.find(a => a.startsWith('/ip4/127.0.0.1/')) ?? addrs[0]
}

function describe<K extends keyof DriverEvents> (type: K, d: DriverEvents[K]): string | undefined {
  const e = d as any
  switch (type) {
    case 'offer': return undefined // every few seconds: too chatty for a terminal
    case 'request': return `ride request ${e.requestId} from ${short(e.rider)}: cell ${e.pickupCell} → ${e.dropoffCell}, ${e.seats} seat(s)`
    case 'quote': return `quoted ${formatCents(e.price)} to ${short(e.rider)}, pickup in about ${e.pickupMinutes} min (estimated from this car's cell)${e.pooled ? ' (pooled)' : ''}`
    case 'confirmed': return `confirmed ride ${e.requestId} for ${short(e.rider)} at ${formatCents(e.price)}; waiting for its exact points`
    case 'revealed': return `ride ${e.requestId}: exact points fitted, pickup in ${Math.round(e.exactPickupS / 60)} min (quoted ${e.quotedPickupMinutes})${e.riderAddress != null ? `, rider ${String(e.riderAddress)}` : ''}`
    case 'declined': return `declined ride ${e.requestId} of ${short(e.rider)}: ${e.reason}`
    case 'pickup': return `picked up ${short(e.rider)}`
    case 'position': return `at ${e.lat.toFixed(5)},${e.lon.toFixed(5)}, ${e.onboard} aboard, ${e.stops} stop(s) left, ${(e.odometerM / 1000).toFixed(1)} km driven`
    case 'dropoff': return `dropped off ${short(e.rider)} after ${(e.distanceM / 1000).toFixed(2)} km, fare ${formatCents(e.fare)}`
    case 'trip-record': return `trip record of ride ${e.requestId} signed by both and stored${e.record?.header?.amountPaid != null ? `, paid through channel ${String(e.record.header.channelId)}` : ''}`
    case 'cancelled': return `cancelled ride ${e.requestId} of ${short(e.rider)}: ${e.reason}`
    case 'error': return `error${e.requestId != null ? ` (ride ${e.requestId})` : ''}: ${e.error?.message ?? e.error}`
    default: return undefined
  }
}

function short (peerId: string): string {
  return peerId.length > 12 ? `${peerId.slice(0, 6)}…${peerId.slice(-4)}` : peerId
}

/** `hitch drive`. */
export async function run (argv: string[]): Promise<number> {
  const { values: flags, help: shown } = parseFlags<DriveFlags>(argv, {
    ...NODE_FLAG_OPTIONS,
    ...CHAIN_FLAG_OPTIONS,
    at: { type: 'string' },
    seats: { type: 'string' },
    speedup: { type: 'string' },
    metrics: { type: 'string' },
    json: { type: 'boolean' },
    relay: { type: 'boolean' }
  }, help)
  if (shown) return 0
  const seats = flags.seats != null ? parseInteger(flags.seats, '--seats', MIN_SEATS, MAX_SEATS) : DEFAULT_VEHICLE_SEATS
  const speedUp = parseSpeedup(flags.speedup)
  const at = flags.at != null ? parseLatLon(flags.at, '--at') : undefined
  const json = flags.json === true
  const out = (line: string): void => { process.stdout.write(line) }
  let metricsAt: { host: string, port: number } | undefined
  if (flags.metrics != null) {
    try {
      metricsAt = parseHostPort(flags.metrics)
    } catch {
      throw new UsageError(`--metrics: expected HOST:PORT (e.g. 127.0.0.1:9464), got "${flags.metrics}"`)
    }
  }
  const prometheus = metricsAt != null ? nodePrometheus() : undefined
  const nat = natOf(flags, flags.relay === true ? true : undefined)

  const map = await openRoutedMap(flags.map)
  const { graph } = map
  const position = at ?? {
    lat: (graph.meta.bbox.minLat + graph.meta.bbox.maxLat) / 2,
    lon: (graph.meta.bbox.minLon + graph.meta.bbox.maxLon) / 2
  }
  if (map.snap(position.lat, position.lon) == null) {
    throw new UsageError(`--at ${position.lat},${position.lon} is off the map (no road within ${map.maxSnapDistanceM} m)`, 1)
  }
  let chain: { connect: ChainConnector, dev?: DevChain } | undefined
  if (flags.chain != null) chain = flags.chain === 'embedded' ? await hostEmbeddedChain() : { connect: nodeChain(flags.chain) }
  let peer: DriverPeer
  try {
    peer = await createHitchPeer({
      ...(prometheus != null ? { metrics: prometheus.metrics } : {}),
      dataDir: dataDirOf(flags, 'driver'),
      identity: identityOptionsOf(flags),
      transport: 'tcp',
      listen: flags.listen,
      bootstrap: checkMultiaddrs(flags.bootstrap, '--bootstrap'),
      mdns: flags.mdns === true,
      nat,
      map,
      ...(chain != null ? { chain: chain.connect } : {}),
      driver: { position, seats, driveSpeedUp: speedUp }
    })
  } catch (err) {
    await chain?.dev?.stop().catch(() => {})
    throw err
  }
  const { node, driver, payments, channels } = peer
  const dev = chain?.dev
  if (channels != null) reportChannelEvents(channels, json, out)
  if (payments != null) {
    payments.on('paid', e => {
      if (json) out(jsonLine({ event: 'paid', ...e }))
      else if (e.final) out(`${new Date().toISOString().slice(11, 19)} ride ${e.requestId} paid in full: ${weiAsFare(e.rideWei)}\n`)
    })
    payments.on('non-payment', e => {
      if (json) out(jsonLine({ event: 'non-payment', ...e }))
      else out(`${new Date().toISOString().slice(11, 19)} rider ${short(e.rider)} stopped paying (owes ${weiAsFare(e.arrearsWei)}): dropping ride ${e.requestId}\n`)
    })
    payments.on('error', e => { out(json ? jsonLine({ event: 'error', requestId: e.requestId, error: e.error.message }) : `error: ${e.error.message}\n`) })
  }
  let reachability: ReturnType<typeof reportReachability> | undefined = undefined
  driver.onAny(DRIVER_EVENTS, (type, detail) => {
    if (type === 'listening') return // printed once below, with the addresses
    if (json) {
      const d: any = { ...detail }
      if (type === 'error') d.error = (detail as any).error?.message ?? String((detail as any).error)
      out(jsonLine({ event: type, ...d }))
    } else {
      let text = describe(type, detail)
      // the periodic status line says how riders reach this car
      const reach = type === 'position' ? reachability?.current() : undefined
      if (text != null && reach != null) text += `; reachability: ${reach}`
      if (text != null) out(`${new Date().toISOString().slice(11, 19)} ${text}\n`)
    }
  })
  let metricsServer: MetricsServer | undefined
  const stopAll = async (): Promise<void> => {
    reachability?.dispose()
    await metricsServer?.stop()
    await peer.stop()
    await dev?.stop()
  }
  const shutdown = onShutdown(stopAll)
  try {
    if (prometheus != null && metricsAt != null) metricsServer = await startMetricsServer({ registry: prometheus.registry, ...metricsAt })
    await peer.start()
  } catch (err) {
    shutdown.dispose()
    await stopAll().catch(() => {})
    throw err
  }
  const addrs = node.addresses()
  if (json) {
    out(jsonLine({ event: 'listening', peerId: node.peerId, address: preferredAddress(addrs), addrs, ethAddress: node.ethAddress, seats, position: driver.position, map: graph.meta.source }))
    out(jsonLine(peer.chain != null
      ? { event: 'payments', enabled: true, chainId: peer.chain.chainId, adjudicator: peer.chain.adjudicator, challengePeriodS: peer.chain.challengePeriodS, ...(dev != null ? { chainUrl: dev.url } : {}) }
      : { event: 'payments', enabled: false }))
    if (metricsServer != null) out(jsonLine({ event: 'metrics', url: metricsServer.url }))
  } else {
    out(`driving on ${graph.meta.source} with ${seats} seat(s) at ${driver.position.lat.toFixed(5)},${driver.position.lon.toFixed(5)}\n`)
    out(`peer id ${node.peerId}\n`)
    out(`riders can bootstrap from:\n${addrs.map(a => `  ${a}`).join('\n')}\n`)
    out(peer.chain != null
      ? `payments: channels on chain ${peer.chain.chainId}, adjudicator ${peer.chain.adjudicator}, account ${node.ethAddress}\n${dev != null ? `chain hosted here: riders pay with --chain ${dev.url}\n` : ''}`
      : 'payments: off (no --chain): rides are not paid\n')
    if (metricsServer != null) out(`metrics: ${metricsServer.url}\n`)
    if (flags.relay === true) out('serving as a relay for private nodes\n')
    out('Ctrl+C stops.\n')
  }
  reachability = reportReachability(node.network, json, out)
  const signal = await shutdown.stopped
  shutdown.dispose()
  if (json) out(jsonLine({ event: 'stopped', signal }))
  else out(`stopped (${signal})\n`)
  return 0
}
