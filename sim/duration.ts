/** Durations as people write them; shared by scenario files and the command line. */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
/** A plain decimal number (what a bare duration looks like). */
export const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/

/**
 * Parses a duration such as `30s`, `5m`, `2h`, `1h30m` or `250ms` into
 * milliseconds; a bare number is in `bareUnitMs` (seconds by default).
 * Returns NaN when the text is not a duration.
 */
export function parseDurationMs (text: string, bareUnitMs = 1000): number {
  const t = text.trim()
  if (NUMBER_RE.test(t)) return Number(t) * bareUnitMs
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let consumed = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(t)) != null) {
    total += Number(m[1]) * UNIT_MS[m[2]]
    consumed = re.lastIndex
  }
  return consumed === t.length && consumed > 0 ? total : NaN
}
