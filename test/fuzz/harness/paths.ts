import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

/**
 * The repository root (where `package.json` is), found from this file whether it runs from
 * `test/fuzz/harness/` (tsx) or `dist/test/fuzz/harness/` (compiled).
 */
export function repoRoot (): string {
  if (root != null) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'protocol'))) {
      root = dir
      return dir
    }
    dir = resolve(dir, '..')
  }
  throw new Error('cannot find the repository root from ' + fileURLToPath(import.meta.url))
}

/** The corpus folder of one target (seeds kept in the repository, under `test/fuzz/corpus/`). */
export function corpusDir (target: string): string {
  return join(repoRoot(), 'test', 'fuzz', 'corpus', target)
}

/** The compiled `hitch` command. */
export function hitchBin (): string {
  return join(repoRoot(), 'dist', 'cli', 'hitch.js')
}
