/**
 * The wire shape of Hitch's messages, read from the `.proto` files themselves (not a copy that
 * could drift from them): for every message its fields' numbers, wire types, and which fields
 * are nested messages, enums or repeated. Enough for protobuf-aware mutation and for checking
 * that an encoding is canonical; not a general `.proto` parser (no imports, maps or oneofs,
 * which Hitch's files do not use).
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './paths.js'

/** Protobuf wire types. */
export const WIRE = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const

/** One field of a message. */
export interface FieldSchema {
  name: string
  number: number
  /** the wire type a canonical encoding uses */
  wire: number
  /** the declared type: a scalar name, an enum or a message (by full name) */
  type: string
  kind: 'scalar' | 'enum' | 'message'
  repeated: boolean
  /** `optional` in proto3: presence is tracked, so an explicit default is canonical */
  optional: boolean
  /** zigzag-encoded (sint32, sint64) */
  zigzag: boolean
}

/** One message. */
export interface MessageSchema {
  name: string
  fields: Map<number, FieldSchema>
}

/** All messages of the `.proto` files read, by name (nested enums resolved). */
export type Schema = Map<string, MessageSchema>

const SCALAR_WIRE: Record<string, number> = {
  int32: WIRE.VARINT,
  int64: WIRE.VARINT,
  uint32: WIRE.VARINT,
  uint64: WIRE.VARINT,
  sint32: WIRE.VARINT,
  sint64: WIRE.VARINT,
  bool: WIRE.VARINT,
  fixed64: WIRE.I64,
  sfixed64: WIRE.I64,
  double: WIRE.I64,
  fixed32: WIRE.I32,
  sfixed32: WIRE.I32,
  float: WIRE.I32,
  string: WIRE.LEN,
  bytes: WIRE.LEN
}

function stripComments (text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '')
}

interface RawField { name: string, number: number, type: string, repeated: boolean, optional: boolean }
interface RawMessage { name: string, fields: RawField[], enums: string[] }

/** Parses the message and enum declarations of one `.proto` source. */
export function parseProto (source: string): { messages: RawMessage[], enums: string[] } {
  const text = stripComments(source)
  const tokens = text.match(/[A-Za-z_][A-Za-z0-9_.]*|\d+|[{}=;[\]()<>,]|"[^"]*"/g) ?? []
  const messages: RawMessage[] = []
  const enums: string[] = []
  const stack: Array<{ kind: 'message' | 'enum' | 'other', name: string, msg?: RawMessage }> = []
  let i = 0
  const scope = (): string => stack.filter(s => s.kind === 'message').map(s => s.name).join('.')
  while (i < tokens.length) {
    const t = tokens[i]
    if ((t === 'message' || t === 'enum') && tokens[i + 2] === '{') {
      const name = tokens[i + 1]
      const full = scope() === '' ? name : `${scope()}.${name}`
      if (t === 'message') {
        const msg: RawMessage = { name: full, fields: [], enums: [] }
        messages.push(msg)
        stack.push({ kind: 'message', name, msg })
      } else {
        enums.push(full)
        stack.push({ kind: 'enum', name })
      }
      i += 3
      continue
    }
    if (t === '{') { stack.push({ kind: 'other', name: '' }); i++; continue }
    if (t === '}') { stack.pop(); i++; continue }
    const top = stack.at(-1)
    if (top?.kind === 'message' && top.msg != null && t !== 'reserved' && t !== 'option') {
      // [repeated|optional] type name = number [options] ;
      let j = i
      let repeated = false
      let optional = false
      if (tokens[j] === 'repeated') { repeated = true; j++ } else if (tokens[j] === 'optional') { optional = true; j++ }
      const type = tokens[j]
      const name = tokens[j + 1]
      if (tokens[j + 2] === '=' && /^\d+$/.test(tokens[j + 3] ?? '')) {
        top.msg.fields.push({ name, type, number: Number(tokens[j + 3]), repeated, optional })
        while (i < tokens.length && tokens[i] !== ';') i++
        i++
        continue
      }
    }
    // skip any other statement up to its end
    while (i < tokens.length && tokens[i] !== ';' && tokens[i] !== '{' && tokens[i] !== '}') i++
    if (tokens[i] === ';') i++
  }
  return { messages, enums }
}

/** Resolves a type name used inside message `scope` to a declared name (innermost scope first). */
function resolve (type: string, scope: string, declared: Set<string>): string | undefined {
  const parts = scope.split('.')
  for (let n = parts.length; n >= 0; n--) {
    const candidate = [...parts.slice(0, n), type].filter(p => p !== '').join('.')
    if (declared.has(candidate)) return candidate
  }
  return undefined
}

/** Builds a schema from `.proto` sources. */
export function schemaFromSources (sources: string[]): Schema {
  const messages: RawMessage[] = []
  const enums = new Set<string>()
  for (const s of sources) {
    const parsed = parseProto(s)
    messages.push(...parsed.messages)
    for (const e of parsed.enums) enums.add(e)
  }
  const messageNames = new Set(messages.map(m => m.name))
  const schema: Schema = new Map()
  for (const m of messages) {
    const fields = new Map<number, FieldSchema>()
    for (const f of m.fields) {
      let kind: FieldSchema['kind'] = 'scalar'
      let type = f.type
      let wire = SCALAR_WIRE[f.type]
      if (wire == null) {
        const asMessage = resolve(f.type, m.name, messageNames)
        const asEnum = resolve(f.type, m.name, enums)
        if (asMessage != null) { kind = 'message'; type = asMessage; wire = WIRE.LEN } else if (asEnum != null) { kind = 'enum'; type = asEnum; wire = WIRE.VARINT } else {
          throw new Error(`unknown type ${f.type} of ${m.name}.${f.name}`)
        }
      }
      fields.set(f.number, {
        name: f.name,
        number: f.number,
        wire,
        type,
        kind,
        repeated: f.repeated,
        optional: f.optional,
        zigzag: f.type === 'sint32' || f.type === 'sint64'
      })
    }
    schema.set(m.name, { name: m.name, fields })
  }
  return schema
}

let hitchSchema: Schema | undefined

/** The schema of every `.proto` file in `protocol/pb/`. */
export function loadHitchSchema (): Schema {
  if (hitchSchema == null) {
    const dir = join(repoRoot(), 'protocol', 'pb')
    const sources = readdirSync(dir).filter(f => f.endsWith('.proto')).sort().map(f => readFileSync(join(dir, f), 'utf8'))
    hitchSchema = schemaFromSources(sources)
  }
  return hitchSchema
}

/** The schema of one message; throws if the `.proto` files do not declare it. */
export function messageSchema (name: string): MessageSchema {
  const m = loadHitchSchema().get(name)
  if (m == null) throw new Error(`no message ${name} in protocol/pb/*.proto`)
  return m
}
