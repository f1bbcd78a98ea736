import { LengthPrefixedDecoder } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { IdleTimeoutError, MessageTooLargeError, NotStartedError, RateLimitedError, RequestFailedError } from './errors.js'
import { RateLimiter } from './rate-limiter.js'
import type { MessagePipe, PipeHandlers, TrafficCounters } from './network.js'
import type { RateLimit } from './rate-limiter.js'
import type { Logger, Stream } from '@libp2p/interface'

/** What one pipe needs from the network that opened or accepted it */
export interface PipeInit {
  stream: Stream
  remotePeer: string
  protocol: string
  maxMessageBytes: number
  /** close the pipe after this many ms without a message either way; undefined: never */
  idleTimeoutMs?: number
  /** inbound messages allowed on this pipe; over it the pipe is reset; undefined: no limit */
  rateLimit?: RateLimit
  /** the network's direct-traffic counters */
  counters: TrafficCounters
  /** aborts when the network stops */
  lifetime: AbortSignal
  log: Logger
  /** called once when the pipe ends, before the handlers' `onClose` */
  onEnd?: () => void
}

/**
 * Most bytes a pipe queues for a remote that does not read them; past it the stream is
 * aborted (libp2p's `StreamBufferError`), instead of growing without end.
 */
export const PIPE_WRITE_BUFFER_BYTES = 4 * 1024 * 1024

/**
 * A pipe over one stream: varint length-prefixed messages, decoded as they arrive (no read
 * loop of promises). Sends keep their order; the messages sent in one turn of the event loop
 * leave together at its end (`setImmediate`), as one muxer frame and one socket write, since
 * a write per message costs more than the message on a busy host.
 *
 * An idle timeout closes the pipe (`onClose(IdleTimeoutError)`) after that long without a
 * message either way, so that a peer cannot hold pipes open for nothing; a rate limit resets
 * it (`onClose(RateLimitedError)`) when the remote sends more than its budget.
 */
export function createPipe (init: PipeInit): { pipe: MessagePipe, start: (handlers: PipeHandlers) => void } {
  const { stream, remotePeer, protocol, maxMessageBytes, counters, lifetime, log } = init
  const buffered = stream as unknown as { maxWriteBufferLength?: number }
  buffered.maxWriteBufferLength ??= Math.max(PIPE_WRITE_BUFFER_BYTES, 4 * maxMessageBytes)
  const decoder = new LengthPrefixedDecoder({ maxDataLength: maxMessageBytes })
  const limiter = init.rateLimit != null ? new RateLimiter({ limit: init.rateLimit, maxKeys: 1 }) : undefined
  let handlers: PipeHandlers | undefined
  let ended = false
  let lastActivity = performance.now()
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  const end = (err?: Error): void => {
    if (ended) {
      return
    }
    ended = true
    if (idleTimer != null) {
      clearTimeout(idleTimer)
    }
    lifetime.removeEventListener('abort', onStop)
    if (err != null) {
      log('pipe %s with %s ended - %e', protocol, remotePeer, err)
    }
    init.onEnd?.()
    handlers?.onClose?.(err)
  }
  const onStop = (): void => { stream.abort(new NotStartedError('Network stopped')) }
  // one timer per pipe, re-armed for what is left rather than reset on every message
  const armIdle = (delayMs: number): void => {
    const idleMs = init.idleTimeoutMs
    if (idleMs == null || ended) {
      return
    }
    idleTimer = setTimeout(() => {
      const quiet = performance.now() - lastActivity
      if (quiet >= idleMs) {
        stream.abort(new IdleTimeoutError(`pipe ${protocol} with ${remotePeer} idle for ${idleMs}ms`))
      } else {
        armIdle(idleMs - quiet)
      }
    }, delayMs)
    idleTimer.unref?.()
  }
  let outbox: Uint8ArrayList | undefined
  const flush = (): void => {
    const batch = outbox
    outbox = undefined
    if (batch == null || ended || stream.writeStatus !== 'writable') {
      return
    }
    try {
      stream.send(batch)
    } catch (err: any) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
  const pipe: MessagePipe = {
    remotePeer,
    get open () { return !ended && stream.status === 'open' && stream.writeStatus === 'writable' },
    send: (data: Uint8Array): void => {
      if (data.byteLength > maxMessageBytes) {
        throw new MessageTooLargeError(`message of ${data.byteLength} bytes exceeds ${maxMessageBytes}`)
      }
      if (!pipe.open) {
        throw new RequestFailedError(`pipe ${protocol} to ${remotePeer} is closed`)
      }
      if (outbox == null) {
        outbox = new Uint8ArrayList()
        setImmediate(flush)
      }
      outbox.append(varintPrefix(data.byteLength), data)
      lastActivity = performance.now()
      counters.messagesOut++
      counters.bytesOut += data.byteLength
    },
    close: (): void => {
      flush()
      stream.close().catch(err => { stream.abort(err) })
    },
    abort: (reason?: Error): void => {
      stream.abort(reason ?? new RequestFailedError(`pipe ${protocol} to ${remotePeer} reset`))
    }
  }
  return {
    pipe,
    start: (h: PipeHandlers): void => {
      handlers = h
      lifetime.addEventListener('abort', onStop, { once: true })
      stream.addEventListener('message', evt => {
        try {
          for (const message of decoder.decode(evt.data)) {
            if (ended) {
              return
            }
            if (limiter != null && !limiter.take('')) {
              throw new RateLimitedError(`pipe ${protocol} from ${remotePeer} over ${limiter.limit.perSecond} messages/s`)
            }
            const data = message.subarray()
            lastActivity = performance.now()
            counters.messagesIn++
            counters.bytesIn += data.byteLength
            h.onMessage(data)
          }
        } catch (err: any) {
          stream.abort(err instanceof Error ? err : new Error(String(err)))
        }
      })
      stream.addEventListener('remoteCloseWrite', () => { pipe.close() })
      stream.addEventListener('close', evt => { end(evt.error) })
      if (stream.status !== 'open') {
        end()
        return
      }
      if (init.idleTimeoutMs != null) {
        armIdle(init.idleTimeoutMs)
      }
    }
  }
}

/** The unsigned varint of a message length (the libp2p length prefix). */
function varintPrefix (length: number): Uint8Array {
  const out: number[] = []
  while (length >= 0x80) {
    out.push((length & 0x7f) | 0x80)
    length >>>= 7
  }
  out.push(length)
  return Uint8Array.from(out)
}
