/**
 * One token request to the provider for a profile: the refresh token grant, or the client
 * credentials grant for app-only profiles. Provider errors are thrown as they come (the caller
 * classifies them); a response that lacks a requested scope is reported beside the tokens, because
 * a rotated refresh token in it must still be stored.
 */
import * as client from 'openid-client'
import type { TokenContext } from '../context.js'
import type { Profile, TokenPatch, TokenRecord } from '../store/types.js'
import { oauthConfiguration, tokenSetToPatch } from '../oauth/client.js'
import { profileCertificateAuth } from '../credentials/profile-auth.js'

export interface GrantResult {
  patch: TokenPatch
  /** Requested scopes the provider did not grant (empty when all were granted or it did not say). */
  missingScopes: string[]
}

/** Scopes that providers grant implicitly or leave out of the response. */
const IMPLICIT_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email'])

/** Requested scopes that are not in the granted list. Resource prefixes (`https://…/X`) may differ. */
export function missingScopes(requested: string, granted: string | undefined): string[] {
  if (granted === undefined) return []
  const have = granted
    .split(/\s+/)
    .filter(Boolean)
    .map((s) => s.toLowerCase())
  return requested
    .split(/\s+/)
    .filter(Boolean)
    .filter((s) => !IMPLICIT_SCOPES.has(s.toLowerCase()) && !s.endsWith('/.default'))
    .filter((scope) => {
      const want = scope.toLowerCase()
      return !have.some((g) => g === want || g.endsWith(`/${want}`) || want.endsWith(`/${g}`))
    })
}

/** Ask the provider for new tokens. `current` is the record read under the refresh lock. */
export async function requestTokens(
  ctx: TokenContext,
  profile: Profile,
  current: TokenRecord | null,
): Promise<GrantResult> {
  const certificate = await profileCertificateAuth(ctx, profile)
  const secret = certificate ? null : await ctx.store.profiles.getClientSecret(profile.id)
  const config = oauthConfiguration(ctx, profile, secret, { auth: certificate?.auth })
  let response: client.TokenEndpointResponse
  try {
    response =
      profile.grantType === 'client_credentials'
        ? await client.clientCredentialsGrant(config, profile.scope ? { scope: profile.scope } : {})
        : await client.refreshTokenGrant(config, current?.refreshToken ?? '')
  } catch (err) {
    throw certificate ? certificate.explain(err) : err
  }
  const at = ctx.now()
  const patch = tokenSetToPatch(response, at, ctx.config.tokens.defaultExpiresInSec)
  // Using a refresh token keeps it alive at the provider, rotated or not.
  if (profile.grantType !== 'client_credentials') patch.refreshTokenUsedAt = new Date(at)
  return { patch, missingScopes: missingScopes(profile.scope, response.scope) }
}
