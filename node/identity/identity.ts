import { createPrivateKey, createPublicKey, hkdfSync } from 'node:crypto'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyFromRaw, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { privateKeyToAccount } from 'viem/accounts'
import { CorruptIdentityError, KeyFileAlreadyDoneError, NoIdentityError, PassphraseRequiredError, WrongKeyTypeError } from './errors.js'
import { createKeyFile, readKeyFile, replaceKeyFile, securePrivateDir } from './key-file.js'
import { decryptKeystore, encryptKeystore, isKeystore, STANDARD_SCRYPT } from './keystore.js'
import type { ScryptParams } from './keystore.js'
import type { Ed25519PrivateKey, PrivateKey, Secp256k1PrivateKey } from '@libp2p/interface'

const log = logger('hitch:identity')

/** File name of the node key inside the data directory */
export const IDENTITY_FILE = 'identity.key'

/** @default 'default' */
export const DEFAULT_PROFILE = 'default'

/** The salt of the derivation of a node's peer key from its payment key (HKDF-SHA-256). */
export const PEER_KEY_DERIVATION = 'hitch/peer-key/ed25519/1'

/**
 * A node's two keys, one identity: its payment key (secp256k1: the Ethereum account that opens
 * channels, signs their states and signs identity bindings) and its peer key (Ed25519: the
 * libp2p peer id, which signs envelopes and trip records at native speed). The peer key is
 * derived from the payment key (HKDF-SHA-256, salt {@link PEER_KEY_DERIVATION}), so the key file
 * holds one secret as before, a directory written by an earlier version (whose peer id was the
 * secp256k1 key itself) gets its Ed25519 peer id on start with the same address, channels,
 * rides and records, and the peer key reveals nothing of the payment key.
 *
 * Printing or serialising it (`util.inspect`, `console.log`, `JSON.stringify`, also of a
 * `{ ...copy }` or of a key alone) shows the peer id and the address, never a key; never log
 * `ethPrivateKeyHex`.
 */
export interface NodeIdentity {
  /** the payment key (secp256k1) */
  privateKey: Secp256k1PrivateKey
  /** the peer key (Ed25519), derived from the payment key */
  peerKey: Ed25519PrivateKey
  /** libp2p peer id (string) of `peerKey` */
  peerId: string
  /** Checksummed Ethereum address of the payment key */
  ethAddress: `0x${string}`
  /** The raw 32-byte payment key as hex, for EIP-712 signing with viem (non-enumerable) */
  readonly ethPrivateKeyHex: `0x${string}`
  /** True when this call created the key */
  created: boolean
}

/** Asked for the passphrase of an encrypted key file, only when one is needed. */
export type PassphraseSource = () => Promise<string | Uint8Array> | string | Uint8Array

/** Options of {@link loadOrCreateIdentity}. */
export interface IdentityOptions {
  /**
   * The passphrase of an encrypted key file (Web3 Secret Storage v3), asked only when the file
   * is encrypted or `encryptNew` creates one.
   *
   * @default undefined: an encrypted key file is refused with `ERR_PASSPHRASE_REQUIRED`
   */
  passphrase?: PassphraseSource
  /**
   * Whether a key created by this call is stored encrypted under `passphrase`.
   *
   * @default false (plaintext, for tests and simulations)
   */
  encryptNew?: boolean
  /**
   * scrypt's cost for a key encrypted here.
   *
   * @default STANDARD_SCRYPT
   */
  scrypt?: ScryptParams
}

/** What {@link identityFileInfo} says about a data directory's key file. */
export interface IdentityFileInfo {
  file: string
  exists: boolean
  encrypted: boolean
}

/**
 * `$HITCH_HOME/<profile>`, or `~/.hitch/<profile>` when `HITCH_HOME` is unset.
 */
export function defaultDataDir (profile: string = DEFAULT_PROFILE): string {
  const home = process.env.HITCH_HOME ?? join(homedir(), '.hitch')
  return join(home, profile)
}

/**
 * Keeps a libp2p private key's bytes out of `util.inspect` and `JSON.stringify` (its `raw`
 * field is enumerable): `raw` becomes non-enumerable on this instance, and the key prints as
 * its type. The key works as before. Idempotent.
 */
export function hideKeyBytes<K extends PrivateKey> (key: K): K {
  if (Object.prototype.hasOwnProperty.call(key, inspect.custom)) return key
  const raw = key.raw
  Object.defineProperty(key, 'raw', { value: raw, enumerable: false, writable: false, configurable: false })
  // computed when printed, not for each of a simulation's thousands of keys
  const shown = (): { type: string, publicKey: string } => ({ type: key.type, publicKey: key.publicKey.toString() })
  Object.defineProperty(key, 'toJSON', { value: shown, enumerable: false })
  Object.defineProperty(key, inspect.custom, { value: () => `PrivateKey { type: '${key.type}', publicKey: '${shown().publicKey}', raw: [redacted] }`, enumerable: false })
  return key
}

