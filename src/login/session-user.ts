/**
 * `req.user` from the session, on every request: the session keeps `{ id, providerId }` (written by
 * logIn), and the host's `findById` is asked each time, so a deleted or changed user takes effect at
 * once. A user the host no longer knows is dropped from the session (a change, saved).
 *
 * This is what passport's `passport.session()` did, without its per-request setup (a strategy
 * object per request, six methods added to `req`, a deserializer chain); a `findById` that answers
 * synchronously costs no promise. `req.login`, `req.logout` and `req.isAuthenticated` are therefore
 * not added: authdock logs in and out through its own routes, and `req.user` says who is logged in.
 */
import type { RequestHandler } from 'express'
import type { AuthdockUser } from '../config.js'
import type { DockContext } from '../context.js'
import type { SessionUser } from './session-data.js'
import { heldSessionData } from '../http/held-session.js'
import { checkedUser, isUserId } from './user-id.js'

type WithUser = { passport?: { user?: Partial<SessionUser> | null } }

export function createSessionUser(ctx: DockContext): RequestHandler {
  const findById = ctx.config.users.findById
  return (req, _res, next) => {
    // A held session is read without loading express-session (held-session.ts); dropping the user
    // is a change, made on the real session (which loads it).
    const data = (heldSessionData(req) ?? req.session) as WithUser | undefined
    const stored = data?.passport?.user
    if (stored === undefined) return next()
    const dropUser = () => {
      const holder = (req.session as WithUser | undefined)?.passport
      if (holder) delete holder.user
    }
    const id = stored?.id
    if (!isUserId(id)) {
      dropUser()
      return next()
    }
    const settle = (user: AuthdockUser | null | undefined): unknown => {
      let checked: AuthdockUser | null | undefined
      try {
        checked = checkedUser(user, 'findById')
      } catch (err) {
        return next(err)
      }
      if (checked) req.user = checked as Express.User
      else dropUser()
      return next()
    }
    let found: ReturnType<typeof findById>
    try {
      found = findById({ id })
    } catch (err) {
      return next(err)
    }
    if (found && typeof (found as PromiseLike<unknown>).then === 'function')
      return void (found as Promise<AuthdockUser | null | undefined>).then(settle, next)
    settle(found as AuthdockUser | null | undefined)
  }
}
