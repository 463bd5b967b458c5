/**
 * The token provider for a process without a web server: a ticket system's mail daemon reads and
 * sends mail apart from its web process. It needs the database and the keys, nothing of the login
 * (no session secret, no users callbacks, no routes, views or passport), and it must refresh a
 * token once across itself and the web instances: it uses the same store, so the same refresh lock.
 */
import { createEventEmitter, type AuthdockEventEmitter } from '../events.js'
import { resolveTokenWorkerConfig, type TokenWorkerOptions } from '../config.js'
import { openStore } from '../store/index.js'
import { createTokenProvider } from './index.js'
import type { TokenProvider } from './types.js'

/**
 * A token provider that owns its store.
 *
 * @example
 * const tokens: TokenWorker = await openTokenProvider({ database, encryptionKey })
 * tokens.events.on('token.failed', ({ profileId, code }) => alert(profileId, code))
 * await tokens.close()
 */
export interface TokenWorker extends TokenProvider {
  /** `token.refreshed`, `token.failed`, `profile.reauthorization_required` (README "Events"). */
  readonly events: AuthdockEventEmitter
  /** Stops the keep-alive, drops the cache and closes the store this worker opened. Safe to call twice. */
  close(): Promise<void>
}

/**
 * Open a token provider with the database and the encryption key alone, for a mail worker beside
 * the web instances. Refreshes are single-flight across all processes on the same database (use
 * PostgreSQL for several machines). The keep-alive runs only with `keepAlive: true`: the web
 * instances already run it, once across instances.
 *
 * Throws `AuthdockError('CONFIG_INVALID')` naming a bad option (e.g. a missing `encryptionKey`).
 *
 * @example
 * import { openTokenProvider, imapflowAuth } from 'authdock/tokens'
 * const tokens = await openTokenProvider({ database: process.env.AUTHDOCK_DATABASE, encryptionKey: process.env.AUTHDOCK_KEY })
 * const imap = new ImapFlow({ host, port: 993, secure: true, auth: await imapflowAuth(tokens, 'Support mailbox', user) })
 * // on shutdown
 * await tokens.close()
 */
export async function openTokenProvider(options: TokenWorkerOptions): Promise<TokenWorker> {
  const config = resolveTokenWorkerConfig(options)
  const store = await openStore(config.database, { encryptionKeys: config.encryptionKey, now: config.now })
  const events = createEventEmitter()
  // An 'error' event without a listener would crash the worker; the logger sees it instead.
  events.on('error', (err: unknown) => config.logger.error({ err: String(err) }, 'authdock event error'))
  const tokens = createTokenProvider({
    config,
    store,
    now: config.now,
    fetch: config.fetch ?? globalThis.fetch,
    logger: config.logger,
    events,
  })
  const stopKeepAlive = config.keepAlive ? tokens.startKeepAlive() : undefined
  let closing: Promise<void> | undefined
  return {
    ...tokens,
    events,
    close: () =>
      (closing ??= (async () => {
        stopKeepAlive?.()
        await tokens.close()
        await store.close()
      })()),
  }
}
