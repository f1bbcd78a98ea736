/**
 * The attacking process of `npm run bench -- abuse` (forked by `abuse.ts`, driven over IPC):
 * one flood at a time, each at the attacker's maximum rate until told to stop. Every
 * connection leaves from 127.0.0.2, so the driver tells the attacker's peers apart from the
 * honest riders on 127.0.0.1 (as it would on a real network).
 */
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { bytesToHex } from 'viem'
import { libsecp256k1Signatures } from '../node/signatures/index.js'
import { PAY_PROTOCOL, RIDE_PROTOCOL, Cancel, signEnvelope } from '../protocol/index.js'
import { PAY_STREAM_PROTOCOL, encodeChannelMessage, encodePayFrame } from '../protocol/channel/index.js'
import { createRawPeer, openGossipStream, rpcFrame, signedMessage } from './attacks/raw-gossip.js'
import type { GossipStream } from './attacks/raw-gossip.js'
import type { ChannelMessage } from '../protocol/channel/index.js'
import type { HitchMessage } from '../protocol/index.js'
import type { Libp2p, PrivateKey, Stream } from '@libp2p/interface'
import type { RPC } from '@libp2p/gossipsub/message'
import type { AttackerCommand, AttackerReport, FloodName } from './abuse-protocol.js'

const sign = libsecp256k1Signatures().sign
let setup: Extract<AttackerCommand, { cmd: 'setup' }>
let current: { name: FloodName, run: (signal: AbortSignal) => Promise<{ sent: number, note: string }>, probe?: () => Promise<{ graylisted: boolean | undefined, note: string }>, close: () => Promise<void> } | undefined
let running: { stop: AbortController, done: Promise<{ sent: number, note: string }> } | undefined

const send = (report: AttackerReport): void => { process.send?.(report) }
const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

function request (id: string, now = Date.now()): HitchMessage {
  return {
    type: 'ride-request',
    body: {
      requestId: id, pickupCell: setup.cell, dropoffCell: setup.cell, seats: 1,
      latestPickupAt: now + 600_000, maxPrice: '100000000', expiresAt: now + 300_000, currency: 'usd-cent'
    }
  }
}

async function envelope (key: PrivateKey, message: HitchMessage): Promise<Uint8Array> {
  return signEnvelope(key, message, { now: Date.now(), ttlMs: 300_000, nonce: randomBytes(16), signer: sign })
}

/** A raw peer connected to the driver, that counts the direct requests the driver sends it (quotes) */
async function peer (key?: PrivateKey): Promise<{ libp2p: Libp2p, key: PrivateKey, quotes: () => number }> {
  const k = key ?? await generateKeyPair('secp256k1')
  const libp2p = await createRawPeer(k, setup.localAddress)
  let quotes = 0
  await libp2p.handle(RIDE_PROTOCOL, (stream: Stream) => { quotes++; stream.abort(new Error('not listening')) })
  await libp2p.start()
  // the driver's connection manager takes a few inbound connections a second from one address
  for (let attempt = 1; ; attempt++) {
    try {
      await libp2p.dial(multiaddr(setup.driverAddress))
      break
    } catch (err) {
      if (attempt >= 20) {
        await libp2p.stop()
        throw err
      }
      await new Promise(resolve => setTimeout(resolve, 250 * attempt))
    }
  }
  return { libp2p, key: k, quotes: () => quotes }
}

/**
 * Whether the driver still takes valid gossip from `flooder`: a valid request from it and one
 * from a fresh peer; the driver quotes (sends a direct request) to the fresh one only when it
 * drops the flooder's gossip (graylisted).
 */
async function probeGraylist (flooder: { libp2p: Libp2p, key: PrivateKey, quotes: () => number }): Promise<{ graylisted: boolean | undefined, note: string }> {
  // let the flooder's signer budget refill, so that a refusal is not the rate limit
  await new Promise(resolve => setTimeout(resolve, 6_000))
  const control = await peer()
  try {
    const before = flooder.quotes()
    const streams = await Promise.all([flooder, control].map(async p => openGossipStream(p.libp2p, setup.driverAddress, [setup.topic])))
    const ids = [`probe-${randomBytes(6).toString('hex')}`, `probe-${randomBytes(6).toString('hex')}`]
    // re-published like a rider's request: a driver widens its quoting reach with each copy
    for (let copy = 0; copy < 10 && control.quotes() === 0; copy++) {
      for (const [i, p] of [flooder, control].entries()) {
        await streams[i].write(rpcFrame([await signedMessage(p.key, setup.topic, await envelope(p.key, request(ids[i])), sign)])).catch(() => {})
      }
      await new Promise(resolve => setTimeout(resolve, 2_000))
    }
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline && control.quotes() === 0) await new Promise(resolve => setTimeout(resolve, 100))
    await new Promise(resolve => setTimeout(resolve, 1_000))
    if (control.quotes() === 0) return { graylisted: undefined, note: 'the driver quoted neither probe' }
    return { graylisted: flooder.quotes() === before, note: '' }
  } finally {
    await control.libp2p.stop()
  }
}

