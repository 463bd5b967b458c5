/**
 * The configured OpenID Connect providers as the login sees them: their callback paths and
 * redirect URIs, and their passport strategies, registered on the host's Passport instance once
 * discovery has succeeded (lazily: a provider that is down at start must not stop the host).
 */
import type { PassportInstance } from './passport-instance.js'
import type * as client from 'openid-client'
import type { VerifyFunctionWithRequest } from 'openid-client/passport'
import type { ProviderConfig } from '../config.js'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { originsOf } from '../http/render.js'
import { DiscoveryCache } from './discovery.js'
import { AuthdockOidcStrategy, strategyName } from './oidc-strategy.js'

export class Providers {
  readonly all: readonly ProviderConfig[]
  readonly discovery: DiscoveryCache
  private readonly registered = new Map<string, client.Configuration>()

  constructor(
    private readonly ctx: DockContext,
    private readonly passport: PassportInstance,
    private readonly verify: (provider: ProviderConfig) => VerifyFunctionWithRequest,
  ) {
    this.all = ctx.config.oidc
    this.discovery = new DiscoveryCache(ctx)
  }

  get active(): ProviderConfig[] {
    return this.all.filter((p) => p.active)
  }

  /** With one provider the callback is `<auth>/callback` (the documented route); with several, one per provider. */
  callbackPath(providerId: string): string {
    return this.all.length > 1 ? `/callback/${providerId}` : '/callback'
  }

  redirectUri(providerId: string): string {
    return `${this.ctx.config.baseUrl}${this.ctx.config.paths.auth}${this.callbackPath(providerId)}`
  }

  find(id: string | undefined): ProviderConfig | undefined {
    return this.all.find((p) => p.id === id)
  }

  /** An active provider by id, or LOGIN_PROVIDER_UNKNOWN. */
  require(id: string | undefined): ProviderConfig {
    const provider = this.find(id)
    if (!provider || !provider.active) throw new AuthdockError('LOGIN_PROVIDER_UNKNOWN', 'There is no such login provider')
    return provider
  }

  /**
   * Where a login or logout form may lead: the issuers' origins and the end-session endpoints
   * discovered so far (RP-initiated logout redirects there right after the form is posted).
   */
  formActionOrigins(): string[] {
    return originsOf([...this.all.map((p) => p.issuer), ...this.discovery.endSessionEndpoints.values()])
  }

  /** Discover (cached) and make sure passport has a strategy built on the current metadata. */
  async strategy(provider: ProviderConfig): Promise<{ name: string; config: client.Configuration }> {
    const config = await this.discovery.get(provider)
    if (this.registered.get(provider.id) !== config) {
      this.passport.use(new AuthdockOidcStrategy(provider, config, this.redirectUri(provider.id), this.verify(provider)))
      this.registered.set(provider.id, config)
    }
    return { name: strategyName(provider.id), config }
  }
}
