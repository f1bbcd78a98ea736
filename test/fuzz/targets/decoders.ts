/**
 * The payment channel's wire decoders, as a peer's bytes reach them: `decodePayFrame` (each frame
 * of the long-lived `/hitch/pay/1.1.0` stream) and `decodeChannelMessage` (each request of
 * `/hitch/pay/1.0.0`). Oracle: only `ChannelProtocolError` comes out, and whatever decodes
 * re-encodes to the very bytes it came from (one message, one encoding).
 */
import {
  ChannelProtocolError, decodeChannelMessage, decodePayFrame, encodeChannelMessage, encodePayFrame
} from '../../../protocol/channel/index.js'
import { mutate, DEFAULT_DICTIONARY } from '../harness/mutators.js'
import { loadHitchSchema } from '../harness/proto-schema.js'
import { Finding, refused, type FuzzTarget, type TargetRun } from '../harness/target.js'
import { bytesEqual, canonicalProblem, toHex } from '../harness/wire.js'
import { CHANNEL_DICTIONARY, channelMessage } from './channel-values.js'
import { Prng } from '../harness/prng.js'

const identity = (b: Uint8Array): Uint8Array => b

/** Why two encodings of one decoded message differ: the first non-canonical trait, else a value the decoder changed. */
function whyDifferent (bytes: Uint8Array, message: string): { trait: string, detail: string } {
  const detail = canonicalProblem(bytes, loadHitchSchema(), message) ?? 'lossy-decode (a value changed in decoding)'
  return { trait: detail.split(' ')[0], detail }
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? `${x}n` : x)

/** The encoder's output must decode to what was encoded (else the encoder corrupts what it writes). */
function roundTrip (encoded: Uint8Array, decoded: unknown, decode: (b: Uint8Array) => unknown, what: string): void {
  let back: unknown
  try {
    back = decode(encoded)
  } catch (err) {
    back = { error: String((err as Error).message) }
  }
  if (json(back) !== json(decoded)) {
    throw refused(`${what}: the encoder writes bytes that decode to something else`, `encoded ${toHex(encoded).slice(0, 120)} decodes to ${json(back).slice(0, 200)}, not ${json(decoded).slice(0, 200)}`)
  }
}

/** A thrown error: a typed one is an outcome, anything else a crash. */
function typed (err: unknown, where: string): string {
  if (err instanceof ChannelProtocolError) return `${where}:${err.code}`
  throw err
}

function decoderTarget (opts: {
  name: string
  description: string
  message: string
  fresh: (rng: Prng) => Uint8Array
  judge: (bytes: Uint8Array) => string
}): FuzzTarget<Uint8Array> {
  return {
    name: opts.name,
    description: opts.description,
    cheap: true,
    timeoutMs: 1_000,
    async setup ({ seed }): Promise<TargetRun<Uint8Array>> {
      const rng = new Prng(`${seed}/${opts.name}/seeds`)
      const seeds = Array.from({ length: 32 }, () => opts.fresh(rng))
      const schema = loadHitchSchema()
      const dictionary = [...DEFAULT_DICTIONARY, ...CHANNEL_DICTIONARY]
      return {
        seeds,
        generate: (rng, pool) => {
          if (rng.chance(0.1)) return opts.fresh(rng)
          return mutate(rng.pick(pool.items), { rng, pool: pool.items, schema, message: opts.message, dictionary })
        },
        execute: bytes => opts.judge(bytes),
        serialize: identity,
        deserialize: identity,
        stateless: true,
        close: async () => {}
      }
    }
  }
}

/** `decodePayFrame`: frames of the long-lived pay stream. */
export const payFrameTarget = decoderTarget({
  name: 'pay-frame',
  description: 'decodePayFrame (frames of /hitch/pay/1.1.0): only ChannelProtocolError; a frame that decodes re-encodes to its own bytes',
  message: 'PayFrame',
  fresh: rng => encodePayFrame({ id: rng.chance(0.3) ? BigInt(rng.int(10)) : rng.u64(), message: channelMessage(rng) }),
  judge: bytes => {
    let frame: ReturnType<typeof decodePayFrame>
    try {
      frame = decodePayFrame(bytes)
    } catch (err) {
      return typed(err, 'throw')
    }
    if ('error' in frame) {
      if (!(frame.error instanceof ChannelProtocolError)) throw new Finding('crash', 'decodePayFrame returned an untyped error', String(frame.error))
      return `answerable-error:${frame.error.code}`
    }
    let again: Uint8Array
    try {
      again = encodePayFrame(frame)
    } catch (err) {
      throw refused('pay frame: decodes but does not encode', `decodePayFrame accepted a frame that encodePayFrame refuses: ${String((err as Error).message)}`)
    }
    roundTrip(again, frame, b => decodePayFrame(b), 'pay frame')
    if (!bytesEqual(again, bytes)) {
      const why = whyDifferent(bytes, 'PayFrame')
      throw refused(`pay frame: decodes but re-encodes differently (${why.trait})`, `a decoded frame must re-encode to its own bytes; first difference: ${why.detail}`)
    }
    return `ok:${frame.message.type}`
  }
})

/** `decodeChannelMessage`: requests on one stream each. */
export const channelMessageTarget = decoderTarget({
  name: 'channel-message',
  description: 'decodeChannelMessage (requests of /hitch/pay/1.0.0): only ChannelProtocolError; a message that decodes re-encodes to its own bytes',
  message: 'ChannelMessage',
  fresh: rng => encodeChannelMessage(channelMessage(rng)),
  judge: bytes => {
    let message: ReturnType<typeof decodeChannelMessage>
    try {
      message = decodeChannelMessage(bytes)
    } catch (err) {
      return typed(err, 'throw')
    }
    let again: Uint8Array
    try {
      again = encodeChannelMessage(message)
    } catch (err) {
      throw refused('channel message: decodes but does not encode', `decodeChannelMessage accepted a message that encodeChannelMessage refuses: ${String((err as Error).message)}`)
    }
    roundTrip(again, message, b => decodeChannelMessage(b), 'channel message')
    if (!bytesEqual(again, bytes)) {
      const why = whyDifferent(bytes, 'ChannelMessage')
      throw refused(`channel message: decodes but re-encodes differently (${why.trait})`, `a decoded message must re-encode to its own bytes; first difference: ${why.detail}`)
    }
    return `ok:${message.type}`
  }
})
