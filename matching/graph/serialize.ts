import { InvalidParametersError, UnsupportedOperationError } from '@libp2p/interface'
import { MapFormatError } from './errors.js'
import type { RoadGraph, RoadGraphMeta } from './road-graph.js'

/** Typed arrays that can ride along with a serialized graph. */
export type ExtraArray = Uint32Array | Int32Array | Float64Array | Float32Array | Uint8Array

/** Named extra sections (routing caches its contraction hierarchy here). */
export type GraphExtras = Record<string, ExtraArray>

/** The bytes every serialized graph starts with: `HITCHRG` and a NUL. */
export const GRAPH_MAGIC = Uint8Array.from([0x48, 0x49, 0x54, 0x43, 0x48, 0x52, 0x47, 0x00])
/** Version of the binary layout; bump it whenever the layout changes. */
export const GRAPH_FORMAT_VERSION = 1

const FIXED_HEADER = 24
const ALIGN = 8

type TypeTag = 'u32' | 'i32' | 'f64' | 'f32' | 'u8'
type Ctor = Uint32ArrayConstructor | Int32ArrayConstructor | Float64ArrayConstructor | Float32ArrayConstructor | Uint8ArrayConstructor
const CTORS: Record<TypeTag, Ctor> = { u32: Uint32Array, i32: Int32Array, f64: Float64Array, f32: Float32Array, u8: Uint8Array }

interface SectionInfo { name: string, type: TypeTag, offset: number, length: number }
interface Header { numNodes: number, numEdges: number, meta: RoadGraphMeta, graph: SectionInfo[], extras: SectionInfo[] }

function typeTag (a: ExtraArray): TypeTag {
  if (a instanceof Uint32Array) return 'u32'
  if (a instanceof Int32Array) return 'i32'
  if (a instanceof Float64Array) return 'f64'
  if (a instanceof Float32Array) return 'f32'
  if (a instanceof Uint8Array) return 'u8'
  throw new InvalidParametersError('extras must be Uint32Array, Int32Array, Float64Array, Float32Array or Uint8Array')
}

const pad = (n: number): number => Math.ceil(n / ALIGN) * ALIGN

function assertLittleEndian (): void {
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) throw new UnsupportedOperationError('serialized graphs need a little-endian host')
}

/** A 32-bit checksum of the words of `bytes` (length a multiple of 4, 4-aligned). */
function checksum (bytes: Uint8Array): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
  let h = 0x811C9DC5 ^ words.length
  for (let i = 0; i < words.length; i++) {
    h = Math.imul(h ^ words[i], 0x9E3779B1)
    h ^= h >>> 15
  }
  return h >>> 0
}

/**
 * Writes a graph, and optional named typed arrays, in a versioned binary
 * layout: magic, version, header length, checksum, a JSON header (counts,
 * meta, section table), then each array 8-byte aligned, little-endian.
 * Loading is a few copies.
 */
export function serializeGraph (g: RoadGraph, extras: GraphExtras = {}): Uint8Array {
  assertLittleEndian()
  const arrays: Array<[string, ExtraArray, 'graph' | 'extras']> = [
    ['lat', g.lat, 'graph'], ['lon', g.lon, 'graph'], ['firstOut', g.firstOut, 'graph'],
    ['head', g.head, 'graph'], ['distCm', g.distCm, 'graph'], ['timeMs', g.timeMs, 'graph']
  ]
  for (const [name, a] of Object.entries(extras)) arrays.push([name, a, 'extras'])

  // Section offsets depend on the header's length, which depends on the offsets' digits: iterate to a fixpoint.
  let headerBytes = new Uint8Array(0)
  let header: Header
  for (;;) {
    const dataStart = pad(FIXED_HEADER + headerBytes.length)
    header = { numNodes: g.numNodes, numEdges: g.numEdges, meta: g.meta, graph: [], extras: [] }
    let offset = dataStart
    for (const [name, a, kind] of arrays) {
      header[kind].push({ name, type: typeTag(a), offset, length: a.length })
      offset = pad(offset + a.byteLength)
    }
    const next = new TextEncoder().encode(JSON.stringify(header))
    if (pad(FIXED_HEADER + next.length) === dataStart) { headerBytes = next; break }
    headerBytes = next
  }
  const sections = [...header.graph, ...header.extras]
  const last = sections[sections.length - 1]
  const total = pad(last.offset + arrays[arrays.length - 1][1].byteLength)
  const out = new Uint8Array(total)
  out.set(GRAPH_MAGIC, 0)
  const view = new DataView(out.buffer)
  view.setUint32(8, GRAPH_FORMAT_VERSION, true)
  view.setUint32(12, headerBytes.length, true)
  out.set(headerBytes, FIXED_HEADER)
  for (let i = 0; i < arrays.length; i++) {
    const a = arrays[i][1]
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), sections[i].offset)
  }
  view.setUint32(16, checksum(out.subarray(FIXED_HEADER)), true)
  return out
}

