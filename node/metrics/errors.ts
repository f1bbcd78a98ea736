/** The metrics endpoint could not start (the address is taken or not ours). */
export class MetricsServerError extends Error {
  static readonly NAME = 'MetricsServerError'
  override readonly name = MetricsServerError.NAME

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
