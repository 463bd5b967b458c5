/**
 * The OpenID Connect login: start (redirect to the provider) and callback (verify, map to a host
 * user, log in). Verification is openid-client's (state, nonce, PKCE, RFC 9207 `iss`, ID token
 * signature and claims); identify.ts adds what it leaves to the relying party.
 */
import type { NextFunction, Request, Response } from 'express'
import type { PassportInstance } from './passport-instance.js'
import type { VerifyFunctionWithRequest } from 'openid-client/passport'
import type { ProviderConfig } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { identify, type Identified } from './identify.js'
import { mapOidcError } from './oidc-errors.js'
import { recordFailure, recordSuccessAfterAnswer, redirectToRetry } from './outcome.js'
import type { Providers } from './providers.js'
import { rememberDevice } from './device.js'
import { bindLogin, checkLoginBinding } from './provider-changes.js'
import { logIn, strategySessionKey } from './session-data.js'
import { redeemCode } from './code-grant.js'
import { userIdOf } from './user-id.js'
import { safeReturnTo } from './return-to.js'
import { seeOther } from './see-other.js'
import { explainLoginError } from '../credentials/login-auth.js'

/** A verified login: the host user, the subject and the tokens kept for logout and silent login. */
interface VerifiedLogin extends Identified {
  idToken?: string
  refreshToken?: string
}

/**
 * The Strategy's verify callback. The Strategy only starts logins: OidcFlow.callback redeems the
 * code itself (code-grant.ts), so passport never gets to call this.
 */
export const verifyNever: VerifyFunctionWithRequest = (_req, _tokens, done) =>
  done(new AuthdockError('INTERNAL', 'The login callback is answered by OidcFlow.callback, not through passport'))

export class OidcFlow {
  constructor(
    private readonly ctx: DockContext,
    private readonly passport: PassportInstance,
    private readonly providers: Providers,
  ) {}

  /** GET <auth>/login[/<provider>]: remember the pending login and redirect to the provider. */
  async start(
    req: Request,
    res: Response,
    next: NextFunction,
    provider: ProviderConfig,
    returnTo: string | undefined,
  ): Promise<void> {
    let name: string
    try {
      ;({ name } = await this.providers.strategy(provider))
    } catch (err) {
      // Discovery failed (provider down, issuer mismatch …): the retry page says so and offers the
      // password where possible, instead of a bare error page.
      return this.fail(req, res, next, provider, err, returnTo)
    }
    req.session.authdockLogin = { providerId: provider.id, returnTo, startedAt: this.ctx.now() }
    bindLogin(req, provider)
    this.passport.authenticate(name, { session: false })(req, res, next)
  }

  /** GET <auth>/callback[/<provider>]. */
  async callback(req: Request, res: Response, next: NextFunction, provider: ProviderConfig): Promise<void> {
    // Read the pending login now: logIn replaces the session.
    const pending = req.session.authdockLogin
    if (pending?.providerId === provider.id) delete req.session.authdockLogin
    const returnTo = pending?.providerId === provider.id ? pending.returnTo : undefined
    try {
      // Neither code nor error: no answer of a provider (openid-client would report a missing code).
      if (req.query.code === undefined && req.query.error === undefined) {
        throw new AuthdockError('OIDC_STATE_INVALID', 'The login answer carries neither a code nor an error')
      }
      if (pending?.providerId === provider.id) checkLoginBinding(req, provider)
      if (pending?.providerId === provider.id && this.ctx.now() - pending.startedAt > provider.loginTimeoutMs) {
        delete (req.session as unknown as Record<string, unknown>)[strategySessionKey(provider.id)]
        throw new AuthdockError('OIDC_LOGIN_TIMEOUT', 'The login was not finished in time')
      }
      const { config } = await this.providers.strategy(provider)
      const tokens = await redeemCode(req, provider, config, this.providers.redirectUri(provider.id))
      const identified = await identify(this.ctx, provider, config, tokens)
      await this.complete(
        req,
        res,
        provider,
        {
          ...identified,
          idToken: tokens.id_token,
          refreshToken: tokens.refresh_token,
        },
        returnTo,
      )
    } catch (err) {
      await this.fail(req, res, next, provider, err, returnTo)
    }
  }

  private async fail(
    req: Request,
    res: Response,
    next: NextFunction,
    provider: ProviderConfig,
    err: unknown,
    returnTo?: string,
  ): Promise<void> {
    const error = await explainLoginError(
      this.ctx,
      provider,
      isAuthdockError(err) ? err : mapOidcError(err, 'callback'),
    )
    await recordFailure(this.ctx, {
      providerId: provider.id,
      reason: error.code,
      method: 'oidc',
      details: safeDetails(error),
      error,
    })
    if (error.code === 'LOGIN_USER_UNKNOWN') {
      await this.ctx.views.render(
        req,
        res,
        'login/unknown-user',
        {
          title: undefined,
          code: error.code,
          claimLabel: provider.claimLabel,
          value: isAuthdockError(error, 'LOGIN_USER_UNKNOWN') ? error.details?.value : undefined,
          providerId: provider.id,
        },
        { status: error.status },
      )
      return
    }
    if (error.status >= 500 && !error.code.startsWith('OIDC_')) return next(error)
    redirectToRetry(this.ctx, req, res, error, provider.id, returnTo)
  }

  private async complete(
    req: Request,
    res: Response,
    provider: ProviderConfig,
    verified: VerifiedLogin,
    returnTo: string | undefined,
  ): Promise<void> {
    await logIn(req, res, verified.user, {
      providerId: provider.id,
      oidc: { providerId: provider.id, idToken: verified.idToken },
      logger: this.ctx.logger,
    })
    if (verified.refreshToken && provider.silentLogin) {
      rememberDevice(this.ctx, req, res, {
        providerId: provider.id,
        userId: userIdOf(verified.user),
        refreshToken: verified.refreshToken,
        sub: verified.sub,
      })
    }
    recordSuccessAfterAnswer(this.ctx, res, {
      providerId: provider.id,
      userId: userIdOf(verified.user),
      method: 'oidc',
    })
    // Checked again on the way out: a session written by an older version may hold any value.
    const target = safeReturnTo(returnTo) ?? this.ctx.config.paths.afterLogin
    seeOther(res, target)
  }
}

/** Audit details without anything a provider could smuggle a token into beyond its own text. */
function safeDetails(error: AuthdockError): Record<string, unknown> {
  // Any code may arrive here; only these keys, whichever payload carries them, are kept.
  const d = new Map<string, unknown>(Object.entries(error.details ?? {}))
  return {
    claim: d.get('claim'),
    providerError: d.get('providerError'),
    phase: d.get('phase'),
    detail: d.get('reason'),
    certificate: d.get('certificate'),
  }
}
