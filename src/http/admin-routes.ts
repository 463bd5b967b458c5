/**
 * Pieces every admin router shares: the start and end of an HTML admin or JSON API router, and the
 * post of an HTML form that either redirects or shows the form again with the field errors.
 */
import express, { type Request, type Response, type Router } from 'express'
import { AuthdockError, isAuthdockError, type AnyAuthdockError } from '../errors.js'
import { requireAdmin } from './admin-guard.js'
import { formBody, jsonBody } from './body.js'
import { csrfToken, verifyCsrf } from './csrf.js'
import { errorHandler } from './error-handler.js'
import { handler } from './handler.js'
import type { WebContext } from './web-context.js'

/**
 * A router for admin HTML pages: the host's admin guard decides who gets in, bodies are
 * size-limited form posts, and every post carries the CSRF token.
 */
export function htmlAdminRouter(ctx: Pick<WebContext, 'config'>): Router {
  const router = express.Router()
  router.use(requireAdmin(ctx.config))
  router.use(formBody)
  router.use(verifyCsrf)
  return router
}

/**
 * The end of an HTML admin router: an unknown path is NOT_FOUND with `message`, and errors become
 * authdock's error page (its own handler, so the router also works mounted without dock.router).
 */
export function endHtmlAdmin(router: Router, ctx: Pick<WebContext, 'views' | 'logger'>, message: string): Router {
  router.use((_req, _res, next) => next(new AuthdockError('NOT_FOUND', message)))
  router.use(errorHandler({ views: ctx.views, logger: ctx.logger }))
  return router
}

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

/**
 * An AuthdockError that names the fields it refuses; a union over the codes, so `err.code === 'X'`
 * narrows its `details` to that code's.
 */
export type FieldsError = AnyAuthdockError & { fields: Record<string, string> }

/**
 * A form post of the admin at `path`: `save` stores and returns where to redirect (303) to. Bad
 * input (an AuthdockError with field errors) stores nothing and shows the form again through
 * `showForm`; any other failure goes to the error handler.
 */
export function formPost(
  router: Router,
  path: string,
  save: (req: Request) => Promise<string>,
  showForm: (req: Request, res: Response, err: FieldsError) => Promise<unknown>,
): void {
  router.post(
    path,
    handler(async (req, res) => {
      let location: string
      try {
        location = await save(req)
      } catch (err) {
        if (!isAuthdockError(err) || !err.fields) throw err
        await showForm(req, res, err as FieldsError)
        return
      }
      res.redirect(303, location)
    }),
  )
}

/**
 * Run `fill` (a preset's values, say); its field errors are added to `errors` for the form to show
 * instead of being thrown. Any other failure is thrown.
 */
export async function collectFieldErrors(errors: Record<string, string>, fill: () => unknown): Promise<void> {
  try {
    await fill()
  } catch (err) {
    if (!isAuthdockError(err) || !err.fields) throw err
    Object.assign(errors, err.fields)
  }
}

/** The status of a form page: 400 while it shows field errors, 200 otherwise. */
export function formStatus(errors: Record<string, string>): 400 | 200 {
  return Object.keys(errors).length > 0 ? 400 : 200
}
