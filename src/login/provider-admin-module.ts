/**
 * Login providers managed in the admin, in one call for createAuthdock: the service (the only
 * writer) and its HTML and JSON routers. The login itself reads the providers from the store (see
 * providers.ts), so nothing here needs the login module.
 */
import type { Router } from 'express'
import type { DockContext } from '../context.js'
import { LoginProviderService, type LoginProviderCredentials } from './provider-admin.js'
import { createLoginProviderAdminRouter } from './provider-admin-router.js'
import { createLoginProviderApiRouter } from './provider-api-router.js'

/**
 * `dock.loginProviders`: login providers managed in the admin, their service and routers.
 *
 * @example
 * const provider = await dock.loginProviders.service.get(id)
 */
export interface LoginProvidersModule {
  /** Create, change, delete and list login providers (with audit entries and events). */
  service: LoginProviderService
  /** HTML admin, mounted at `paths.loginProviders`. Deny by default: needs `admin.guard`. */
  adminRouter: Router
  /** JSON admin API, mounted at `paths.loginProvidersApi`. */
  apiRouter: Router
}

/**
 * @example
 * const providers = createLoginProviderAdmin(ctx, credentials.service)
 * app.use('/admin/login-providers', providers.adminRouter)
 */
export function createLoginProviderAdmin(
  ctx: DockContext,
  credentials: LoginProviderCredentials,
): LoginProvidersModule {
  const service = new LoginProviderService(ctx, credentials)
  return {
    service,
    adminRouter: createLoginProviderAdminRouter(ctx, service),
    apiRouter: createLoginProviderApiRouter(ctx, service),
  }
}
