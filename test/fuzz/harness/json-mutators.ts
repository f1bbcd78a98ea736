/**
 * Mutations of JSON text that keep it (mostly) JSON: change a leaf, drop or add a key, swap
 * types, duplicate or drop array elements, repeat a key in the text (`JSON.parse` keeps the
 * last), escape characters, reformat; and now and then a plain text mutation.
 */
import type { Prng } from './prng.js'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

const ODD_NUMBERS = [0, -0, -1, 1, 0.5, 1e21, -1e-7, 2 ** 53, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, 4294967295, 4294967296, 900000001, -1800000001]
const ODD_STRINGS = ['', '0', '-1', '01', '1.0', '1e3', '0x1', 'NaN', ' ', 'ff', 'FF', '00'.repeat(32), '0'.repeat(63), 'g'.repeat(64), '\u0000', 'é']

/** Every path in a JSON value, as key lists. */
function paths (v: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix)
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out))
  else if (v != null && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...prefix, k], out)
  return out
}

function get (v: Json, path: Array<string | number>): Json {
  let x: any = v
  for (const k of path) x = x?.[k]
  return x
}

function set (v: Json, path: Array<string | number>, value: Json | undefined): Json {
  if (path.length === 0) return value ?? null
  const parent: any = get(v, path.slice(0, -1))
  const k = path[path.length - 1]
  if (parent == null || typeof parent !== 'object') return v
  if (value === undefined) {
    if (Array.isArray(parent)) parent.splice(k as number, 1)
    else delete parent[k]
  } else {
    parent[k] = value
  }
  return v
}

function tweakString (rng: Prng, s: string): string {
  if (s.length === 0 || rng.chance(0.3)) return rng.pick(ODD_STRINGS)
  const i = rng.int(s.length)
  switch (rng.int(5)) {
    case 0: return s.slice(0, i) + s.slice(i + 1)
    case 1: return s.slice(0, i) + rng.pick(['0', 'f', 'A', 'g', ' ', '-']) + s.slice(i)
    case 2: return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << rng.int(6))) + s.slice(i + 1)
    case 3: return s.toUpperCase()
    default: return s + s.slice(0, rng.int(8))
  }
}

function tweakLeaf (rng: Prng, v: Json): Json {
  if (typeof v === 'number') return rng.chance(0.5) ? v + rng.pick([-1, 1, 10_000_000, -10_000_000]) : rng.pick(ODD_NUMBERS)
  if (typeof v === 'string') return tweakString(rng, v)
  if (typeof v === 'boolean') return !v
  return rng.pick<Json>([null, 0, '', [], {}, true])
}

/** One structural mutation of a parsed value (in place where it can). */
function mutateValue (rng: Prng, root: Json): Json {
  const all = paths(root)
  const path = rng.pick(all)
  const here = get(root, path)
  switch (rng.int(7)) {
    case 0: case 1: case 2:
      return set(root, path, tweakLeaf(rng, here))
    case 3: // drop a key or an element
      return path.length === 0 ? root : set(root, path, undefined)
    case 4: // add a key, or duplicate an element
      if (Array.isArray(here)) { here.splice(rng.int(here.length + 1), 0, structuredClone(here[rng.int(Math.max(1, here.length))] ?? null)); return root }
      if (here != null && typeof here === 'object') { here[rng.pick(['extra', '__proto__', 'hash', 'seq', 'constructor'])] = rng.pick<Json>([1, 'x', null, {}]); return root }
      return set(root, path, tweakLeaf(rng, here))
    case 5: // swap the type
      return set(root, path, typeof here === 'number' ? String(here) : typeof here === 'string' && /^-?\d+$/.test(here) ? Number(here) : rng.pick<Json>([null, [], {}, 1, '1']))
    default: { // swap two elements of an array
      const arrays = all.filter(p => Array.isArray(get(root, p)) && (get(root, p) as Json[]).length > 1)
      if (arrays.length === 0) return root
      const a = get(root, rng.pick(arrays)) as Json[]
      const i = rng.int(a.length); const j = rng.int(a.length)
      ;[a[i], a[j]] = [a[j], a[i]]
      return root
    }
  }
}

/** Text-level tricks that keep the parsed value or nearly: repeated keys, escapes, whitespace. */
function textTrick (rng: Prng, text: string): string {
  switch (rng.int(4)) {
    case 0: { // repeat a key earlier in the same object: the parser keeps the last one
      const m = [...text.matchAll(/"([A-Za-z]+)":("[^"]*"|-?\d+)/g)]
      if (m.length === 0) return text
      const hit = rng.pick(m)
      const open = text.lastIndexOf('{', hit.index)
      return text.slice(0, open + 1) + `"${hit[1]}":${rng.chance(0.5) ? hit[2] : '"0"'},` + text.slice(open + 1)
    }
    case 1: { // a \u escape for one character of a string
      const i = text.indexOf('"', rng.int(text.length))
      if (i < 0 || i + 1 >= text.length || text[i + 1] === '"' || text[i + 1] === '\\') return text
      return text.slice(0, i + 1) + '\\u' + text.charCodeAt(i + 1).toString(16).padStart(4, '0') + text.slice(i + 2)
    }
    case 2: return text.replace(/,/g, () => rng.chance(0.1) ? ' ,\n\t' : ',')
    default: return rng.chance(0.5) ? '\ufeff' + text : text + rng.pick(['\n', ' ', '\u0000', '}', ',{}'])
  }
}

/** One mutation of JSON text (`rounds` structural changes, or a text trick, or raw bytes). */
export function mutateJsonText (rng: Prng, text: string, mutateBytes: (b: Uint8Array) => Uint8Array): string {
  const mode = rng.weighted<string>([[6, 'value'], [2, 'text'], [1, 'bytes']])
  if (mode === 'bytes') return new TextDecoder().decode(mutateBytes(new TextEncoder().encode(text)))
  if (mode === 'text') return textTrick(rng, text)
  let v: Json
  try { v = JSON.parse(text) } catch { return textTrick(rng, text) }
  for (let n = rng.weighted<number>([[6, 1], [2, 2], [1, 3]]); n > 0; n--) v = mutateValue(rng, v)
  return rng.chance(0.8) ? JSON.stringify(v) : JSON.stringify(v, null, 2)
}