/**
 * Reads what {@link serializeGraph} wrote. The arrays are copies, independent
 * of `bytes`.
 *
 * @throws {MapFormatError} on a wrong magic or version, a checksum mismatch, or inconsistent content
 */
export function deserializeGraph (bytes: Uint8Array): { graph: RoadGraph, extras: GraphExtras } {
  assertLittleEndian()
  if (bytes.byteLength < FIXED_HEADER || bytes.byteLength % ALIGN !== 0) throw new MapFormatError('serialized graph: bad length')
  for (let i = 0; i < GRAPH_MAGIC.length; i++) {
    if (bytes[i] !== GRAPH_MAGIC[i]) throw new MapFormatError('serialized graph: bad magic')
  }
  // typed views need aligned memory
  if (bytes.byteOffset % ALIGN !== 0) bytes = bytes.slice()
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint32(8, true)
  if (version !== GRAPH_FORMAT_VERSION) throw new MapFormatError(`serialized graph: version ${version}, expected ${GRAPH_FORMAT_VERSION}`)
  const headerLen = view.getUint32(12, true)
  if (FIXED_HEADER + headerLen > bytes.byteLength) throw new MapFormatError('serialized graph: header overruns the file')
  if (checksum(bytes.subarray(FIXED_HEADER)) !== view.getUint32(16, true)) throw new MapFormatError('serialized graph: checksum mismatch')

  let header: Header
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED_HEADER, FIXED_HEADER + headerLen)))
  } catch (err) {
    throw new MapFormatError('serialized graph: unreadable header', { cause: err })
  }
  const read = (s: SectionInfo): ExtraArray => {
    const Ctor = CTORS[s.type]
    if (Ctor === undefined || !Number.isSafeInteger(s.offset) || !Number.isSafeInteger(s.length) || s.offset % ALIGN !== 0 || s.length < 0 ||
        s.offset < FIXED_HEADER + headerLen || s.offset + s.length * Ctor.BYTES_PER_ELEMENT > bytes.byteLength) {
      throw new MapFormatError(`serialized graph: bad section ${String(s.name)}`)
    }
    return new Ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset + s.offset, s.length).slice()
  }
  if (typeof header !== 'object' || header === null || !Array.isArray(header.graph) || !Array.isArray(header.extras)) {
    throw new MapFormatError('serialized graph: bad header')
  }
  const parts: Record<string, ExtraArray> = {}
  for (const s of header.graph) parts[s.name] = read(s)
  const extras: GraphExtras = {}
  for (const s of header.extras) extras[s.name] = read(s)

  const n = header.numNodes
  const m = header.numEdges
  const { lat, lon, firstOut, head, distCm, timeMs } = parts
  if (!Number.isSafeInteger(n) || !Number.isSafeInteger(m) || n < 0 || m < 0 ||
      !(lat instanceof Float64Array) || !(lon instanceof Float64Array) || !(firstOut instanceof Uint32Array) ||
      !(head instanceof Uint32Array) || !(distCm instanceof Uint32Array) || !(timeMs instanceof Uint32Array) ||
      lat.length !== n || lon.length !== n || firstOut.length !== n + 1 ||
      head.length !== m || distCm.length !== m || timeMs.length !== m || typeof header.meta?.source !== 'string') {
    throw new MapFormatError('serialized graph: sections do not match the counts')
  }
  if (firstOut[0] !== 0 || firstOut[n] !== m) throw new MapFormatError('serialized graph: bad offsets')
  for (let v = 0; v < n; v++) if (firstOut[v + 1] < firstOut[v]) throw new MapFormatError('serialized graph: bad offsets')
  for (let e = 0; e < m; e++) {
    if (head[e] >= n || distCm[e] < 1 || timeMs[e] < 1) throw new MapFormatError('serialized graph: bad edge')
  }
  const graph: RoadGraph = { numNodes: n, numEdges: m, lat, lon, firstOut, head, distCm, timeMs, meta: header.meta }
  return { graph, extras }
}
