/**
 * The serving side of a request on the simulated network: a peer's handler run under its
 * timeout and the peer's lifetime, its answer sized, counted and handed back to the world.
 */
import { NotStartedError, RequestTimeoutError } from '../node/network/index.js'
import type { VirtualClock } from './event-scheduler.js'
import type { NetworkStats, RequestHandler } from '../node/network/index.js'
import type { Logger } from '@libp2p/interface'

/** A protocol a peer serves, with its limits and the requests it is serving */
export interface Served {
  handler: RequestHandler
  timeoutMs: number
  maxRequestBytes: number
  maxInboundStreams: number
  inFlight: number
}

/** How a request ends, as the serving peer tells the world; one of them is called, once */
export interface Reply {
  noHandler: () => void
  failed: () => void
  noResponse: () => void
  respond: (response: Uint8Array) => void
}

/** What {@link serveRequest} works with: the serving peer's clock, counters, log and limits */
export interface ServingPeer {
  readonly clock: VirtualClock
  /** the peer's traffic counters, counted in place */
  readonly counters: NetworkStats
  readonly log: Logger
  /** size limit of a response, bytes */
  readonly maxMessageBytes: number
  /** aborts when the peer stops */
  readonly lifetime: AbortSignal
}

/** Runs `served`'s handler on one request (within the limits) and replies once it ends */
export function serveRequest (peer: ServingPeer, served: Served, from: string, protocol: string, data: Uint8Array, reply: Reply): void {
  if (data.byteLength > served.maxRequestBytes || served.inFlight >= served.maxInboundStreams) {
    peer.counters.direct.failedHandlers++
    reply.failed()
    return
  }
  peer.counters.direct.messagesIn++
  peer.counters.direct.bytesIn += data.byteLength
  served.inFlight++
  const controller = new AbortController()
  const onStop = (): void => { controller.abort(new NotStartedError('Network stopped')) }
  peer.lifetime.addEventListener('abort', onStop, { once: true })
  const timer = peer.clock.setTimeout(() => { controller.abort(new RequestTimeoutError(`handler for ${protocol} timed out`)) }, served.timeoutMs)
  let done = false
  const end = (fn: () => void): void => {
    if (done) return
    done = true
    served.inFlight--
    peer.clock.clearTimeout(timer)
    peer.lifetime.removeEventListener('abort', onStop)
    fn()
  }
  controller.signal.addEventListener('abort', () => {
    end(() => {
      peer.counters.direct.failedHandlers++
      reply.failed()
    })
  }, { once: true })
  let result: Promise<Uint8Array | undefined>
  try {
    result = served.handler({ from, protocol, data }, { signal: controller.signal })
  } catch (err) {
    result = Promise.reject(err)
  }
  result.then(response => {
    end(() => {
      if (response === undefined) {
        reply.noResponse()
      } else if (response.byteLength > peer.maxMessageBytes) {
        peer.counters.direct.failedHandlers++
        reply.failed()
      } else {
        peer.counters.direct.messagesOut++
        peer.counters.direct.bytesOut += response.byteLength
        reply.respond(response.slice())
      }
    })
  }, err => {
    end(() => {
      peer.log('handler for %s from %s failed - %e', protocol, from, err)
      peer.counters.direct.failedHandlers++
      reply.failed()
    })
  })
}
