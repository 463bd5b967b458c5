/**
 * Client credentials: certificate authentication (`private_key_jwt`) instead of client secrets
 * for OAuth2 profiles and login providers. This module wires the admin page, its JSON API and the
 * public JWKS over one {@link CredentialService}; the token requests themselves use
 * profile-auth.ts and login-auth.ts.
 */
import type { Router } from 'express'
import type { DockContext } from '../context.js'
import type { TokenProvider } from '../tokens/types.js'
import { createCredentialsAdminRouter } from './admin-router.js'
import { createCredentialsApiRouter } from './api-router.js'
import { createJwksRouter } from './jwks-router.js'
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

  return {
    service,
    adminRouter: createCredentialsAdminRouter(ctx, service),
    apiRouter: createCredentialsApiRouter(ctx, service),
    jwksRouter: createJwksRouter(ctx, service),
  }
}

export { CredentialService, type OwnerView } from './service.js'
export { generateCertificate, certificateFacts, publicJwk, publicJwks } from './certificate.js'
