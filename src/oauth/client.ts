/**
 * The OAuth2 client pieces shared by "renew authorization" (profiles) and the token provider:
 * an openid-client Configuration for a plain OAuth2 profile, and the mapping of a token response
 * to the stored token state.
 */
import * as client from 'openid-client'
import type { TokenContext } from '../context.js'
import type { Profile, TokenPatch } from '../store/types.js'
import { isSecureOrLoopbackUrl } from '../config.js'
import { fieldMessage } from '../http/i18n.js'
import { AuthdockError } from '../errors.js'
import { providerFetch } from './fetch.js'

/** Extras of {@link oauthConfiguration}. */
export interface OAuthConfigurationOptions {
  /** The RFC 7009 endpoint, for `client.tokenRevocation`. */
  revocationEndpoint?: string
  /**
   * Receives the ID token of a token response before it is dropped (see {@link withoutIdToken}):
   * "renew authorization" reads the consenting account from it. Sits after the proxy, so it sees
   * the response however it travelled.
   */
  onIdToken?: (idToken: string) => void
  /** How the client authenticates (a certificate's `private_key_jwt`); else the secret, else none. */
  auth?: client.ClientAuth
}

/**
 * Build an openid-client v6 Configuration for a profile. Profiles are plain OAuth2 clients (no
 * discovery): the server metadata is made from the profile's URLs, with the origin of the token
 * URL as issuer. Client authentication is `auth` when given (a certificate's signed assertion),
 * else `client_secret_post` (Entra, Google, Keycloak and GitLab
 * accept it) or `none` when the profile has no secret. Every request uses `ctx.fetch` with
 * `config.tokens.httpTimeoutMs` and the profile's proxy (else the global one).
 *
 * @example
 * const config = oauthConfiguration(ctx, profile, await ctx.store.profiles.getClientSecret(profile.id))
 * const tokens = await client.refreshTokenGrant(config, refreshToken)
 */
export function oauthConfiguration(
  ctx: TokenContext,
  profile: Profile,
  clientSecret: string | null,
  options: OAuthConfigurationOptions = {},
): client.Configuration {
  for (const [field, url] of [
    ['tokenUrl', profile.tokenUrl],
    ['authorizationUrl', profile.authorizationUrl],
  ] as const) {
    if (url !== null && !isSecureOrLoopbackUrl(url)) {
      throw new AuthdockError(
        'TOKEN_PROFILE_INVALID',
        `Profile "${profile.name}": "${field}" must be an https URL (http only for loopback hosts)`,
        {
          fields: { [field]: fieldMessage('httpsUrl') },
          details: { profileId: profile.id },
        },
      )
    }
  }
  const tokenUrl = new URL(profile.tokenUrl)
  const server: client.ServerMetadata = {
    issuer: tokenUrl.origin,
    token_endpoint: profile.tokenUrl,
    ...(profile.authorizationUrl ? { authorization_endpoint: profile.authorizationUrl } : {}),
    ...(options.revocationEndpoint ? { revocation_endpoint: options.revocationEndpoint } : {}),
  }
  const clientAuth = options.auth ?? (clientSecret ? client.ClientSecretPost(clientSecret) : client.None())
  const config = new client.Configuration(server, profile.clientId, undefined, clientAuth)
  if (tokenUrl.protocol === 'http:') client.allowInsecureRequests(config)
  const timeoutMs = ctx.config.tokens.httpTimeoutMs
  // openid-client's own timeout is in whole seconds; ours (in providerFetch) is the exact one.
  config.timeout = Math.max(1, Math.ceil(timeoutMs / 1000))
  const fetchViaProxy = providerFetch({
    fetch: ctx.fetch,
    timeoutMs,
    proxy: profile.proxy ?? ctx.config.tokens.proxy ?? null,
    lookup: ctx.config.lookup,
  })
  config[client.customFetch] = async (url, init) => withoutIdToken(await fetchViaProxy(url, init), options.onIdToken)
  return config
}

/**
 * Profiles are plain OAuth2 clients and never use an ID token. Providers that add one anyway
 * (Keycloak and Entra when `openid` is in the scope) issue it for their real issuer, which is not
 * the origin of the token URL that we have to assume, so openid-client would reject the whole
 * response. Dropping the ID token keeps the access and refresh tokens usable.
 */
async function withoutIdToken(response: Response, onIdToken?: (idToken: string) => void): Promise<Response> {
  if (!response.ok || !/json/i.test(response.headers.get('content-type') ?? '')) return response
  const text = await response.text()
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  if (body && typeof body === 'object' && 'id_token' in body) {
    const idToken = (body as Record<string, unknown>).id_token
    if (typeof idToken === 'string') onIdToken?.(idToken)
    delete (body as Record<string, unknown>).id_token
  }
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  headers.delete('content-encoding')
  return new Response(JSON.stringify(body), { status: response.status, statusText: response.statusText, headers })
}

/** The token response fields we read (a subset of openid-client's TokenEndpointResponse). */
export interface TokenResponseLike {
  access_token: string
  token_type?: string
  expires_in?: number
  refresh_token?: string
  scope?: string
}

/**
 * Map a token endpoint response to the token state to store. A missing (or unusable) `expires_in`
 * gets `defaultExpiresInSec`; a response without a new refresh token keeps the stored one (the
 * field stays undefined, and undefined fields are kept by `tokens.save`). Success also clears the
 * error and backoff state, so saving this after "renew authorization" makes the profile usable again.
 *
 * @param now milliseconds since the epoch (ctx.now())
 */
export function tokenSetToPatch(tokens: TokenResponseLike, now: number, defaultExpiresInSec: number): TokenPatch {
  const expiresIn =
    typeof tokens.expires_in === 'number' && Number.isFinite(tokens.expires_in) && tokens.expires_in > 0
      ? tokens.expires_in
      : defaultExpiresInSec
  const at = new Date(now)
  return {
    accessToken: tokens.access_token,
    accessTokenExpiresAt: new Date(now + expiresIn * 1000),
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token, refreshTokenUsedAt: at } : {}),
    tokenType: tokens.token_type ?? 'bearer',
    ...(tokens.scope !== undefined ? { scope: tokens.scope } : {}),
    status: 'ok',
    lastRefreshAt: at,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
    failureCount: 0,
    nextAttemptAt: null,
  }
}
