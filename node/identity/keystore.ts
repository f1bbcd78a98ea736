/**
 * Passphrase-encrypted key files in the format Ethereum keystores use: Web3 Secret Storage v3
 * (scrypt or PBKDF2-HMAC-SHA256 to derive a key from the passphrase, AES-128-CTR to encrypt the
 * 32-byte secp256k1 key, keccak-256 over the second half of the derived key and the ciphertext as
 * the MAC). A file written here opens in geth, Foundry's `cast wallet` or MetaMask's import, and
 * theirs open here.
 *
 * Reading treats the file as untrusted input: every field is checked for type and length, and the
 * KDF's cost is bounded before any work, so a crafted file cannot make the node allocate
 * gigabytes or spin for hours.
 */
import { InvalidParametersError } from '@libp2p/interface'
import { createCipheriv, createDecipheriv, pbkdf2, randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto'
import { scryptAsync as scryptJs } from '@noble/hashes/scrypt.js'
import { keccak_256 as keccak256 } from '@noble/hashes/sha3.js'
import type { IdentityError} from './errors.js';
import { CorruptIdentityError, UnsupportedKeystoreError, WrongPassphraseError } from './errors.js'

/** scrypt's cost parameters: CPU/memory cost `n` (a power of two), block size `r`, parallelism `p`. */
export interface ScryptParams {
  n: number
  r: number
  p: number
}

/** geth's standard parameters: 2^18 × 8 × 128 B = 256 MB of memory, about a second of CPU. */
export const STANDARD_SCRYPT: Readonly<ScryptParams> = Object.freeze({ n: 1 << 18, r: 8, p: 1 })

/** geth's `--lightkdf`: 4 MB, a few tens of milliseconds; for machines short of memory. */
export const LIGHT_SCRYPT: Readonly<ScryptParams> = Object.freeze({ n: 1 << 12, r: 8, p: 6 })

/** Largest scrypt memory (128 · n · r bytes) a key file may ask for. */
const MAX_SCRYPT_MEMORY = 1 << 30
/** Largest scrypt work (n · r · p) a key file may ask for: 32× geth's standard. */
const MAX_SCRYPT_WORK = 1 << 26
/** Largest PBKDF2 iteration count a key file may ask for: about 40× the usual 262,144. */
const MAX_PBKDF2_ITERATIONS = 10_000_000
/** Largest key file read, in bytes: a v3 keystore is about 500. */
export const MAX_KEYSTORE_BYTES = 64 * 1024

/** A Web3 Secret Storage v3 document. */
export interface KeystoreV3 {
  version: 3
  id: string
  /** the account's address, lowercase hex without 0x (informative, not authenticated) */
  address?: string
  crypto: {
    cipher: 'aes-128-ctr'
    cipherparams: { iv: string }
    ciphertext: string
    kdf: 'scrypt' | 'pbkdf2'
    kdfparams: ScryptKdfParams | Pbkdf2KdfParams
    mac: string
  }
}

interface ScryptKdfParams { dklen: number, n: number, r: number, p: number, salt: string }
interface Pbkdf2KdfParams { dklen: number, c: number, prf: 'hmac-sha256', salt: string }

/** Options of {@link encryptKeystore}. */
export interface EncryptKeystoreOptions {
  /**
   * scrypt's cost.
   * @default STANDARD_SCRYPT
   */
  scrypt?: ScryptParams
  /** the account's address, stored in the clear as other keystores do (`0x` optional) */
  address?: string
}

/** Whether `bytes` look like a JSON keystore rather than a libp2p protobuf key. */
export function isKeystore (bytes: Uint8Array): boolean {
  for (const b of bytes) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue
    return b === 0x7b // '{'
  }
  return false
}

/** Encrypts a raw 32-byte key under `passphrase` (UTF-8, not normalised, as geth does). */
export async function encryptKeystore (key: Uint8Array, passphrase: string | Uint8Array, options: EncryptKeystoreOptions = {}): Promise<KeystoreV3> {
  if (key.length !== 32) throw new InvalidParametersError('a keystore holds a 32-byte key')
  const params = options.scrypt ?? STANDARD_SCRYPT
  checkScrypt(params.n, params.r, params.p)
  const salt = randomBytes(32)
  const iv = randomBytes(16)
  const derived = await scryptKey(passphraseBytes(passphrase), salt, 32, params)
  try {
    const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
    const ciphertext = Buffer.concat([cipher.update(key), cipher.final()])
    const mac = macOf(derived, ciphertext)
    const doc: KeystoreV3 = {
      version: 3,
      id: randomUUID(),
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: iv.toString('hex') },
        ciphertext: ciphertext.toString('hex'),
        kdf: 'scrypt',
        kdfparams: { dklen: 32, n: params.n, r: params.r, p: params.p, salt: salt.toString('hex') },
        mac: Buffer.from(mac).toString('hex')
      }
    }
    if (options.address != null) doc.address = options.address.replace(/^0x/i, '').toLowerCase()
    return doc
  } finally {
    derived.fill(0)
  }
}

