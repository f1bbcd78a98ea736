/**
 * One-shot requests on libp2p streams: a length-prefixed request and response per stream,
 * inbound handlers run under their timeout and the node's inbound limits, and every failure
 * mapped to the port's errors.
 */
import { lpStream } from '@libp2p/utils'
import { MessageTooLargeError, RateLimitedError } from './errors.js'
import { parsePeerId, raceSignal, requestError } from './request-errors.js'
import { DEFAULT_MAX_INBOUND_STREAMS } from './network.js'
import { RUN_ON_LIMITED_CONNECTION, openHitchStream } from './limited-connections.js'
import type { Libp2pContext } from './libp2p-context.js'
import type { HandleOptions, RequestHandler, RequestOptions } from './network.js'
import type { Connection, Stream } from '@libp2p/interface'

/** The request/response side of a `Libp2pNetwork` */
export class Libp2pRequests {
  private readonly ctx: Libp2pContext
  /** inbound requests being served, awaited by stop() */
  private readonly serving = new Set<Promise<void>>()

  constructor (ctx: Libp2pContext) {
    this.ctx = ctx
  }

  /** Waits for the inbound requests being served to end (the node is stopping) */
  async settle (): Promise<void> {
    await Promise.allSettled([...this.serving])
  }

  /** Serves `protocol` with `handler` */
  async handle (protocol: string, handler: RequestHandler, options: HandleOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.ctx.handlerTimeoutMs
    const maxRequestBytes = options.maxRequestBytes ?? this.ctx.maxMessageBytes
    const maxInboundStreams = options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS
    const admit = this.ctx.inbound.forRequests({
      rateLimit: options.rateLimit,
      maxConcurrentPerPeer: options.maxConcurrentPerPeer ?? maxInboundStreams
    })
    await this.ctx.libp2p.handle(protocol, async (stream, connection) => {
      const from = connection.remotePeer.toString()
      const release = admit(from)
      if (release == null) {
        // over a limit: reset before reading a byte
        stream.abort(new RateLimitedError(`${protocol} from ${from} over its limit`))
        return
      }
      const serving = this.serve(protocol, handler, stream, connection, timeoutMs, maxRequestBytes)
      this.serving.add(serving)
      try {
        await serving
      } finally {
        release()
        this.serving.delete(serving)
      }
    }, {
      maxInboundStreams,
      runOnLimitedConnection: RUN_ON_LIMITED_CONNECTION
    })
    this.ctx.protocols.add(protocol)
  }

  /** Sends one request to `peerId` on `protocol` and reads its response */
  async request (peerId: string, protocol: string, data: Uint8Array, options: RequestOptions = {}): Promise<Uint8Array> {
    const { counters, log } = this.ctx
    const target = parsePeerId(peerId)
    if (data.byteLength > this.ctx.maxMessageBytes) {
      counters.direct.failedRequests++
      throw new MessageTooLargeError(`request of ${data.byteLength} bytes exceeds ${this.ctx.maxMessageBytes}`)
    }
    const timeoutMs = options.timeoutMs ?? this.ctx.requestTimeoutMs
    const maxResponseBytes = options.maxResponseBytes ?? this.ctx.maxMessageBytes
    const timeout = AbortSignal.timeout(timeoutMs)
    const signals = [timeout, this.ctx.lifetime()]
    if (options.signal != null) {
      signals.push(options.signal)
    }
    const signal = AbortSignal.any(signals)

    let stream: Stream | undefined
    try {
      stream = await openHitchStream(this.ctx.libp2p, target, protocol, { signal })
      const lp = lpStream(stream, { maxDataLength: maxResponseBytes })
      await lp.write(data, { signal })
      counters.direct.messagesOut++
      counters.direct.bytesOut += data.byteLength
      const response = (await lp.read({ signal })).subarray()
      counters.direct.messagesIn++
      counters.direct.bytesIn += response.byteLength
      await stream.close({ signal }).catch(() => {})
      return response
    } catch (err: any) {
      counters.direct.failedRequests++
      // map before aborting: the mapping reads the stream's final state
      const mapped = requestError(err, stream, { timeout, caller: options.signal, lifetime: this.ctx.lifetime(), protocol, peerId, timeoutMs })
      stream?.abort(err)
      log('request %s to %s failed - %s', protocol, peerId, mapped.code)
      throw mapped
    }
  }

  private async serve (protocol: string, handler: RequestHandler, stream: Stream, connection: Connection, timeoutMs: number, maxRequestBytes: number): Promise<void> {
    const { counters, log } = this.ctx
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), this.ctx.lifetime()])
    const from = connection.remotePeer.toString()
    try {
      const lp = lpStream(stream, { maxDataLength: maxRequestBytes })
      const data = (await lp.read({ signal })).subarray()
      counters.direct.messagesIn++
      counters.direct.bytesIn += data.byteLength
      const response = await raceSignal(handler({ from, protocol, data }, { signal }), signal)
      // A handler that returns because it was aborted (timeout, or this node
      // stopping) did not choose to stay silent: reset the stream, so the
      // requester sees a failure rather than a clean "no answer".
      signal.throwIfAborted()
      if (response === undefined) {
        await stream.close({ signal })
        return
      }
      if (response.byteLength > this.ctx.maxMessageBytes) {
        throw new MessageTooLargeError(`response of ${response.byteLength} bytes exceeds ${this.ctx.maxMessageBytes}`)
      }
      await lp.write(response, { signal })
      counters.direct.messagesOut++
      counters.direct.bytesOut += response.byteLength
      await stream.close({ signal })
    } catch (err: any) {
      counters.direct.failedHandlers++
      const reason = signal.aborted ? 'timed out or stopped' : err?.name
      log('handler for %s from %s failed (%s) - %e', protocol, from, reason, err)
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }
}
