/**
 * Where the passphrase of an encrypted key file comes from: a file (`--passphrase-file FILE`,
 * or `$HITCH_PASSPHRASE_FILE`), else a prompt on the terminal with echo off. Never a flag
 * holding the passphrase itself: `ps` shows every process's arguments to every user.
 */
import { readFile } from 'node:fs/promises'
import { UsageError } from './errors.js'
import type { IdentityOptions, PassphraseSource } from '../node/identity/index.js'

/** Environment variable naming a file that holds the passphrase (a daemon's way, e.g. under systemd) */
export const PASSPHRASE_FILE_ENV = 'HITCH_PASSPHRASE_FILE'

/** Largest passphrase file read, in bytes */
const MAX_PASSPHRASE_FILE_BYTES = 4096

export const PASSPHRASE_FLAG_OPTIONS = {
  'passphrase-file': { type: 'string' }
} as const

export const PASSPHRASE_FLAG_HELP = `
  --passphrase-file FILE  passphrase of an encrypted key file: its first line (default:
                        $${PASSPHRASE_FILE_ENV}, else asked on the terminal)`

/**
 * The passphrase in `file`: its content up to the first line break (so `echo pw > file` works;
 * the rest of the file is ignored).
 */
export async function readPassphraseFile (file: string): Promise<string> {
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err: any) {
    throw new UsageError(`cannot read the passphrase file ${file}: ${String(err?.code ?? err?.message ?? err)}`, 1)
  }
  if (bytes.length > MAX_PASSPHRASE_FILE_BYTES) throw new UsageError(`the passphrase file ${file} is larger than ${MAX_PASSPHRASE_FILE_BYTES} bytes`, 1)
  const text = bytes.toString('utf8').split(/\r?\n/)[0]
  if (text === '') throw new UsageError(`the passphrase file ${file} is empty`, 1)
  return text
}

/**
 * Reads a line from the terminal without echoing it (raw mode), with the prompt on stderr.
 * Ctrl+C and Ctrl+D abort.
 */
export async function promptPassphrase (prompt: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  if (input.isTTY !== true || typeof input.setRawMode !== 'function') throw new UsageError('no terminal to ask for the passphrase on: give --passphrase-file FILE', 1)
  output.write(prompt)
  const wasRaw = input.isRaw
  input.setRawMode(true)
  input.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = ''
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            input.off('data', onData)
            resolve(text)
            return
          }
          if (ch === '\u0003' || ch === '\u0004') {
            input.off('data', onData)
            reject(new UsageError('no passphrase given', 130))
            return
          }
          if (ch === '\u007f' || ch === '\b') text = [...text].slice(0, -1).join('')
          else if (ch >= ' ') text += ch
        }
      }
      input.on('data', onData)
    })
  } finally {
    input.setRawMode(wasRaw)
    input.pause()
    output.write('\n')
  }
}

/** How a command gets the passphrase: the file named by the flag or the environment, else the terminal. */
export interface PassphraseChoice {
  /** undefined when there is neither a file nor a terminal */
  source?: PassphraseSource
  /** the passphrase file, when one was named */
  file?: string
}

/**
 * The passphrase source of a command. With `confirm`, a prompted passphrase is asked twice (for
 * a new encrypted file). The file, or the prompt, is read only when the source is called.
 */
export function passphraseChoice (flags: { 'passphrase-file'?: string }, options: { confirm?: boolean, env?: NodeJS.ProcessEnv } = {}): PassphraseChoice {
  const env = options.env ?? process.env
  const file = flags['passphrase-file'] ?? (env[PASSPHRASE_FILE_ENV] !== '' ? env[PASSPHRASE_FILE_ENV] : undefined)
  if (file != null) return { file, source: async () => await readPassphraseFile(file) }
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) return {}
  return {
    source: async () => {
      const first = await promptPassphrase('passphrase of the node key: ')
      if (options.confirm === true) {
        const again = await promptPassphrase('the same passphrase again: ')
        if (again !== first) throw new UsageError('the two passphrases differ', 1)
      }
      return first
    }
  }
}

/**
 * The identity options of a node command (`hitch drive`, `ride`, `channels`): an encrypted key
 * file is opened with the passphrase; a new key is created encrypted when a passphrase file was
 * named (the daemon was set up for encryption), in plaintext otherwise.
 */
export function identityOptionsOf (flags: { 'passphrase-file'?: string }): IdentityOptions {
  const choice = passphraseChoice(flags)
  return {
    ...(choice.source != null ? { passphrase: choice.source } : {}),
    encryptNew: choice.file != null
  }
}
