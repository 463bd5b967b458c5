/**
 * "Clear tokens" in the HTML admin: a confirmation page, then a CSRF-protected post that revokes
 * the tokens at the provider (where it offers RFC 7009) and drops them. The overview says whether
 * the provider revoked them.
 */
import type { Router } from 'express'
import type { WebContext } from '../http/web-context.js'
import { clearedOutcome } from './clear-tokens.js'
import { handler, profileIdParam } from './http.js'
import { actorOf, type ProfileService } from './service.js'

export function addClearTokensRoutes(router: Router, ctx: WebContext, service: ProfileService): void {
  router.get(
    '/:id/clear-tokens',
    handler(async (req, res) => {
      const { profile, token } = await service.row(profileIdParam(req))
      await ctx.views.render(req, res, 'admin/clear-tokens', { profile, token, base: req.baseUrl }, { banners: true })
    }),
  )

  router.post(
    '/:id/clear-tokens',
    handler(async (req, res) => {
      const result = await service.clearTokens(profileIdParam(req), actorOf(ctx, req))
      res.redirect(303, `${req.baseUrl}/?done=${clearedOutcome(result)}`)
    }),
  )
}
