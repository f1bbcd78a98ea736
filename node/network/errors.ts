import { CodedError } from '../../protocol/index.js'

/** Every code a {@link NetworkError} can carry */
export type NetworkErrorCode =
  | 'ERR_NOT_STARTED'
  | 'ERR_REQUEST_TIMEOUT'
  | 'ERR_REQUEST_ABORTED'
  | 'ERR_NO_RESPONSE'
  | 'ERR_MESSAGE_TOO_LARGE'
  | 'ERR_REQUEST_FAILED'
  | 'ERR_NO_HANDLER'
  | 'ERR_INVALID_ADDRESS'
  | 'ERR_NO_PEERS'
  | 'ERR_RATE_LIMITED'
  | 'ERR_IDLE_TIMEOUT'

/** Base class of every error the `Network` port throws; switch on `code` */
export abstract class NetworkError extends CodedError<NetworkErrorCode> {
  static readonly code: NetworkErrorCode = 'ERR_REQUEST_FAILED'
  override name = 'NetworkError'
}

/** The network was used before `start()` or after `stop()` */
export class NotStartedError extends NetworkError {
  static override readonly code = 'ERR_NOT_STARTED'
  override name = 'NotStartedError'
  constructor (message = 'Network is not started') { super('ERR_NOT_STARTED', message) }
}

/** No response arrived within the request's timeout */
export class RequestTimeoutError extends NetworkError {
  static override readonly code = 'ERR_REQUEST_TIMEOUT'
  override name = 'RequestTimeoutError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_REQUEST_TIMEOUT', message, options) }
}

/** Nobody could be reached: e.g. a DHT record was stored by no other peer (the routing table was still empty) */
export class NoPeersError extends NetworkError {
  static override readonly code = 'ERR_NO_PEERS'
  override name = 'NoPeersError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_NO_PEERS', message, options) }
}

/** The caller's signal aborted the request */
export class RequestAbortedError extends NetworkError {
  static override readonly code = 'ERR_REQUEST_ABORTED'
  override name = 'RequestAbortedError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_REQUEST_ABORTED', message, options) }
}

/** The remote closed the stream cleanly without answering (its handler returned `undefined`) */
export class NoResponseError extends NetworkError {
  static override readonly code = 'ERR_NO_RESPONSE'
  override name = 'NoResponseError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_NO_RESPONSE', message, options) }
}

/** A request or response exceeded its size limit */
export class MessageTooLargeError extends NetworkError {
  static override readonly code = 'ERR_MESSAGE_TOO_LARGE'
  override name = 'MessageTooLargeError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_MESSAGE_TOO_LARGE', message, options) }
}

/** The request could not be completed: dial failed, stream reset, peer went away */
export class RequestFailedError extends NetworkError {
  static override readonly code = 'ERR_REQUEST_FAILED'
  override name = 'RequestFailedError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_REQUEST_FAILED', message, options) }
}

/** The remote does not speak the requested protocol */
export class NoHandlerError extends NetworkError {
  static override readonly code = 'ERR_NO_HANDLER'
  override name = 'NoHandlerError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_NO_HANDLER', message, options) }
}

/** A string was neither a peer id nor a multiaddr */
export class InvalidAddressError extends NetworkError {
  static override readonly code = 'ERR_INVALID_ADDRESS'
  override name = 'InvalidAddressError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_INVALID_ADDRESS', message, options) }
}

/** A peer sent more than its budget: its pipe or stream was reset */
export class RateLimitedError extends NetworkError {
  static override readonly code = 'ERR_RATE_LIMITED'
  override name = 'RateLimitedError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_RATE_LIMITED', message, options) }
}

/** A pipe carried no message either way for its idle timeout, and was closed */
export class IdleTimeoutError extends NetworkError {
  static override readonly code = 'ERR_IDLE_TIMEOUT'
  override name = 'IdleTimeoutError'
  constructor (message: string, options?: { cause?: unknown }) { super('ERR_IDLE_TIMEOUT', message, options) }
}

/**
 * Throw this from a topic validator to choose the verdict; other exceptions
 * count as `'ignore'` so that a bug in our own validation never penalises
 * honest peers (see `gossipVerdict`).
 */
export class GossipValidationError extends Error {
  static readonly code = 'ERR_GOSSIP_VALIDATION'
  readonly code = GossipValidationError.code
  override name = 'GossipValidationError'
  readonly verdict: 'ignore' | 'reject'

  constructor (verdict: 'ignore' | 'reject', message: string) {
    super(message)
    this.verdict = verdict
  }
}
