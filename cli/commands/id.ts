import { defaultDataDir, loadOrCreateIdentity } from '../../node/identity/index.js'
import { parseFlags } from '../flags.js'

export const help = `
usage: hitch id [--data-dir DIR | --profile NAME] [--json]

Prints this node's libp2p peer id and Ethereum address. The secp256k1 key
behind both lives in the data directory and is created on first use.

  --data-dir DIR   data directory (default: ~/.hitch/<profile>, or $HITCH_HOME/<profile>)
  --profile NAME   profile name for the default data directory (default: default)
  --json           print {"peerId":…,"address":…,"dataDir":…}
`

/** `hitch id`. */
export async function run (argv: string[]): Promise<number> {
  const { values, help: shown } = parseFlags<{ 'data-dir'?: string, profile?: string, json?: boolean }>(argv, {
    'data-dir': { type: 'string' },
    profile: { type: 'string' },
    json: { type: 'boolean' }
  }, help)
  if (shown) return 0
  const dataDir = values['data-dir'] ?? defaultDataDir(values.profile)
  const id = await loadOrCreateIdentity(dataDir)
  if (values.json === true) {
    process.stdout.write(JSON.stringify({ peerId: id.peerId, address: id.ethAddress, dataDir, created: id.created }) + '\n')
  } else {
    process.stdout.write(`peer id: ${id.peerId}\naddress: ${id.ethAddress}\n`)
    if (id.created) process.stderr.write(`created a new identity in ${dataDir}\n`)
  }
  return 0
}
