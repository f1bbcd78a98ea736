import { createHitchPeer } from '../../node/index.js'
import { ChannelStore, channelSummary, type ChannelSummary } from '../../node/channel/index.js'
import { openStore } from '../../node/store/index.js'
import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'
import { checkMultiaddrs, dataDirOf, jsonLine, onShutdown } from '../daemon.js'
import { nodeChain, reportChannelEvents, weiAsFare } from '../chain-flags.js'
import { PASSPHRASE_FLAG_HELP, PASSPHRASE_FLAG_OPTIONS, identityOptionsOf } from '../passphrase.js'
import type { Hex } from 'viem'

export const help = `
usage: hitch channels [--chain URL] [--data-dir DIR | --profile NAME] [--json]
       hitch channels close CHANNEL_ID --chain URL [--bootstrap MULTIADDR…]
                             [--data-dir DIR | --profile NAME] [--json]

Lists this node's payment channels: counterparty, deposit, what the latest
state both signed pays the driver, and where the channel is (open; final: the
final state is signed, no other state will be, its co-operative close is
pending; closing: a unilateral close is pending; finalized). Without --chain it reads the local store only; with --chain it
also follows the chain first (answering a stale close with the latest state
and finalizing a close whose challenge period is over), and shows the account
balance. Amounts are wei, with the fare equivalent (1 cent = 10^13 wei).

\`close\` settles one channel: co-operatively when the counterparty answers
(at once), otherwise unilaterally with the latest state both signed, then it
waits for the chain's challenge period and finalizes.

The store is a LevelDB database: stop \`hitch drive\` / \`hitch ride\` on the same
data directory first.

  --chain URL           JSON-RPC URL of the chain (e.g. the one \`hitch chain\` prints)
  --bootstrap MULTIADDR where to reach the counterparty for a co-operative close
  --data-dir DIR        data directory (default: ~/.hitch/<profile>)
  --profile NAME        profile for the default data directory (default: rider)${PASSPHRASE_FLAG_HELP}
  --json                one JSON object per channel and line (close: JSON events)
`

function printList (list: Array<ChannelSummary & { onChain?: string }>, json: boolean, balance?: bigint): void {
  if (json) {
    for (const c of list) process.stdout.write(jsonLine(c))
    return
  }
  if (list.length === 0) process.stdout.write('no channels\n')
  for (const c of list) {
    process.stdout.write([
      `${c.channelId}  ${c.phase}${c.onChain != null && c.onChain !== c.phase ? ` (on chain: ${c.onChain})` : ''}`,
      `  ${c.role} of a channel with ${c.peer} (${c.counterparty})`,
      `  deposit ${c.deposit} wei (${weiAsFare(c.deposit)}), the driver is paid ${c.paidToDriver} wei (${weiAsFare(c.paidToDriver)}) at nonce ${c.nonce}`,
      ...(c.inFlight > 0 ? [`  ${c.inFlight} state(s) awaiting the driver's signature`] : []),
      ...(c.arrears > 0n ? [`  the rider owes ${weiAsFare(c.arrears)} more`] : []),
      ...(c.closesAt != null ? [`  can be finalized after ${new Date(Number(c.closesAt) * 1000).toISOString()}`] : []),
      ''
    ].join('\n'))
  }
  if (balance != null) process.stdout.write(`account balance ${balance} wei\n`)
}

interface ChannelsFlags {
  chain?: string
  bootstrap?: string[]
  'data-dir'?: string
  profile?: string
  'passphrase-file'?: string
  json?: boolean
}

/** `hitch channels` and `hitch channels close CHANNEL_ID`. */
export async function run (argv: string[]): Promise<number> {
  const { values: flags, positionals, help: shown } = parseFlags<ChannelsFlags>(argv, {
    chain: { type: 'string' },
    bootstrap: { type: 'string', multiple: true },
    'data-dir': { type: 'string' },
    profile: { type: 'string' },
    ...PASSPHRASE_FLAG_OPTIONS,
    json: { type: 'boolean' }
  }, help, true)
  if (shown) return 0
  const json = flags.json === true
  const dataDir = dataDirOf(flags, 'rider')
  const [verb, id, ...extra] = positionals
  if (verb != null && verb !== 'list' && verb !== 'close') throw new UsageError(`unknown subcommand "${verb}" (see --help)`)
  if (verb === 'close' && (id == null || !/^0x[0-9a-fA-F]{64}$/.test(id) || extra.length > 0)) throw new UsageError('usage: hitch channels close CHANNEL_ID (0x + 64 hex) --chain URL')
  if (verb === 'close' && flags.chain == null) throw new UsageError('closing a channel needs --chain URL')

  if (flags.chain == null) {
    const store = await openStore(dataDir)
    try {
      printList((await new ChannelStore(store).loadAll()).map(channelSummary), json)
    } finally {
      await store.close()
    }
    return 0
  }

  const peer = await createHitchPeer({
    dataDir,
    identity: identityOptionsOf(flags),
    transport: 'tcp',
    listen: ['/ip4/0.0.0.0/tcp/0'],
    bootstrap: checkMultiaddrs(flags.bootstrap, '--bootstrap'),
    dht: false,
    chain: nodeChain(flags.chain)
  })
  const chain = peer.chain!
  const manager = peer.channels!
  const controller = new AbortController()
  const shutdown = onShutdown(async () => { controller.abort() })
  try {
    await peer.start({ signal: controller.signal })
    if (verb !== 'close') {
      // the watcher catches up in the background: ask the chain itself where each channel is
      const list = await Promise.all(manager.listChannels().map(async c => {
        const info = c.phase === 'finalized' ? undefined : await chain.getChannel(c.channelId)
        return { ...c, ...(info != null ? { onChain: info.status } : {}) }
      }))
      printList(list, json, await chain.balanceOf())
      return 0
    }
    const channelId = id.toLowerCase() as Hex
    const known = manager.listChannels().find(c => c.channelId.toLowerCase() === channelId)
    if (known == null) throw new UsageError(`no channel ${id} in ${dataDir}`, 1)
    reportChannelEvents(manager, json, line => { process.stdout.write(line) })
    let summary = known
    if (summary.phase === 'open' || summary.phase === 'final') summary = await manager.close(known.channelId, { signal: controller.signal })
    if (summary.phase === 'closing') {
      const waitS = summary.closesAt != null ? Math.max(0, Number(summary.closesAt) - Math.floor(Date.now() / 1000)) : chain.challengePeriodS
      if (!json) process.stderr.write(`waiting ~${waitS}s for the challenge period to end, then finalizing (Ctrl+C leaves it closing; run this again to finish)\n`)
      await new Promise<void>((resolve, reject) => {
        const done = (): void => { off(); resolve() }
        const off = manager.on('channel:settled', e => { if (e.channelId.toLowerCase() === channelId) done() })
        const offFin = manager.on('channel:finalized', e => { if (e.channelId.toLowerCase() === channelId) { offFin(); done() } })
        if (manager.getChannel(known.channelId)?.phase === 'finalized') done()
        controller.signal.addEventListener('abort', () => { off(); offFin(); reject(new UsageError('stopped before the close was final', 130)) }, { once: true })
      })
    }
    const final = manager.getChannel(known.channelId)!
    if (json) process.stdout.write(jsonLine({ event: 'channel', ...final }))
    else process.stdout.write(`channel ${final.channelId} is ${final.phase}; the driver was paid ${weiAsFare(final.paidToDriver)}\n`)
    return 0
  } finally {
    shutdown.dispose()
    await peer.stop().catch(() => {})
  }
}
