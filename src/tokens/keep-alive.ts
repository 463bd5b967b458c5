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

/** Renew the lease after this many refreshes, so a long pass keeps it and no other instance starts one. */
const RENEW_EVERY = 50

const sleep = (ms: number) =>
  ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve()

/**
 * One pass: at most `tokens.keepAliveConcurrency` refreshes at once, each after a random wait of up
 * to `tokens.keepAliveJitterMs` (less when the due profiles would not fit in half of `leaseMs`), so
 * thousands of mailboxes become a steady trickle at the provider, not a burst.
 */
export async function runKeepAlive(
  ctx: TokenContext,
  cache: TokenCache,
  holder: string,
  leaseMs: number,
): Promise<KeepAliveReport> {
  if (!(await ctx.store.leases.acquire(KEEP_ALIVE_LEASE, holder, leaseMs)))
    return { ran: false, refreshed: [], failed: [] }
  const report: KeepAliveReport = { ran: true, refreshed: [], failed: [] }
  const now = ctx.now()
  const summaries = new Map((await ctx.store.tokens.summaries()).map((s) => [s.profileId, s]))
  const due: string[] = []
  for (const profile of await ctx.store.profiles.list()) {
    const summary = summaries.get(profile.id)
    if (profile.grantType !== 'authorization_code' || !profile.valid || !summary?.hasRefreshToken) continue
    // A person has to act first; asking the provider again would only repeat the failure.
    if (summary.status === 'reauthorization_required' || summary.status === 'secret_expired') continue
    const lastUse = summary.refreshTokenUsedAt ?? summary.lastRefreshAt ?? summary.authorizedAt
    if (lastUse && now - lastUse.getTime() < ctx.config.tokens.keepAliveAfterMs) continue
    due.push(profile.id)
  }
  const { keepAliveConcurrency: concurrency, keepAliveJitterMs } = ctx.config.tokens
  const jitterMs = due.length ? Math.min(keepAliveJitterMs, Math.floor(((leaseMs / 2) * concurrency) / due.length)) : 0
  let next = 0
  let done = 0
  const worker = async () => {
    while (next < due.length) {
      const profileId = due[next++]
      await sleep(Math.floor(Math.random() * jitterMs))
      try {
        await cache.get(profileId, { forceRefresh: true })
        report.refreshed.push(profileId)
      } catch (err) {
        report.failed.push({ profileId, code: isAuthdockError(err) ? err.code : 'INTERNAL' })
      }
      if (++done % RENEW_EVERY === 0)
        await ctx.store.leases.acquire(KEEP_ALIVE_LEASE, holder, leaseMs).catch(() => false)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker))
  // The report lists profiles in overview order, whichever worker finished first.
  const order = new Map(due.map((id, i) => [id, i]))
  report.refreshed.sort((a, b) => order.get(a)! - order.get(b)!)
  report.failed.sort((a, b) => order.get(a.profileId)! - order.get(b.profileId)!)
  return report
}
