/**
 * Client credentials: certificate authentication (`private_key_jwt`) instead of client secrets
 * for OAuth2 profiles and login providers. This module wires the admin page, its JSON API and the
 * public JWKS over one {@link CredentialService}; the token requests themselves use
 * profile-auth.ts and login-auth.ts.
 */
import express, { type Router } from 'express'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { handler } from '../profiles/http.js'
import type { TokenProvider } from '../tokens/types.js'
import { createCredentialsAdminRouter } from './admin-router.js'
import { createCredentialsApiRouter } from './api-router.js'
import { sendJwks } from './downloads.js'
import { CredentialService } from './service.js'

/**
 * `dock.credentials`: certificates (`private_key_jwt`) of profiles and login providers: their service,
 * admin page, JSON API and public JWKS.
 *
 * @example
 * const jwks = await dock.credentials.service.jwks({ kind: 'profile', id: profile.id })
 */
export interface CredentialsModule {
  service: CredentialService
  /** Mounted at `paths.credentials` (HTML). */
  adminRouter: Router
  /** Mounted at `paths.credentialsApi` (JSON). */
  apiRouter: Router
  /** Mounted at `paths.jwks`: `/<kind>/<id>/jwks.json`, public keys only, no session, no guard. */
  jwksRouter: Router
}

/** How long a provider may cache a public JWKS: a new certificate shows within this time. */
const JWKS_MAX_AGE_SEC = 300

/**
 * Build the credentials module and generate the first certificate of each login provider that the
 * options set to `private_key_jwt`.
 *
 * @example
 * const credentials = await createCredentials(ctx, tokens)
 * router.use(ctx.config.paths.jwks, credentials.jwksRouter)
 */
export async function createCredentials(
  ctx: DockContext,
  tokens: Pick<TokenProvider, 'invalidate'>,
): Promise<CredentialsModule> {
  const service = new CredentialService(ctx, tokens)
  await service.ensureLoginCertificates()

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
      ctx.logger.error({ code: error.code, err: String(err).slice(0, 300) }, 'authdock: JWKS request failed')
    res.status(error.status).json(error.toJSON())
  })

  return {
    service,
    adminRouter: createCredentialsAdminRouter(ctx, service),
    apiRouter: createCredentialsApiRouter(ctx, service),
    jwksRouter,
  }
}

export { CredentialService, type OwnerView } from './service.js'
export { generateCertificate, certificateFacts, publicJwk, publicJwks } from './certificate.js'