async function prepare (name: FloodName): Promise<NonNullable<typeof current>> {
  const driver = peerIdFromString(setup.driverPeerId)
  switch (name) {
    case 'requests-one-peer': {
      // validly signed requests the peer signs (envelope and gossipsub message) itself
      const p = await peer()
      const stream = await openGossipStream(p.libp2p, setup.driverAddress, [setup.topic])
      const pool = await Promise.all(Array.from({ length: 20_000 }, async (_, i) => signedMessage(p.key, setup.topic, await envelope(p.key, request(`one-${i}`)), sign)))
      return {
        name,
        run: async (signal) => pour(signal, pool, p.libp2p, stream),
        probe: async () => probeGraylist(p),
        close: async () => { await p.libp2p.stop() }
      }
    }
    case 'requests-200-keys': {
      // one neighbour relaying validly signed requests of 200 fresh keys, each message authored
      // by its own key (so the envelope signer is the gossipsub author)
      const p = await peer(await generateKeyPair('Ed25519'))
      const keys = await Promise.all(Array.from({ length: 200 }, async () => generateKeyPair('secp256k1')))
      const stream = await openGossipStream(p.libp2p, setup.driverAddress, [setup.topic])
      const pool = await Promise.all(Array.from({ length: 20_000 }, async (_, i) => {
        const k = keys[i % keys.length]
        return signedMessage(k, setup.topic, await envelope(k, request(`many-${i}`)), sign)
      }))
      return {
        name,
        run: async (signal) => pour(signal, pool, p.libp2p, stream),
        close: async () => { await p.libp2p.stop() }
      }
    }
    case 'invalid-gossip': {
      // garbage, bad signatures, oversized, forged signers: all from the peer as author
      const p = await peer()
      const stranger = await generateKeyPair('secp256k1')
      const stream = await openGossipStream(p.libp2p, setup.driverAddress, [setup.topic])
      const pool: RPC.Message[] = []
      for (let i = 0; i < 20_000; i++) {
        let data: Uint8Array
        switch (i % 4) {
          case 0: data = randomBytes(200); break
          case 1: { data = await envelope(p.key, request(`bad-${i}`)); data[data.length - 2] ^= 0xff; break }
          case 2: data = randomBytes(5_000); break
          default: data = await envelope(stranger, request(`forged-${i}`))
        }
        pool.push(await signedMessage(p.key, setup.topic, data, sign))
      }
      return {
        name,
        run: async (signal) => pour(signal, pool, p.libp2p, stream),
        probe: async () => probeGraylist(p),
        close: async () => { await p.libp2p.stop() }
      }
    }
    case 'direct-requests': {
      // validly signed cancels of unknown rides on the ride protocol, 64 streams at a time
      const p = await peer()
      const bodies = await Promise.all(Array.from({ length: 5_000 }, async (_, i) => envelope(p.key, {
        type: 'cancel', body: { requestId: `direct-${i}`, reason: Cancel.Reason.RIDER_CANCELLED, note: '' }
      })))
      return {
        name,
        run: async (signal) => ({ sent: await requests(signal, p.libp2p, driver, RIDE_PROTOCOL, i => bodies[i % bodies.length]), note: '' }),
        close: async () => { await p.libp2p.stop() }
      }
    }
    case 'pay-requests': {
      const p = await peer()
      return {
        name,
        run: async (signal) => ({ sent: await requests(signal, p.libp2p, driver, PAY_PROTOCOL, () => encodeChannelMessage(randomProposal())), note: '' }),
        close: async () => { await p.libp2p.stop() }
      }
    }
    case 'pay-frames': {
      const p = await peer()
      return {
        name,
        run: async (signal) => {
          let sent = 0
          let pipes = 0
          while (!signal.aborted) {
            let stream: Stream
            try {
              stream = await p.libp2p.dialProtocol(driver, PAY_STREAM_PROTOCOL, { signal })
            } catch {
              await new Promise(resolve => setTimeout(resolve, 100))
              continue
            }
            pipes++
            const lp = lpStream(stream)
            try {
              for (let id = 1n; !signal.aborted; id++) {
                await lp.write(encodePayFrame({ id, message: randomProposal() }), { signal })
                sent++
              }
            } catch {}
            stream.abort(new Error('done'))
          }
          return { sent, note: `${pipes} pipe(s) opened` }
        },
        close: async () => { await p.libp2p.stop() }
      }
    }
    case 'idle-pay-pipes': {
      // 40 peers of 8 pipes each, opened and left idle
      const peers: Array<Awaited<ReturnType<typeof peer>>> = []
      for (let i = 0; i < 40; i++) peers.push(await peer())
      const held: Stream[] = []
      return {
        name,
        run: async (signal) => {
          let opened = 0
          await Promise.all(peers.map(async q => {
            for (let i = 0; i < 8 && !signal.aborted; i++) {
              try {
                held.push(await q.libp2p.dialProtocol(driver, PAY_STREAM_PROTOCOL, { signal }))
                opened++
              } catch {}
            }
          }))
          await new Promise(resolve => signal.addEventListener('abort', resolve, { once: true }))
          const open = held.filter(s => s.status === 'open' && s.readStatus !== 'closed').length
          return { sent: opened, note: `${open} of ${opened} still open at the end` }
        },
        close: async () => { await Promise.all(peers.map(async q => q.libp2p.stop())) }
      }
    }
  }
}

