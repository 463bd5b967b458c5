/**
 * The login router, mounted at `paths.auth`. It adds only what is configured: callbacks per
 * provider, the password routes only where password login is possible.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { AuthdockError } from '../errors.js'
import { verifyCsrf } from '../http/csrf.js'
import { handler } from '../http/handler.js'
import type { WebContext } from '../http/web-context.js'
import { hasPendingLogin } from './provider-changes.js'
import type { OidcFlow } from './oidc-flow.js'
import { passwordLoginPossible, type PasswordLogin } from './password.js'
import type { Providers } from './providers.js'
import { safeReturnTo } from './return-to.js'
import type { RetryInfo } from './session-data.js'

const REASONS: ReadonlyArray<RetryInfo['reason']> = ['error', 'cancel', 'timeout']
/** Codes whose cause the user can act on get a sentence of their own on the retry page. */
const RETRY_HINTS: Partial<Record<string, string>> = {
  OIDC_PROVIDER_UNAVAILABLE: 'login.retry.hint.unavailable',
  OIDC_EMAIL_NOT_VERIFIED: 'login.retry.hint.emailNotVerified',
  OIDC_CLIENT_SECRET_EXPIRED: 'providers.retry.secretExpired',
  OIDC_CLIENT_SECRET_INVALID: 'providers.retry.secretInvalid',
  LOGIN_PROVIDER_CHANGED: 'providers.retry.providerChanged',
  CLIENT_CERTIFICATE_UNKNOWN: 'certificates.retryHint',
  CLIENT_ASSERTION_INVALID: 'certificates.retryHint',
  CLIENT_CERTIFICATE_EXPIRED: 'certificates.retryHint',
  CLIENT_CERTIFICATE_MISSING: 'certificates.retryHint',
}

// The shared async wrapper: Express 4 does not forward rejected promises.
const wrap = handler

export function createLoginRouter(deps: {
  ctx: WebContext
  providers: Providers
  flow: OidcFlow
  password: PasswordLogin
  /** Log out (logout.ts): forget the device, end the session, audit, redirect. */
  logout: (req: Request, res: Response) => Promise<void>
  /** A callback whose provider went away meanwhile: audit the failure, show the retry page. */
  providerGone: (req: Request, res: Response, providerId: string) => Promise<void>
}): Router {
  const { ctx, providers, flow, password, logout, providerGone } = deps
  const auth = ctx.config.paths.auth
  const router = express.Router()
  const form = express.urlencoded({ extended: false, limit: '16kb' })
  const withPassword = passwordLoginPossible(ctx)
  // Admin-managed providers: every route below sees the list as it is now on every instance.
  router.use((_req, _res, next) => void providers.sync().then(() => next()))

  /** A provider answers at its own callback path only; a login whose provider went away gets the retry page. */
  const callbackAt = async (id: string, path: string, req: Request, res: Response, next: NextFunction) => {
    const provider = providers.find(id)
    if (provider?.active && providers.callbackPath(id) === path) return flow.callback(req, res, next, provider)
    if (!provider?.active && hasPendingLogin(req, id)) return providerGone(req, res, id)
    throw new AuthdockError('LOGIN_PROVIDER_UNKNOWN', 'There is no such login provider')
  }

  const renderPassword = (req: Request, res: Response, status = 200, error?: AuthdockError) =>
    ctx.views.render(
      req,
      res,
      'login/password',
      {
        title: undefined,
        returnTo: safeReturnTo((req.body as Record<string, unknown> | undefined)?.returnTo ?? req.query.returnTo) ?? '',
        username:
          typeof (req.body as Record<string, unknown> | undefined)?.username === 'string'
            ? (req.body as Record<string, string>).username.slice(0, 256)
            : '',
        error: error
          ? { code: error.code, message: error.expose ? error.message : null, fields: error.fields ?? {} }
          : null,
        providers: providers.active.map((p) => ({ id: p.id, label: p.label ?? p.id })),
      },
      { status },
    )

  router.get(
    '/login',
    wrap(async (req, res, next) => {
      const returnTo = safeReturnTo(req.query.returnTo)
      const active = providers.active
      if (active.length === 1) return flow.start(req, res, next, active[0], returnTo)
      if (active.length > 1) {
        const query = returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''
        return ctx.views.render(req, res, 'login/chooser', {
          title: undefined,
          providers: active.map((p) => ({ id: p.id, label: p.label ?? p.id, href: `${auth}/login/${p.id}${query}` })),
          passwordHref: withPassword ? `${auth}/password${query}` : null,
        })
      }
      if (withPassword) return renderPassword(req, res)
      throw new AuthdockError('LOGIN_PROVIDER_UNKNOWN', 'No login method is configured')
    }),
  )

  router.get(
    '/login/:provider',
    wrap((req, res, next) =>
      flow.start(req, res, next, providers.require(String(req.params.provider)), safeReturnTo(req.query.returnTo)),
    ),
  )

  // Admin-managed providers come and go at run time, so their callback route is always there.
  router.get(
    '/callback/:provider',
    wrap((req, res, next) =>
      callbackAt(String(req.params.provider), `/callback/${String(req.params.provider)}`, req, res, next),
    ),
  )
  if (providers.fromOptions.length === 1) {
    router.get(
      '/callback',
      wrap((req, res, next) => callbackAt(providers.fromOptions[0].id, '/callback', req, res, next)),
    )
  }

  router.get(
    '/retry',
    wrap(async (req, res) => {
      const reason = REASONS.find((r) => r === req.query.reason) ?? 'error'
      const info = req.session?.authdockRetry?.reason === reason ? req.session.authdockRetry : undefined
      const provider = providers.find(info?.providerId)
      const returnTo = safeReturnTo(info?.returnTo)
      const query = returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''
      return ctx.views.render(req, res, 'login/retry', {
        title: undefined,
        reason,
        code: info?.code ?? null,
        providerText: info?.providerText ?? null,
        hint: (info?.code && RETRY_HINTS[info.code]) ?? null,
        providerLabel: provider ? (provider.label ?? provider.id) : null,
        tryAgainHref: `${provider && providers.active.length > 1 ? `${auth}/login/${provider.id}` : `${auth}/login`}${query}`,
        passwordHref: withPassword ? `${auth}/password${query}` : null,
      })
    }),
  )

  if (withPassword) {
    router.get(
      '/password',
      wrap((req, res) => renderPassword(req, res)),
    )
    router.post(
      '/password',
      form,
      verifyCsrf,
      wrap((req, res, next) =>
        password.submit(req, res, next, (status, error) => renderPassword(req, res, status, error)),
      ),
    )
  }

  router.post(
    '/logout',
    form,
    verifyCsrf,
    wrap((req, res) => logout(req, res)),
  )
  return router
}
