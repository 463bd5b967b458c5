/**
 * What the login keeps in the session, in one place. express-session's SessionData is augmented so
 * every read and write is typed.
 */
import type { Request } from 'express'
import { AuthdockError } from '../errors.js'

/** A login in progress: read before passport regenerates the session at `req.login`. */
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

/** passport 0.7's req.login as a promise (it regenerates the session: read what you need first). */
export function logIn(req: Request, user: Express.User): Promise<void> {
  return new Promise((resolve, reject) => req.login(user, (err?: unknown) => (err ? reject(err) : resolve())))
}

export function requireSession(req: Request): void {
  if (!req.session)
    throw new AuthdockError(
      'INTERNAL',
      'Login needs a session: mount dock.router (or dock.session) before the login routes',
    )
}
