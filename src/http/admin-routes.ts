/**
 * Pieces every admin router shares: the start of a JSON API router, its end, and the save of an
 * HTML form that either redirects or shows the form again with the field errors.
 */
import express, { type Response, type Router } from 'express'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { requireAdmin } from './admin-guard.js'
import { jsonBody } from './body.js'
import { csrfToken, verifyCsrf } from './csrf.js'
import { errorHandler } from './error-handler.js'
import type { WebContext } from './web-context.js'

/**
 * A router for an admin JSON API: answers are never cached, the host's admin guard decides who
 * gets in, the body is size-limited JSON, and every state-changing call carries the CSRF token in
 * the `x-csrf-token` header, which a client reads from `GET /csrf`.
 */
export function jsonApiRouter(ctx: Pick<WebContext, 'config'>): Router {
  const router = express.Router()
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store')
    next()
  })
  router.use(requireAdmin(ctx.config))
  router.use(jsonBody)
  router.use(verifyCsrf)
  router.get('/csrf', (req, res) => {
    res.json({ csrfToken: csrfToken(req), header: 'x-csrf-token' })
  })
  return router
}

/**
 * The end of a JSON API router: an unknown path is NOT_FOUND with `message`, and every error is
 * JSON, wherever the router is mounted.
 */
export function endJsonApi(router: Router, ctx: Pick<WebContext, 'views' | 'logger'>, message: string): Router {
  router.use((_req, _res, next) => next(new AuthdockError('NOT_FOUND', message)))
  // apiPrefix '/' matches every path: this router always answers JSON.
  router.use(errorHandler({ views: ctx.views, logger: ctx.logger, apiPrefix: '/' }))
  return router
}

/** An AuthdockError that names the fields it refuses. */
export type FieldsError = AuthdockError & { fields: Record<string, string> }

/**
 * A form post of the admin: run `save`, then redirect (303) to the address it returns. Bad input
 * (an AuthdockError with field errors) stores nothing and shows the form again through `showForm`;
 * any other failure goes to the error handler.
 */
export async function saveThenRedirect(
  res: Response,
  save: () => Promise<string>,
  showForm: (err: FieldsError) => Promise<unknown>,
): Promise<void> {
  let location: string
  try {
    location = await save()
  } catch (err) {
    if (!isAuthdockError(err) || !err.fields) throw err
    await showForm(err as FieldsError)
    return
  }
  res.redirect(303, location)
}
