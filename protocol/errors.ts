/**
 * Named errors of the wire protocol. Callers branch on `code` (and, for validation, on
 * `verdict`), never on message text.
 */

/**
 * The shape of Hitch's error families (js-libp2p 3's style): each error is a class of its own,
 * named for what failed and matched by `name` (or `instanceof`); it extends its family (the
 * channel manager's, the chain's, ...), which a caller can catch as a whole, and carries the
 * family's `code` for logs, JSON output and the wire.
 */
export abstract class CodedError<Code extends string> extends Error {
  readonly code: Code

  constructor (code: Code, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/**
 * A family of errors whose members each stand for one of its codes: a member declares its
 * `static readonly code` and nothing else, and is named for its class, so that
 * `new PeerUnresponsiveError('...')` has `name` `PeerUnresponsiveError` and its code.
 */
export abstract class ErrorFamily<Code extends string> extends CodedError<Code> {
  constructor (message: string, options?: ErrorOptions) {
    const member = new.target as unknown as { code: Code, name: string }
    super(member.code, message, options)
    this.name = member.name
  }
}

/** What a gossip router should do with a message: forward it, drop it quietly, or drop it and penalise the sender. */
export type Verdict = 'accept' | 'ignore' | 'reject'

/** Why a message was not accepted. */
export type ValidationCode =
  /** not a decodable envelope or body, or a required field is missing */
  | 'malformed'
  /** larger than the allowed size */
  | 'oversized'
  /** an envelope version this code does not speak */
  | 'unsupported-version'
  /** the sender key is not an Ed25519 or secp256k1 libp2p public key */
  | 'unsupported-key'
  /** no signature, or the signature is not the final field */
  | 'unsigned'
  /**
   * decodes, but is not the one canonical encoding of what it says: a padded varint, fields
   * out of order or repeated, a default written out, a non-canonical DER signature or high S,
   * a sender key in another encoding
   */
  | 'non-canonical'
  /** the signature does not verify against the embedded key */
  | 'bad-signature'
  /** the envelope or the body has expired */
  | 'expired'
  /** an expiry (or latest pickup) further in the future than allowed */
  | 'expiry-too-far'
  /** the same message id from the same sender was already seen within its lifetime */
  | 'replayed'
  /** the message's cell does not belong to the topic it arrived on */
  | 'wrong-topic'
  /** a message with exact points (Accept, TripUpdate) arrived on gossip */
  | 'exact-point-on-gossip'
  /** a message that belongs on a direct stream (Quote, Confirm, ...) arrived on gossip */
  | 'direct-only'
  /** the signer is not the peer at the other end of the stream */
  | 'wrong-sender'
  /** seats out of 1..8 (or free seats above capacity) */
  | 'bad-seats'
  /** not a valid H3 cell index at the gossip resolution */
  | 'bad-cell'
  /** latitude or longitude out of range or not finite */
  | 'bad-lat-lon'
  /** an amount that is negative */
  | 'negative-amount'
  /** an amount that is not a decimal integer within uint256 */
  | 'bad-amount'
  /** any other field out of range (ids, strings, enums, times, ratings) */
  | 'bad-field'
  /** more messages than allowed from one peer, signer or topic in a period */
  | 'rate-limited'

/**
 * A message failed validation. `verdict` says what gossip should do with it; one adapter in
 * the node maps it to gossipsub's `TopicValidatorResult` (Lodestar style).
 */
export class ValidationError extends CodedError<ValidationCode> {
  override readonly name = 'ValidationError'
  readonly verdict: Exclude<Verdict, 'accept'>

  constructor (code: ValidationCode, verdict: Exclude<Verdict, 'accept'>, message: string) {
    super(code, message)
    this.verdict = verdict
  }
}

/** Shorthand for a REJECT (penalise the sender) validation error. */
export function reject (code: ValidationCode, message: string): ValidationError {
  return new ValidationError(code, 'reject', message)
}

/** Shorthand for an IGNORE (drop quietly) validation error. */
export function ignore (code: ValidationCode, message: string): ValidationError {
  return new ValidationError(code, 'ignore', message)
}

/** Codes of {@link TopicError}. */
export type TopicErrorCode = 'bad-topic' | 'bad-cell' | 'bad-lat-lon' | 'bad-protocol'

/** A topic name, cell, coordinate or protocol id could not be parsed or built. */
export class TopicError extends CodedError<TopicErrorCode> {
  override readonly name = 'TopicError'
}

/** Codes of {@link TripRecordError}. */
export type TripRecordErrorCode =
  /** the JSON or protobuf form is not a well-formed trip record */
  | 'malformed'
  /** the signing key does not belong to the peer named for that role */
  | 'wrong-key'
  /** an event cannot be appended (wrong time order, after the fare, ...) */
  | 'bad-event'

/** A trip record could not be parsed, built or signed. Verification problems are returned, not thrown. */
export class TripRecordError extends CodedError<TripRecordErrorCode> {
  override readonly name = 'TripRecordError'
}
