import { readFile } from 'node:fs/promises'
import { tripRecordFromJSON, verifyTripRecord } from '../../protocol/index.js'
import { UsageError } from '../errors.js'
import { parseFlags } from '../flags.js'

export const help = `
usage: hitch receipt verify FILE [--json]

Checks a trip record (the JSON that \`hitch ride --json\` prints last): the hash
chain of its events, both the driver's and the rider's signatures (by their
peer keys), and the identity bindings that tie each peer id to the payment
address the record names (signed by that address's key). Exits 0
when it is intact, 1 naming every problem when it is not (a single altered
byte is enough), 2 on a usage error. FILE may be - for standard input.
`

async function readInput (file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  }
  try {
    return await readFile(file, 'utf8')
  } catch (err: any) {
    throw new UsageError(`cannot read ${file}: ${String(err.code ?? err.message)}`, 1)
  }
}

/** `hitch receipt verify FILE`. */
export async function run (argv: string[]): Promise<number> {
  const { values, positionals, help: shown } = parseFlags<{ json?: boolean }>(argv, {
    json: { type: 'boolean' }
  }, help, true)
  if (shown) return 0
  const [verb, file, ...extra] = positionals
  if (verb !== 'verify' || file == null || extra.length > 0) throw new UsageError('usage: hitch receipt verify FILE (see --help)')
  const text = await readInput(file)
  const report = (ok: boolean, problems: Array<{ code: string, message: string }>, hash?: string): number => {
    if (values.json === true) {
      process.stdout.write(JSON.stringify({ ok, hash, problems }) + '\n')
    } else if (ok) {
      process.stdout.write(`ok: the chain of events and both signatures are intact (record hash ${String(hash)})\n`)
    } else {
      for (const p of problems) process.stdout.write(`FAIL ${p.code}: ${p.message}\n`)
    }
    return ok ? 0 : 1
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err: any) {
    return report(false, [{ code: 'malformed', message: `not JSON: ${String(err.message)}` }])
  }
  let record
  try {
    record = tripRecordFromJSON(json)
  } catch (err: any) {
    return report(false, [{ code: err.code ?? 'malformed', message: String(err.message) }])
  }
  const result = await verifyTripRecord(record)
  if (result.ok) return report(true, [], '0x' + Buffer.from(result.hash).toString('hex'))
  return report(false, result.problems)
}
