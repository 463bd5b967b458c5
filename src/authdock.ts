/**
 * createAuthdock: resolves the options, opens the store, and wires the login, the OAuth2 profiles and
 * the token provider into routers the host mounts. The host's usual setup is one line:
 * `app.use(dock.router)`; the pieces are also exposed for hosts that want to place them.
 */
import { createEventEmitter, type AuthdockEventEmitter } from './events.js'
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Router } from 'express'
import { Passport } from 'passport'
import { resolveConfig, type AuthdockOptions, type ResolvedConfig } from './config.js'
import { openStore } from './store/index.js'
import { keepSessionCache, keepStore } from './internal.js'
import type { Language, Translate } from './http/i18n.js'
import { Renderer } from './http/render.js'
import { errorHandler } from './http/error-handler.js'
import { withHostFastPath } from './http/dispatch.js'
import { rememberLanguage } from './http/language.js'
import { createSession, loadRedisStore } from './http/session.js'
import { createLogin } from './login/index.js'
import { createSessionUser } from './login/session-user.js'
import type { LoginModule } from './login/types.js'
import { createTokenProvider } from './tokens/index.js'
import type { TokenProvider } from './tokens/types.js'
import { createProfiles } from './profiles/index.js'
import { createMailModule, type MailModule } from './mail/index.js'
import type { ProfilesModule } from './profiles/types.js'
import type { DockContext } from './context.js'
import { createOperations, type OperationsModule } from './ops/index.js'
import { requireAdmin } from './http/admin-guard.js'
import { createLoginProviderAdmin, wellKnownHandler, type LoginProvidersModule } from './login/index.js'
import { createCredentials, type CredentialsModule } from './credentials/index.js'

/**
 * What createAuthdock returns: the routers and middleware to mount, the services (login, profiles,
 * tokens) and the events.
 *
 * @example
 * const dock: Authdock = await createAuthdock(options)
 * app.use(dock.router)
 * process.once('SIGTERM', () => void dock.close())
 */
export interface Authdock {
  readonly config: ResolvedConfig
  /** Everything at the configured paths: session, passport, silent login, login, admin, redirect, health. */
  readonly router: Router
  /** The session middleware alone (already part of `router`). */
  readonly session: RequestHandler
  /** Protect a host route: 401 JSON for API clients, redirect to the login for pages. */
  readonly requireLogin: RequestHandler
  readonly login: LoginModule
  /**
   * OAuth2 profiles: list, get, create, update, delete, clearTokens, authorize, usersOf — the
   * admin's own service (validated, audited, events, token cache dropped) — and its routers.
   */
  readonly profiles: ProfilesModule
  /** Login providers managed in the admin: the service and its routers (already part of `router`). */
  readonly loginProviders: LoginProvidersModule
  readonly tokens: TokenProvider
  /** Metadata for the host's mail-account form: account types and the profiles each may use. */
  readonly mail: MailModule
  /** Certificates (`private_key_jwt`) of profiles and login providers: admin page, JSON API, public JWKS. */
  readonly credentials: CredentialsModule
  /**
   * The error handler of authdock's routers, for the host's routes after them: an AuthdockError
   * becomes its status with authdock's error page (inside `views.layout`) or JSON (by `Accept`);
   * anything else is a 500 whose details go to the logger only.
   *
   * @example
   * app.use(dock.router)
   * app.use('/mail-accounts', mailAccountsRouter)   // may throw new AuthdockError('NOT_FOUND', …)
   * app.use(dock.errorHandler)
   */
  readonly errorHandler: ErrorRequestHandler
  /**
   * The language of this request as authdock's pages choose it (`language` option, `?lang=`,
   * then Accept-Language), so the host's own pages can follow it.
   *
   * @example
   * const lang = dock.language(req)   // 'en' | 'de'
   */
  language(req: Request): Language
  /**
   * authdock's texts in the request's language (with the host's overrides from `viewsDir/locales`).
   *
   * @example
   * const t = dock.translator(req)
   * t('common.error.title')
   */
  translator(req: Request): Translate
  /** The daily check (secret expiry, audit pruning), audit and health routers. */
  readonly operations: OperationsModule
  /** Events: see the README ("Events"). */
  readonly events: AuthdockEventEmitter
  close(): Promise<void>
}

