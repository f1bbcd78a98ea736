/**
 * The channel serve path: a driver's real `ChannelManager` (real in-memory datastore, real
 * embedded EVM with the adjudicator) answering a fuzzing rider through the `Network` port, on
 * both `/hitch/pay/1.0.0` (a stream per request) and the long-lived `/hitch/pay/1.1.0` pipe.
 * Each input is a session: a fresh rider opens a channel on chain, then sends its requests.
 *
 * Oracle (on top of "only typed errors" and the time bound), for every answer:
 * - it decodes (the driver speaks its own protocol);
 * - a countersignature is over the state asked for, which the rider signed and the rules allow
 *   (next nonce, the driver's balance never lower, within the deposit), and never after the
 *   driver signed a final state of the channel;
 * - a final-state signature is over the latest co-signed balances with `FINAL_NONCE`, once;
 * - every co-signed state it hands out (countersignature, sync, stale reject) is on disk first;
 * - nobody gets the channel's co-signed states but its peer: the rider's peer at the open, then
 *   whichever peer last had a proposal countersigned (a fresh state signed by the rider's key:
 *   a rider takes a fresh peer id for every ride and keeps its channel; a stranger cannot make
 *   one).
 */
import { createHash } from 'node:crypto'
import { privateKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryDatastore } from 'datastore-core'
import { Key } from 'interface-datastore'
import { privateKeyToAccount } from 'viem/accounts'
import { ChannelManager, ChannelError, ChannelStore, CHANNELS_PREFIX, channelFromJson } from '../../../node/channel/index.js'
import { WallClock } from '../../../node/clock/index.js'
import { memoryDurableStore } from '../../../node/store/index.js'
import { identityFromKey } from '../../../node/identity/index.js'
import {
  ChannelProtocolError, decodeChannelMessage, decodePayFrame, PAY_STREAM_PROTOCOL, type ChannelMessage, type CoSignedState
} from '../../../protocol/channel/index.js'
import { PAY_PROTOCOL } from '../../../protocol/index.js'
import { EmbeddedEvm, SettlementError, type EmbeddedChain } from '../../../settlement/index.js'
import { FINAL_NONCE, ZERO_HASH, channelStateDigest, recoverChannelStateDigestSigner, type ChannelDomain, type ChannelState } from '../../../protocol/channel/index.js'
import { refused, type FuzzTarget, type TargetRun } from '../harness/target.js'
import { Prng } from '../harness/prng.js'
import { buildSession, deserializeSession, keyHex, planStep, riderKeyOf, serializeSession, type Session, type SessionContext, type Step } from './channel-steps.js'
import { PortNetwork, type FuzzPipe } from './port-network.js'
import type { Secp256k1PrivateKey } from '@libp2p/interface'

type Hex = `0x${string}`
const ETH = 10n ** 18n
/** Fixed keys: a session's channel id depends only on its rider key, so a corpus file replays anywhere. */
const DRIVER_RAW = createHash('sha256').update('hitch-fuzz/channel-serve/driver').digest()
const STRANGER_RAW = createHash('sha256').update('hitch-fuzz/channel-serve/stranger').digest()

const lower = (a: string): string => a.toLowerCase()

/** What the driver has signed on the session's channel, as the fuzzer saw it. */
interface Model {
  channelId: Hex
  rider: string
  driver: string
  deposit: bigint
  /** the peer the channel's states may go to (see the oracle above) */
  peer: string
  latest?: ChannelState
  final?: ChannelState
}

function typedError (err: unknown): string {
  if (err instanceof ChannelError || err instanceof ChannelProtocolError || err instanceof SettlementError) return `threw:${err.code}`
  throw err
}

/** The fixed driver of every session. */
export function channelDriver (): ReturnType<typeof identityFromKey> {
  return identityFromKey(privateKeyFromRaw(DRIVER_RAW) as Secp256k1PrivateKey)
}

/** What building a session needs, from the driver's chain client. */
export function sessionContext (driverChain: EmbeddedChain): SessionContext {
  return {
    domain: driverChain.domain,
    driverKeyHex: channelDriver().ethPrivateKeyHex,
    strangerKeyHex: keyHex(STRANGER_RAW),
    channelIdFor: async (riderKeyHex: Hex): Promise<Hex> => await driverChain.channelIdFor(privateKeyToAccount(riderKeyHex).address, driverChain.address)
  }
}

