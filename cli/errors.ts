/**
 * An error the user caused (bad flag, bad value, missing file): printed as one
 * line on stderr with exit code 2, never with a stack trace.
 */
export class UsageError extends Error {
  static readonly code = 'ERR_USAGE'
  readonly code = UsageError.code
  readonly exitCode: number

  constructor (message: string, exitCode = 2) {
    super(message)
    this.name = 'UsageError'
    this.exitCode = exitCode
  }
}
