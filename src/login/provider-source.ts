/**
 * The admin-managed login providers as the login reads them: the store's version counter and its
 * active providers (with their secrets and client authentication method), turned into the same
 * ProviderConfig the `oidc` option gives. Also the event names after which this instance looks again at once.
 */
import type { DockContext } from '../context.js'
import { errorLogFields } from '../ops/log-fields.js'
import { toProviderConfig } from './provider-schema.js'
import type { ProviderSource } from './providers.js'

/**
 * Emitted by the LoginProviderService after every change, and by the CredentialService when an
 * owner's method changes (see README "Events").
 */
export const LOGIN_PROVIDER_EVENTS = [
  'loginProvider.created',
  'loginProvider.updated',
  'loginProvider.deleted',
  'client_auth.changed',
] as const

export function storeProviderSource(ctx: Pick<DockContext, 'store' | 'logger'>): ProviderSource {
  return {
    version: () => ctx.store.loginProviders.version(),
    async load() {
      const out = []
      for (const record of await ctx.store.loginProviders.activeWithSecrets()) {
        try {
          // A change of method moves the provider's version too (credentials repo), so it is read here.
          const method = await ctx.store.credentials.method({ kind: 'login-provider', id: record.id })
          out.push({ config: toProviderConfig(record, method), version: record.version })
        } catch (err) {
          // Saved under older rules, say: the others must still work.
          ctx.logger.warn(
            { providerId: record.id, ...errorLogFields(err) },
            'authdock: a stored login provider is not valid and is skipped',
          )
        }
      }
      return out
    },
  }
}
