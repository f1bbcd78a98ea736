import { createInterface } from 'node:readline/promises'
import { createHitchPeer } from '../../node/index.js'
import { openRoutedMap } from '../../node/map/index.js'
import type { RidePayment } from '../../node/payments/index.js'
import { DEFAULT_RIDE_DEADLINE_MS, MAX_SEATS, MIN_SEATS } from '../../protocol/index.js'
import { DEFAULT_MAX_WAIT_MS, RIDER_EVENTS, type RiderEvents, type RiderQuote, type RideResult } from '../../node/roles/index.js'
import { CHAIN_FLAG_HELP, CHAIN_FLAG_OPTIONS, nodeChain, reportChannelEvents, weiAsFare } from '../chain-flags.js'
import type { ChannelEvents, ChannelManager } from '../../node/channel/index.js'
import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'
import { parseDuration, parseInteger, parseLatLon } from '../values.js'
import {
  NODE_FLAG_HELP, NODE_FLAG_OPTIONS, checkMultiaddrs, dataDirOf, formatCents, jsonLine, onShutdown, parseMoneyCents,
  type NodeFlags
} from '../daemon.js'
import { identityOptionsOf } from '../passphrase.js'

export const help = `
usage: hitch ride --from LAT,LON --to LAT,LON [--seats N] [--max-wait DURATION]
                  [--max-price X] [--timeout DURATION] [--yes] [--json]
                  [--chain URL [--close]] [--bootstrap MULTIADDR…] [--data-dir DIR] [--map FILE]

Asks for a ride: publishes a signed request (map cells only, never the exact
points) where drivers of the pickup cell hear it, shows the quotes as they
come (whole minutes, estimated by each driver from its map cell), accepts the
best (--yes) or lets you pick (only the quote you pick is accepted: one that
expired while you chose is never swapped for another, you are asked again),
and sends the exact points to that driver only once it has confirmed; follows
the trip with a live status line, and ends by printing the trip record signed
by both. Check it later with \`hitch receipt verify FILE\`.

Each run is one ride under a fresh peer id (a new key, kept in memory only), so
listeners on the map-cell topics cannot link your rides. The payment identity
in the data directory (the key and Ethereum address that open channels) stays
the same across rides; it is bound to the ride's peer id only on the direct
stream to the driver that confirmed, and the trip record names its address.

With --chain, the ride is paid through a payment channel with the driver:
opened (or reused from an earlier ride, topped up) with a deposit covering
the fare when the driver confirms, paid in steps every 250 m driven, and paid
in full after the dropoff by a state that carries the trip record's hash. The
record names the channel and the amount (wei, in all on the channel). The
channel stays open for the next ride with the same driver unless --close.
Without --chain, the ride is not paid (drivers with --chain drop unpaid riders).

  --from LAT,LON        pickup
  --to LAT,LON          dropoff
  --seats N             seats needed, ${MIN_SEATS}..${MAX_SEATS} (default: ${MIN_SEATS})
  --max-wait DURATION   longest wait for the car, e.g. 10m (default: ${minutes(DEFAULT_MAX_WAIT_MS)})
  --max-price X         most you will pay, in currency units, e.g. 25 or 12.50 (default: no limit)
  --timeout DURATION    give up when no driver confirmed by then (default: ${minutes(DEFAULT_RIDE_DEADLINE_MS)})
  --yes                 accept the best quote without asking
  --json                one JSON event per line; the last line is the trip record${CHAIN_FLAG_HELP}
  --close               close the channel co-operatively after the ride (when the
                        driver does not answer: unilaterally, then wait for the
                        challenge period and finalize); the record gets closeTxHash${NODE_FLAG_HELP}
`

interface RideFlags extends NodeFlags {
  chain?: string
  close?: boolean
  from?: string
  to?: string
  seats?: string
  'max-wait'?: string
  'max-price'?: string
  timeout?: string
  yes?: boolean
  json?: boolean
}

function short (peerId: string): string {
  return peerId.length > 12 ? `${peerId.slice(0, 6)}…${peerId.slice(-4)}` : peerId
}

