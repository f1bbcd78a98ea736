import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants as fsConstants } from 'node:fs'
import { constants } from 'node:os'
import { randomBytes } from 'node:crypto'
import { delimiter, join } from 'node:path'
import { hitchArgv } from '../fixtures/run-cli.js'
import { PROJECT_ROOT } from '../fixtures/shared-data.js'

/**
 * A small "internet" built from Linux network namespaces on one machine, for testing Hitch behind
 * NAT with real processes. Nothing in it is connected to the host's own network: every veth pair
 * has both ends inside the topology's namespaces, and no namespace has a route out of them.
 *
 * ```
 *                         pub  (the public internet: 11.77.0.1 on lo, the relay and the chain)
 *          11.77.1.0/24 /  | 11.77.2.0/24    \ 11.77.3.0/24
 *                   natA   natB               natC   (carrier-grade NAT, masquerades to 11.77.3.2)
 *     192.168.1.0/24 |      | 192.168.2.0/24   /  \  100.64.1.0/24, 100.64.2.0/24
 *                   drvA   ridB             natD   natE   (home routers behind the carrier's NAT)
 *                                192.168.4.0/24 |    | 192.168.5.0/24
 *                                             drvD   ridE
 * ```
 *
 * - `pub` routes between its links (it is the internet between the NATs' public addresses) and
 *   holds 11.77.0.1, where public services listen. Its addresses are public ones (11.0.0.0/8 is
 *   assigned but not announced on the internet) because libp2p treats 10/8, 100.64/10 and the
 *   documentation ranges as private: AutoNAT and DCUtR would never see a public address there.
 *   They never meet the real 11/8: no namespace has a route to the host's network.
 * - Each `nat*` masquerades what leaves its WAN (`iptables -t nat -A POSTROUTING -o wan -j
 *   MASQUERADE`, ip_forward on) and, like a home router, drops what arrives on the WAN that does not
 *   belong to a connection opened from inside (conntrack ESTABLISHED,RELATED): nothing from `pub`
 *   or from another NAT's network can open a connection to a private host.
 * - The double NAT: driver `drvD` and rider `ridE` are both behind one carrier-grade NAT (`natC`),
 *   each behind its own home router (`natD`, `natE`) on the carrier's private network (100.64/10,
 *   RFC 6598). So traffic from either leaves the topology's edge as 11.77.3.2, translated twice.
 *   Two hosts behind the same double NAT still cannot reach each other directly: their home
 *   routers drop unsolicited connections, and `natC` does no hairpinning.
 *
 * Names are `hitch-<pid>-<rand>-<site>`: namespaces of a run whose process is gone are stale and
 * deleted by the next `buildTopology`; a run deletes its own in `destroy()` and, failing that, on
 * exit, SIGINT or SIGTERM.
 */

/** The namespaces of the topology. */
export const SITES = ['pub', 'natA', 'drvA', 'natB', 'ridB', 'natC', 'natD', 'drvD', 'natE', 'ridE'] as const
export type Site = typeof SITES[number]

/** One veth pair: each end's namespace, interface name and address with its prefix length. */
interface LinkSpec { a: Site, aIf: string, aAddr: string, b: Site, bIf: string, bAddr: string }

const LINKS: LinkSpec[] = [
  { a: 'pub', aIf: 'a0', aAddr: '11.77.1.1/24', b: 'natA', bIf: 'wan', bAddr: '11.77.1.2/24' },
  { a: 'pub', aIf: 'b0', aAddr: '11.77.2.1/24', b: 'natB', bIf: 'wan', bAddr: '11.77.2.2/24' },
  { a: 'pub', aIf: 'c0', aAddr: '11.77.3.1/24', b: 'natC', bIf: 'wan', bAddr: '11.77.3.2/24' },
  { a: 'natA', aIf: 'lan', aAddr: '192.168.1.1/24', b: 'drvA', bIf: 'eth0', bAddr: '192.168.1.2/24' },
  { a: 'natB', aIf: 'lan', aAddr: '192.168.2.1/24', b: 'ridB', bIf: 'eth0', bAddr: '192.168.2.2/24' },
  { a: 'natC', aIf: 'd0', aAddr: '100.64.1.1/24', b: 'natD', bIf: 'wan', bAddr: '100.64.1.2/24' },
  { a: 'natC', aIf: 'e0', aAddr: '100.64.2.1/24', b: 'natE', bIf: 'wan', bAddr: '100.64.2.2/24' },
  { a: 'natD', aIf: 'lan', aAddr: '192.168.4.1/24', b: 'drvD', bIf: 'eth0', bAddr: '192.168.4.2/24' },
  { a: 'natE', aIf: 'lan', aAddr: '192.168.5.1/24', b: 'ridE', bIf: 'eth0', bAddr: '192.168.5.2/24' }
]

