/**
 * Guard for host routes: API clients get 401 JSON `{ error: { code: 'UNAUTHENTICATED' } }`, page
 * requests are sent to the login with the current path as returnTo.
 */
import type { RequestHandler } from 'express'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { wantsJson } from '../http/error-handler.js'
import { safeReturnTo } from './return-to.js'

export function createRequireLogin(ctx: DockContext): RequestHandler {
  return (req, res, next) => {
    if (req.user) return next()
    // Browsers name text/html when they navigate; anything else (fetch, curl, API clients) gets JSON.
    const pageRequest = req.method === 'GET' && /\btext\/html\b/.test(req.get('accept') ?? '') && !wantsJson(req)
    if (!pageRequest) {
      res.status(401).json(new AuthdockError('UNAUTHENTICATED', 'Log in first').toJSON())
      return
    }
    const returnTo = safeReturnTo(req.originalUrl)
    res.redirect(303, `${ctx.config.paths.auth}/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`)
  }
}