/**
 * The Ed25519 peer key of a payment key: HKDF-SHA-256 of its 32 bytes (salt
 * {@link PEER_KEY_DERIVATION}) is the Ed25519 seed. One way: the peer key says nothing of the
 * payment key.
 */
export function derivePeerKey (paymentKey: Secp256k1PrivateKey): Ed25519PrivateKey {
  const seed = Buffer.from(hkdfSync('sha256', paymentKey.raw, PEER_KEY_DERIVATION, '', 32))
  return hideKeyBytes(ed25519FromSeed(seed))
}

/** An Ed25519 libp2p key from its 32-byte seed, on Node's native crypto. */
export function ed25519FromSeed (seed: Uint8Array): Ed25519PrivateKey {
  if (seed.byteLength !== 32) throw new RangeError('an Ed25519 seed is 32 bytes')
  const pkcs8 = Buffer.concat([ED25519_PKCS8_PREFIX, seed])
  const publicKey = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }))
    .export({ format: 'der', type: 'spki' }).subarray(-32)
  pkcs8.fill(0)
  const raw = new Uint8Array(64)
  raw.set(seed, 0)
  raw.set(publicKey, 32)
  return privateKeyFromRaw(raw) as Ed25519PrivateKey
}

/** PKCS#8 DER of an Ed25519 private key, up to its 32-byte seed (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/** Build the identity view of a payment key (secp256k1); its peer key is derived from it. */
export function identityFromKey (privateKey: Secp256k1PrivateKey, created = false): NodeIdentity {
  const hex = `0x${Buffer.from(privateKey.raw).toString('hex')}` as const
  hideKeyBytes(privateKey)
  const peerKey = derivePeerKey(privateKey)
  const identity = {
    privateKey,
    peerKey,
    peerId: peerIdFromPrivateKey(peerKey).toString(),
    ethAddress: privateKeyToAccount(hex).address,
    created
  }
  const shown = (): Record<string, unknown> => ({ peerId: identity.peerId, ethAddress: identity.ethAddress, created: identity.created })
  Object.defineProperty(identity, 'ethPrivateKeyHex', { value: hex, enumerable: false })
  Object.defineProperty(identity, 'toJSON', { value: shown, enumerable: false })
  Object.defineProperty(identity, inspect.custom, {
    value: (_depth: number, options: object) => `NodeIdentity ${inspect(shown(), options)}`,
    enumerable: false
  })
  return identity as NodeIdentity
}

/**
 * Load the node key from `<dataDir>/identity.key`, creating it on first run.
 *
 * The data directory is made private (0700, also when it exists). The key file is read without
 * following links (a symbolic link is refused) and tightened to 0600. It holds either the libp2p
 * protobuf form of the key (plaintext, for tests and simulations) or a passphrase-encrypted
 * Ethereum keystore (Web3 Secret Storage v3), whose passphrase `options.passphrase` gives.
 * Creation is atomic: the key is written and fsynced to a temporary file (mode 0600) and
 * hard-linked into place, so a crash never leaves a partial key and two processes racing on
 * first run end up with the same key.
 *
 * @throws {IdentityError} when the file exists but cannot be used (it is never overwritten)
 */
export async function loadOrCreateIdentity (dataDir: string, options: IdentityOptions = {}): Promise<NodeIdentity> {
  await securePrivateDir(dataDir)
  const file = join(dataDir, IDENTITY_FILE)

  const existing = await readKeyFile(file)
  if (existing != null) {
    return identityFromKey(await decodeKeyFile(existing, file, options.passphrase))
  }

  const key = await generateKeyPair('secp256k1')
  const bytes = options.encryptNew === true
    ? await encodeEncrypted(key, await askPassphrase(options.passphrase, file), options.scrypt)
    : privateKeyToProtobuf(key)
  if (!await createKeyFile(dataDir, file, bytes)) {
    // another process won the race: use its key
    const theirs = await readKeyFile(file)
    if (theirs == null) throw new NoIdentityError(`the key file ${file} vanished while it was being created`)
    return identityFromKey(await decodeKeyFile(theirs, file, options.passphrase))
  }
  const identity = identityFromKey(key, true)
  log('created node identity %s in %s (%s)', identity.peerId, dataDir, options.encryptNew === true ? 'encrypted' : 'plaintext')
  return identity
}