/**
 * Create an authdock instance.
 *
 * @example
 * const dock = await createAuthdock({ baseUrl, encryptionKey, session: { secret }, oidc: { issuer, clientId, clientSecret }, users })
 * app.use(dock.router)
 * app.get('/me', dock.requireLogin, (req, res) => res.json({ user: req.user }))
 */
export async function createAuthdock(options: AuthdockOptions): Promise<Authdock> {
  const config = resolveConfig(options)
  const now = config.now
  const redisStore = await loadRedisStore(config)
  const store = await openStore(config.database, { encryptionKeys: config.encryptionKey, now })
  const events = createEventEmitter()
  // An 'error' event without a listener would crash the host; the logger sees it instead.
  events.on('error', (err: unknown) => config.logger.error({ err: String(err) }, 'authdock event error'))
  const views = new Renderer(config)
  const ctx: DockContext = {
    config,
    store,
    now,
    fetch: config.fetch ?? globalThis.fetch,
    logger: config.logger,
    events,
    views,
  }

  // authdock's own paths (where its routes read the session anyway) and the host's: see dispatch.ts.
  const { afterLogin: _afterLogin, afterLogout: _afterLogout, ...mounted } = config.paths
  const ownPaths = Object.values(mounted)
  const sessions = createSession(config, store, { logger: config.logger, now, redisStore, ownPaths })
  const sessionMiddleware = sessions.middleware

  const passport = new Passport()
  const tokens = createTokenProvider(ctx)
  const stopKeepAlive = tokens.startKeepAlive()
  const credentials = await createCredentials(ctx, tokens)
  const login = await createLogin(ctx, passport)
  const profiles = createProfiles(ctx, tokens)
  const loginProviders = createLoginProviderAdmin(ctx, credentials.service)
  // The readiness detail is for admins: its guard needs the session's user, which probes skip.
  const sessionUser = createSessionUser(ctx)
  const operations = await createOperations(ctx, { identify: [sessionMiddleware, sessionUser] })

  const router = express.Router()
  const everyRequest = [sessionMiddleware, rememberLanguage, sessionUser, login.silentLogin]
  // Health first: a probe needs no session.
  router.use(config.paths.health, operations.healthRouter)
  // Public keys for providers that fetch them ("Use JWKS URL"): no session either.
  router.use(config.paths.jwks, credentials.jwksRouter)
  // The session, the language, req.user from the session (session-user.ts: what passport.session()
  // did, without its cost per request; passport itself runs only inside the login routes, its
  // strategies with `session: false`) and the silent login.
  for (const step of everyRequest) router.use(step)
  router.use(config.paths.auth, login.router)
  router.get(`${config.paths.adminApi}/well-known`, requireAdmin(config), wellKnownHandler(ctx, login.testWellKnown))
  // Before the profiles' routers: a host may nest these paths below theirs.
  router.use(config.paths.loginProvidersApi, loginProviders.apiRouter)
  router.use(config.paths.loginProviders, loginProviders.adminRouter)
  router.use(config.paths.adminApi, profiles.apiRouter)
  router.use(config.paths.admin, profiles.adminRouter)
  router.use(config.paths.oauth2Redirect, profiles.oauth2RedirectRouter)
  router.use(config.paths.credentialsApi, credentials.apiRouter)
  router.use(config.paths.credentials, credentials.adminRouter)
  router.use(config.paths.auditApi, operations.audit.apiRouter)
  router.use(config.paths.audit, operations.audit.adminRouter)
  const errors = errorHandler({ views, logger: config.logger, apiPrefix: config.paths.adminApi })
  router.use(errors)
  // The host's routes take only everyRequest's steps, not the walk through every router above.
  withHostFastPath(router, ownPaths, everyRequest, errors)

  let closed = false
  const dock: Authdock = {
    config,
    router,
    session: sessionMiddleware,
    requireLogin: login.requireLogin,
    login,
    profiles,
    loginProviders,
    tokens,
    errorHandler: errors,
    language: (req) => views.language(req),
    translator: (req) => views.translator(req),
    mail: createMailModule(ctx, tokens),
    credentials,
    operations,
    events,
    async close() {
      if (closed) return
      closed = true
      stopKeepAlive()
      await operations.close()
      await tokens.close()
      await login.close()
      sessions.close()
      await store.close()
    },
  }
  keepStore(dock, store)
  keepSessionCache(dock, sessions.cache)
  return dock
}
