/**
 * Discovery of one provider's metadata, cached per provider, turned into an openid-client
 * Configuration with authdock's rules applied: the metadata `issuer` must equal the configured one,
 * http only for loopback issuers, ID token signatures always verified, asymmetric algorithms only,
 * every request through the injected fetch with a timeout.
 */
import * as client from 'openid-client'
import { isSecureOrLoopbackUrl, type ProviderConfig } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { mapOidcError } from './oidc-errors.js'
import { providerFetch } from '../oauth/fetch.js'
import { loginClientAuth } from '../credentials/login-auth.js'

/** How long discovered metadata is trusted before it is fetched again. */
const DISCOVERY_TTL_MS = 60 * 60_000
/** Seconds of clock difference tolerated on exp/iat/nbf. */
export const CLOCK_TOLERANCE_SEC = 30

interface CacheEntry {
  config: Promise<client.Configuration>
  at: number
  /** The settings it was discovered with: an edited provider is a new object and misses. */
  provider: ProviderConfig
}

/**
 * The fetch of every login request (discovery, JWKS, token, UserInfo, refresh): ctx.fetch (tests
 * inject it) with the exact timeout and the outbound proxy of the token provider (`tokens.proxy`),
 * since a network that needs a proxy for one needs it for the other.
 */
export function loginFetch(ctx: DockContext): client.CustomFetch {
  return providerFetch({
    fetch: ctx.fetch,
    timeoutMs: ctx.config.tokens.httpTimeoutMs,
    proxy: ctx.config.tokens.proxy ?? null,
    lookup: ctx.config.lookup,
  })
}

export function isLoopbackHttp(url: string): boolean {
  return url.startsWith('http:') && isSecureOrLoopbackUrl(url)
}

export class DiscoveryCache {
  private readonly entries = new Map<string, CacheEntry>()
  /** end_session_endpoint per provider, once discovered (pages admit their origins as form-action). */
  readonly endSessionEndpoints = new Map<string, string>()

  constructor(private readonly ctx: DockContext) {}

  /** The provider's Configuration; rejected promises are not cached so the next login retries. */
  get(provider: ProviderConfig): Promise<client.Configuration> {
    const hit = this.entries.get(provider.id)
    if (hit && hit.provider === provider && this.ctx.now() - hit.at < DISCOVERY_TTL_MS) return hit.config
    const config = discover(this.ctx, provider)
    const entry = { config, at: this.ctx.now(), provider }
    this.entries.set(provider.id, entry)
    config.then(
      (c) => {
        const endSession = c.serverMetadata().end_session_endpoint
        if (endSession) this.endSessionEndpoints.set(provider.id, endSession)
      },
      () => undefined,
    )
    config.catch(() => {
      if (this.entries.get(provider.id) === entry) this.entries.delete(provider.id)
    })
    return config
  }

  clear(): void {
    this.entries.clear()
  }

  /** Drop a removed provider's entry. */
  forget(providerId: string): void {
    this.entries.delete(providerId)
    this.endSessionEndpoints.delete(providerId)
  }
}

async function discover(ctx: DockContext, provider: ProviderConfig): Promise<client.Configuration> {
  if (!isSecureOrLoopbackUrl(provider.issuer)) {
    throw new AuthdockError('OIDC_INSECURE_ISSUER', `The issuer of provider "${provider.id}" must use https`)
  }
  const execute = [client.enableNonRepudiationChecks]
  if (isLoopbackHttp(provider.issuer)) execute.unshift(client.allowInsecureRequests)
  const auth =
    loginClientAuth(ctx, provider) ??
    (provider.clientSecret ? client.ClientSecretBasic(provider.clientSecret) : client.None())
  let config: client.Configuration
  try {
    config = await client.discovery(new URL(provider.issuer), provider.clientId, clientMetadata(provider), auth, {
      [client.customFetch]: loginFetch(ctx),
      timeout: Math.ceil(ctx.config.tokens.httpTimeoutMs / 1000),
      execute,
    })
  } catch (err) {
    throw mapOidcError(err, 'discovery')
  }
  // openid-client gives every later request a fresh AbortSignal.timeout(), and oauth4webapi shares
  // a pending JWKS request only between callers with the same signal: concurrent first callbacks
  // would each fetch the JWKS. Without openid-client's timeout they share one request; the timeout
  // is still there, in loginFetch.
  config.timeout = 0
  // openid-client already refused metadata whose `issuer` differs from the configured one
  // (mapped to OIDC_ISSUER_MISMATCH), so the Configuration below is bound to the right issuer.
  return config
}

function clientMetadata(provider: ProviderConfig): Partial<client.ClientMetadata> {
  return {
    // oauth4webapi accepts a list here and then allows exactly these algorithms: our asymmetric
    // allow-list (`none` and HS* can never pass, whatever the provider advertises).
    id_token_signed_response_alg: provider.idTokenAlgorithms as unknown as string,
    [client.clockTolerance]: CLOCK_TOLERANCE_SEC,
  }
}
