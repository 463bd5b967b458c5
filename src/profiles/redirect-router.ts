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
          !['AUTHORIZATION_FAILED', 'AUTHORIZATION_STATE_INVALID', 'PROFILE_NOT_FOUND'].includes(err.code)
        )
          throw err
        const d = err.details ?? {}
        await ctx.views.render(
          req,
          res,
          'admin/authorization-failed',
          {
            code: err.code,
            message: err.message,
            hintKey: typeof d.hintKey === 'string' ? d.hintKey : null,
            hintVars: d.hintVars ?? undefined,
            providerCode: typeof d.providerCode === 'string' ? d.providerCode : null,
            providerText: typeof d.providerText === 'string' ? d.providerText : null,
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
