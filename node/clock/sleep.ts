import { AbortError } from '@libp2p/interface'
import type { Clock } from './clock.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * `sleep` written once on top of `setTimeout`/`clearTimeout`, so every clock
 * handles abort the same way.
 */
export async function sleepOn (clock: Clock, ms: number, options: AbortOptions = {}): Promise<void> {
  const signal = options.signal
  if (signal?.aborted === true) {
    throw new AbortError('Sleep aborted')
  }

  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(handle)
      reject(new AbortError('Sleep aborted'))
    }
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
