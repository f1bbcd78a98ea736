import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'

/**
 * The DHT key for an application key such as a topic or cell name: CIDv1,
 * raw codec, sha2-256 of the UTF-8 string. Every node derives the same CID.
 */
export async function cidForKey (key: string): Promise<CID> {
  const digest = await sha256.digest(new TextEncoder().encode(key))
  return CID.createV1(raw.code, digest)
}
