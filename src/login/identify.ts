/**
 * From a verified token response to a host user: the checks openid-client leaves to us (`azp` on a
 * single audience, UserInfo `sub`), the identifying claim (ID token first, else UserInfo), an
 * `email` claim the provider says is unverified, and the host's findByClaim keyed by provider and
 * issuer so two providers cannot collide.
 */
import * as client from 'openid-client'
import type { AuthdockUser, ProviderConfig } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { mapOidcError } from './oidc-errors.js'
import { metadataOf } from './metadata.js'
import { checkedUser } from './user-id.js'

export interface Identified {
  user: AuthdockUser
  sub: string
}

/**
 * @param expectedSub for a refresh: the subject of the original login; a different one is refused.
 */
export async function identify(
  ctx: DockContext,
  provider: ProviderConfig,
  config: client.Configuration,
  tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
  expectedSub?: string,
): Promise<Identified> {
  const idClaims = tokens.claims()
  const sub = idClaims?.sub ?? expectedSub
  if (!sub) throw new AuthdockError('OIDC_ID_TOKEN_INVALID', 'The provider returned no ID token')
  if (idClaims) {
    // OIDC Core 3.1.3.7 (6): an azp, when present, must be our client id, even with a single audience.
    if (idClaims.azp !== undefined && idClaims.azp !== provider.clientId) {
      throw new AuthdockError('OIDC_CLAIM_INVALID', 'The ID token claim "azp" names another client', {
        details: { claim: 'azp' },
      })
    }
    if (expectedSub !== undefined && idClaims.sub !== expectedSub) {
      throw new AuthdockError('OIDC_CLAIM_INVALID', 'The refreshed ID token names another subject', {
        details: { claim: 'sub' },
      })
    }
  }
  let claims: Record<string, unknown> = { ...(idClaims ?? {}) }
  const needUserInfo = claims[provider.claim] === undefined || idClaims === undefined
  if (needUserInfo && metadataOf(config).userinfo_endpoint) {
    let info: client.UserInfoResponse
    try {
      info = await client.fetchUserInfo(config, tokens.access_token, sub)
    } catch (err) {
      throw mapOidcError(err, 'userinfo')
    }
    claims = { ...info, ...claims }
  }
  const value = claims[provider.claim]
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new AuthdockError('OIDC_CLAIM_MISSING', `The identity provider did not send the claim "${provider.claim}"`, {
      details: { claim: provider.claim },
    })
  }
  if (provider.claim === 'email' && saysNotVerified(claims.email_verified)) {
    // Anyone can put someone else's address on an account at many providers; matching a user by
    // it unverified would log them in as that user.
    throw new AuthdockError('OIDC_EMAIL_NOT_VERIFIED', 'The identity provider has not verified this e-mail address', {
      details: { claim: 'email_verified' },
    })
  }
  const issuer = metadataOf(config).issuer
  let user
  try {
    user = await ctx.config.users.findByClaim({
      providerId: provider.id,
      issuer,
      claim: provider.claim,
      value: String(value),
      claims,
    })
  } catch (err) {
    // The host's own failure (its database down, say): not the provider's, and said so.
    throw new AuthdockError(
      'LOGIN_HOST_CALLBACK_FAILED',
      'The application could not look up the user (users.findByClaim failed)',
      {
        cause: err,
        details: { callback: 'findByClaim' },
      },
    )
  }
  checkedUser(user, 'findByClaim')
  if (!user) {
    throw new AuthdockError('LOGIN_USER_UNKNOWN', `No user of this application has this ${provider.claimLabel}`, {
      details: { claim: provider.claim, claimLabel: provider.claimLabel, value: String(value) },
    })
  }
  return { user, sub }
}

/**
 * `email_verified` is false (some providers send the string). Absent is not false: Entra ID never
 * sends it, and refusing every Entra login would leave only the choice of another claim.
 */
function saysNotVerified(value: unknown): boolean {
  return value === false || (typeof value === 'string' && value.trim().toLowerCase() === 'false')
}
