import { readFile } from 'node:fs/promises'
import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'
import { SimulationError, WORKER_TOKEN_ENV, parseHostPort, runSimWorker } from '../../sim/index.js'

export const help = `
usage: hitch sim worker --connect HOST:PORT [--token-file FILE] [--host IP] [--map FILE]

One worker process of a multi-process libp2p simulation. \`hitch sim --network libp2p --workers K\`
spawns its workers itself; to run some of them on other hosts, start the coordinator with
\`--worker-listen 0.0.0.0:PORT --spawn-workers N\` (N < K): it prints its address and token and
waits for K - N workers started like this on the other hosts:

  HITCH_SIM_TOKEN=TOKEN hitch sim worker --connect COORDINATOR:PORT --host THIS-HOST-LAN-IP

The worker receives the scenario and its share of drivers and riders from the coordinator, runs
them as libp2p nodes listening on --host (which the other workers must be able to reach over
TCP), and sends its records back. The map must be the same file on every host (give its path on
this host with --map when it differs); the synthetic city needs nothing. Hosts should keep their
clocks in sync (NTP): the sped-up clocks of all workers are anchored to wall-clock time.

The worker and the coordinator prove to each other that they know the token (a challenge and
response: the token itself never crosses the network) before anything else is exchanged, and
each checks every message of the other. Give the token in the environment or a file rather
than with --token, which every user of the host sees in \`ps\`.

  --connect HOST:PORT  the coordinator's control address
  --token-file FILE    a file holding the coordinator's token (default: $${WORKER_TOKEN_ENV})
  --token TOKEN        the token itself (visible in ps: prefer the two above)
  --host IP            address the libp2p nodes listen on and announce (default: 127.0.0.1)
  --map FILE           this host's copy of the scenario's .osm.pbf map
`

interface WorkerFlags {
  connect?: string
  token?: string
  'token-file'?: string
  host?: string
  map?: string
}

export async function run (argv: string[]): Promise<number> {
  const { values, help: shown } = parseFlags<WorkerFlags>(argv, {
    connect: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
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
  if (values.token != null && values['token-file'] != null) throw new UsageError('give --token or --token-file, not both')
  const token = values['token-file'] != null ? await readTokenFile(values['token-file']) : values.token ?? process.env[WORKER_TOKEN_ENV]
  if (token == null || token === '') throw new UsageError(`hitch sim worker needs the coordinator's token: $${WORKER_TOKEN_ENV} or --token-file FILE`)
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

/** The token in `file`: its first line */
async function readTokenFile (file: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err: any) {
    throw new UsageError(`cannot read the token file ${file}: ${String(err?.code ?? err?.message ?? err)}`)
  }
  if (bytes.length > 4096) throw new UsageError(`the token file ${file} is larger than 4096 bytes`)
  return bytes.toString('utf8').split(/\r?\n/)[0]
}
