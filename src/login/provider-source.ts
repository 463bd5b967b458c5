/**
 * The admin-managed login providers as the login reads them: the store's version counter and its
 * active providers (with their secrets), turned into the same ProviderConfig the `oidc` option
 * gives. Also the event names after which this instance looks again at once.
 */
import type { DockContext } from '../context.js'
import { errorLogFields } from '../ops/log-fields.js'
import { toProviderConfig } from './provider-schema.js'
import type { ProviderSource } from './providers.js'

/** Emitted by the LoginProviderService after every change (see README "Events"). */
export const LOGIN_PROVIDER_EVENTS = [
  'loginProvider.created',
  'loginProvider.updated',
  'loginProvider.deleted',
] as const

export function storeProviderSource(ctx: Pick<DockContext, 'store' | 'logger'>): ProviderSource {
  return {
    version: () => ctx.store.loginProviders.version(),
    async load() {
      const out = []
      for (const record of await ctx.store.loginProviders.activeWithSecrets()) {
        try {
          out.push({ config: toProviderConfig(record), version: record.version })
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
