import {
  IdentityError, LIGHT_SCRYPT, STANDARD_SCRYPT, decryptIdentityFile, defaultDataDir, encryptIdentityFile, identityFileInfo,
  loadOrCreateIdentity
} from '../../node/identity/index.js'
import type { NodeIdentity } from '../../node/identity/index.js'
import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'
import { PASSPHRASE_FILE_ENV, PASSPHRASE_FLAG_HELP, PASSPHRASE_FLAG_OPTIONS, passphraseChoice } from '../passphrase.js'

export const help = `
usage: hitch id [--data-dir DIR | --profile NAME] [--passphrase-file FILE] [--json]
       hitch id --encrypt [--light-kdf] [--passphrase-file FILE] [--data-dir DIR | --profile NAME]
       hitch id --decrypt [--passphrase-file FILE] [--data-dir DIR | --profile NAME]

Prints this node's libp2p peer id and Ethereum address. The data directory's
key file (identity.key, created on first use) holds the payment key, a
secp256k1 key whose Ethereum address pays and is paid; the peer id is an
Ed25519 key derived from it (a directory of an earlier version, whose peer id
was the secp256k1 key, gets its Ed25519 peer id on start, with the same
address, channels, rides and records).

The key file is plaintext unless encrypted with a passphrase: --encrypt turns
it (or, in a new data directory, a new key) into an Ethereum keystore (Web3
Secret Storage v3, scrypt + AES-128-CTR, as geth writes them); the peer id and
the address stay the same. Daemons then need the passphrase: from a file
(--passphrase-file FILE or $${PASSPHRASE_FILE_ENV}), else they ask on the
terminal. --decrypt writes it back in plaintext.

  --data-dir DIR   data directory (default: ~/.hitch/<profile>, or $HITCH_HOME/<profile>)
  --profile NAME   profile name for the default data directory (default: default)
  --encrypt        encrypt the key file with a passphrase (asked twice on the terminal)
  --light-kdf      with --encrypt: scrypt at 4 MB instead of 256 MB (weaker; small machines)
  --decrypt        store the key file in plaintext again${PASSPHRASE_FLAG_HELP}
  --json           print {"peerId":…,"peerKey":"Ed25519","address":…,"paymentKey":"secp256k1",
                   "dataDir":…,"created":…,"encrypted":…}
`

interface IdFlags {
  'data-dir'?: string
  profile?: string
  json?: boolean
  encrypt?: boolean
  decrypt?: boolean
  'light-kdf'?: boolean
  'passphrase-file'?: string
}

/** `hitch id`. */
export async function run (argv: string[]): Promise<number> {
  const { values, help: shown } = parseFlags<IdFlags>(argv, {
    'data-dir': { type: 'string' },
    profile: { type: 'string' },
    json: { type: 'boolean' },
    encrypt: { type: 'boolean' },
    decrypt: { type: 'boolean' },
    'light-kdf': { type: 'boolean' },
    ...PASSPHRASE_FLAG_OPTIONS
  }, help)
  if (shown) return 0
  if (values.encrypt === true && values.decrypt === true) throw new UsageError('give --encrypt or --decrypt, not both')
  if (values['light-kdf'] === true && values.encrypt !== true) throw new UsageError('--light-kdf goes with --encrypt')
  const dataDir = values['data-dir'] ?? defaultDataDir(values.profile)
  const scrypt = values['light-kdf'] === true ? LIGHT_SCRYPT : STANDARD_SCRYPT

  let id: NodeIdentity
  try {
    if (values.encrypt === true) {
      const { source } = passphraseChoice(values, { confirm: true })
      if (source == null) throw new UsageError(`--encrypt needs a passphrase: --passphrase-file FILE, $${PASSPHRASE_FILE_ENV}, or a terminal to type it on`)
      const info = await identityFileInfo(dataDir)
      id = info.exists
        ? await encryptIdentityFile(dataDir, source, { scrypt })
        : await loadOrCreateIdentity(dataDir, { passphrase: source, encryptNew: true, scrypt })
    } else if (values.decrypt === true) {
      const { source } = passphraseChoice(values)
      if (source == null) throw new UsageError(`--decrypt needs the passphrase: --passphrase-file FILE, $${PASSPHRASE_FILE_ENV}, or a terminal to type it on`)
      id = await decryptIdentityFile(dataDir, source)
    } else {
      const { source } = passphraseChoice(values)
      id = await loadOrCreateIdentity(dataDir, source != null ? { passphrase: source } : {})
    }
  } catch (err) {
    // the file is fine, the request is not: a usage error (exit 2) rather than a failure
    if (err instanceof IdentityError && err.code === 'ERR_ALREADY_DONE') throw new UsageError(err.message)
    throw err
  }
  const { encrypted } = await identityFileInfo(dataDir)
  if (values.json === true) {
    process.stdout.write(JSON.stringify({ peerId: id.peerId, peerKey: id.peerKey.type, address: id.ethAddress, paymentKey: id.privateKey.type, dataDir, created: id.created, encrypted }) + '\n')
  } else {
    process.stdout.write(`peer id: ${id.peerId} (${id.peerKey.type}, derived from the payment key)\naddress: ${id.ethAddress} (${id.privateKey.type} payment key)\nkey file: ${encrypted ? 'encrypted' : 'plaintext'}\n`)
    if (id.created) process.stderr.write(`created a new identity in ${dataDir}\n`)
    if (values.encrypt === true) process.stderr.write(`encrypted the key file in ${dataDir}: daemons need its passphrase now\n`)
    if (values.decrypt === true) process.stderr.write(`the key file in ${dataDir} is plaintext now\n`)
  }
  return 0
}
