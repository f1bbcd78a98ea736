/**
 * Turns on, for this process, the memo of parsed secp256k1 public keys that
 * `patches/@libp2p+crypto+*.patch` adds to `@libp2p/crypto` (off unless a process asks).
 *
 * Why: a process that runs hundreds of libp2p nodes parses the same peer ids again and again
 * (every peer named in every kad-dht response, every peer-set operation of kad-dht's
 * closest-peer tagging). Each parse of a secp256k1 peer id decompresses its public key twice,
 * a modular square root in pure JavaScript: profiling a 60-node run showed about a third of
 * all CPU there. The memo keeps the compressed form of keys already found valid, so a peer id
 * is decompressed once per process. It changes no result (the parse is a pure function of the
 * key's bytes) and is bounded. Ed25519 peer ids parse on native crypto and do not need it.
 */

/** The global the patched `Secp256k1PublicKey` constructor reads */
const CACHE_KEY = Symbol.for('@libp2p/crypto/secp256k1-public-key-cache')

/** Most keys remembered; the oldest is forgotten first */
export const SECP256K1_KEY_CACHE_SIZE = 65_536

/** A bounded map, oldest first out */
class BoundedCache {
  private readonly map = new Map<string, Uint8Array>()
  constructor (private readonly limit: number) {}
  get (id: string): Uint8Array | undefined {
    return this.map.get(id)
  }

  set (id: string, raw: Uint8Array): void {
    if (this.map.size >= this.limit) {
      const oldest = this.map.keys().next()
      if (oldest.done !== true) this.map.delete(oldest.value)
    }
    this.map.set(id, raw)
  }

  get size (): number {
    return this.map.size
  }
}

/** Installs the memo in this process (once); returns how many keys it holds */
export function enableKeyParseCache (limit = SECP256K1_KEY_CACHE_SIZE): { size: number } {
  const g = globalThis as Record<symbol, unknown>
  if (g[CACHE_KEY] == null) g[CACHE_KEY] = new BoundedCache(limit)
  return g[CACHE_KEY] as BoundedCache
}