/**
 * Decrypts a keystore (the parsed JSON or its bytes) into its raw 32-byte key.
 *
 * @throws {IdentityError} `ERR_CORRUPT_IDENTITY` for a malformed document,
 * `ERR_UNSUPPORTED_KEYSTORE` for another version, cipher or KDF, or a KDF cost beyond the
 * bounds, `ERR_WRONG_PASSPHRASE` when the MAC does not match
 */
export async function decryptKeystore (keystore: unknown, passphrase: string | Uint8Array, file = 'the key file'): Promise<Uint8Array> {
  const doc = parseKeystore(keystore, file)
  const c = doc.crypto
  const salt = hex(c.kdfparams.salt, file, 'crypto.kdfparams.salt', 1, 1024)
  const iv = hex(c.cipherparams.iv, file, 'crypto.cipherparams.iv', 16, 16)
  const ciphertext = hex(c.ciphertext, file, 'crypto.ciphertext', 1, 32)
  const mac = hex(c.mac, file, 'crypto.mac', 32, 32)
  const pass = passphraseBytes(passphrase)
  let derived: Buffer
  if (c.kdf === 'scrypt') {
    const k = c.kdfparams as ScryptKdfParams
    derived = await scryptKey(pass, salt, k.dklen, k)
  } else {
    const k = c.kdfparams as Pbkdf2KdfParams
    derived = await new Promise<Buffer>((resolve, reject) => {
      pbkdf2(pass, salt, k.c, k.dklen, 'sha256', (err, out) => { if (err != null) reject(err); else resolve(out) })
    })
  }
  try {
    if (!timingSafeEqual(macOf(derived, ciphertext), mac)) {
      throw new WrongPassphraseError(`wrong passphrase for ${file}`)
    }
    const decipher = createDecipheriv('aes-128-ctr', derived.subarray(0, 16), iv)
    const plain = Buffer.concat([decipher.update(ciphertext), decipher.final()])
    // keys with leading zero bytes were once stored short (geth's own test vectors have some)
    const key = new Uint8Array(32)
    key.set(plain, 32 - plain.length)
    plain.fill(0)
    return key
  } finally {
    derived.fill(0)
  }
}

/** Checks a keystore document's shape, types and bounds; throws an `IdentityError` naming the field. */
export function parseKeystore (value: unknown, file = 'the key file'): KeystoreV3 {
  let doc = value
  if (doc instanceof Uint8Array) {
    if (doc.length > MAX_KEYSTORE_BYTES) throw corrupt(file, `larger than ${MAX_KEYSTORE_BYTES} bytes`)
    try {
      doc = JSON.parse(Buffer.from(doc).toString('utf8'))
    } catch (err) {
      throw corrupt(file, 'not JSON', err)
    }
  }
  if (!isObject(doc)) throw corrupt(file, 'not a JSON object')
  if (doc.version !== 3) throw new UnsupportedKeystoreError(`${file}: keystore version ${JSON.stringify(doc.version) ?? 'missing'}, only version 3 is supported`)
  const c = doc.crypto ?? doc.Crypto // geth once wrote "Crypto"
  if (!isObject(c)) throw corrupt(file, 'no "crypto" object')
  if (c.cipher !== 'aes-128-ctr') throw new UnsupportedKeystoreError(`${file}: cipher ${JSON.stringify(c.cipher) ?? 'missing'}, only aes-128-ctr is supported`)
  if (!isObject(c.cipherparams) || typeof c.cipherparams.iv !== 'string') throw corrupt(file, 'no crypto.cipherparams.iv')
  for (const field of ['ciphertext', 'mac'] as const) {
    if (typeof c[field] !== 'string') throw corrupt(file, `no crypto.${field}`)
  }
  const k = c.kdfparams
  if (!isObject(k) || typeof k.salt !== 'string') throw corrupt(file, 'no crypto.kdfparams.salt')
  if (!isInt(k.dklen) || k.dklen < 32 || k.dklen > 64) throw corrupt(file, 'crypto.kdfparams.dklen must be an integer from 32 to 64')
  if (c.kdf === 'scrypt') {
    if (!isInt(k.n) || !isInt(k.r) || !isInt(k.p)) throw corrupt(file, 'crypto.kdfparams n, r and p must be integers')
    checkScrypt(k.n, k.r, k.p, file)
  } else if (c.kdf === 'pbkdf2') {
    if (k.prf !== 'hmac-sha256') throw new UnsupportedKeystoreError(`${file}: PBKDF2 with ${JSON.stringify(k.prf) ?? 'no prf'}, only hmac-sha256 is supported`)
    if (!isInt(k.c) || k.c < 1 || k.c > MAX_PBKDF2_ITERATIONS) throw new UnsupportedKeystoreError(`${file}: PBKDF2 iteration count must be from 1 to ${MAX_PBKDF2_ITERATIONS}`)
  } else {
    throw new UnsupportedKeystoreError(`${file}: KDF ${JSON.stringify(c.kdf) ?? 'missing'}, only scrypt and pbkdf2 are supported`)
  }
  if (doc.address != null && (typeof doc.address !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(doc.address))) throw corrupt(file, 'malformed address')
  return { ...doc, crypto: c } as unknown as KeystoreV3
}