function minutes (ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 60) return `${s}s`
  return s % 60 === 0 ? `${s / 60}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
}

/** Quoted times are whole minutes, estimated by the driver from its map cell (never its exact position). */
function aboutMinutes (m: number): string {
  return m <= 1 ? 'about a minute' : `about ${m} min`
}

function quoteLine (q: RiderQuote, i?: number): string {
  const tag = i != null ? `[${i + 1}] ` : ''
  return `${tag}${formatCents(q.price)} from driver ${short(q.driver)}, pickup in ${aboutMinutes(q.pickupMinutes)}, there in ${aboutMinutes(q.dropoffMinutes)}${q.pooled ? ', shared ride' : ''}`
}

/**
 * The one line that tells an interactive rider its pick (`quote`, when the prompt showed it)
 * could not be accepted: why, and whether it is asked to pick again (the prompt follows) or no
 * quote is left (the status that follows says what the ride does next).
 */
export function pickLostLine (e: RiderEvents['pick-lost'], quote?: RiderQuote): string {
  const which = quote != null ? ` (${formatCents(quote.price)} from driver ${short(quote.driver)})` : ''
  const why = e.reason === 'expired' ? 'expired while you chose' : 'is no longer offered'
  return `the quote you picked${which} ${why}: ${e.askAgain ? 'pick another' : 'no other quote is left'}`
}

/** A status line that rewrites itself on a terminal and prints plain lines elsewhere. */
class StatusLine {
  private last = ''
  constructor (private readonly tty: boolean) {}
  set (text: string): void {
    if (text === this.last) return
    this.last = text
    if (this.tty) process.stderr.write(`\r\x1b[2K${text}`)
    else process.stderr.write(`${text}\n`)
  }

  done (): void {
    if (this.tty && this.last !== '') process.stderr.write('\n')
    this.last = ''
  }
}

/** `hitch ride`. */
export async function run (argv: string[]): Promise<number> {
  const { values: flags, help: shown } = parseFlags<RideFlags>(argv, {
    ...NODE_FLAG_OPTIONS,
    ...CHAIN_FLAG_OPTIONS,
    close: { type: 'boolean' },
    from: { type: 'string' },
    to: { type: 'string' },
    seats: { type: 'string' },
    'max-wait': { type: 'string' },
    'max-price': { type: 'string' },
    timeout: { type: 'string' },
    yes: { type: 'boolean' },
    json: { type: 'boolean' }
  }, help)
  if (shown) return 0
  const from = parseLatLon(flags.from, '--from')
  const to = parseLatLon(flags.to, '--to')
  const seats = flags.seats != null ? parseInteger(flags.seats, '--seats', MIN_SEATS, MAX_SEATS) : MIN_SEATS
  // an unset flag stays undefined: the rider's own default applies
  const maxWaitMs = flags['max-wait'] != null ? parseDuration(flags['max-wait'], '--max-wait') : undefined
  const timeoutMs = flags.timeout != null ? parseDuration(flags.timeout, '--timeout') : undefined
  const maxPrice = flags['max-price'] != null ? parseMoneyCents(flags['max-price'], '--max-price') : undefined
  const json = flags.json === true
  const interactive = flags.yes !== true
  if (flags.close === true && flags.chain == null) throw new UsageError('--close needs --chain URL (there is no channel to close otherwise)')
  const out = (line: string): void => { process.stdout.write(line) }

  const map = await openRoutedMap(flags.map)
  for (const [what, p] of [['--from', from], ['--to', to]] as const) {
    if (map.snap(p.lat, p.lon) == null) {
      throw new UsageError(`${what} ${p.lat},${p.lon} is off the map (no road within ${map.maxSnapDistanceM} m)`, 1)
    }
  }
  const status = new StatusLine(process.stderr.isTTY === true && !json)
  const peer = await createHitchPeer({
    dataDir: dataDirOf(flags, 'rider'),
    identity: identityOptionsOf(flags),
    // one ride, one peer id: the data dir's key stays the payment identity only
    peerKey: 'fresh',
    transport: 'tcp',
    listen: flags.listen,
    bootstrap: checkMultiaddrs(flags.bootstrap, '--bootstrap'),
    mdns: flags.mdns === true,
    map,
    ...(flags.chain != null ? { chain: nodeChain(flags.chain) } : {}),
    rider: {}
  })
  const { node, rider, payments, channels: manager, chain } = peer
  if (manager != null && payments != null && chain != null) {
    reportChannelEvents(manager, json, line => {
      if (json) out(line)
      else { status.done(); process.stderr.write(line) }
    })
    payments.on('paid', e => {
      if (json) out(jsonLine({ event: 'paid', ...e }))
      else if (e.final) { status.done(); process.stderr.write(`paid the fare in full: ${weiAsFare(e.rideWei)} (state ${String(e.nonce)})\n`) }
    })
    if (json) out(jsonLine({ event: 'payments', enabled: true, chainId: chain.chainId, adjudicator: chain.adjudicator, account: node.ethAddress }))
  } else {
    if (json) out(jsonLine({ event: 'payments', enabled: false }))
    else process.stderr.write('payments: off (no --chain): this ride is not paid\n')
  }
  const now = (): number => node.clock.now()
  /** the quotes the prompt showed, by id: a lost pick is named by what the user saw */
  const offered = new Map<string, RiderQuote>()

  rider.onAny(RIDER_EVENTS, (type, detail) => {
    if (json) {
      if (type === 'completed') return // the record is the last line, printed below
      const d: any = { ...detail }
      if (type === 'error') d.error = (detail as any).error?.message ?? String((detail as any).error)
      out(jsonLine({ event: type, ...d }))
      return
    }
    const e = detail as RiderEvents[typeof type] as any
    switch (type) {
      case 'requested': status.set(`looking for drivers near you… (${String(e.drivers)} found, request sent)`); break
      case 'quote': status.done(); process.stderr.write(`quote: ${quoteLine(e.quote)}\n`); break
      case 'pick-lost': status.done(); process.stderr.write(`${pickLostLine(e, offered.get(e.quoteId))}\n`); break
      case 'accepted': status.set(`accepted the quote of driver ${short(e.driver)}, waiting for confirmation…`); break
      case 'confirmed': status.done(); process.stderr.write(`confirmed: driver ${short(e.driver)} picks you up in ${aboutMinutes(e.pickupMinutes)}; sending it your exact pickup and dropoff\n`); break
      case 'cancelled': status.done(); process.stderr.write(`driver ${short(e.driver)} cancelled after it was sent your exact points${e.note !== '' ? ` (${String(e.note)})` : ''}\n`); break
      case 'quote-refused': status.done(); process.stderr.write(`refused the quote of driver ${short(e.driver)} (${e.reason})\n`); break
      case 'declined': status.done(); process.stderr.write(`driver ${short(e.driver)} declined (${String(e.reason)})\n`); break
      case 'fallback': status.done(); process.stderr.write(`falling back${e.to != null ? ` to driver ${short(e.to)}` : ', waiting for more quotes'}\n`); break
      case 'update': {
        const u = e
        const where = `${Number(u.position.lat).toFixed(5)},${Number(u.position.lon).toFixed(5)}`
        if (u.phase === 'en-route') status.set(`driver on the way, at ${where}${u.pickupEta != null ? `, pickup in ~${minutes(u.pickupEta - now())}` : ''}`)
        else if (u.phase === 'arrived') status.set('your driver has arrived')
        else if (u.phase === 'picked-up') status.set('picked up, on the way')
        else if (u.phase === 'position') status.set(`on the way: ${(u.distanceM / 1000).toFixed(2)} km, at ${where}`)
        else if (u.phase === 'dropped-off') { status.set(`dropped off after ${(u.distanceM / 1000).toFixed(2)} km; signing the trip record…`); status.done() }
        break
      }
      case 'error': status.done(); process.stderr.write(`warning: ${String(e.error?.message ?? e.error)}\n`); break
      default: break
    }
  })

  let rl: ReturnType<typeof createInterface> | undefined
  const choose = interactive
    ? async (quotes: RiderQuote[]): Promise<RiderQuote | undefined> => {
      status.done()
      for (const q of quotes) offered.set(q.quoteId, q)
      process.stderr.write(`${quotes.length} quote(s):\n${quotes.map((q, i) => `  ${quoteLine(q, i)}`).join('\n')}\n`)
      rl ??= createInterface({ input: process.stdin, output: process.stderr })
      for (;;) {
        const answer = (await rl.question(`accept which? [1-${quotes.length}, Enter = 1, n = none] `)).trim().toLowerCase()
        if (answer === '') return quotes[0]
        if (answer === 'n' || answer === 'no') return undefined
        const i = Number(answer)
        if (Number.isInteger(i) && i >= 1 && i <= quotes.length) return quotes[i - 1]
      }
    }
    : undefined

  const controller = new AbortController()
  const shutdown = onShutdown(async () => { controller.abort() })
  let result: RideResult
  let paid: RidePayment | undefined
  let closeTxHash: string | undefined
  try {
    await peer.start()
    result = await rider.requestRide({ from, to, seats, maxWaitMs, maxPrice, timeoutMs, choose }, { signal: controller.signal })
    if (payments != null && manager != null) {
      try {
        // the final state (whole fare, record hash) must be co-signed before this node stops
        paid = await payments.settled(result.requestId)
      } catch (err: any) {
        status.done()
        process.stderr.write(`warning: the ride was not paid: ${String(err?.message ?? err)}\n`)
      }
      // a driver that stopped answering is closed on unilaterally (then finalized): the
      // rider's deposit must not stay locked with a peer that is gone
      const channelId = paid?.channelId ?? await payments.channelOf(result.requestId).catch(() => undefined)
      if (channelId != null && flags.close === true) {
        closeTxHash = await closeChannel(manager, channelId, json, controller.signal)
      }
    }
  } catch (err: any) {
    status.done()
    if (err?.code === 'ERR_NO_DRIVER') throw new UsageError(`no driver confirmed a ride within ${minutes(timeoutMs ?? DEFAULT_RIDE_DEADLINE_MS)}`, 3)
    if (err?.code === 'ERR_RIDE_ABORTED') throw new UsageError('ride cancelled', 130)
    throw err
  } finally {
    rl?.close()
    shutdown.dispose()
    await peer.stop().catch(() => {})
  }
  if (closeTxHash != null) result.json.closeTxHash = closeTxHash.toLowerCase()
  status.done()
  if (json) {
    out(jsonLine(result.json))
  } else {
    out(`ride complete: ${formatCents(result.quote.price)} to driver ${result.driver}${paid != null ? `, paid through channel ${paid.channelId}${closeTxHash != null ? ' (closed)' : ' (left open for the next ride)'}` : ''}\n`)
    out('trip record, signed by both (save it and check it with `hitch receipt verify FILE`):\n')
    out(JSON.stringify(result.json, null, 2) + '\n')
  }
  return 0
}

/**
 * Closes the ride's channel: co-operatively, or unilaterally when the driver does not answer,
 * then waits out the challenge period for the manager's finalize. Resolves with the hash of
 * the transaction that settled (co-operative) or started (unilateral) the close.
 */
async function closeChannel (manager: ChannelManager, channelId: `0x${string}`, json: boolean, signal: AbortSignal): Promise<string> {
  let closed: ChannelEvents['channel:closed'] | undefined
  const same = (id: string): boolean => id.toLowerCase() === channelId.toLowerCase()
  const offClosed = manager.on('channel:closed', e => { if (same(e.channelId)) closed = e })
  let summary
  try {
    summary = await manager.close(channelId, { signal })
  } finally {
    offClosed()
  }
  if (closed == null) throw new UsageError(`channel ${channelId} did not close`, 1)
  if (summary.phase === 'closing') {
    if (!json) process.stderr.write(`the driver did not answer: closed unilaterally, finalizing after the challenge period (${String(summary.closesAt ?? '')})\n`)
    await new Promise<void>((resolve, reject) => {
      const finish = (): void => { off1(); off2(); resolve() }
      const off1 = manager.on('channel:finalized', e => { if (same(e.channelId)) finish() })
      const off2 = manager.on('channel:settled', e => { if (same(e.channelId)) finish() })
      if (manager.getChannel(channelId)?.phase === 'finalized') finish()
      signal.addEventListener('abort', () => { off1(); off2(); reject(new UsageError('stopped before the close was final (run `hitch channels close` to finish)', 130)) }, { once: true })
    })
  }
  return closed.txHash
}
