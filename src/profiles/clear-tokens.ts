/**
 * "Clear tokens": revoke a profile's tokens at the provider where it offers RFC 7009, then drop
 * them here. The stored tokens go in any case (the administrator asked for that); whether the
 * provider revoked them is reported and audited, because a token that was not revoked stays valid
 * at the provider until it expires.
 *
 * The revocation endpoint is the profile's `revocationUrl`, else the `revocation_endpoint` of the
 * discovery document of the issuer that the token URL belongs to. Microsoft Entra has none (its
 * tokens end by revoking the user's sessions in Entra), so Microsoft 365 profiles skip the lookup.
 */
import * as client from 'openid-client'
import type { TokenContext } from '../context.js'
import { isSecureOrLoopbackUrl } from '../config.js'
import { oauthConfiguration } from '../oauth/client.js'
import { profileCertificateAuth } from '../credentials/profile-auth.js'
import { providerFetch } from '../oauth/fetch.js'
import { classifyProviderError } from '../oauth/provider-errors.js'
import type { Profile, TokenPatch } from '../store/types.js'
import type { TokenProvider } from '../tokens/types.js'

/** What happened to one kind of token at the provider. */
export type RevocationOutcome = 'revoked' | 'failed' | 'no_endpoint' | 'absent'

export interface ClearTokensResult {
  profileId: string
  name: string
  /** Where the revocation went, or null when the provider offers no RFC 7009 endpoint. */
  revocationEndpoint: string | null
  /** `profile`: its revocationUrl; `discovery`: the issuer's discovery document. */
  endpointSource: 'profile' | 'discovery' | null
  refreshToken: RevocationOutcome
  accessToken: RevocationOutcome
  /** The provider's short error code when a revocation failed (never its text). */
  providerCode: string | null
}

// Path prefixes of the token URL tried as issuers: Keycloak's realm sits two segments deep
// (/realms/x/protocol/openid-connect/token); more is a guess that only costs requests.
const MAX_DISCOVERY_TRIES = 4

/**
 * The issuers a token URL may belong to, shortest first: its origin, then each path prefix
 * (`https://kc/realms/x/protocol/openid-connect/token` → `https://kc`, `https://kc/realms`, …).
 */
export function issuerCandidates(tokenUrl: string): string[] {
  const url = new URL(tokenUrl)
  const segments = url.pathname.split('/').filter(Boolean).slice(0, -1)
  const out = [url.origin]
  for (let i = 1; i <= segments.length; i++) out.push(`${url.origin}/${segments.slice(0, i).join('/')}`)
  return out.slice(0, MAX_DISCOVERY_TRIES)
}

/**
 * The revocation endpoint of a profile, or null. A discovered one counts only when its document
 * names the profile's token URL as its token endpoint and the endpoint lies on the token URL's
 * origin: the client secret goes there, and it must not go anywhere a document merely claims.
 */
export async function findRevocationEndpoint(
  ctx: TokenContext,
  profile: Profile,
): Promise<{ url: string; source: 'profile' | 'discovery' } | null> {
  if (profile.revocationUrl) return { url: profile.revocationUrl, source: 'profile' }
  if (profile.preset === 'microsoft365') return null
  const fetchFn = providerFetch({
    fetch: ctx.fetch,
    timeoutMs: ctx.config.tokens.httpTimeoutMs,
    proxy: profile.proxy ?? ctx.config.tokens.proxy ?? null,
  })
  const origin = new URL(profile.tokenUrl).origin
  for (const issuer of issuerCandidates(profile.tokenUrl)) {
    let meta: { token_endpoint?: unknown; revocation_endpoint?: unknown }
    try {
      const res = await fetchFn(`${issuer}/.well-known/openid-configuration`, {
        method: 'GET',
        headers: { accept: 'application/json' },
        redirect: 'manual',
        body: undefined,
        signal: undefined,
      } as never)
      if (!res.ok) {
        await res.body?.cancel()
        continue
      }
      meta = (await res.json()) as typeof meta
    } catch {
      continue
    }
    if (meta?.token_endpoint !== profile.tokenUrl) continue
    const endpoint = meta.revocation_endpoint
    if (
      typeof endpoint !== 'string' ||
      !URL.canParse(endpoint) ||
      !isSecureOrLoopbackUrl(endpoint) ||
      new URL(endpoint).origin !== origin
    )
      return null
    return { url: endpoint, source: 'discovery' }
  }
  return null
}