function checkScrypt (n: number, r: number, p: number, file?: string): void {
  const where = file != null ? `${file}: ` : ''
  const powerOfTwo = n >= 2 && (n & (n - 1)) === 0
  if (!powerOfTwo || r < 1 || r > 32 || p < 1 || p > 64 || 128 * n * r > MAX_SCRYPT_MEMORY || n * r * p > MAX_SCRYPT_WORK) {
    throw new UnsupportedKeystoreError(`${where}scrypt parameters n=${n} r=${r} p=${p} are out of bounds (n a power of two from 2, r 1..32, p 1..64, at most ${MAX_SCRYPT_MEMORY >> 20} MB of memory)`)
  }
}

async function scryptKey (pass: Uint8Array, salt: Uint8Array, dklen: number, params: ScryptParams): Promise<Buffer> {
  if (params.n >= 2 ** (16 * params.r)) {
    // RFC 7914 wants n < 2^(16 r), and OpenSSL (Node's scrypt) enforces it; geth does not, and
    // keystores with r = 1 and n = 2^18 exist (the format's own example, ox's and so viem's
    // default): those go through the JavaScript scrypt, which yields to the event loop
    return Buffer.from(await scryptJs(pass, salt, { N: params.n, r: params.r, p: params.p, dkLen: dklen, asyncTick: 10 }))
  }
  // Node's default memory cap (32 MB) is below geth's standard cost: allow what the parameters
  // need (bounded by checkScrypt), plus a margin
  const maxmem = 128 * params.r * (params.n + params.p + 2) + (1 << 20)
  return await new Promise<Buffer>((resolve, reject) => {
    scrypt(pass, salt, dklen, { N: params.n, r: params.r, p: params.p, maxmem }, (err, out) => { if (err != null) reject(err); else resolve(out) })
  })
}

function macOf (derived: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  const input = new Uint8Array(16 + ciphertext.length)
  input.set(derived.subarray(16, 32), 0)
  input.set(ciphertext, 16)
  return keccak256(input)
}

function passphraseBytes (passphrase: string | Uint8Array): Uint8Array {
  return typeof passphrase === 'string' ? Buffer.from(passphrase, 'utf8') : passphrase
}

function hex (text: string, file: string, field: string, minBytes: number, maxBytes: number): Buffer {
  const body = text.replace(/^0x/i, '')
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body) || body.length / 2 < minBytes || body.length / 2 > maxBytes) {
    throw corrupt(file, `${field} must be ${minBytes === maxBytes ? String(minBytes) : `${minBytes} to ${maxBytes}`} bytes of hex`)
  }
  return Buffer.from(body, 'hex')
}

function corrupt (file: string, what: string, cause?: unknown): IdentityError {
  return new CorruptIdentityError(`${file} ${what}`, cause != null ? { cause } : undefined)
}

function isObject (v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v != null && !Array.isArray(v)
}

function isInt (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v)
}
