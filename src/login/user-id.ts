/**
 * A host user's id is a non-empty string or a number (many hosts key users by an integer). It is
 * kept in the session as the host gave it, so `findById` gets it back in the same form; what
 * authdock records about a user (audit, events, remembered devices) uses its string form, so 2 and
 * "2" are one user there.
 */
import type { AuthdockUser } from '../config.js'
import { AuthdockError } from '../errors.js'

export type UserId = AuthdockUser['id']

/** Whether `id` can identify a user: a non-empty string or a finite number. */
export function isUserId(id: unknown): id is UserId {
  return (typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id))
}

/** The id's string form, for records and comparisons. */
export function userKey(id: UserId): string {
  return String(id)
}

/** The string form of a user's id (see {@link checkedUser} for where users come in). */
export function userIdOf(user: AuthdockUser): string {
  return userKey(user.id)
}

/**
 * A user returned by one of the host's `users` callbacks, checked where it comes in: one without a
 * usable id is the host's mistake (LOGIN_HOST_CALLBACK_FAILED naming the callback), not a login
 * failure to blame on the user or the provider.
 */
export function checkedUser<T extends AuthdockUser | null | undefined>(user: T, callback: string): T {
  if (user && !isUserId(user.id)) {
    throw new AuthdockError(
      'LOGIN_HOST_CALLBACK_FAILED',
      `users.${callback} returned a user without a usable id: "id" must be a non-empty string or a number`,
      {
        details: { callback },
      },
    )
  }
  return user
}
