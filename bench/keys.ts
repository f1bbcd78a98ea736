/**
 * The cost of a peer id's key type, side by side in one run: Ed25519 (Node's native crypto, the
 * peer key of every node now) against secp256k1 as libp2p computes it (pure-JS `@noble/curves`:
 * what the noise handshake and identify still do with a secp256k1 peer id) and as Hitch's
 * envelope backend computes it (libsecp256k1 in WebAssembly, `node/signatures`).
 * `npm run bench -- keys [--ms N] [--connections N] [--json]`.
 *
 * Rows: parsing a peer id to its public key (kad-dht, the peer store and gossipsub parse peer
 * ids all the time; a secp256k1 one decompresses a point), signing and opening a Hitch envelope
 * (a quote), and a whole libp2p connection on the memory transport (noise handshake with both
 * identity signatures, yamux, identify with its signed peer record) dialled and closed.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { createHitchLibp2p } from '../node/libp2p/index.js'
import { libsecp256k1Signatures } from '../node/signatures/index.js'
import { openEnvelope, signEnvelope } from '../protocol/index.js'
import type { HitchMessage } from '../protocol/index.js'
import type { PrivateKey } from '@libp2p/interface'

interface Variant {
  name: string
  key: () => Promise<PrivateKey>
  backend: 'libp2p' | 'libsecp256k1'
}

const VARIANTS: Variant[] = [
  { name: 'Ed25519 (node:crypto)', key: async () => await generateKeyPair('Ed25519'), backend: 'libp2p' },
  { name: 'secp256k1 (libsecp256k1 wasm)', key: async () => await generateKeyPair('secp256k1'), backend: 'libsecp256k1' },
  { name: 'secp256k1 (libp2p, pure JS)', key: async () => await generateKeyPair('secp256k1'), backend: 'libp2p' }
]

const QUOTE: HitchMessage = {
  type: 'quote',
  body: { requestId: 'req-bench', quoteId: 'q-bench', price: '1234', expiresAt: 1_800_000_000_000, pooled: false, currency: 'usd-cent', seats: 1, pickupMinutes: 3, dropoffMinutes: 12 }
}

function flag (args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name)
  return i >= 0 && args[i + 1] != null ? Number(args[i + 1]) : fallback
}

/** Operations per second of `op` over about `ms` of wall time (after a short warm-up). */
async function rate (ms: number, op: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 20; i++) await op(i)
  let n = 0
  const start = performance.now()
  while (performance.now() - start < ms) {
    for (let j = 0; j < 10; j++) await op(n++)
  }
  return n / ((performance.now() - start) / 1000)
}

/** Connections dialled and closed per second between two memory-transport nodes of this key type. */
async function connectionRate (variant: Variant, count: number): Promise<number> {
  const a = await createHitchLibp2p({ privateKey: await variant.key(), transport: 'memory', dht: false })
  const b = await createHitchLibp2p({ privateKey: await variant.key(), transport: 'memory', dht: false })
  await a.start()
  await b.start()
  try {
    const target = b.getMultiaddrs()[0]
    const dial = async (): Promise<void> => {
      const conn = await a.dial(target)
      // identify runs on every new connection: wait for it, as a real peer does
      await new Promise<void>(resolve => {
        const done = (): void => { a.removeEventListener('peer:identify', done); resolve() }
        a.addEventListener('peer:identify', done)
        setTimeout(done, 2_000).unref()
      })
      await conn.close()
    }
    for (let i = 0; i < 3; i++) await dial()
    const start = performance.now()
    for (let i = 0; i < count; i++) await dial()
    return count / ((performance.now() - start) / 1000)
  } finally {
    await a.stop()
    await b.stop()
  }
}

export async function run (args: string[]): Promise<void> {
  const ms = flag(args, '--ms', 1_000)
  const connections = flag(args, '--connections', 100)
  const json = args.includes('--json')
  const rows: Array<Record<string, string | number>> = []
  for (const variant of VARIANTS) {
    const key = await variant.key()
    const id = peerIdFromPrivateKey(key).toString()
    const signatures = variant.backend === 'libsecp256k1' ? libsecp256k1Signatures() : undefined
    const nonce = new Uint8Array(16)
    const sign = async (i: number): Promise<Uint8Array> => {
      nonce[0] = i & 0xff
      nonce[1] = (i >> 8) & 0xff
      return await signEnvelope(key, QUOTE, { now: 1_700_000_000_000, ttlMs: 60_000, nonce, ...(signatures != null ? { signer: signatures.sign } : {}) })
    }
    const envelopes = await Promise.all(Array.from({ length: 64 }, async (_, i) => await sign(i)))
    rows.push({
      key: variant.name,
      'peer id parse /s': Math.round(await rate(ms, () => peerIdFromString(id).publicKey)),
      'envelope sign /s': Math.round(await rate(ms, sign)),
      'envelope open /s': Math.round(await rate(ms, async i => await openEnvelope(envelopes[i % envelopes.length], signatures != null ? { verifier: signatures.verify } : {}))),
      // the wasm backend signs envelopes only: libp2p's connections use the key's own methods
      'connections /s': variant.backend === 'libsecp256k1' ? '(as pure JS)' : Math.round(await connectionRate(variant, connections) * 10) / 10
    })
  }
  if (json) {
    process.stdout.write(JSON.stringify({ bench: 'keys', ms, connections, rows }) + '\n')
    return
  }
  console.log(`peer id key types, one process (${ms} ms per figure, ${connections} connections per key type)\n`)
  console.table(rows)
  const ed = rows[0]
  const wasm = rows[1]
  const js = rows[2]
  const times = (a: string | number, b: string | number): string => typeof a === 'number' && typeof b === 'number' ? `${(a / b).toFixed(1)}×` : '-'
  console.log(`Ed25519 against secp256k1 (wasm | pure JS): peer id parse ${times(ed['peer id parse /s'], wasm['peer id parse /s'])} | ${times(ed['peer id parse /s'], js['peer id parse /s'])}, ` +
    `envelope sign ${times(ed['envelope sign /s'], wasm['envelope sign /s'])} | ${times(ed['envelope sign /s'], js['envelope sign /s'])}, ` +
    `envelope open ${times(ed['envelope open /s'], wasm['envelope open /s'])} | ${times(ed['envelope open /s'], js['envelope open /s'])}, ` +
    `connections ${times(ed['connections /s'], js['connections /s'])}`)
}
