/**
 * Health: `GET <paths.health>` answers 200 when the store answers (503 otherwise), and
 * `GET <paths.health>/ready` gives a readiness report: whether the store answers, whether each
 * login provider's discovery document answers, and the token state of the profiles that need
 * attention. No secrets: token presence, expiry times and error codes only.
 *
 * The detail still maps the installation (profile names, which secret expires when, which
 * provider fails how), so only callers the admin guard admits get it (`health.detail: 'admin'`);
 * everyone else, a load balancer included, gets the status and one boolean per component.
 * Discovery probes are shared for `health.probeCacheMs`: anonymous requests cannot make the
 * server hammer its providers.
 *
 * The HTTP status of the report is 503 only when the store or the session store (Redis) does not
 * answer. A provider that is
 * down or a profile that needs re-authorization makes the report `degraded` (200): this instance
 * still serves, and taking it out of a load balancer would not help.
 */
import type { RequestHandler, Router } from 'express'
import type { DockContext } from '../context.js'
import { providerFetch } from '../oauth/fetch.js'
import { healthRouter } from './health-router.js'
import type { TokenStatus } from '../store/types.js'

export interface ProviderReadiness {
  id: string
  /** True when the discovery document answered with this issuer in time. */
  discovery: boolean
  /** Why not, when `discovery` is false: 'timeout', 'http_<status>', 'issuer_mismatch', 'unreachable'. */
  error?: string
}

export interface ProfileReadiness {
  id: string
  name: string
  valid: boolean
  /** 'none' when the profile was never authorized (no token record). */
  status: TokenStatus | 'none'
  hasAccessToken: boolean
  hasRefreshToken: boolean
  accessTokenExpiresAt: string | null
  lastErrorCode: string | null
  secretExpiresAt: string | null
}

/**
 * The readiness detail (`GET /healthz/ready` for callers the `health.detail` setting admits): store,
 * sessions, each provider's discovery, how many profiles there are and the token state of those that
 * need attention (at most {@link READINESS_PROFILES_LISTED}, by name), no secrets. Its cost does not
 * grow with the number of profiles: a ticket system with thousands of mailboxes polls it too.
 *
 * @example
 * const report: ReadinessReport = await (await fetch(`${base}/healthz/ready`, { headers: { cookie: adminSession } })).json()
 */
export interface ReadinessReport {
  status: 'ok' | 'degraded' | 'unavailable'
  store: boolean
  /** Where sessions live and whether that answers: without it no one stays logged in. */
  sessions: { kind: 'store' | 'redis'; ready: boolean }
  providers: ProviderReadiness[]
  /** Valid profiles whose tokens need attention (not `ok`), by name, at most {@link READINESS_PROFILES_LISTED}. */
  profiles: ProfileReadiness[]
  /** How many profiles exist, and how many valid ones need attention (all of them, listed or not). */
  profileCounts: { total: number; needingAttention: number }
}

/** The most profiles the readiness detail lists; the overview's state filter shows the rest. */
export const READINESS_PROFILES_LISTED = 50

/**
 * What callers outside `health.detail` see: whether each component works, nothing configured.
 *
 * @example
 * const { status, store, sessions } = (await (await fetch(`${base}/healthz/ready`)).json()) as ReadinessSummary
 */
export interface ReadinessSummary {
  status: ReadinessReport['status']
  store: boolean
  sessions: boolean
  /** Every provider's discovery answers. */
  providers: boolean
  /** No valid profile needs attention. */
  profiles: boolean
}

export interface ReadinessDeps {
  /** Timeout of each discovery request (default 3 s). */
  discoveryTimeoutMs?: number
  /**
   * Middleware that sets `req.user` (session, passport) before the admin guard decides on the
   * detail; the health routes are mounted before the session, so that probes need none.
   */
  identify?: RequestHandler[]
  /** Probes a provider's discovery (default: a fresh request each time). */
  probe?: DiscoveryProbe
}

type ProbeResult = Omit<ProviderReadiness, 'id'>
export type DiscoveryProbe = (issuer: string) => Promise<ProbeResult>

