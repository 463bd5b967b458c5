/**
 * The redirect URI of "renew authorization" (mounted at `paths.oauth2Redirect`): finishes the flow
 * and shows a confirmation, or a page saying what went wrong and what to do next.
 */
import express, { type Router } from 'express'
import { isAuthdockError } from '../errors.js'
import { errorHandler } from '../http/error-handler.js'
import { requireAdmin } from '../http/admin-guard.js'
import type { WebContext } from '../http/web-context.js'
import { handler } from './http.js'
import type { ProfileService } from './service.js'
import { formatDate } from './view-model.js'

export function createRedirectRouter(ctx: WebContext, service: ProfileService): Router {
  const router = express.Router()
  // Only an admitted administrator finishes an authorization (the state also binds it to the session).
  router.use(requireAdmin(ctx.config))

  router.get(
    '/',
    handler(async (req, res) => {
      try {
        const result = await service.finishAuthorization(req)
        await ctx.views.render(req, res, 'admin/authorized', {
          result,
          expiresAt: formatDate(result.accessTokenExpiresAt),
          overview: ctx.config.paths.admin,
        })
      } catch (err) {
        if (
          !isAuthdockError(err) ||
          (err.code !== 'AUTHORIZATION_FAILED' &&
            err.code !== 'AUTHORIZATION_STATE_INVALID' &&
            err.code !== 'PROFILE_NOT_FOUND')
        )
          throw err
        // PROFILE_NOT_FOUND has no advice of its own; the other two say what to do by hint key.
        const d = err.code === 'PROFILE_NOT_FOUND' ? undefined : err.details
        const failure = err.code === 'AUTHORIZATION_FAILED' ? err.details : undefined
        await ctx.views.render(
          req,
          res,
          'admin/authorization-failed',
          {
            code: err.code,
            message: err.message,
            hintKey: d?.hintKey ?? null,
            hintVars: failure?.hintVars,
            providerCode: failure?.providerCode ?? null,
            providerText: failure?.providerText ?? null,
            overview: ctx.config.paths.admin,
          },
          { status: err.status },
        )
      }
    }),
  )

  router.use(errorHandler({ views: ctx.views, logger: ctx.logger }))
  return router
}