/** Each non-`pub` namespace's default route (its upstream router). `pub` has none: nothing leaves. */
const DEFAULT_ROUTES: Partial<Record<Site, string>> = {
  natA: '11.77.1.1',
  natB: '11.77.2.1',
  natC: '11.77.3.1',
  drvA: '192.168.1.1',
  ridB: '192.168.2.1',
  natD: '100.64.1.1',
  natE: '100.64.2.1',
  drvD: '192.168.4.1',
  ridE: '192.168.5.1'
}

/** The NAT routers (masquerading out of `wan`). */
const NATS = ['natA', 'natB', 'natC', 'natD', 'natE'] as const satisfies readonly Site[]

/** Where things are: the addresses a test dials or expects to see. */
export const ADDRESSES = {
  /** where public services (relay, bootstrap node, chain) listen, in `pub` */
  pub: '11.77.0.1',
  /** the host addresses of the private hosts */
  drvA: '192.168.1.2',
  ridB: '192.168.2.2',
  drvD: '192.168.4.2',
  ridE: '192.168.5.2',
  /** the public (WAN) address each NAT masquerades to */
  natA: '11.77.1.2',
  natB: '11.77.2.2',
  natC: '11.77.3.2',
  /** the inner routers' addresses on the carrier's network (not reachable from pub) */
  natD: '100.64.1.2',
  natE: '100.64.2.2'
} as const

const NAME_PREFIX = 'hitch-'
const NAME_RE = /^hitch-(\d+)-([0-9a-f]{4})-/

/** Namespaces cannot be made here (not root, no `ip`/`iptables`, no kernel support); `message` says why. */
export class NetnsUnavailableError extends Error {
  static readonly code = 'ERR_NETNS_UNAVAILABLE'
  readonly code = NetnsUnavailableError.code
  override name = 'NetnsUnavailableError'
}

/** A command that sets up or inspects the topology failed. */
export class NetnsCommandError extends Error {
  static readonly code = 'ERR_NETNS_COMMAND'
  readonly code = NetnsCommandError.code
  override name = 'NetnsCommandError'
}

/** The sbin directories are searched too: a test may run with a user's PATH as root. */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin']

/** The absolute path of `command` on PATH (or in an sbin directory), or undefined. */
export function findCommand (command: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(d => d !== ''), ...SBIN]
  for (const dir of dirs) {
    const path = join(dir, command)
    try {
      accessSync(path, fsConstants.X_OK)
      return path
    } catch {}
  }
  return undefined
}

interface RunResult { code: number, stdout: string, stderr: string }

async function run (file: string, args: string[], timeoutMs = 10_000): Promise<RunResult> {
  return await new Promise(resolve => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof (err as any).code === 'number' ? (err as any).code as number : 1
      resolve({ code, stdout, stderr: stderr !== '' ? stderr : err?.message ?? '' })
    })
  })
}

async function must (file: string, args: string[]): Promise<string> {
  const res = await run(file, args)
  if (res.code !== 0) throw new NetnsCommandError(`${file} ${args.join(' ')}: ${res.stderr.trim()}`)
  return res.stdout
}

/**
 * Why network namespaces cannot be made here, or undefined when they can: Linux, root, `ip` and
 * `iptables` installed, and a namespace can be added, given a NAT rule and deleted.
 */
export async function netnsUnavailableReason (): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces are Linux's (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'not root (network namespaces and iptables need root)'
  const ip = findCommand('ip')
  if (ip == null) return '`ip` (iproute2) is not installed'
  const iptables = findCommand('iptables')
  if (iptables == null) return '`iptables` is not installed (apt-get install -y iptables)'
  const probe = `${NAME_PREFIX}${process.pid}-${randomBytes(2).toString('hex')}-probe`
  const added = await run(ip, ['netns', 'add', probe])
  if (added.code !== 0) return `\`ip netns add\` failed: ${added.stderr.trim()}`
  try {
    const nat = await run(ip, ['netns', 'exec', probe, iptables, '-t', 'nat', '-A', 'POSTROUTING', '-o', 'lo', '-j', 'MASQUERADE'])
    if (nat.code !== 0) return `iptables cannot add a NAT rule in a namespace: ${nat.stderr.trim()}`
    const veth = await run(ip, ['link', 'add', 'p0', 'netns', probe, 'type', 'veth', 'peer', 'name', 'p1', 'netns', probe])
    if (veth.code !== 0) return `\`ip link add type veth\` failed: ${veth.stderr.trim()}`
  } finally {
    await run(ip, ['netns', 'del', probe])
  }
  return undefined
}

/** Options of `buildTopology`. */
export interface TopologyOptions {
  /**
   * Delete namespaces left by earlier runs whose process is gone (with their processes).
   * @default true
   */
  removeStale?: boolean
}

