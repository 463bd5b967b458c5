/**
 * How a logged-in user is kept in the session: `{ id, providerId }` (providerId null for password
 * logins); each request re-reads the user through the host's findById, so a deleted or changed
 * user takes effect at once.
 */
import type { Request } from 'express'
import type { PassportInstance } from './passport-instance.js'
import type { AuthdockUser } from '../config.js'
import type { DockContext } from '../context.js'

export interface SerializedUser {
  id: string
  providerId: string | null
}

/**
 * The provider of the login in progress on this request. passport serializes after regenerating
 * the session, so the session cannot carry it; the request object can.
 */
export const loginProviderOf: WeakMap<Request, string> = new WeakMap<Request, string>()

export function installSerializers(ctx: DockContext, passport: PassportInstance): void {
  passport.serializeUser<SerializedUser, Request>((req, user, done) => {
    done(null, { id: (user as AuthdockUser).id, providerId: loginProviderOf.get(req) ?? null })
  })
  passport.deserializeUser<SerializedUser>((stored, done) => {
    if (!stored || typeof stored.id !== 'string') return done(null, false)
    Promise.resolve(ctx.config.users.findById({ id: stored.id }))
      .then((user) => done(null, (user ?? false) as Express.User | false))
      .catch((err: unknown) => done(err))
  })
}
