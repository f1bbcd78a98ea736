/**
 * The file-system side of the node key: a private data directory, a key file opened without
 * following links, and atomic writes.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, rename, stat, chmod, unlink } from 'node:fs/promises'
import { logger } from '@libp2p/logger'
import { CorruptIdentityError, NotAFileError, SymlinkedKeyError } from './errors.js'
import { MAX_KEYSTORE_BYTES } from './keystore.js'

const log = logger('hitch:identity')

/**
 * Creates the data directory (mode 0700) or, when it exists, takes group and other access away
 * from it: the key and the channel store live there. A symbolic link to a directory is allowed
 * (a data directory on another disk); its target is what is tightened.
 */
export async function securePrivateDir (dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const info = await stat(dir)
  if (!info.isDirectory()) throw new NotAFileError(`the data directory ${dir} is not a directory`)
  if ((info.mode & 0o077) !== 0) {
    log('tightening permissions of %s from %s to 0700', dir, (info.mode & 0o777).toString(8))
    await chmod(dir, 0o700)
  }
}

/**
 * Reads the key file, or `undefined` when there is none. The file is opened with `O_NOFOLLOW`
 * (a symbolic link is refused, never followed: a link would let whoever placed it choose which
 * file is read and whose mode is changed) and `O_NONBLOCK` (a FIFO cannot stall the start); only
 * a regular file is read, at most `MAX_KEYSTORE_BYTES`; a file others can read is tightened to
 * 0600 through the open handle, so the check and the change concern the same file.
 *
 * @throws {IdentityError} `ERR_SYMLINKED_KEY`, `ERR_NOT_A_FILE`, `ERR_CORRUPT_IDENTITY` (too large)
 */
export async function readKeyFile (file: string): Promise<Uint8Array | undefined> {
  let handle
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (err: any) {
    if (err?.code === 'ENOENT') return undefined
    if (err?.code === 'ELOOP' || err?.code === 'EMLINK') {
      throw new SymlinkedKeyError(`the key file ${file} is a symbolic link: refused (move the real file there instead)`, { cause: err })
    }
    if (err?.code === 'EISDIR') throw new NotAFileError(`the key file ${file} is not a regular file`, { cause: err })
    throw err
  }
  try {
    const info = await handle.stat()
    if (!info.isFile()) throw new NotAFileError(`the key file ${file} is not a regular file`)
    if (info.size > MAX_KEYSTORE_BYTES) throw new CorruptIdentityError(`the key file ${file} is larger than ${MAX_KEYSTORE_BYTES} bytes`)
    if ((info.mode & 0o077) !== 0) {
      // a key readable by others is tightened rather than refused
      log('tightening permissions of %s', file)
      await handle.chmod(0o600)
    }
    const bytes = await handle.readFile()
    if (bytes.length > MAX_KEYSTORE_BYTES) throw new CorruptIdentityError(`the key file ${file} is larger than ${MAX_KEYSTORE_BYTES} bytes`)
    return bytes
  } finally {
    await handle.close()
  }
}

/** A temporary file (mode 0600) beside `file` holding `bytes`, written and fsynced. */
async function writeTemp (file: string, bytes: Uint8Array): Promise<string> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  // 'wx' is O_CREAT | O_EXCL: never through an existing file or link
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(bytes)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(tmp).catch(() => {})
    throw err
  }
  await handle.close()
  return tmp
}

/**
 * Puts `bytes` at `file` unless a file is there already: written and fsynced to a temporary file
 * and hard-linked into place, so a crash never leaves a partial key and of two processes racing
 * on first run one wins and the other reads its key. Returns false when `file` existed.
 */
export async function createKeyFile (dir: string, file: string, bytes: Uint8Array): Promise<boolean> {
  const tmp = await writeTemp(file, bytes)
  try {
    await link(tmp, file)
  } catch (err: any) {
    if (err?.code === 'EEXIST') return false
    throw err
  } finally {
    await unlink(tmp).catch(() => {})
  }
  await syncDir(dir)
  return true
}

/** Replaces `file` with `bytes` atomically (rename over it); the old content is never half-overwritten. */
export async function replaceKeyFile (dir: string, file: string, bytes: Uint8Array): Promise<void> {
  const tmp = await writeTemp(file, bytes)
  try {
    await rename(tmp, file)
  } catch (err) {
    await unlink(tmp).catch(() => {})
    throw err
  }
  await syncDir(dir)
}

/** Makes new directory entries durable; not supported everywhere, and the file itself is synced. */
async function syncDir (dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {}
}
