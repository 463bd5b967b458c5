/**
 * Exit codes of the `authdock` command, from sysexits.h where one fits. `check-secrets` uses 0/1/2
 * for its result (fine / warning / error) so cron and monitoring can act on it.
 */
import { isAuthdockError } from '../errors.js'

export const EXIT = {
  OK: 0,
  /** check-secrets: a secret expires in fewer than 30 days. */
  WARNING: 1,
  /** check-secrets: a secret expires in fewer than 7 days or has expired. */
  ERROR: 2,
  /** Wrong command, option or missing configuration (EX_USAGE). */
  USAGE: 64,
  /** The data is not what the command needs: unknown profile, a value that does not decrypt (EX_DATAERR). */
  DATA: 65,
  /** The database does not answer or does not exist (EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** Anything else (EX_SOFTWARE). */
  INTERNAL: 70,
} as const

/** A usage problem: printed with the command's hint, exit 64. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** The exit code for an error thrown by a command. */
export function exitCodeForError(err: unknown): number {
  if (err instanceof UsageError) return EXIT.USAGE
  const code = (err as { code?: unknown })?.code
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return EXIT.USAGE
  if (isAuthdockError(err)) {
    if (err.code === 'CONFIG_INVALID' || err.code === 'VALIDATION_FAILED') return EXIT.USAGE
    if (err.code === 'STORE_UNAVAILABLE' || err.code === 'LOCK_TIMEOUT') return EXIT.UNAVAILABLE
    if (err.code === 'PROFILE_NOT_FOUND' || err.code === 'DECRYPT_FAILED') return EXIT.DATA
  }
  return EXIT.INTERNAL
}
