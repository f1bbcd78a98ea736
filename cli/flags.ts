import { parseArgs, type ParseArgsConfig } from 'node:util'
import { UsageError } from './errors.js'

type Options = NonNullable<ParseArgsConfig['options']>

/** What `parseFlags` returns: the flags, the positionals, or that help was shown. */
export interface ParsedFlags<T> {
  values: T
  positionals: string[]
  /** True when `--help` was given; the help text has been printed. */
  help: boolean
}

/**
 * `node:util` parseArgs in strict mode, with `--help` on every command and
 * parse errors turned into one-line usage errors.
 */
export function parseFlags<T = Record<string, string | boolean | string[] | undefined>> (
  argv: string[],
  options: Options,
  helpText: string,
  allowPositionals = false
): ParsedFlags<T> {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals
    })
  } catch (err: any) {
    throw new UsageError(`${String(err.message).split('\n')[0]} (see --help)`)
  }
  if (parsed.values.help === true) {
    process.stdout.write(helpText.trimEnd() + '\n')
    return { values: parsed.values as T, positionals: parsed.positionals, help: true }
  }
  return { values: parsed.values as T, positionals: parsed.positionals, help: false }
}
