/**
 * `npm run bench -- abuse [--rides N] [--riders N] [--speedup N] [--floods a,b,...]`: a driver
 * under attack while it serves honest riders.
 *
 * - The driver is a `hitch drive --chain embedded` process (production settings: StrictSign,
 *   IP colocation on, the default limits), listening on 127.0.0.1 for the riders and on
 *   127.0.0.2 for the attacker, whose connections leave from 127.0.0.2: on a real network they
 *   would come from other addresses too.
 * - Honest riders run in this process, each ride as `hitch ride --data-dir` makes it: a real
 *   node with a fresh peer id that finds the driver, negotiates, opens or reuses (from the
 *   rider's LevelDB store) a payment channel on the driver's chain, pays as the car moves and
 *   signs the record.
 * - One attacking process (`abuse-attacker.ts`) runs each flood at its maximum rate in turn,
 *   for as long as the honest rides of the phase take.
 *
 * Each phase runs on a fresh driver and fresh riders. Per flood it prints what the attacker
 * sent, the honest rides completed, the driver's CPU (share of one core over the phase), its
 * RSS before, its peak RSS during the phase and its RSS after, and
 * whether the attacker ended graylisted (its valid request no longer quoted while a fresh
 * peer's is).
 */
import { fork, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chainAt, createHitchPeer } from '../node/index.js'
import { cellOf, cellTopic } from '../protocol/index.js'
import { parseAbuseArgs } from './abuse-protocol.js'
import type { AttackerCommand, AttackerReport, FloodName } from './abuse-protocol.js'
import type { RiderPeer } from '../node/index.js'
import type { ChildProcess } from 'node:child_process'

const HERE = dirname(fileURLToPath(import.meta.url))
/** the `hitch` the driver runs: HITCH_ABUSE_DRIVER_BIN measures another build (e.g. an older one) */
const HITCH = process.env.HITCH_ABUSE_DRIVER_BIN ?? join(HERE, '..', 'cli', 'hitch.js')
const ATTACKER = join(HERE, 'abuse-attacker.js')

/** The driver's place and the riders' trips, in the synthetic default city */
const AT = { lat: 40.750, lon: -73.980 }
const TRIPS = [
  { from: { lat: 40.749, lon: -73.992 }, to: { lat: 40.758, lon: -73.979 } },
  { from: { lat: 40.751, lon: -73.968 }, to: { lat: 40.741, lon: -73.981 } },
  { from: { lat: 40.758, lon: -73.979 }, to: { lat: 40.751, lon: -73.968 } },
  { from: { lat: 40.741, lon: -73.981 }, to: { lat: 40.749, lon: -73.992 } }
]

/**
 * How long an honest rider waits for a confirmed quote, ms. One 4-seat car serves four riders
 * asking at once: at times a rider must wait for a dropoff before its trip fits without delaying
 * those aboard (`would-delay-others`), and at 30 s (`hitch ride`'s default) such riders gave up.
 * A ride the car refuses after the reveal (its exact points do not fit) is still lost: the rider
 * does not take that driver again, and there is no other.
 */
const RIDE_TIMEOUT_MS = 90_000

/** A rider who takes one ride after another, each from a new process, as a person would */
interface HonestRider { dataDir: string, driverAddress: string, chainUrl: string }

interface Row {
  flood: string
  sent: number | undefined
  ridesOk: number
  rides: number
  cpuPct: number
  rssBeforeMb: number
  peakRssMb: number
  rssAfterMb: number
  graylisted: string
  note: string
}

/** utime + stime of a process, seconds */
function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[11], fields[12]: utime, stime in clock ticks (100 a second on Linux)
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** VmRSS or VmHWM of a process, MB */
function memoryMb (pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith(field)) ?? ''
  return Number(line.replace(/[^0-9]/g, '')) / 1024
}

/** Resets a process's peak RSS (VmHWM) to its current RSS */
function resetPeak (pid: number): void {
  try { writeFileSync(`/proc/${pid}/clear_refs`, '5') } catch {}
}

async function freePort (host: string): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, host, () => {
      const port = (s.address() as { port: number }).port
      s.close(() => { resolve(port) })
    }).on('error', reject)
  })
}

