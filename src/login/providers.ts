/**
 * The OpenID Connect providers as the login sees them: those of the `oidc` option (fixed) and the
 * active ones managed in the admin (read from the store), their callback paths and redirect URIs,
 * and their passport strategies, registered on the host's Passport instance once discovery has
 * succeeded (lazily: a provider that is down at start must not stop the host).
 *
 * Admin-managed providers are live on every instance: {@link Providers.sync} asks the store for its
 * provider version at most once per `loginProviders.refreshMs` and reloads the list when it moved.
 * A provider whose settings changed becomes a new object, so its discovery and its strategy are
 * built again on next use (a new client secret is used by the next login); an unchanged one keeps
 * its object and its cached metadata.
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
import { callbackPathOf } from './provider-schema.js'

/** Where admin-managed providers come from (the store, in production). */
export interface ProviderSource {
  /** Changes whenever a provider is created, changed or removed. */
  version(): Promise<number>
  /** The active providers with their secrets; `version` is the provider's own write counter. */
  load(): Promise<Array<{ config: ProviderConfig; version: number }>>
}

export class Providers {
  readonly discovery: DiscoveryCache
  /** The providers of the `oidc` option, in their order. */
  readonly fromOptions: readonly ProviderConfig[]
  private current: readonly ProviderConfig[]
  private stored = new Map<string, { config: ProviderConfig; version: number }>()
  private seenVersion: number | null = null
  /** ctx.now() of the last version check; null forces a check. */
  private checkedAt: number | null = null
  private pending: { generation: number; done: Promise<void> } | null = null
  /** Counts local changes ({@link invalidate}), so a read begun before one is not trusted after it. */
  private generation = 0
  private lastError: string | null = null
  private readonly registered = new Map<string, { config: client.Configuration; provider: ProviderConfig }>()

  constructor(
    private readonly ctx: DockContext,
    private readonly passport: PassportInstance,
    private readonly verify: (provider: ProviderConfig) => VerifyFunctionWithRequest,
    private readonly source?: ProviderSource,
  ) {
    this.fromOptions = ctx.config.oidc
    this.current = this.fromOptions
    this.discovery = new DiscoveryCache(ctx)
  }

  /** Every known provider: the options' first, then the admin's (active ones only). */
  get all(): readonly ProviderConfig[] {
    return this.current
  }

  get active(): ProviderConfig[] {
    return this.current.filter((p) => p.active)
  }

  /**
   * With one provider in the options its callback is `<auth>/callback` (the documented route); with
   * several, one per provider. Admin-managed providers always have their own, so adding one never
   * moves the redirect URI registered for the options' provider.
   */
  callbackPath(providerId: string): string {
    return callbackPathOf(providerId, this.fromOptions.length)
  }

  redirectUri(providerId: string): string {
    return `${this.ctx.config.baseUrl}${this.ctx.config.paths.auth}${this.callbackPath(providerId)}`
  }

  find(id: string | undefined): ProviderConfig | undefined {
    return this.current.find((p) => p.id === id)
  }

  /** An active provider by id, or LOGIN_PROVIDER_UNKNOWN. */
  require(id: string | undefined): ProviderConfig {
    const provider = this.find(id)
    if (!provider || !provider.active)
      throw new AuthdockError('LOGIN_PROVIDER_UNKNOWN', 'There is no such login provider')
    return provider
  }

  /**
   * Bring the admin-managed providers up to date when `loginProviders.refreshMs` has passed since
   * the last look. Never rejects: a store that does not answer leaves the list as it was.
   */
  sync(): Promise<void> {
    const source = this.source
    if (!source) return Promise.resolve()
    const now = this.ctx.now()
    const { refreshMs } = this.ctx.config.loginProviders
    if (this.checkedAt !== null && now >= this.checkedAt && now - this.checkedAt < refreshMs) return Promise.resolve()
    // Join a read under way, unless a change was made here after it began: then read again after it.
    if (this.pending && this.pending.generation === this.generation) return this.pending.done
    const generation = this.generation
    const done = (this.pending?.done ?? Promise.resolve()).then(() => this.reload(source, generation))
    const entry = { generation, done }
    this.pending = entry
    void done.finally(() => {
      if (this.pending === entry) this.pending = null
    })
    return done
  }

  /** Look at the store on the next {@link sync} (after a change made on this instance). */
  invalidate(): void {
    this.generation++
    this.checkedAt = null
  }

  private async reload(source: ProviderSource, generation: number): Promise<void> {
    const at = this.ctx.now()
    try {
      const version = await source.version()
      if (version !== this.seenVersion) {
        this.apply(await source.load())
        this.seenVersion = version
      }
      this.lastError = null
    } catch (err) {
      // Once per distinct failure, not once per request every refreshMs.
      const message = String(err)
      if (message !== this.lastError)
        this.ctx.logger.warn(
          { err: message },
          'authdock: could not read the login providers; keeping the last known list',
        )
      this.lastError = message
    }
    // A change made here meanwhile may not be in what was read: look again next time.
    this.checkedAt = generation === this.generation ? at : null
  }

  private apply(loaded: Array<{ config: ProviderConfig; version: number }>): void {
    const next = new Map<string, { config: ProviderConfig; version: number }>()
    const optionIds = new Set(this.fromOptions.map((p) => p.id))
    for (const entry of loaded) {
      if (optionIds.has(entry.config.id)) continue
      const known = this.stored.get(entry.config.id)
      // Same version: keep the object, and with it the cached discovery and strategy.
      next.set(entry.config.id, known && known.version === entry.version ? known : entry)
    }
    for (const id of this.stored.keys()) {
      if (next.has(id)) continue
      this.discovery.forget(id)
      this.registered.delete(id)
      this.passport.unuse(strategyName(id))
    }
    this.stored = next
    this.current = [...this.fromOptions, ...[...next.values()].map((e) => e.config)]
  }

  /**
   * Where a login or logout form may lead: the issuers' origins and the end-session endpoints
   * discovered so far (RP-initiated logout redirects there right after the form is posted).
   */
  formActionOrigins(): string[] {
    return originsOf([...this.all.map((p) => p.issuer), ...this.discovery.endSessionEndpoints.values()])
  }

  /** Discover (cached) and make sure passport has a strategy built on the current metadata and settings. */
  async strategy(provider: ProviderConfig): Promise<{ name: string; config: client.Configuration }> {
    const config = await this.discovery.get(provider)
    const registered = this.registered.get(provider.id)
    if (registered?.config !== config || registered.provider !== provider) {
      this.passport.use(
        new AuthdockOidcStrategy(provider, config, this.redirectUri(provider.id), this.verify(provider)),
      )
      this.registered.set(provider.id, { config, provider })
    }
    return { name: strategyName(provider.id), config }
  }
}