// Everything a grant left behind; the profile then reads as "not authorized".
const CLEARED: TokenPatch = {
  accessToken: null,
  accessTokenExpiresAt: null,
  refreshToken: null,
  refreshTokenUsedAt: null,
  tokenType: null,
  scope: null,
  status: 'ok',
  lastRefreshAt: null,
  lastErrorCode: null,
  lastErrorMessage: null,
  lastErrorAt: null,
  failureCount: 0,
  nextAttemptAt: null,
  authorizedBy: null,
  authorizedAccount: null,
  authorizedAt: null,
}

/**
 * Revoke and drop the stored tokens of a profile, audited as `profile.tokens_cleared`. Runs under
 * the refresh lock, so a refresh on another instance cannot store a rotated refresh token that
 * would survive the clearing.
 */
export async function clearProfileTokens(
  ctx: TokenContext,
  tokens: TokenProvider,
  profile: Profile,
  actor: string | null,
): Promise<ClearTokensResult> {
  const endpoint = await findRevocationEndpoint(ctx, profile)
  // A certificate-authenticated client revokes with its assertion, like its token requests.
  const certificate = await profileCertificateAuth(ctx, profile)
  const secret = certificate ? null : await ctx.store.profiles.getClientSecret(profile.id)
  const result: ClearTokensResult = {
    profileId: profile.id,
    name: profile.name,
    revocationEndpoint: endpoint?.url ?? null,
    endpointSource: endpoint?.source ?? null,
    refreshToken: 'absent',
    accessToken: 'absent',
    providerCode: null,
  }
  const revoke = async (token: string | null, hint: 'refresh_token' | 'access_token'): Promise<RevocationOutcome> => {
    if (!token) return 'absent'
    if (!endpoint) return 'no_endpoint'
    try {
      const config = oauthConfiguration(ctx, profile, secret, {
        revocationEndpoint: endpoint.url,
        auth: certificate?.auth,
      })
      await client.tokenRevocation(config, token, { token_type_hint: hint })
      return 'revoked'
    } catch (err) {
      const cls = classifyProviderError(err)
      result.providerCode ??= cls.providerCode ?? cls.code
      return 'failed'
    }
  }
  await ctx.store.tokens.withRefreshLock(
    profile.id,
    async (current) => {
      // The refresh token first: revoking it ends the whole grant at most providers.
      result.refreshToken = await revoke(current?.refreshToken ?? null, 'refresh_token')
      result.accessToken = await revoke(current?.accessToken ?? null, 'access_token')
      return { patch: current ? CLEARED : null, result: undefined }
    },
    { timeoutMs: ctx.config.tokens.lockTimeoutMs, waitMs: ctx.config.tokens.lockTimeoutMs },
  )
  tokens.invalidate(profile.id)
  await ctx.store.audit.add({
    kind: 'profile.tokens_cleared',
    actor,
    profileId: profile.id,
    details: {
      name: profile.name,
      revocationEndpoint: result.revocationEndpoint,
      endpointSource: result.endpointSource,
      refreshTokenRevocation: result.refreshToken,
      accessTokenRevocation: result.accessToken,
      providerCode: result.providerCode,
    },
  })
  ctx.events.emit('profile.tokens_cleared', {
    profileId: profile.id,
    name: profile.name,
    actor,
    revoked:
      !['failed', 'no_endpoint'].includes(result.refreshToken) &&
      !['failed', 'no_endpoint'].includes(result.accessToken),
  })
  return result
}

/** One word for the overview banner: were the cleared tokens also revoked at the provider? */
export function clearedOutcome(
  result: ClearTokensResult,
): 'tokensCleared' | 'tokensClearedNotRevoked' | 'tokensClearedRevokeFailed' {
  const outcomes = [result.refreshToken, result.accessToken]
  if (outcomes.includes('failed')) return 'tokensClearedRevokeFailed'
  if (outcomes.includes('no_endpoint')) return 'tokensClearedNotRevoked'
  return 'tokensCleared'
}
