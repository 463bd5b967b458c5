/**
 * The token provider service (`dock.tokens`) and its helpers for mail: SASL strings, nodemailer
 * and imapflow adapters, account-type connection options and the admin's connection test.
 */
import { randomUUID } from 'node:crypto'
import type { TokenContext } from '../context.js'
import { TokenCache } from './provider.js'
import { runKeepAlive } from './keep-alive.js'
import type { TokenProvider } from './types.js'

/**
 * Create the token provider. The keep-alive job does not start by itself: call
 * `startKeepAlive()` (createAuthdock does) so tests and short scripts own their timers.
 *
 * @example
 * const token = await dock.tokens.getAccessToken('Support mailbox')
 */
export function createTokenProvider(ctx: TokenContext): TokenProvider {
  const cache = new TokenCache(ctx)
  const holder = `keep-alive:${randomUUID()}`
  const timers = new Set<NodeJS.Timeout>()
  let running: Promise<unknown> = Promise.resolve()

  const provider: TokenProvider = {
    getAccessToken(key, options) {
      // The hot path: no extra async hop when the cached token is good (see bench/tokens.ts).
      const cached = options?.forceRefresh ? undefined : cache.peek(key)
      return cached ? Promise.resolve(cached.accessToken) : cache.get(key, options).then((t) => t.accessToken)
    },
    getToken: (key, options) => cache.get(key, options),
    invalidate: (profileId) => cache.invalidate(profileId),
    keepAlive: () => runKeepAlive(ctx, cache, holder, ctx.config.tokens.keepAliveIntervalMs),
    startKeepAlive(options = {}) {
      const intervalMs = options.intervalMs ?? ctx.config.tokens.keepAliveIntervalMs
      const timer = setInterval(() => {
        running = runKeepAlive(ctx, cache, holder, intervalMs).catch((err: unknown) =>
          ctx.logger.error({ err: String(err) }, 'authdock: token keep-alive failed'),
        )
      }, intervalMs)
      timer.unref()
      timers.add(timer)
      return () => {
        clearInterval(timer)
        timers.delete(timer)
      }
    },
    async close() {
      for (const timer of timers) clearInterval(timer)
      timers.clear()
      await running
      cache.clear()
    },
  }
  return provider
}

export type { TokenProvider, GetAccessTokenOptions, AccessToken, KeepAliveReport } from './types.js'
export { storedErrorHint } from './failure.js'
