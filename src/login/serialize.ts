/**
 * How a logged-in user is kept in the session: `{ id, providerId }` (providerId null for password
 * logins); each request re-reads the user through the host's findById, so a deleted or changed
 * user takes effect at once.
 */
import type { PassportInstance } from './passport-instance.js'
import type { AuthdockUser } from '../config.js'
import type { DockContext } from '../context.js'
import type { SessionUser } from './session-data.js'
import { checkedUser, isUserId } from './user-id.js'

/** What the session holds of the user (written by session-data.ts logIn). */
export type SerializedUser = SessionUser

export function installSerializers(ctx: DockContext, passport: PassportInstance): void {
  // authdock logs in through logIn (one session write); this serves a host that calls req.login itself.
  passport.serializeUser<SerializedUser>((user, done) => {
    done(null, { id: (user as AuthdockUser).id, providerId: null })
  })
  passport.deserializeUser<SerializedUser>((stored, done) => {
    if (!stored || !isUserId(stored.id)) return done(null, false)
    Promise.resolve(ctx.config.users.findById({ id: stored.id }))
      .then((user) => done(null, (checkedUser(user, 'findById') ?? false) as Express.User | false))
      .catch((err: unknown) => done(err))
  })
}
