/**
 * openid-client's passport Strategy, used to start logins (the callback redeems the code itself,
 * code-grant.ts). What we change: it sends neither `state` nor `nonce` when the provider
 * advertises PKCE (PKCE alone is its CSRF defence); we send both, always. The base class stores
 * whatever `state`/`nonce` the authorization URL carries in the session (under `sessionKey`), and
 * the callback passes them to authorizationCodeGrant as expectedState/expectedNonce, so
 * subclassing the parameters is enough: verification stays openid-client's.
 */
import * as client from 'openid-client'
import { Strategy, type AuthenticateOptions, type VerifyFunctionWithRequest } from 'openid-client/passport'
import type { Request } from 'express'
import type { ProviderConfig } from '../config.js'
import { strategySessionKey } from './session-data.js'

export class AuthdockOidcStrategy extends Strategy {
  constructor(
    private readonly provider: ProviderConfig,
    config: client.Configuration,
    callbackURL: string,
    verify: VerifyFunctionWithRequest,
  ) {
    super(
      {
        config,
        name: strategyName(provider.id),
        sessionKey: strategySessionKey(provider.id),
        callbackURL,
        scope: requestedScope(provider, config),
        passReqToCallback: true,
      },
      verify,
    )
  }

  /**
   * The Strategy only starts logins: OidcFlow.callback redeems the code itself (code-grant.ts). A
   * start URL that carries `code` or `error` starts a login too, instead of redeeming a code there.
   */
  override shouldInitiateAuthRequest(): boolean {
    return true
  }

  override authorizationRequestParams<T extends AuthenticateOptions>(req: Request, options: T): URLSearchParams {
    const base = super.authorizationRequestParams(req, options)
    const params = new URLSearchParams(base instanceof URLSearchParams ? base : (base ?? {}))
    for (const [key, value] of Object.entries(this.provider.authorizationParams)) {
      if (!params.has(key)) params.set(key, value)
    }
    params.set('state', client.randomState())
    params.set('nonce', client.randomNonce())
    return params
  }
}

export function strategyName(providerId: string): string {
  return `authdock-oidc-${providerId}`
}

/**
 * The configured scope, plus `offline_access` for silent re-login when the provider lists it
 * (Entra and oidc-provider issue refresh tokens only then; Keycloak and others do without).
 */
export function requestedScope(provider: ProviderConfig, config: client.Configuration): string {
  const parts = provider.scope.split(' ')
  const supported = config.serverMetadata().scopes_supported ?? []
  if (provider.silentLogin && supported.includes('offline_access') && !parts.includes('offline_access'))
    parts.push('offline_access')
  return parts.join(' ')
}