async function probeDiscovery(ctx: DockContext, issuer: string, timeoutMs: number): Promise<ProbeResult> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`
  try {
    // The way a login would go: through `tokens.proxy` when there is one.
    const get = providerFetch({ fetch: ctx.fetch, timeoutMs, proxy: ctx.config.tokens.proxy ?? null })
    const res = await get(url, { headers: { accept: 'application/json' }, redirect: 'error' } as never)
    if (!res.ok) {
      await res.body?.cancel()
      return { discovery: false, error: `http_${res.status}` }
    }
    const doc = (await res.json()) as { issuer?: unknown }
    return doc.issuer === issuer ? { discovery: true } : { discovery: false, error: 'issuer_mismatch' }
  } catch (err) {
    const name = (err as { name?: string }).name
    return { discovery: false, error: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'unreachable' }
  }
}

/**
 * A discovery probe whose answer serves every caller for `cacheMs` after it arrived; callers
 * during a probe share it. Failures are kept as long: a provider that is down must not be asked
 * (and waited for) once per request either.
 */
export function cachedDiscoveryProbe(ctx: DockContext, timeoutMs: number, cacheMs: number): DiscoveryProbe {
  const cache = new Map<string, { until: number; result: Promise<ProbeResult> }>()
  return (issuer) => {
    const hit = cache.get(issuer)
    if (hit && hit.until > ctx.now()) return hit.result
    const entry = { until: Infinity, result: probeDiscovery(ctx, issuer, timeoutMs) }
    cache.set(issuer, entry)
    void entry.result.then(() => {
      entry.until = ctx.now() + cacheMs
    })
    return entry.result
  }
}

/** Build the readiness report (providers are probed in parallel). */
export async function readinessReport(ctx: DockContext, deps: ReadinessDeps = {}): Promise<ReadinessReport> {
  const timeoutMs = deps.discoveryTimeoutMs ?? 3000
  const probe = deps.probe ?? ((issuer: string) => probeDiscovery(ctx, issuer, timeoutMs))
  // The active providers managed in the admin count as much as those of the options; a store that
  // does not answer shows below as `store: false`.
  const managed = ctx.store.loginProviders.list().then(
    (list) => list.filter((p) => p.active),
    () => [],
  )
  const providersPromise = managed.then((stored) =>
    Promise.all([...ctx.config.oidc, ...stored].map(async (p) => ({ id: p.id, ...(await probe(p.issuer)) }))),
  )
  let store = true
  let profiles: ProfileReadiness[] = []
  const profileCounts = { total: 0, needingAttention: 0 }
  try {
    await ctx.store.ping()
    // Two bounded queries, counted and cut in the database, instead of every profile's state.
    const [all, attention] = await Promise.all([
      ctx.store.profiles.page({ pageSize: 1 }),
      ctx.store.profiles.page({ needsAttention: true, pageSize: READINESS_PROFILES_LISTED }),
    ])
    profileCounts.total = all.total
    profileCounts.needingAttention = attention.total
    profiles = attention.rows.map(({ profile: p, token: s }) => ({
      id: p.id,
      name: p.name,
      valid: p.valid,
      status: s?.status ?? 'none',
      hasAccessToken: s?.hasAccessToken ?? false,
      hasRefreshToken: s?.hasRefreshToken ?? false,
      accessTokenExpiresAt: s?.accessTokenExpiresAt?.toISOString() ?? null,
      lastErrorCode: s?.lastErrorCode ?? null,
      secretExpiresAt: p.secretExpiresAt?.toISOString() ?? null,
    }))
  } catch {
    store = false
  }
  const providers = await providersPromise
  // node-redis's own flag: false while it reconnects (the same test the session middleware makes).
  const redis = ctx.config.session.redis as { isReady?: boolean } | undefined
  const sessions = redis
    ? { kind: 'redis' as const, ready: redis.isReady !== false }
    : { kind: 'store' as const, ready: store }
  const healthy = providers.every((p) => p.discovery) && profileCounts.needingAttention === 0
  const status = !store || !sessions.ready ? 'unavailable' : healthy ? 'ok' : 'degraded'
  return { status, store, sessions, providers, profiles, profileCounts }
}

/**
 * The summary straight from the store: a count in SQL instead of every profile's state, so the
 * answer to an anonymous probe (a load balancer, every few seconds) does not grow with the profiles.
 */
export async function readinessSummaryOf(ctx: DockContext, probe: DiscoveryProbe): Promise<ReadinessSummary> {
  const providersPromise = Promise.all(ctx.config.oidc.map((p) => probe(p.issuer)))
  let store = true
  let needingAttention = 0
  try {
    await ctx.store.ping()
    needingAttention = await ctx.store.profiles.countNeedingAttention()
  } catch {
    store = false
  }
  const providers = (await providersPromise).every((p) => p.discovery)
  const redis = ctx.config.session.redis as { isReady?: boolean } | undefined
  const sessions = redis ? redis.isReady !== false : store
  const status = !store || !sessions ? 'unavailable' : providers && needingAttention === 0 ? 'ok' : 'degraded'
  return { status, store, sessions, providers, profiles: needingAttention === 0 }
}

/** The report without anything that names or dates what is configured. */
export function readinessSummary(report: ReadinessReport): ReadinessSummary {
  return {
    status: report.status,
    store: report.store,
    sessions: report.sessions.ready,
    providers: report.providers.every((p) => p.discovery),
    profiles: report.profileCounts.needingAttention === 0,
  }
}

/**
 * What the health router asks: whether the store answers, the full report and the summary. Built
 * once per dock; discovery probes are shared for `health.probeCacheMs`.
 */
export function healthChecks(ctx: DockContext, deps: ReadinessDeps = {}): HealthChecks {
  const probe = deps.probe ?? cachedDiscoveryProbe(ctx, deps.discoveryTimeoutMs ?? 3000, ctx.config.health.probeCacheMs)
  return {
    alive: () => ctx.store.ping(),
    report: () => readinessReport(ctx, { ...deps, probe }),
    summary: () => readinessSummaryOf(ctx, probe),
    identify: deps.identify ?? [],
  }
}

export interface HealthChecks {
  /** Resolves when the store answers. */
  alive(): Promise<void>
  report(): Promise<ReadinessReport>
  summary(): Promise<ReadinessSummary>
  /** Middleware that sets `req.user` (session, passport) before the admin guard decides on the detail. */
  identify: RequestHandler[]
}

/**
 * `GET /` (liveness: the store answers) and `GET /ready` (the report). Mount at `paths.health`.
 */
export function createHealthRouter(ctx: DockContext, deps: ReadinessDeps = {}): Router {
  return healthRouter(ctx, healthChecks(ctx, deps))
}
