/**
 * What the login keeps in the session, in one place. express-session's SessionData is augmented so
 * every read and write is typed.
 */
import type { Request, Response } from 'express'
import session, { type SessionData } from 'express-session'
import type { Logger } from '../config.js'
import { AuthdockError } from '../errors.js'
import { afterAnswer } from './outcome.js'
import type { UserId } from './user-id.js'

/** A login in progress: read before logIn replaces the session. */
export interface PendingLogin {
  providerId: string
  returnTo?: string
  /** ctx.now() when the login started; a callback after the provider's timeout is refused. */
  startedAt: number
}

/** Why the retry page is shown, kept in the session so the URL carries no provider text. */
export interface RetryInfo {
  reason: 'error' | 'cancel' | 'timeout'
  code: string
  providerId?: string
  /** The provider's error_description: shown escaped, never trusted. */
  providerText?: string
  /** The failed login's returnTo, so that "Try again" lands where the first attempt would have. */
  returnTo?: string
}

/** The logged-in OIDC login: needed for RP-initiated logout. */
export interface OidcSessionInfo {
  providerId: string
  idToken?: string
}

declare module 'express-session' {
  interface SessionData {
    authdockLogin?: PendingLogin
    authdockRetry?: RetryInfo
    authdockOidc?: OidcSessionInfo
  }
}

/** The session key under which openid-client's Strategy keeps PKCE verifier, state and nonce. */
export function strategySessionKey(providerId: string): string {
  return `authdock.oidc.${providerId}`
}

/** What passport's session strategy (`passport.session()`) reads back on every request: see serialize.ts. */
export interface SessionUser {
  /** As the host gave it: a number stays a number, so findById gets back what the host knows. */
  id: UserId
  providerId: string | null
}

/**
 * Log `user` in: a new session with a new id, written once, before the answer that carries its
 * cookie. An id that existed before the login (one an attacker may have planted: session fixation)
 * is worth nothing after it; the old session is destroyed once the answer is sent, where its store
 * round trip delays no one. Nothing of the old session is carried over (as passport 0.7's
 * `req.login`, which this replaces: it regenerated, saved, and express-session saved again at the
 * end of the request, three writes and a delete before the redirect).
 *
 * Changes made to the session later in the same request are still saved by express-session at the
 * end of it; an unchanged one is not written a second time.
 */
export async function logIn(
  req: Request,
  res: Response,
  user: { id: UserId },
  fields: { providerId: string | null; oidc?: OidcSessionInfo; logger: Logger },
): Promise<void> {
  const store = req.sessionStore
  const previous = req.sessionID
  if (previous) destroyAfterAnswer(res, store, previous, fields.logger)
  store.generate(req)
  const fresh = req.session as session.Session & SessionData & { passport?: { user: SessionUser } }
  fresh.passport = { user: { id: user.id, providerId: fields.providerId } }
  if (fields.oidc) fresh.authdockOidc = fields.oidc
  req.user = user as Express.User
  let written = contentOf(fresh)
  // express-session saves at the end of a request whose session id changed, whatever it holds:
  // the save below already wrote this content, so the end-of-request save only writes a change.
  Object.defineProperty(fresh, 'save', {
    configurable: true,
    enumerable: false,
    writable: true,
    value(this: session.Session, callback?: (err?: unknown) => void) {
      const content = contentOf(this)
      if (content === written) {
        callback?.()
        return this
      }
      written = content
      return session.Session.prototype.save.call(this, callback)
    },
  })
  await new Promise<void>((resolve, reject) =>
    session.Session.prototype.save.call(fresh, (err?: unknown) => (err ? reject(err) : resolve())),
  )
}

/** The session as express-session compares it (everything but the cookie). */
function contentOf(value: object): string {
  return JSON.stringify(value, function (this: unknown, key, val: unknown) {
    return this === value && key === 'cookie' ? undefined : val
  })
}

function destroyAfterAnswer(res: Response, store: session.Store, sid: string, logger: Logger): void {
  afterAnswer(res, () =>
    store.destroy(sid, (err?: unknown) => {
      // The old session holds no user; if it lingers it ends at its own expiry.
      if (err) logger.warn({ err: String(err) }, 'authdock: the session before the login could not be destroyed')
    }),
  )
}

export function requireSession(req: Request): void {
  if (!req.session)
    throw new AuthdockError(
      'INTERNAL',
      'Login needs a session: mount dock.router (or dock.session) before the login routes',
    )
}
