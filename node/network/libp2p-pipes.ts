/**
 * Long-lived pipes on libp2p streams: opening one to a peer, and accepting them on a
 * protocol within the node's inbound pipe limits. The pipe itself is `message-pipe.ts`.
 */
import { RateLimitedError } from './errors.js'
import { createPipe } from './message-pipe.js'
import { parsePeerId, requestError } from './request-errors.js'
import { DEFAULT_MAX_INBOUND_STREAMS } from './network.js'
import { RUN_ON_LIMITED_CONNECTION, openHitchStream } from './limited-connections.js'
import type { Libp2pContext } from './libp2p-context.js'
import type { HandlePipeOptions, MessagePipe, PipeHandlers, PipeOptions } from './network.js'
import type { Stream } from '@libp2p/interface'

/** Opens a pipe to `peerId` on `protocol` (see `Network.openPipe`) */
export async function openLibp2pPipe (ctx: Libp2pContext, peerId: string, protocol: string, handlers: PipeHandlers, options: PipeOptions = {}): Promise<MessagePipe> {
  const target = parsePeerId(peerId)
  const timeoutMs = options.timeoutMs ?? ctx.requestTimeoutMs
  const timeout = AbortSignal.timeout(timeoutMs)
  const signals = [timeout, ctx.lifetime()]
  if (options.signal != null) {
    signals.push(options.signal)
  }
  let stream: Stream | undefined
  try {
    stream = await openHitchStream(ctx.libp2p, target, protocol, { signal: AbortSignal.any(signals) })
  } catch (err: any) {
    ctx.counters.direct.failedRequests++
    const mapped = requestError(err, stream, { timeout, caller: options.signal, lifetime: ctx.lifetime(), protocol, peerId, timeoutMs })
    stream?.abort(err)
    ctx.log('pipe %s to %s failed - %s', protocol, peerId, mapped.code)
    throw mapped
  }
  const pipe = createPipe({
    stream,
    remotePeer: peerId,
    protocol,
    maxMessageBytes: options.maxMessageBytes ?? ctx.maxMessageBytes,
    idleTimeoutMs: options.idleTimeoutMs,
    rateLimit: options.rateLimit,
    counters: ctx.counters.direct,
    lifetime: ctx.lifetime(),
    log: ctx.log
  })
  pipe.start(handlers)
  return pipe.pipe
}

/** Accepts pipes on `protocol` (see `Network.handlePipe`) */
export async function handleLibp2pPipes (ctx: Libp2pContext, protocol: string, accept: (pipe: MessagePipe) => PipeHandlers, options: HandlePipeOptions = {}): Promise<void> {
  const maxMessageBytes = options.maxMessageBytes ?? ctx.maxMessageBytes
  const admit = ctx.inbound.forPipes({ maxPipesPerPeer: options.maxPipesPerPeer, maxPipes: options.maxPipes })
  await ctx.libp2p.handle(protocol, (stream, connection) => {
    const remotePeer = connection.remotePeer.toString()
    const release = admit(remotePeer)
    if (release == null) {
      stream.abort(new RateLimitedError(`${protocol} from ${remotePeer}: too many pipes`))
      return
    }
    const pipe = createPipe({
      stream,
      remotePeer,
      protocol,
      maxMessageBytes,
      idleTimeoutMs: options.idleTimeoutMs,
      rateLimit: options.rateLimit,
      counters: ctx.counters.direct,
      lifetime: ctx.lifetime(),
      log: ctx.log,
      onEnd: release
    })
    try {
      pipe.start(accept(pipe.pipe))
    } catch (err: any) {
      ctx.counters.direct.failedHandlers++
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }, {
    maxInboundStreams: options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS,
    runOnLimitedConnection: RUN_ON_LIMITED_CONNECTION
  })
  ctx.protocols.add(protocol)
}