export const channelServeTarget: FuzzTarget<Session> = {
  name: 'channel-serve',
  description: 'a driver\'s ChannelManager answering a fuzzing rider (Network port, in-memory datastore, embedded EVM): no state signed that the rules forbid, nothing handed out before it is on disk or to a stranger',
  cheap: false,
  timeoutMs: 10_000,
  async setup ({ seed }): Promise<TargetRun<Session>> {
    const evm = await EmbeddedEvm.start({ challengePeriodS: 3600 })
    const driver = channelDriver()
    const strangerPeer = peerIdFromPrivateKey(privateKeyFromRaw(STRANGER_RAW)).toString()
    const chain: EmbeddedChain = await evm.connect(driver.ethPrivateKeyHex, { fundWei: 10n * ETH })
    const domain: ChannelDomain = chain.domain
    const datastore = new MemoryDatastore()
    const network = new PortNetwork(driver.peerId)
    const manager = new ChannelManager({
      network, chain, store: memoryDurableStore(datastore), identity: driver, clock: new WallClock(), role: 'driver', watch: false,
      // a proposal whose predecessor never comes waits this long (25 ms), not the default 2 s
      unresponsiveTimeoutMs: 25,
      // every session is a new channel (no chain watch here), some 40 a second, and the stranger
      // is one peer for all of them: under the default budgets (2 unknown channels a second in
      // all, 20 requests a second a peer) a long run ended half its sessions at 'rate-limited'
      // and the rest of their plans never reached the state machine. The limits have tests of
      // their own (channel-attacks.spec.ts).
      inbound: { requestBurst: 1e9, requestsPerSecond: 1e9, unknownChannelBurst: 1e9, unknownChannelsPerMinute: 1e9, unknownChannelGlobalBurst: 1e9, unknownChannelsGlobalPerMinute: 1e9 }
    })
    await manager.start()
    let sessions = 0
    const ctx = sessionContext(chain)
    const rng0 = new Prng(`${seed}/channel-serve/seeds`)
    const seeds: Session[] = []
    for (let i = 0; i < 4; i++) {
      seeds.push(await buildSession(rng0, riderKeyOf(seed, sessions++), ETH / 100n, Array.from({ length: 6 }, () => planStep(rng0)), ctx))
    }

    /** The channel's record as stored, read the way the manager reads it back after a restart. */
    const stored = async (channelId: Hex): Promise<CoSignedState | undefined> => {
      try {
        const raw = await datastore.get(new Key(`${CHANNELS_PREFIX}/${channelId}`))
        return channelFromJson(JSON.parse(new TextDecoder().decode(raw))).latest
      } catch {
        const all = await new ChannelStore(memoryDurableStore(datastore)).loadAll()
        return all.find(c => lower(c.channelId) === lower(channelId))?.latest
      }
    }
    const durable = async (model: Model, cosigned: CoSignedState, what: string): Promise<void> => {
      if (lower(cosigned.state.channelId) !== lower(model.channelId)) return
      const onDisk = await stored(model.channelId)
      if (onDisk == null || onDisk.state.nonce < cosigned.state.nonce) {
        throw refused(`channel: ${what} handed out before it is on disk`, `nonce ${cosigned.state.nonce} left the node; the store holds ${String(onDisk?.state.nonce ?? 'nothing')}`)
      }
    }
    const signerOf = (state: ChannelState, sig: Hex): string => lower(recoverChannelStateDigestSigner(channelStateDigest(state, domain), sig) ?? '')

    /** Judges the driver's answer to one request. */
    const judge = async (model: Model, request: ChannelMessage | undefined, answer: ChannelMessage, from: string): Promise<string> => {
      switch (answer.type) {
        case 'countersign': {
          if (request?.type !== 'propose') throw refused('channel: countersigned something that is not a proposal', `request was ${request?.type ?? 'undecodable'}`)
          const state = request.proposal.state
          if (answer.nonce !== state.nonce || lower(answer.channelId) !== lower(state.channelId)) throw refused('channel: countersignature names another state', 'nonce or channel id differ from the proposal')
          if (signerOf(state, answer.driverSig) !== lower(model.driver)) throw refused('channel: countersignature is not the driver\'s over the proposal', 'the signature does not recover to the driver')
          if (lower(state.channelId) !== lower(model.channelId)) return 'countersign:other-channel'
          if (signerOf(state, request.proposal.riderSig) !== lower(model.rider)) throw refused('channel: countersigned a state the rider did not sign', 'the rider signature recovers to someone else')
          if (model.final != null) throw refused('channel: signed a state after a final state', `nonce ${state.nonce} countersigned after the final state was signed`)
          const prev = model.latest
          if (state.nonce !== (prev?.nonce ?? 0n) + 1n) throw refused('channel: countersigned a nonce out of order', `nonce ${state.nonce} after ${prev?.nonce ?? 0n}`)
          if (state.balanceDriver < (prev?.balanceDriver ?? 0n)) throw refused('channel: countersigned a lower driver balance', `${state.balanceDriver} < ${prev?.balanceDriver ?? 0n}`)
          if (state.balanceDriver + state.balanceRider > model.deposit) throw refused('channel: countersigned more than the deposit', `${state.balanceDriver + state.balanceRider} > ${model.deposit}`)
          if (state.nonce >= FINAL_NONCE) throw refused('channel: countersigned the final nonce as a payment', 'nonce FINAL_NONCE')
          model.latest = state
          model.peer = from
          await durable(model, { state, riderSig: request.proposal.riderSig, driverSig: answer.driverSig }, 'a countersignature')
          return 'countersign'
        }
        case 'close-accept': {
          if (request?.type !== 'close-request') throw refused('channel: final signature for something that is not a close request', `request was ${request?.type ?? 'undecodable'}`)
          const state = request.state
          if (signerOf(state, answer.sig) !== lower(model.driver)) throw refused('channel: final signature is not the driver\'s over the state asked', 'the signature does not recover to the driver')
          if (lower(state.channelId) !== lower(model.channelId)) return 'close-accept:other-channel'
          if (signerOf(state, request.sig) !== lower(model.rider)) throw refused('channel: signed a final state the rider did not ask for', 'the close request is not signed by the rider')
          const expect = model.latest ?? { balanceRider: model.deposit, balanceDriver: 0n, tripRecordHash: ZERO_HASH }
          if (state.nonce !== FINAL_NONCE || state.balanceDriver !== expect.balanceDriver || state.balanceRider !== expect.balanceRider || lower(state.tripRecordHash) !== lower(expect.tripRecordHash)) {
            throw refused('channel: signed a final state that is not the latest co-signed one', `nonce ${state.nonce}, driver ${state.balanceDriver}`)
          }
          if (model.final != null && (model.final.balanceDriver !== state.balanceDriver || model.final.balanceRider !== state.balanceRider)) throw refused('channel: signed two different final states', 'second final state')
          model.final = state
          return 'close-accept'
        }
        case 'sync-response':
        case 'reject': {
          const latest = answer.latest
          if (latest != null && lower(latest.state.channelId) === lower(model.channelId)) {
            if (from !== model.peer) throw refused(`channel: ${answer.type} hands the latest co-signed state to a stranger`, 'only the channel\'s participants may read it')
            await durable(model, latest, `the latest state in a ${answer.type}`)
          }
          return answer.type === 'reject' ? `reject:${answer.code}` : `sync:${latest != null ? 'state' : 'none'}`
        }
        default:
          throw refused('channel: answered a request with a request', `answer ${answer.type}`)
      }
    }

    /** Sends one step and waits for its answer. */
    const send = async (model: Model, step: Step, pipes: Map<string, FuzzPipe>, riderPeer: string, signal: AbortSignal): Promise<string> => {
      const from = step.stranger ? strangerPeer : riderPeer
      let request: ChannelMessage | undefined
      if (!step.pipe) {
        try { request = decodeChannelMessage(step.bytes) } catch {}
        let result: Awaited<ReturnType<typeof network.deliver>>
        try {
          result = await network.deliver(from, PAY_PROTOCOL, step.bytes, signal)
        } catch (err) {
          return typedError(err)
        }
        if (result.refused != null) return `network:${result.refused}`
        if (result.answer == null) return 'no-answer'
        let answer: ChannelMessage
        try { answer = decodeChannelMessage(result.answer) } catch { throw refused('channel: the driver\'s answer does not decode', 'undecodable answer') }
        if (request == null && answer.type !== 'reject') throw refused('channel: an undecodable request got more than a reject', answer.type)
        return await judge(model, request, answer, from)
      }
      let pipe = pipes.get(from)
      if (pipe == null || !pipe.open) {
        pipe = network.openPipeFrom(from, PAY_STREAM_PROTOCOL)
        if (pipe == null) return 'network:no-pipe'
        pipes.set(from, pipe)
      }
      if (step.bytes.byteLength > network.maxPipeMessageBytes(PAY_STREAM_PROTOCOL)) return 'network:oversized'
      let frame: ReturnType<typeof decodePayFrame> | undefined
      try { frame = decodePayFrame(step.bytes) } catch {}
      const before = pipe.sent.length
      pipe.handlers!.onMessage(step.bytes)
      while (pipe.sent.length === before && pipe.open && !signal.aborted) await pipe.changed(signal)
      if (pipe.sent.length === before) return pipe.open ? 'pipe:no-answer' : 'pipe:closed'
      let answer: ReturnType<typeof decodePayFrame>
      try { answer = decodePayFrame(pipe.sent[before]) } catch { throw refused('channel: the driver\'s answer frame does not decode', 'undecodable frame') }
      if ('error' in answer) throw refused('channel: the driver\'s answer frame does not decode', answer.error.message)
      if (frame == null) throw refused('channel: a frame without an id got an answer', 'answered an undecodable frame')
      if (answer.id !== frame.id) throw refused('channel: an answer frame carries another id', `${answer.id} for ${frame.id}`)
      return await judge(model, 'error' in frame ? undefined : frame.message, answer.message, from)
    }

    return {
      seeds,
      generate: async (rng, pool) => {
        const riderKey = riderKeyOf(seed, sessions++)
        const deposit = rng.weighted<bigint>([[6, ETH / 100n], [1, 1n], [1, BigInt(rng.int(10_000)) + 1n]])
        const base = pool.items.filter(s => s.plan != null)
        let plan = Array.from({ length: rng.range(1, 10) }, () => planStep(rng))
        if (base.length > 0 && rng.chance(0.3)) {
          plan = [...rng.pick(base).plan!]
          for (let n = rng.range(1, 3); n > 0; n--) {
            const i = rng.int(plan.length)
            switch (rng.int(4)) {
              case 0: plan.splice(i, 1); break
              case 1: plan.splice(i, 0, plan[i] ?? planStep(rng)); break
              case 2: plan.splice(rng.int(plan.length + 1), 0, planStep(rng)); break
              default: plan[i] = planStep(rng)
            }
          }
        }
        return await buildSession(rng, riderKey, deposit, plan.slice(0, 16), ctx)
      },
      execute: async (session, signal) => {
        const riderKeyHex = keyHex(session.riderKey)
        const riderPeer = peerIdFromPrivateKey(privateKeyFromRaw(session.riderKey)).toString()
        const riderChain = await evm.connect(riderKeyHex, { fundWei: session.deposit + ETH })
        const pipes = new Map<string, FuzzPipe>()
        try {
          let opened
          try {
            opened = await riderChain.open(driver.ethAddress, session.deposit)
          } catch (err) {
            return `open:${typedError(err)}`
          }
          const model: Model = { channelId: opened.channelId, rider: riderChain.address, driver: driver.ethAddress, deposit: session.deposit, peer: riderPeer }
          const outcomes: string[] = []
          for (const step of session.steps) {
            if (signal.aborted) break
            outcomes.push(await send(model, step, pipes, riderPeer, signal))
          }
          return outcomes.at(-1) ?? 'empty'
        } finally {
          for (const p of pipes.values()) p.close()
          await riderChain.stop()
        }
      },
      serialize: serializeSession,
      deserialize: deserializeSession,
      close: async () => {
        await manager.stop()
        await chain.stop()
        await evm.stop()
      }
    }
  }
}

