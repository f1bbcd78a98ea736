/**
 * Sessions of a fuzzing rider against a driver's channel manager: a fresh rider key (so a fresh
 * channel on chain), a deposit, and a few requests. Requests are built from a plan of abstract
 * steps (a proposal that pays more or less, skips or repeats a nonce, is signed by someone else,
 * a close request, a sync, an answer sent as a request...) under a model of what the driver has
 * co-signed so far, so that most sessions go deep into the channel's life; the encoded bytes may
 * then be mutated like any other protobuf.
 */
import { createHash } from 'node:crypto'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { encodeChannelMessage, encodePayFrame, type ChannelMessage } from '../../../protocol/channel/index.js'
import { FINAL_NONCE, ZERO_HASH, channelSigningKey, channelStateDigest, signChannelStateDigest, type ChannelDomain, type ChannelState } from '../../../protocol/channel/index.js'
import { mutate } from '../harness/mutators.js'
import { loadHitchSchema } from '../harness/proto-schema.js'
import { concatBytes, toHex } from '../harness/wire.js'
import { hex32 } from './channel-values.js'
import { Prng } from '../harness/prng.js'

type Hex = `0x${string}`

/** One request of a session. */
export interface Step {
  /** sent by a peer that is not the channel's rider */
  stranger: boolean
  /** on the long-lived pay stream (a `PayFrame`) rather than a stream of its own */
  pipe: boolean
  bytes: Uint8Array
}

/** One session: a rider, its deposit, its requests (and, for generated ones, the plan they came from). */
export interface Session {
  riderKey: Uint8Array
  deposit: bigint
  steps: Step[]
  plan?: PlanStep[]
}

type Signer = 'rider' | 'stranger' | 'driver' | 'garbage' | 'high-s' | 'bad-v' | 'other-state'

/** An abstract step. */
export type PlanStep = { stranger: boolean, pipe: boolean, mutate: number } & (
  | { kind: 'propose', nonce: 'next' | 'same' | 'skip' | 'zero' | 'final' | 'huge', pay: 'more' | 'same' | 'less' | 'all' | 'over' | 'overflow', rest: 'exact' | 'less' | 'huge', hash: 'same' | 'new', sig: Signer, channel: 'this' | 'random' }
  | { kind: 'close', balances: 'latest' | 'off', nonce: 'final' | 'next', sig: Signer, channel: 'this' | 'random' }
  | { kind: 'sync', channel: 'this' | 'random' }
  | { kind: 'answer', type: 'countersign' | 'reject' | 'close-accept' | 'sync-response' }
)

/** What the generator needs from the target. */
export interface SessionContext {
  domain: ChannelDomain
  driverKeyHex: Hex
  strangerKeyHex: Hex
  /** the channel the rider's deposit will open */
  channelIdFor: (riderKeyHex: Hex) => Promise<Hex>
}

export const keyHex = (raw: Uint8Array): Hex => `0x${toHex(raw)}`

const N = secp256k1.Point.Fn.ORDER

function sign (keyHex: Hex, state: ChannelState, domain: ChannelDomain): Hex {
  return signChannelStateDigest(channelSigningKey(keyHex), channelStateDigest(state, domain))
}

function signature (mode: Signer, state: ChannelState, c: SessionContext, riderKeyHex: Hex, rng: Prng): Hex {
  try {
    return signatureOf(mode, state, c, riderKeyHex, rng)
  } catch {
    // a state no key can sign (a field beyond its EIP-712 width): any 65 bytes will do
    return `0x${toHex(rng.bytes(64))}1b`
  }
}

