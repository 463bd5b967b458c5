/**
 * The callback half of openid-client's passport Strategy, called without passport. The Strategy
 * started the login and left its checks (PKCE verifier, state, nonce) in the session under its
 * key; this reads them the same way (once: the entry is deleted whatever happens) and hands them
 * to the same `authorizationCodeGrant`, so every check stays openid-client's: state, nonce, PKCE,
 * RFC 9207 `iss`, the ID token's signature and claims.
 *
 * What is left out is passport's per-request dispatch around it: an authenticate middleware and a
 * strategy object with its five callbacks per request, two parses of the request's URL and a
 * verify callback wrapped around our own code. The login callback's profile showed that dispatch
 * at a few percent of the callback (bench/login.ts).
 */
import * as client from 'openid-client'
import type { Request } from 'express'
import type { ProviderConfig } from '../config.js'
import { AuthdockError } from '../errors.js'
import { mapOidcError } from './oidc-errors.js'
import { strategySessionKey } from './session-data.js'

/** What the Strategy keeps in the session at the start (openid-client/passport's state data). */
interface PendingChecks {
  code_verifier?: string
  nonce?: string
  state?: string
  max_age?: number
}

export type GrantedTokens = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers

/**
 * Redeem the code of this callback request. Rejects with an AuthdockError: OIDC_STATE_INVALID when
 * the session holds no login started by this browser, OIDC_ACCESS_DENIED when the user cancelled
 * at the provider, else what mapOidcError makes of openid-client's error.
 */
export async function redeemCode(
  req: Request,
  provider: ProviderConfig,
  config: client.Configuration,
  redirectUri: string,
): Promise<GrantedTokens> {
  const session = req.session as unknown as Record<string, PendingChecks | undefined>
  const key = strategySessionKey(provider.id)
  const checks = session[key]
  delete session[key]
  if (!checks?.code_verifier) {
    throw new AuthdockError(
      'OIDC_STATE_INVALID',
      'The login answer does not belong to a login started in this browser session',
    )
  }
  // The registered redirect URI with this request's parameters (the Strategy appends them one by
  // one; the parameters openid-client reads from either are the same).
  const url = req.originalUrl ?? req.url
  const query = url.indexOf('?')
  const currentUrl = new URL(query >= 0 ? `${redirectUri}${url.slice(query)}` : redirectUri)
  try {
    return await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: checks.code_verifier,
      expectedNonce: checks.nonce,
      expectedState: checks.state,
      maxAge: checks.max_age,
    })
  } catch (err) {
    if (err instanceof client.AuthorizationResponseError && err.error === 'access_denied') {
      throw new AuthdockError('OIDC_ACCESS_DENIED', 'The login was cancelled at the identity provider', {
        details: { providerError: 'access_denied', providerText: err.error_description },
      })
    }
    throw mapOidcError(err, 'callback')
  }
}
