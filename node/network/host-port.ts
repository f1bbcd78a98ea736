import { InvalidParametersError } from '@libp2p/interface'

/** Parses `HOST:PORT` (IPv6 in brackets); throws an InvalidParametersError naming the text */
export function parseHostPort (text: string): { host: string, port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim())
  const port = m == null ? NaN : Number(m[3])
  if (m == null || !(port >= 0 && port <= 65535)) throw new InvalidParametersError(`expected HOST:PORT, got "${text}"`)
  return { host: m[1] ?? m[2], port }
}
