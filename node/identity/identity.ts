import { randomBytes } from 'node:crypto'
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { privateKeyToAccount } from 'viem/accounts'
import { IdentityError } from './errors.js'
import type { Secp256k1PrivateKey } from '@libp2p/interface'

const log = logger('hitch:identity')

/** File name of the node key inside the data directory */
export const IDENTITY_FILE = 'identity.key'

/** @default 'default' */
export const DEFAULT_PROFILE = 'default'

/**
 * A node's one secp256k1 key, seen as its libp2p identity and its Ethereum
 * account. `ethPrivateKeyHex` is non-enumerable so that logging or
 * serialising the identity object does not print it; never log it.
 */
export interface NodeIdentity {
  privateKey: Secp256k1PrivateKey
  /** libp2p peer id (string) */
  peerId: string
  /** Checksummed Ethereum address of the same key */
  ethAddress: `0x${string}`
  /** The raw 32-byte private key as hex, for EIP-712 signing with viem */
  readonly ethPrivateKeyHex: `0x${string}`
  /** True when this call created the key */
  created: boolean
}

/**
 * `$HITCH_HOME/<profile>`, or `~/.hitch/<profile>` when `HITCH_HOME` is unset.
 */
export function defaultDataDir (profile: string = DEFAULT_PROFILE): string {
  const home = process.env.HITCH_HOME ?? join(homedir(), '.hitch')
  return join(home, profile)
}

/** Build the identity view of a secp256k1 key */
export function identityFromKey (privateKey: Secp256k1PrivateKey, created = false): NodeIdentity {
  const hex = `0x${Buffer.from(privateKey.raw).toString('hex')}` as const
  const identity = {
    privateKey,
    peerId: peerIdFromPrivateKey(privateKey).toString(),
    ethAddress: privateKeyToAccount(hex).address,
    created
  }
  Object.defineProperty(identity, 'ethPrivateKeyHex', { value: hex, enumerable: false })
  return identity as NodeIdentity
}

/**
 * Load the node key from `<dataDir>/identity.key`, creating it on first run.
 * Creation is atomic: the key is written and fsynced to a temporary file
 * (mode 0600) and hard-linked into place, so a crash never leaves a partial
 * key and two processes racing on first run end up with the same key.
 */
export async function loadOrCreateIdentity (dataDir: string): Promise<NodeIdentity> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const file = join(dataDir, IDENTITY_FILE)

  const existing = await readIfExists(file)
  if (existing != null) {
    return identityFromKey(await decodeKey(existing, file))
  }

  const key = await generateKeyPair('secp256k1')
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(privateKeyToProtobuf(key))
    await handle.sync()
  } finally {
    await handle.close()
  }

  try {
    await link(tmp, file)
  } catch (err: any) {
    if (err?.code !== 'EEXIST') {
      throw err
    }
    // another process won the race: use its key
    await unlink(tmp)
    return identityFromKey(await decodeKey(await readFile(file), file))
  }
  await unlink(tmp)
  await syncDir(dataDir)
  const identity = identityFromKey(key, true)
  log('created node identity %s in %s', identity.peerId, dataDir)
  return identity
}

async function readIfExists (file: string): Promise<Uint8Array | undefined> {
  try {
    const info = await stat(file)
    if ((info.mode & 0o077) !== 0) {
      // a key readable by others is tightened rather than refused
      log('tightening permissions of %s', file)
      await chmod(file, 0o600)
    }
    return await readFile(file)
  } catch (err: any) {
    if (err?.code === 'ENOENT') {
      return undefined
    }
    throw err
  }
}

async function decodeKey (bytes: Uint8Array, file: string): Promise<Secp256k1PrivateKey> {
  let key
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new IdentityError('ERR_CORRUPT_IDENTITY', `cannot decode the node key in ${file}`, { cause: err })
  }
  if (key.type !== 'secp256k1') {
    throw new IdentityError('ERR_WRONG_KEY_TYPE', `the node key in ${file} is ${key.type}, not secp256k1`)
  }
  return key
}

async function syncDir (dir: string): Promise<void> {
  // makes the new directory entry durable; not supported everywhere, and the
  // key file itself is already synced
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {}
}
