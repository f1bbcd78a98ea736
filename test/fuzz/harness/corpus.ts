/**
 * The corpus kept in the repository: `test/fuzz/corpus/<target>/<name>.json`, one input per
 * file, as hex of the target's serialized form (and as text too when it is text, to be read by
 * people). Every run replays the whole corpus first: seeds of valid inputs to mutate, and the
 * inputs of findings, which stay there as regression tests.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { corpusDir } from './paths.js'
import { fromHex, toHex } from './wire.js'

/** One corpus file. */
export interface CorpusEntry {
  /** file name, without the folder */
  file: string
  /** what the input is and why it is kept */
  note: string
  /** for the input of a finding: the defect it shows, as the report names it */
  defect?: string
  input: Uint8Array
}

/** The corpus files of a target, sorted by name (none if the folder does not exist). */
export function loadCorpus (target: string): CorpusEntry[] {
  const dir = corpusDir(target)
  if (!existsSync(dir)) return []
  return readdirSync(dir).filter(f => f.endsWith('.json')).sort().map(file => {
    const json = JSON.parse(readFileSync(join(dir, file), 'utf8'))
    if (typeof json.input !== 'string') throw new Error(`${target}/${file}: "input" must be hex`)
    return { file, note: String(json.note ?? ''), ...(json.defect != null ? { defect: String(json.defect) } : {}), input: fromHex(json.input) }
  })
}

/** One corpus entry by file name. */
export function corpusEntry (target: string, file: string): CorpusEntry {
  const entry = loadCorpus(target).find(e => e.file === file)
  if (entry == null) throw new Error(`no corpus file ${target}/${file}`)
  return entry
}

/** Writes a corpus file (replacing one of the same name); returns its path. */
export function writeCorpusEntry (target: string, file: string, entry: { note: string, defect?: string, input: Uint8Array, textual?: boolean }): string {
  const dir = corpusDir(target)
  mkdirSync(dir, { recursive: true })
  const path = join(dir, file)
  const json: Record<string, unknown> = { note: entry.note }
  if (entry.defect != null) json.defect = entry.defect
  if (entry.textual === true && entry.input.length <= 4096) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(entry.input)
    json.text = text
  }
  json.input = toHex(entry.input)
  writeFileSync(path, JSON.stringify(json, null, 2) + '\n')
  return path
}

/** A file name for a finding's key: `finding-<slug>.json`. */
export function findingFileName (key: string): string {
  const slug = key.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 80)
  return `finding-${slug}.json`
}
