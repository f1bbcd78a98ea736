import { peerIdFromString } from '@libp2p/peer-id'
import {
  InvalidAddressError,
  MessageTooLargeError,
  NoHandlerError,
  NoResponseError,
  NotStartedError,
  RequestAbortedError,
  RequestFailedError,
  RequestTimeoutError
} from './errors.js'
import type { NetworkError } from './errors.js'
import type { PeerId, Stream } from '@libp2p/interface'

/**
 * The `NetworkError` of a failed request, pipe open or dial: read before the stream is aborted,
 * since the mapping looks at its final state.
 */
export function requestError (err: any, stream: Stream | undefined, ctx: { timeout: AbortSignal, caller?: AbortSignal, lifetime: AbortSignal, protocol: string, peerId: string, timeoutMs: number }): NetworkError {
  const what = `${ctx.protocol} to ${ctx.peerId}`
  if (ctx.caller?.aborted === true) {
    return new RequestAbortedError(`request ${what} aborted`, { cause: err })
  }
  if (ctx.timeout.aborted) {
    return new RequestTimeoutError(`request ${what} timed out after ${ctx.timeoutMs}ms`, { cause: err })
  }
  if (ctx.lifetime.aborted) {
    return new NotStartedError(`request ${what} interrupted: network stopped`)
  }
  switch (err?.name) {
    case 'UnsupportedProtocolError':
      return new NoHandlerError(`peer does not handle ${what}`, { cause: err })
    case 'InvalidDataLengthError':
    case 'InvalidDataLengthLengthError':
      return new MessageTooLargeError(`response to ${what} exceeds the size limit`, { cause: err })
    case 'UnexpectedEOFError':
      // a clean end of the stream means the handler chose not to answer; a
      // reset or a closed connection means the peer went away
      if (stream != null && stream.status !== 'reset' && stream.status !== 'aborted' && stream.remoteWriteStatus === 'closed') {
        return new NoResponseError(`peer closed ${what} without a response`, { cause: err })
      }
      return new RequestFailedError(`stream for ${what} ended before a response`, { cause: err })
    default:
      return new RequestFailedError(`request ${what} failed: ${err?.name ?? 'unknown error'}`, { cause: err })
  }
}

/** A peer id string, or `InvalidAddressError` */
export function parsePeerId (peerId: string): PeerId {
  try {
    return peerIdFromString(peerId)
  } catch (err) {
    throw new InvalidAddressError(`not a peer id: ${peerId}`, { cause: err })
  }
}

/** Settle with `promise`, or reject with the signal's reason once it aborts */
export async function raceSignal<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {})
    throw signal.reason
  }
  let onAbort: (() => void) | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(signal.reason) }
        signal.addEventListener('abort', onAbort, { once: true })
      })
    ])
  } finally {
    if (onAbort != null) {
      signal.removeEventListener('abort', onAbort)
    }
  }
}