/** A built topology: run things in its namespaces, then `destroy()` it. */
export interface Topology {
  /** the namespace name of each site */
  readonly ns: Readonly<Record<Site, string>>
  /** `hitch-<pid>-<rand>-`: the prefix of every namespace of this topology */
  readonly prefix: string
  /** Starts `file args` inside `site`'s namespace (the child's pid is the program's own: `ip netns exec` execs it). */
  spawn: (site: Site, file: string, args: string[], opts?: { env?: NodeJS.ProcessEnv }) => ChildProcess
  /** Starts `hitch ...args` inside `site`'s namespace, as `spawnHitch` does on the host. */
  spawnHitch: (site: Site, args: string[], opts?: { env?: NodeJS.ProcessEnv }) => ChildProcess
  /** Runs `file args` inside `site`'s namespace to completion (killed after `timeoutMs`, 10 s by default). */
  run: (site: Site, file: string, args: string[], timeoutMs?: number) => Promise<RunResult>
  /**
   * Counts what `site`'s netfilter `chain` (INPUT, OUTPUT or FORWARD of the filter table) sees
   * that matches `match` (iptables arguments, e.g. `['-s', a, '-d', b]`): a rule with no target,
   * first in the chain, so it counts and decides nothing. `read()` gives packets and bytes so far.
   */
  count: (site: Site, chain: 'INPUT' | 'OUTPUT' | 'FORWARD', match: string[]) => Promise<{ read: () => Promise<{ packets: number, bytes: number }> }>
  /** Kills every process still inside the namespaces and deletes them; safe to call twice. */
  destroy: () => Promise<void>
}

const live = new Map<string, () => void>()
let handlersInstalled = false

/** Deletes what is left of live topologies, synchronously: the process is exiting or was told to stop. */
function destroyAllSync (): void {
  for (const destroySync of [...live.values()]) destroySync()
}

function onSignal (signal: NodeJS.Signals): void {
  const alone = process.listenerCount(signal) === 1
  destroyAllSync()
  // when nothing else handles the signal, exit as the default handler would have (re-raising it
  // would not do: a background job of a shell starts with SIGINT ignored)
  if (alone) process.exit(128 + constants.signals[signal])
}

function installHandlers (): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', destroyAllSync)
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

function uninstallHandlers (): void {
  if (!handlersInstalled) return
  handlersInstalled = false
  process.off('exit', destroyAllSync)
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}

function listNamespaces (ip: string): string[] {
  try {
    return execFileSync(ip, ['netns', 'list'], { encoding: 'utf8' }).split('\n').map(l => l.split(' ')[0]).filter(n => n !== '')
  } catch {
    return []
  }
}