function signatureOf (mode: Signer, state: ChannelState, c: SessionContext, riderKeyHex: Hex, rng: Prng): Hex {
  switch (mode) {
    case 'rider': return sign(riderKeyHex, state, c.domain)
    case 'stranger': return sign(c.strangerKeyHex, state, c.domain)
    case 'driver': return sign(c.driverKeyHex, state, c.domain)
    case 'garbage': return `0x${toHex(rng.bytes(64))}${rng.pick(['1b', '1c', '00', '01'])}`
    case 'other-state': return sign(riderKeyHex, { ...state, nonce: state.nonce ^ 1n }, c.domain)
    case 'high-s': case 'bad-v': {
      const sig = sign(riderKeyHex, state, c.domain)
      const r = sig.slice(2, 66)
      const s = BigInt(`0x${sig.slice(66, 130)}`)
      const v = Number.parseInt(sig.slice(130), 16)
      if (mode === 'bad-v') return `0x${r}${sig.slice(66, 130)}${(v + 2).toString(16)}`
      return `0x${r}${(N - s).toString(16).padStart(64, '0')}${(v === 27 ? 28 : 27).toString(16)}`
    }
  }
}

function signer (rng: Prng): Signer {
  return rng.weighted<Signer>([[20, 'rider'], [1, 'stranger'], [1, 'driver'], [1, 'garbage'], [1, 'high-s'], [1, 'bad-v'], [1, 'other-state']])
}

/** A random abstract step, mostly the rider paying a little more. */
export function planStep (rng: Prng): PlanStep {
  const common = { stranger: rng.chance(0.08), pipe: rng.chance(0.5), mutate: rng.chance(0.15) ? rng.u32() : 0 }
  const channel = rng.chance(0.95) ? 'this' as const : 'random' as const
  switch (rng.weighted<PlanStep['kind']>([[12, 'propose'], [3, 'close'], [2, 'sync'], [1, 'answer']])) {
    case 'propose':
      return {
        ...common,
        kind: 'propose',
        nonce: rng.weighted([[14, 'next'], [1, 'same'], [1, 'skip'], [1, 'zero'], [1, 'final'], [1, 'huge']] as const),
        pay: rng.weighted([[10, 'more'], [2, 'same'], [1, 'less'], [1, 'all'], [1, 'over'], [1, 'overflow']] as const),
        rest: rng.weighted([[10, 'exact'], [1, 'less'], [1, 'huge']] as const),
        hash: rng.chance(0.8) ? 'same' : 'new',
        sig: signer(rng),
        channel
      }
    case 'close':
      return { ...common, kind: 'close', balances: rng.chance(0.8) ? 'latest' : 'off', nonce: rng.chance(0.9) ? 'final' : 'next', sig: signer(rng), channel }
    case 'sync':
      return { ...common, kind: 'sync', channel }
    case 'answer':
      return { ...common, kind: 'answer', type: rng.pick(['countersign', 'reject', 'close-accept', 'sync-response'] as const) }
  }
}

