#!/usr/bin/env node
/**
 * The `hitch` command: one entry point, one module per subcommand.
 * Every subcommand module exports `run(argv): Promise<number>` (the exit code).
 */
import { UsageError } from './errors.js'

type Load = () => Promise<{ run: (argv: string[]) => Promise<number> }>

interface Command {
  summary: string
  load: Load
  /** subcommands with a module of their own (`hitch sim worker`) */
  sub?: Record<string, Load>
}

const COMMANDS: Record<string, Command> = {
  route: { summary: 'shortest route between two points on a road map', load: async () => await import('./commands/route.js') },
  drive: { summary: "a driver's daemon: quote, confirm, drive and sign rides", load: async () => await import('./commands/drive.js') },
  relay: { summary: 'a public relay and bootstrap node for peers behind NATs', load: async () => await import('./commands/relay.js') },
  ride: { summary: 'ask for a ride, pick a quote, follow the trip, get the signed record', load: async () => await import('./commands/ride.js') },
  id: { summary: "print this node's peer id and Ethereum address", load: async () => await import('./commands/id.js') },
  receipt: { summary: 'verify a signed trip record', load: async () => await import('./commands/receipt.js') },
  chain: { summary: 'a local development chain with the adjudicator deployed', load: async () => await import('./commands/chain.js') },
  channels: { summary: "list this node's payment channels, or close one", load: async () => await import('./commands/channels.js') },
  sim: { summary: 'many peers on a road network with trip demand, beside a centralized dispatcher', load: async () => await import('./commands/sim.js'), sub: { worker: async () => await import('./commands/sim-worker.js') } }
}

function usage (): string {
  const width = Math.max(...Object.keys(COMMANDS).map(k => k.length))
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  return [
    'hitch: peer-to-peer ride sharing',
    '',
    'usage: hitch <command> [options]     (hitch <command> --help for its options)',
    '',
    'commands:',
    ...lines
  ].join('\n')
}

async function main (argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name == null || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n')
    return name == null ? 2 : 0
  }
  if (name === '--version') {
    const { createRequire } = await import('node:module')
    const pkg = createRequire(import.meta.url)('../../package.json')
    process.stdout.write(`${String(pkg.version)}\n`)
    return 0
  }
  const command = COMMANDS[name]
  if (command == null) throw new UsageError(`unknown command "${name}" (see hitch --help)`)
  const sub = rest[0] != null ? command.sub?.[rest[0]] : undefined
  if (sub != null) return await (await sub()).run(rest.slice(1))
  const mod = await command.load()
  return await mod.run(rest)
}

// A closed pipe (`hitch route … | head`) is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0)
  throw err
})

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (err: any) {
  // One line, never a stack trace, unless asked for with HITCH_DEBUG=1.
  const message = err instanceof Error ? err.message : String(err)
  process.stderr.write(`hitch: ${message.split('\n')[0]}\n`)
  if (process.env.HITCH_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`)
  process.exitCode = err instanceof UsageError ? err.exitCode : 1
}