/** Kills the processes inside namespace `name` (they are ours: only our runs start any there) and deletes it. */
function deleteNamespaceSync (ip: string, name: string): void {
  try {
    const pids = execFileSync(ip, ['netns', 'pids', name], { encoding: 'utf8' }).split('\n').map(Number).filter(p => p > 0)
    for (const pid of pids) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
  } catch {}
  try { execFileSync(ip, ['netns', 'del', name], { stdio: 'ignore' }) } catch {}
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Deletes namespaces named by this harness whose run's process is gone. Returns their names. */
export function removeStaleNamespaces (): string[] {
  const ip = findCommand('ip')
  if (ip == null) return []
  const removed: string[] = []
  for (const name of listNamespaces(ip)) {
    const m = NAME_RE.exec(name)
    if (m == null || alive(Number(m[1]))) continue
    deleteNamespaceSync(ip, name)
    removed.push(name)
  }
  return removed
}

/**
 * Builds the topology drawn above. Throws `NetnsUnavailableError` when namespaces cannot be made
 * (check `netnsUnavailableReason()` first to skip instead), `NetnsCommandError` when a step fails
 * (what was built is deleted first).
 */
export async function buildTopology (options: TopologyOptions = {}): Promise<Topology> {
  const ip = findCommand('ip')
  const iptables = findCommand('iptables')
  if (ip == null || iptables == null) throw new NetnsUnavailableError('`ip` and `iptables` are needed')
  if (options.removeStale ?? true) removeStaleNamespaces()

  const prefix = `${NAME_PREFIX}${process.pid}-${randomBytes(2).toString('hex')}-`
  const ns = Object.fromEntries(SITES.map(site => [site, prefix + site])) as Record<Site, string>
  const made: string[] = []
  let destroyed = false
  const destroySync = (): void => {
    if (destroyed) return
    destroyed = true
    live.delete(prefix)
    for (const name of made.reverse()) deleteNamespaceSync(ip, name)
    if (live.size === 0) uninstallHandlers()
  }
  live.set(prefix, destroySync)
  installHandlers()

  let counters = 0
  const exec = async (site: Site, file: string, args: string[]): Promise<string> => await must(ip, ['netns', 'exec', ns[site], file, ...args])
  try {
    for (const site of SITES) {
      await must(ip, ['netns', 'add', ns[site]])
      made.push(ns[site])
      await must(ip, ['-n', ns[site], 'link', 'set', 'dev', 'lo', 'up'])
    }
    await must(ip, ['-n', ns.pub, 'addr', 'add', `${ADDRESSES.pub}/32`, 'dev', 'lo'])
    for (const l of LINKS) {
      // both ends are created inside their namespaces: no interface ever appears on the host
      await must(ip, ['link', 'add', l.aIf, 'netns', ns[l.a], 'type', 'veth', 'peer', 'name', l.bIf, 'netns', ns[l.b]])
      await must(ip, ['-n', ns[l.a], 'addr', 'add', l.aAddr, 'dev', l.aIf])
      await must(ip, ['-n', ns[l.b], 'addr', 'add', l.bAddr, 'dev', l.bIf])
      await must(ip, ['-n', ns[l.a], 'link', 'set', 'dev', l.aIf, 'up'])
      await must(ip, ['-n', ns[l.b], 'link', 'set', 'dev', l.bIf, 'up'])
    }
    for (const [site, via] of Object.entries(DEFAULT_ROUTES) as Array<[Site, string]>) {
      await must(ip, ['-n', ns[site], 'route', 'add', 'default', 'via', via])
    }
    // pub forwards between the NATs' public addresses, as the internet does
    for (const site of ['pub', ...NATS] as Site[]) {
      await exec(site, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward'])
    }
    for (const site of NATS) {
      await exec(site, iptables, ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'wan', '-j', 'MASQUERADE'])
      await exec(site, iptables, ['-A', 'FORWARD', '-i', 'wan', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'])
      await exec(site, iptables, ['-A', 'FORWARD', '-i', 'wan', '-j', 'DROP'])
    }
    // a veth reports its carrier a moment after both ends are up (the kernel's link watch): wait for all
    await waitLinksUp(ip, Object.values(ns))
  } catch (err) {
    destroySync()
    throw err
  }

  const spawnIn = (site: Site, file: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): ChildProcess =>
    spawn(ip, ['netns', 'exec', ns[site], file, ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe']
    })

  return {
    ns,
    prefix,
    spawn: spawnIn,
    spawnHitch: (site, args, opts) => spawnIn(site, process.execPath, [...hitchArgv(), ...args], opts),
    run: async (site, file, args, timeoutMs) => await run(ip, ['netns', 'exec', ns[site], file, ...args], timeoutMs),
    count: async (site, chain, match) => {
      const tag = `hitch-count-${counters++}`
      await exec(site, iptables, ['-I', chain, '1', ...match, '-m', 'comment', '--comment', tag])
      return {
        read: async () => {
          // -x: exact numbers; the rule's line carries its comment
          const listing = await exec(site, iptables, ['-nvx', '-L', chain])
          const line = listing.split('\n').find(l => l.includes(`/* ${tag} */`))
          if (line == null) throw new NetnsCommandError(`counter ${tag} is gone from ${ns[site]} ${chain}`)
          const [packets, bytes] = line.trim().split(/\s+/).map(Number)
          return { packets, bytes }
        }
      }
    },
    destroy: async () => { destroySync() }
  }
}

/** Resolves once every interface of `namespaces` is up with a carrier; throws after 10 s. */
async function waitLinksUp (ip: string, namespaces: string[]): Promise<void> {
  const deadline = Date.now() + 10_000
  for (const name of namespaces) {
    for (;;) {
      const links = await must(ip, ['-n', name, '-br', 'link'])
      const down = links.split('\n').filter(l => l !== '' && !l.startsWith('lo ') && !/\sUP\s/.test(l))
      if (down.length === 0) break
      if (Date.now() > deadline) throw new NetnsCommandError(`links still down in ${name}: ${down.join('; ')}`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
}

/** The names of the namespaces that exist now with `prefix` (for checks that a topology is gone). */
export function namespacesWithPrefix (prefix: string): string[] {
  const ip = findCommand('ip')
  return ip == null ? [] : listNamespaces(ip).filter(n => n.startsWith(prefix))
}

/**
 * In a `before` hook (`function () {}`): skips the suite with a visible notice when namespaces
 * cannot be made here. Returns true when they can.
 */
export async function skipUnlessNetns (ctx: Mocha.Context, what: string): Promise<boolean> {
  const reason = await netnsUnavailableReason()
  if (reason == null) return true
  console.warn(`  NOTICE: skipping ${what}: ${reason}`)
  ctx.skip()
}
