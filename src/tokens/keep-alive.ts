/**
 * Keep-alive: some providers expire refresh tokens that go unused (Entra after 90 days of
 * inactivity, AADSTS700082). A mailbox that receives nothing for months would lose its
 * authorization, so refresh tokens unused for `tokens.keepAliveAfterMs` are refreshed. A store
 * lease makes one instance do it per interval; the lease is kept until it runs out so the other
 * instances skip this round.
 */
import type { TokenContext } from '../context.js'
import { isAuthdockError } from '../errors.js'
import type { KeepAliveReport } from './types.js'
import type { TokenCache } from './provider.js'

export const KEEP_ALIVE_LEASE = 'authdock.tokens.keep-alive'

export async function runKeepAlive(ctx: TokenContext, cache: TokenCache, holder: string, leaseMs: number): Promise<KeepAliveReport> {
  if (!(await ctx.store.leases.acquire(KEEP_ALIVE_LEASE, holder, leaseMs))) return { ran: false, refreshed: [], failed: [] }
  const report: KeepAliveReport = { ran: true, refreshed: [], failed: [] }
  const now = ctx.now()
  const summaries = new Map((await ctx.store.tokens.summaries()).map((s) => [s.profileId, s]))
  for (const profile of await ctx.store.profiles.list()) {
    const summary = summaries.get(profile.id)
    if (profile.grantType !== 'authorization_code' || !profile.valid || !summary?.hasRefreshToken) continue
    // A person has to act first; asking the provider again would only repeat the failure.
    if (summary.status === 'reauthorization_required' || summary.status === 'secret_expired') continue
    const lastUse = summary.refreshTokenUsedAt ?? summary.lastRefreshAt ?? summary.authorizedAt
    if (lastUse && now - lastUse.getTime() < ctx.config.tokens.keepAliveAfterMs) continue
    try {
      await cache.get(profile.id, { forceRefresh: true })
      report.refreshed.push(profile.id)
    } catch (err) {
      report.failed.push({ profileId: profile.id, code: isAuthdockError(err) ? err.code : 'INTERNAL' })
    }
  }
  return report
}