/** Builds a session's bytes from its plan, tracking what an honest driver would have co-signed. */
export async function buildSession (rng: Prng, riderKey: Uint8Array, deposit: bigint, plan: PlanStep[], c: SessionContext): Promise<Session> {
  const riderKeyHex = keyHex(riderKey)
  const channelId = await c.channelIdFor(riderKeyHex)
  let latest = { nonce: 0n, driver: 0n, hash: ZERO_HASH as Hex }
  const schema = loadHitchSchema()
  const steps: Step[] = []
  let frameId = BigInt(rng.int(4))
  for (const p of plan) {
    const id: Hex = p.kind !== 'answer' && p.channel === 'random' ? hex32(rng) : channelId
    let message: ChannelMessage
    switch (p.kind) {
      case 'propose': {
        const nonce = { next: latest.nonce + 1n, same: latest.nonce, skip: latest.nonce + 2n, zero: 0n, final: FINAL_NONCE, huge: FINAL_NONCE - 1n }[p.nonce]
        const step = 1n + BigInt(rng.int(1000))
        const driver = { more: latest.driver + step, same: latest.driver, less: latest.driver > 0n ? latest.driver - 1n : 0n, all: deposit, over: deposit + 1n, overflow: (1n << 256n) - 1n }[p.pay]
        const rider = { exact: deposit > driver ? deposit - driver : 0n, less: deposit > driver + 1n ? deposit - driver - 1n : 0n, huge: (1n << 256n) - 1n }[p.rest]
        const state: ChannelState = { channelId: id, nonce, balanceRider: rider, balanceDriver: driver, tripRecordHash: p.hash === 'same' ? latest.hash : hex32(rng) }
        message = { type: 'propose', proposal: { state, riderSig: signature(p.sig, state, c, riderKeyHex, rng) } }
        const legal = p.nonce === 'next' && driver >= latest.driver && driver + rider <= deposit && p.sig === 'rider' && p.channel === 'this' && !p.stranger && p.mutate === 0
        if (legal) latest = { nonce, driver, hash: state.tripRecordHash }
        break
      }
      case 'close': {
        const off = p.balances === 'off' ? 1n : 0n
        const state: ChannelState = {
          channelId: id,
          nonce: p.nonce === 'final' ? FINAL_NONCE : latest.nonce + 1n,
          balanceRider: deposit >= latest.driver + off ? deposit - latest.driver - off : 0n,
          balanceDriver: latest.driver + off,
          tripRecordHash: latest.hash
        }
        message = { type: 'close-request', state, sig: signature(p.sig, state, c, riderKeyHex, rng) }
        break
      }
      case 'sync':
        message = { type: 'sync-request', channelId: id }
        break
      case 'answer': {
        const sig: Hex = `0x${toHex(rng.bytes(64))}1b`
        const state: ChannelState = { channelId, nonce: latest.nonce + 1n, balanceRider: 0n, balanceDriver: deposit, tripRecordHash: ZERO_HASH }
        message = p.type === 'countersign'
          ? { type: 'countersign', channelId, nonce: latest.nonce + 1n, driverSig: sig }
          : p.type === 'reject'
            ? { type: 'reject', channelId, nonce: latest.nonce, code: 'stale', detail: '' }
            : p.type === 'close-accept' ? { type: 'close-accept', channelId, sig } : { type: 'sync-response', latest: { state, riderSig: sig, driverSig: sig } }
        break
      }
    }
    frameId += 1n + BigInt(rng.chance(0.05) ? rng.int(3) - 1 : 0)
    if (frameId < 0n) frameId = 0n
    let bytes = p.pipe ? encodePayFrame({ id: frameId, message }) : encodeChannelMessage(message)
    if (p.mutate !== 0) {
      const m = new Prng(`mutate/${p.mutate}`)
      bytes = mutate(bytes, { rng: m, schema, message: p.pipe ? 'PayFrame' : 'ChannelMessage' })
    }
    steps.push({ stranger: p.stranger, pipe: p.pipe, bytes })
  }
  return { riderKey, deposit, steps, plan }
}

/** A fresh rider key for session `n` of a run. */
export function riderKeyOf (seed: string, n: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${seed}/channel-serve/rider/${n}`).digest())
}

export function serializeSession (s: Session): Uint8Array {
  const head = new Uint8Array(65)
  head.set(s.riderKey.subarray(0, 32), 0)
  const dep = s.deposit.toString(16).padStart(64, '0')
  head.set(Buffer.from(dep, 'hex'), 32)
  head[64] = Math.min(255, s.steps.length)
  const parts: Uint8Array[] = [head]
  for (const step of s.steps.slice(0, 255)) {
    const h = new Uint8Array(5)
    h[0] = (step.stranger ? 1 : 0) | (step.pipe ? 2 : 0)
    new DataView(h.buffer).setUint32(1, step.bytes.length)
    parts.push(h, step.bytes)
  }
  return concatBytes(parts)
}

export function deserializeSession (b: Uint8Array): Session {
  if (b.length < 65) throw new RangeError('a session has a 65-byte header')
  const riderKey = b.slice(0, 32)
  const deposit = BigInt(`0x${toHex(b.subarray(32, 64))}`)
  const steps: Step[] = []
  let pos = 65
  for (let i = 0; i < b[64]; i++) {
    if (pos + 5 > b.length) throw new RangeError('session truncated')
    const len = new DataView(b.buffer, b.byteOffset + pos + 1, 4).getUint32(0)
    if (pos + 5 + len > b.length) throw new RangeError('session truncated')
    steps.push({ stranger: (b[pos] & 1) !== 0, pipe: (b[pos] & 2) !== 0, bytes: b.slice(pos + 5, pos + 5 + len) })
    pos += 5 + len
  }
  return { riderKey, deposit, steps }
}