/**
 * Writes the pool as RPC frames of 50 messages, over and over, as fast as the stream takes
 * them; opens a new stream when the driver drops one
 */
async function pour (signal: AbortSignal, pool: RPC.Message[], libp2p: Libp2p, first: GossipStream): Promise<{ sent: number, note: string }> {
  let sent = 0
  let streams = 1
  let stream: GossipStream | undefined = first
  let lastError = ''
  for (let i = 0; !signal.aborted;) {
    try {
      stream ??= await openGossipStream(libp2p, setup.driverAddress, [setup.topic])
      await stream.write(rpcFrame(pool.slice(i, i + 50)))
      sent += Math.min(50, pool.length - i)
      i = (i + 50) % pool.length
      if (sent % 5_000 === 0) await turn()
    } catch (err: any) {
      lastError = String(err?.name ?? err)
      stream = undefined
      streams++
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  return { sent, note: streams > 1 ? `${streams} streams (last error ${lastError})` : '' }
}

/** Requests on a protocol, 64 streams at a time, until stopped; returns how many were sent */
async function requests (signal: AbortSignal, libp2p: Libp2p, driver: ReturnType<typeof peerIdFromString>, protocol: string, body: (i: number) => Uint8Array): Promise<number> {
  let sent = 0
  const worker = async (): Promise<void> => {
    while (!signal.aborted) {
      const data = body(sent++)
      try {
        const stream = await libp2p.dialProtocol(driver, protocol, { signal })
        const lp = lpStream(stream)
        await lp.write(data, { signal })
        await lp.read({ signal: AbortSignal.any([signal, AbortSignal.timeout(5_000)]) }).catch(() => {})
        stream.abort(new Error('done'))
      } catch {}
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  return sent
}

function randomProposal (): ChannelMessage {
  return {
    type: 'propose',
    proposal: {
      state: { channelId: bytesToHex(randomBytes(32)), nonce: 1n, balanceRider: 1n, balanceDriver: 1n, tripRecordHash: bytesToHex(new Uint8Array(32)) },
      riderSig: bytesToHex(randomBytes(65))
    }
  }
}

process.on('message', (msg: AttackerCommand) => {
  void (async () => {
    try {
      switch (msg.cmd) {
        case 'setup': setup = msg; send({ event: 'configured' }); break
        case 'prepare': current = await prepare(msg.flood); send({ event: 'prepared', flood: msg.flood }); break
        case 'start': {
          if (current == null) throw new Error('nothing prepared')
          const stop = new AbortController()
          running = { stop, done: current.run(stop.signal) }
          break
        }
        case 'stop': {
          if (current == null || running == null) throw new Error('nothing running')
          running.stop.abort()
          const { sent, note } = await running.done
          running = undefined
          send({ event: 'stopped', flood: current.name, sent, note })
          break
        }
        case 'probe': {
          const result = current?.probe != null ? await current.probe() : { graylisted: undefined, note: 'not probed' }
          await current?.close()
          current = undefined
          send({ event: 'probe', ...result })
          break
        }
        case 'exit': process.exit(0)
      }
    } catch (err: any) {
      send({ event: 'error', message: String(err?.stack ?? err) })
    }
  })()
})
process.on('disconnect', () => { process.exit(0) })
send({ event: 'ready' })
