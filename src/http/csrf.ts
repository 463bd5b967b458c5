/**
 * CSRF protection with a per-session synchronizer token. A form carries it as `_csrf`, a JSON
 * client as the `x-csrf-token` header (read from GET `<adminApi>/csrf`). Safe methods pass.
 */
import { timingSafeEqual } from 'node:crypto'
import type { Request, RequestHandler } from 'express'
import { AuthdockError } from '../errors.js'
import { randomBytesPooled } from '../random.js'

declare module 'express-session' {
  interface SessionData {
    authdockCsrf?: string
  }
}

/**
 * The session's CSRF token, created on first use.
 *
 * @example
 * res.send(`<form method="post" action="/auth/logout"><input type="hidden" name="_csrf" value="${csrfToken(req)}"><button>Log out</button></form>`)
 */
export function csrfToken(req: Request): string {
  if (!req.session) throw new AuthdockError('INTERNAL', 'CSRF needs a session: mount dock.session before the routers')
  req.session.authdockCsrf ??= randomBytesPooled(32).toString('base64url')
  return req.session.authdockCsrf
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * Refuses state-changing requests without the session's token (403 CSRF_INVALID).
 *
 * @example
 * app.post('/mail-accounts', express.urlencoded({ extended: false }), verifyCsrf, saveAccount)
 */
export const verifyCsrf: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next()
  const expected = req.session?.authdockCsrf
  const body = req.body as Record<string, unknown> | undefined
  const given = (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? req.get('x-csrf-token')
  if (!expected || typeof given !== 'string' || !sameToken(expected, given)) {
    return next(
      new AuthdockError(
        'CSRF_INVALID',
        'The form has expired or was not sent from this site. Reload the page and try again.',
      ),
    )
  }
  next()
}
