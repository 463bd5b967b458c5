/**
 * The login capability: OpenID Connect through openid-client's passport Strategy (one or more
 * providers), silent re-login with a stored refresh token, the retry page, the password fallback,
 * logout, and "Test well-known". Everything is registered on the Passport instance passed in, never
 * on passport's global.
 */
import type { PassportInstance } from './passport-instance.js'
import type { DockContext } from '../context.js'
import { OidcFlow, verifyNever } from './oidc-flow.js'
import { PasswordLogin } from './password.js'
import { Providers } from './providers.js'
import { LOGIN_PROVIDER_EVENTS, storeProviderSource } from './provider-source.js'
import { createRequireLogin } from './require-login.js'
import { createLoginRouter } from './routes.js'
import { installSerializers } from './serialize.js'
import { createSilentLogin } from './silent-login.js'
import { deviceWritesDone, forgetDevices } from './device.js'
import { logout } from './logout.js'
import { providerGone } from './provider-changes.js'
import type { LoginModule } from './types.js'
import { testWellKnown } from './well-known.js'

export { wellKnownHandler, testWellKnown } from './well-known.js'
export { createLoginProviderAdmin, type LoginProvidersModule } from './provider-admin-module.js'
export { safeReturnTo } from './return-to.js'

/**
 * Build the login module for one authdock instance.
 *
 * @example
 * const login = await createLogin(ctx, new Passport())
 * router.use(login.silentLogin); router.use(ctx.config.paths.auth, login.router)
 */
export async function createLogin(ctx: DockContext, passport: PassportInstance): Promise<LoginModule> {
  installSerializers(ctx, passport)
  const providers: Providers = new Providers(ctx, passport, () => verifyNever, storeProviderSource(ctx))
  // A change made through this instance's admin counts at once; other instances see it within refreshMs.
  const invalidate = () => providers.invalidate()
  for (const name of LOGIN_PROVIDER_EVENTS) ctx.events.on(name, invalidate)
  const flow = new OidcFlow(ctx, passport, providers)
  const password = new PasswordLogin(ctx, passport)
  ctx.views.addFormActionSource(() => providers.formActionOrigins())
  return {
    router: createLoginRouter({
      ctx,
      providers,
      flow,
      password,
      logout: (req, res) => logout(ctx, providers, req, res),
      providerGone: (req, res, id) => providerGone(ctx, req, res, id),
    }),
    silentLogin: createSilentLogin(ctx, providers),
    requireLogin: createRequireLogin(ctx),
    testWellKnown: (issuer) => testWellKnown(ctx, issuer),
    forgetDevices: (userId, options) => forgetDevices(ctx, userId, 'api', options?.actor ?? null),
    formActionOrigins: () => providers.formActionOrigins(),
    close: async () => {
      for (const name of LOGIN_PROVIDER_EVENTS) ctx.events.off(name, invalidate)
      providers.discovery.clear()
      await deviceWritesDone(ctx)
    },
  }
}
