/**
 * The public JWKS of each owner (mounted at `paths.jwks`): `/<kind>/<id>/jwks.json`, public keys
 * only, no session, no guard, for providers that fetch them ("Use JWKS URL").
 */
import express, { type Router } from 'express'
import { AuthdockError } from '../errors.js'
import { handler } from '../http/handler.js'
import type { WebContext } from '../http/web-context.js'
import { errorLogFields } from '../ops/log-fields.js'
import { sendJwks } from './downloads.js'
import type { CredentialService } from './service.js'

/** How long a provider may cache a public JWKS: a new certificate shows within this time. */
const JWKS_MAX_AGE_SEC = 300

export function createJwksRouter(ctx: Pick<WebContext, 'logger'>, service: CredentialService): Router {
  const jwksRouter = express.Router()
  jwksRouter.get(
    '/:kind/:id/jwks.json',
    handler(async (req, res) => {
      // A provider fetches this server to server: it gets the public keys of a known owner, nothing else.
      const owner = await service.owner(String(req.params.kind), String(req.params.id))
      const jwks = await service.jwks(owner)
      if (jwks.keys.length === 0) throw new AuthdockError('NOT_FOUND', 'This owner has no certificate.')
      sendJwks(res, jwks, `public, max-age=${JWKS_MAX_AGE_SEC}`)
    }),
  )
  jwksRouter.use((err: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err)
    const error = err instanceof AuthdockError ? err : new AuthdockError('INTERNAL', 'Internal error', { cause: err })
    if (error.status >= 500)
      ctx.logger.error({ ...errorLogFields(err), code: error.code }, 'authdock: JWKS request failed')
    res.status(error.status).json(error.toJSON())
  })
  return jwksRouter
}