/** Whether `<dataDir>/identity.key` exists and whether it is encrypted; reads nothing secret. */
export async function identityFileInfo (dataDir: string): Promise<IdentityFileInfo> {
  const file = join(dataDir, IDENTITY_FILE)
  const bytes = await readKeyFile(file)
  return { file, exists: bytes != null, encrypted: bytes != null && isKeystore(bytes) }
}

/**
 * Rewrites a plaintext key file as a keystore encrypted under the passphrase (atomically: the
 * file is replaced whole). The key, hence the peer id and the address, stay the same.
 *
 * @throws {IdentityError} `ERR_NO_IDENTITY` without a key file, `ERR_ALREADY_DONE` when it is encrypted already
 */
export async function encryptIdentityFile (dataDir: string, passphrase: PassphraseSource, options: { scrypt?: ScryptParams } = {}): Promise<NodeIdentity> {
  await securePrivateDir(dataDir)
  const file = join(dataDir, IDENTITY_FILE)
  const bytes = await readKeyFile(file)
  if (bytes == null) throw new NoIdentityError(`no key file ${file} to encrypt`)
  if (isKeystore(bytes)) throw new KeyFileAlreadyDoneError(`${file} is encrypted already`)
  const key = await decodeKeyFile(bytes, file)
  await replaceKeyFile(dataDir, file, await encodeEncrypted(key, await askPassphrase(passphrase, file), options.scrypt))
  log('encrypted the key file in %s', dataDir)
  return identityFromKey(key)
}

/**
 * Rewrites an encrypted key file in plaintext (the libp2p protobuf form), for tests and
 * simulations; the key stays the same.
 *
 * @throws {IdentityError} `ERR_NO_IDENTITY`, `ERR_ALREADY_DONE` when it is plaintext, `ERR_WRONG_PASSPHRASE`
 */
export async function decryptIdentityFile (dataDir: string, passphrase: PassphraseSource): Promise<NodeIdentity> {
  await securePrivateDir(dataDir)
  const file = join(dataDir, IDENTITY_FILE)
  const bytes = await readKeyFile(file)
  if (bytes == null) throw new NoIdentityError(`no key file ${file} to decrypt`)
  if (!isKeystore(bytes)) throw new KeyFileAlreadyDoneError(`${file} is not encrypted`)
  const key = await decodeKeyFile(bytes, file, passphrase)
  await replaceKeyFile(dataDir, file, privateKeyToProtobuf(key))
  log('decrypted the key file in %s', dataDir)
  return identityFromKey(key)
}

async function askPassphrase (source: PassphraseSource | undefined, file: string): Promise<string | Uint8Array> {
  if (source == null) {
    throw new PassphraseRequiredError(`${file} is encrypted: give its passphrase (--passphrase-file FILE or HITCH_PASSPHRASE_FILE)`)
  }
  const passphrase = await source()
  if (passphrase.length === 0) throw new PassphraseRequiredError(`the passphrase for ${file} is empty`)
  return passphrase
}

async function encodeEncrypted (key: Secp256k1PrivateKey, passphrase: string | Uint8Array, scrypt: ScryptParams = STANDARD_SCRYPT): Promise<Uint8Array> {
  const address = privateKeyToAccount(`0x${Buffer.from(key.raw).toString('hex')}`).address
  const doc = await encryptKeystore(key.raw, passphrase, { scrypt, address })
  return Buffer.from(JSON.stringify(doc, null, 2) + '\n', 'utf8')
}

async function decodeKeyFile (bytes: Uint8Array, file: string, passphrase?: PassphraseSource): Promise<Secp256k1PrivateKey> {
  if (isKeystore(bytes)) {
    const raw = await decryptKeystore(bytes, await askPassphrase(passphrase, file), file)
    let key
    try {
      // a copy: the key object keeps the array it is given, and `raw` is wiped below
      key = privateKeyFromRaw(raw.slice())
    } catch (err) {
      throw new CorruptIdentityError(`${file} decrypts to no valid secp256k1 key`, { cause: err })
    } finally {
      raw.fill(0)
    }
    if (key.type !== 'secp256k1') throw new WrongKeyTypeError(`the node key in ${file} is ${key.type}, not secp256k1`)
    const address = JSON.parse(Buffer.from(bytes).toString('utf8')).address as string | undefined
    if (address != null && address.replace(/^0x/i, '').toLowerCase() !== privateKeyToAccount(`0x${Buffer.from(key.raw).toString('hex')}`).address.slice(2).toLowerCase()) {
      throw new CorruptIdentityError(`${file} names address ${address}, but its key is another account's`)
    }
    return key
  }
  let key
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new CorruptIdentityError(`cannot decode the node key in ${file}`, { cause: err })
  }
  if (key.type !== 'secp256k1') {
    throw new WrongKeyTypeError(`the node key in ${file} is ${key.type}, not secp256k1`)
  }
  return key
}
