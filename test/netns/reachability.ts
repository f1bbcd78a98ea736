import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildProcess } from 'node:child_process'
import { followJsonLines } from '../fixtures/run-cli.js'
import type { Site, Topology } from './topology.js'

const HERE = fileURLToPath(import.meta.url)

/** The argv that runs probe.ts (compiled, or under tsx). */
function probeArgv (): string[] {
  return HERE.endsWith('.js')
    ? [resolve(dirname(HERE), 'probe.js')]
    : ['--import=tsx', resolve(dirname(HERE), 'probe.ts')]
}

/** A TCP listener inside a namespace: its port, and the remote address of every connection it accepted. */
export interface ProbeListener {
  port: number
  /** the remote IPs of the connections so far, in the order they came */
  accepted: () => string[]
  child: ChildProcess
}

/** Listens on `host` (all addresses by default) inside `site`. */
export async function listenIn (topology: Topology, site: Site, host = '0.0.0.0'): Promise<ProbeListener> {
  const child = topology.spawn(site, process.execPath, [...probeArgv(), 'listen', host, '0'])
  const lines = followJsonLines(child)
  const accepted = (): string[] => lines.events.filter(e => e.event === 'accepted').map(e => e.remote as string)
  const { port } = await lines.next(e => e.event === 'listening', `a probe listening in ${site}`, 10_000)
  return { port, accepted, child }
}

/** What a connection attempt from inside a namespace got. */
export interface ConnectResult { ok: boolean, code?: string }

/**
 * Opens a TCP connection from inside `site` to `host:port`; a connection that is neither made nor
 * refused within `timeoutMs` (a dropped SYN) is `ETIMEDOUT`.
 * @param timeoutMs - @default 1500
 */
export async function connectFrom (topology: Topology, site: Site, host: string, port: number, timeoutMs = 1500): Promise<ConnectResult> {
  const res = await topology.run(site, process.execPath, [...probeArgv(), 'connect', host, String(port), String(timeoutMs)], timeoutMs + 10_000)
  const line = res.stdout.trim().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(line) as ConnectResult
  } catch {
    return { ok: false, code: `probe failed (exit ${res.code}): ${res.stderr.trim()}` }
  }
}