async function startDriver (dir: string, speedup: number): Promise<{ proc: ChildProcess, info: any, chainUrl: string }> {
  const [p1, p2] = [await freePort('127.0.0.1'), await freePort('127.0.0.2')]
  // e.g. HITCH_ABUSE_DRIVER_NODE_ARGS='--max-old-space-size=128' to see whether memory is bounded
  const nodeArgs = process.env.HITCH_ABUSE_DRIVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []
  const proc = spawn(process.execPath, [...nodeArgs, HITCH, 'drive', '--json', '--chain', 'embedded', '--data-dir', join(dir, 'driver'),
    '--listen', `/ip4/127.0.0.1/tcp/${p1}`, '--listen', `/ip4/127.0.0.2/tcp/${p2}`,
    '--at', `${AT.lat},${AT.lon}`, '--seats', '4', '--speedup', String(speedup)], {
    env: { ...process.env, HITCH_CACHE_DIR: join(dir, 'cache') },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const events: any[] = []
  createInterface({ input: proc.stdout! }).on('line', line => { try { events.push(JSON.parse(line)) } catch {} })
  const next = async (name: string): Promise<any> => {
    for (let i = 0; i < 1200; i++) {
      const e = events.find(e => e.event === name)
      if (e != null) return e
      if (proc.exitCode != null) throw new Error(`the driver exited (${proc.exitCode})`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    throw new Error(`no ${name} event from the driver`)
  }
  const info = await next('listening')
  const payments = await next('payments')
  if (payments.chainUrl == null) throw new Error('the driver did not host a chain')
  return { proc, info, chainUrl: payments.chainUrl }
}

/**
 * One ride as `hitch ride --data-dir DIR --chain URL` makes it: a fresh peer id for the ride
 * (a driver takes at most a few new requests from one requester in ten minutes, as probing), the
 * data dir's key as the payment identity, and its channel to the driver, kept in the rider's
 * LevelDB store, reused from the ride before.
 */
async function startRide (r: HonestRider): Promise<RiderPeer> {
  const peer = await createHitchPeer({
    dataDir: r.dataDir,
    peerKey: 'fresh',
    transport: 'tcp',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [r.driverAddress],
    dht: true,
    chain: chainAt(r.chainUrl),
    rider: {}
  })
  try {
    await peer.start()
    return peer
  } catch (err) {
    // what started stops again, or the next ride finds the store locked and the chain polled
    await peer.stop().catch(() => {})
    throw err
  }
}

async function stopRide (r: RiderPeer): Promise<void> {
  await r.stop().catch(() => {})
}

/** `total` rides over the riders, each rider one ride at a time; how many completed */
async function rides (riders: HonestRider[], total: number): Promise<number> {
  let next = 0
  let ok = 0
  await Promise.all(riders.map(async (r, k) => {
    while (next < total) {
      const i = next++
      const trip = TRIPS[(i + k) % TRIPS.length]
      let session: RiderPeer | undefined
      try {
        session = await startRide(r)
        await session.rider.requestRide({ ...trip, timeoutMs: RIDE_TIMEOUT_MS })
        ok++
      } catch (err: any) {
        process.stderr.write(`  ride ${i} failed: ${String(err?.message ?? err)}\n`)
      } finally {
        if (session != null) await stopRide(session)
      }
    }
  }))
  return ok
}

class Attacker {
  private readonly proc: ChildProcess
  private readonly reports: AttackerReport[] = []

  constructor () {
    this.proc = fork(ATTACKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.proc.on('message', (m: AttackerReport) => {
      if (m.event === 'error') process.stderr.write(`attacker: ${m.message}\n`)
      this.reports.push(m)
    })
  }

  send (cmd: AttackerCommand): void { this.proc.send(cmd) }

  /** The next report `event`; rejects on the attacker's next error report instead */
  async next<E extends AttackerReport['event']> (event: E, timeoutMs = 600_000): Promise<Extract<AttackerReport, { event: E }>> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const failed = this.reports.findIndex(r => r.event === 'error')
      if (failed >= 0) throw new Error((this.reports.splice(failed, 1)[0] as { message: string }).message.split('\n')[0])
      const i = this.reports.findIndex(r => r.event === event)
      if (i >= 0) return this.reports.splice(i, 1)[0] as Extract<AttackerReport, { event: E }>
      if (this.proc.exitCode != null) throw new Error('the attacker exited')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    throw new Error(`the attacker did not report ${event}`)
  }

  async exit (): Promise<void> {
    if (this.proc.exitCode == null) {
      const exited = new Promise(resolve => this.proc.once('exit', resolve))
      this.send({ cmd: 'exit' })
      await exited
    }
  }
}

export async function run (args: string[]): Promise<void> {
  let options
  try {
    options = parseAbuseArgs(args)
  } catch (err) {
    if (!(err instanceof RangeError)) throw err
    console.error(`bench abuse: ${err.message}`)
    process.exitCode = 2
    return
  }
  const { ridesPerPhase, riderCount, speedup, floods } = options
  const dir = await mkdtemp(join(tmpdir(), 'hitch-abuse-'))
  const rows: Row[] = []
  const attacker = new Attacker()
  try {
    await attacker.next('ready')
    console.log(`bench abuse: a fresh driver per phase (hitch drive --chain embedded, speed-up ${speedup}), ${riderCount} honest riders, ${ridesPerPhase} paid rides per phase`)
    for (const [i, flood] of [undefined, ...floods].entries()) {
      rows.push(await phase(join(dir, `phase-${i}`), flood, attacker, { ridesPerPhase, riderCount, speedup }))
    }
    console.log(table(rows))
  } finally {
    await attacker.exit().catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * One phase on a fresh driver and fresh riders, so that what a flood leaves behind (a backlog,
 * memory) is charged to that flood alone.
 */
async function phase (dir: string, flood: FloodName | undefined, attacker: Attacker, o: { ridesPerPhase: number, riderCount: number, speedup: number }): Promise<Row> {
  const name = flood ?? 'none (baseline)'
  const driver = await startDriver(dir, o.speedup)
  const riders: HonestRider[] = []
  try {
    const pid = driver.proc.pid!
    const addrs: string[] = driver.info.addrs
    const honestAddress = addrs.find(a => a.includes('/127.0.0.1/'))!
    const attackAddress = addrs.find(a => a.includes('/127.0.0.2/'))!
    const cell = cellOf(AT.lat, AT.lon)
    for (let i = 0; i < o.riderCount; i++) riders.push({ dataDir: join(dir, `rider-${i}`), driverAddress: honestAddress, chainUrl: driver.chainUrl })
    let note = ''
    if (flood != null) {
      attacker.send({ cmd: 'setup', driverAddress: attackAddress, driverPeerId: driver.info.peerId, topic: cellTopic(cell), cell, localAddress: '127.0.0.2' })
      await attacker.next('configured')
      process.stderr.write(`preparing ${flood}…\n`)
      attacker.send({ cmd: 'prepare', flood })
      try {
        await attacker.next('prepared')
      } catch (err: any) {
        note = `the attack could not start: ${String(err?.message ?? err)}`
        flood = undefined
      }
    }
    process.stderr.write(`${name}: running\n`)
    const rssBeforeMb = memoryMb(pid, 'VmRSS')
    resetPeak(pid)
    const cpu0 = cpuSeconds(pid)
    const t0 = performance.now()
    if (flood != null) attacker.send({ cmd: 'start' })
    const ok = await rides(riders, o.ridesPerPhase)
    let sent: number | undefined
    if (flood != null) {
      attacker.send({ cmd: 'stop' })
      const stopped = await attacker.next('stopped')
      sent = stopped.sent
      note = stopped.note
    }
    const seconds = (performance.now() - t0) / 1000
    const cpuPct = 100 * (cpuSeconds(pid) - cpu0) / seconds
    const peakRssMb = memoryMb(pid, 'VmHWM')
    let graylisted = '–'
    if (flood != null) {
      attacker.send({ cmd: 'probe' })
      const probe = await attacker.next('probe')
      graylisted = probe.graylisted == null ? 'n/a' : probe.graylisted ? 'yes' : 'no'
      if (probe.note !== '' && probe.note !== 'not probed') note = [note, probe.note].filter(Boolean).join('; ')
    } else {
      await new Promise(resolve => setTimeout(resolve, 2_000))
    }
    const rssAfterMb = memoryMb(pid, 'VmRSS')
    const row: Row = { flood: name, sent, ridesOk: ok, rides: o.ridesPerPhase, cpuPct, rssBeforeMb, peakRssMb, rssAfterMb, graylisted, note }
    process.stderr.write(`${JSON.stringify(row)}\n`)
    return row
  } finally {
    await stopDriver(driver.proc)
  }
}

async function stopDriver (proc: ChildProcess): Promise<void> {
  if (proc.exitCode != null || proc.signalCode != null) return
  const exited = new Promise(resolve => proc.once('exit', resolve))
  proc.kill('SIGTERM')
  // a driver buried under a backlog may not finish its shutdown: do not wait for ever
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, 20_000)
  await exited
  clearTimeout(timer)
}

function table (rows: Row[]): string {
  const head = ['flood', 'sent', 'honest rides', 'driver CPU', 'RSS before', 'peak RSS', 'RSS after', 'graylisted', 'note']
  const body = rows.map(r => [
    r.flood,
    r.sent == null ? '–' : r.sent.toLocaleString('en-US'),
    `${r.ridesOk}/${r.rides} (${(100 * r.ridesOk / r.rides).toFixed(0)} %)`,
    `${r.cpuPct.toFixed(0)} %`,
    `${r.rssBeforeMb.toFixed(0)} MB`,
    `${r.peakRssMb.toFixed(0)} MB`,
    `${r.rssAfterMb.toFixed(0)} MB`,
    r.graylisted,
    r.note
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`
  return [line(head), `|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n')
}
