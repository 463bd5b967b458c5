/**
 * The one Express error handler for authdock's routers: an AuthdockError becomes its status with a
 * page or JSON (by `Accept` or an API path); anything else is a 500 whose details go to the logger
 * only. Messages of unexposed errors are never sent.
 */
import type { ErrorRequestHandler, Request } from 'express'
import { AuthdockError } from '../errors.js'
import type { Logger } from '../config.js'
import type { Renderer } from './render.js'
import { errorLogFields } from '../ops/log-fields.js'

export function wantsJson(req: Request, apiPrefix?: string): boolean {
  if (apiPrefix && req.originalUrl.startsWith(apiPrefix)) return true
  return req.accepts(['html', 'json']) === 'json'
}

export function errorHandler(deps: { views: Renderer; logger: Logger; apiPrefix?: string }): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err)
    const error =
      err instanceof AuthdockError
        ? err
        : new AuthdockError('INTERNAL', 'Internal error', {
            cause: err,
            status: typeof err?.status === 'number' && err.status < 500 ? err.status : 500,
          })
    // The session store's outage is logged once where it is noticed (src/http/session.ts), not once
    // per refused request: under load that would flood the log.
    if (error.status >= 500 && error.code !== 'SESSION_STORE_UNAVAILABLE') {
      deps.logger.error(
        { code: error.code, message: errorLogFields(error).message, path: req.path, err: errorLogFields(err) },
        'authdock request failed',
      )
    }
    if (wantsJson(req, deps.apiPrefix)) {
      res.status(error.status).json(error.toJSON())
      return
    }
    deps.views
      .render(
        req,
        res,
        'error',
        {
          error: {
            code: error.code,
            details: error.details,
            fields: error.fields,
            // authdock's page shows the text of the code in the page's language, or the host's own
            // text when the host asked for it (`showMessage`); a host's error template gets both.
            message: error.expose ? error.message : null,
            hostMessage: error.expose && error.showMessage ? error.message : null,
            status: error.status,
          },
        },
        { status: error.status },
      )
      .catch(next)
  }
}
