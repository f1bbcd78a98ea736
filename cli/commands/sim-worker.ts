import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'
import { SimulationError, WORKER_TOKEN_ENV, parseHostPort, runSimWorker } from '../../sim/index.js'

export const help = `
usage: hitch sim worker --connect HOST:PORT [--token TOKEN] [--host IP] [--map FILE]

One worker process of a multi-process libp2p simulation. \`hitch sim --network libp2p --workers K\`
spawns its workers itself; to run some of them on other hosts, start the coordinator with
\`--worker-listen 0.0.0.0:PORT --spawn-workers N\` (N < K): it prints its address and token and
waits for K - N workers started like this on the other hosts:

  hitch sim worker --connect COORDINATOR:PORT --token TOKEN --host THIS-HOST-LAN-IP

The worker receives the scenario and its share of drivers and riders from the coordinator, runs
them as libp2p nodes listening on --host (which the other workers must be able to reach over
TCP), and sends its records back. The map must be the same file on every host (give its path on
this host with --map when it differs); the synthetic city needs nothing. Hosts should keep their
clocks in sync (NTP): the sped-up clocks of all workers are anchored to wall-clock time.

  --connect HOST:PORT  the coordinator's control address
  --token TOKEN        the coordinator's token (default: $${WORKER_TOKEN_ENV})
  --host IP            address the libp2p nodes listen on and announce (default: 127.0.0.1)
  --map FILE           this host's copy of the scenario's .osm.pbf map
`

interface WorkerFlags {
  connect?: string
  token?: string
  host?: string
  map?: string
}

export async function run (argv: string[]): Promise<number> {
  const { values, help: shown } = parseFlags<WorkerFlags>(argv, {
    connect: { type: 'string' },
    token: { type: 'string' },
    host: { type: 'string' },
    map: { type: 'string' }
  }, help)
  if (shown) return 0
  if (values.connect == null) throw new UsageError('hitch sim worker needs --connect HOST:PORT (see --help)')
  try {
    parseHostPort(values.connect)
  } catch (err: any) {
    throw new UsageError(`--connect: ${String(err.message)}`)
  }
  const token = values.token ?? process.env[WORKER_TOKEN_ENV]
  if (token == null || token === '') throw new UsageError(`hitch sim worker needs --token (or $${WORKER_TOKEN_ENV})`)
  const controller = new AbortController()
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130)
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    await runSimWorker({ connect: values.connect, token, host: values.host, map: values.map, signal: controller.signal })
    return 0
  } catch (err) {
    if (err instanceof SimulationError) {
      process.stderr.write(`hitch sim worker: ${err.message}\n`)
      return 1
    }
    throw err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
