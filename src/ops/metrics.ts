/**
 * Optional Prometheus metrics. Only when the host passes `metrics: { registry }` (a prom-client
 * Registry); prom-client is then loaded from the host's installation (an optional peer dependency),
 * so hosts without metrics never load it.
 *
 * | metric                                   | type    | labels              |
 * |------------------------------------------|---------|---------------------|
 * | authdock_logins_total                    | counter | result, reason, method |
 * | authdock_token_refreshes_total           | counter | profile             |
 * | authdock_token_failures_total            | counter | profile, code       |
 * | authdock_access_token_expiry_seconds     | gauge   | profile             |
 * | authdock_secret_expiry_seconds           | gauge   | kind, id, credential, certificate, state |
 *
 * Counters follow the events ('login.succeeded', 'login.failed', 'token.refreshed',
 * 'token.failed'); gauges are computed from the store when scraped (negative when expired). The
 * expiry gauge has one series per client secret with a known expiry (`credential="secret"`,
 * `certificate=""`, `state="active"`) and per certificate (`credential="certificate"`, its SHA-1
 * thumbprint, `state` `active` or `waiting`); `kind` and `id` name the owner either way.
 */
import type { AuthdockEvents } from '../events.js'
import type { Registry } from 'prom-client'
import type { DockContext } from '../context.js'
import { certificateExpiries } from '../credentials/expiry.js'
import { expiringSecrets } from './secret-expiry.js'

export interface Metrics {
  /** Stop listening and remove authdock's metrics from the registry. */
  stop(): void
}

export const METRIC_NAMES = [
  'authdock_logins_total',
  'authdock_token_refreshes_total',
  'authdock_token_failures_total',
  'authdock_access_token_expiry_seconds',
  'authdock_secret_expiry_seconds',
] as const

const label = (v: unknown): string => (typeof v === 'string' && v ? v.slice(0, 100) : 'unknown')

/** Register authdock's metrics in the host's registry; null when no registry was configured. */
export async function startMetrics(ctx: DockContext): Promise<Metrics | null> {
  // Typed as a plain object in the config so our published types do not need prom-client.
  const registry = ctx.config.metrics.registry as Registry | undefined
  if (!registry) return null
  const prom = await import('prom-client')
  const registers = [registry]

  const logins = new prom.Counter({
    name: 'authdock_logins_total',
    help: 'Login attempts by result and reason',
    labelNames: ['result', 'reason', 'method'],
    registers,
  })
  const refreshes = new prom.Counter({
    name: 'authdock_token_refreshes_total',
    help: 'Access tokens fetched from the provider, per profile',
    labelNames: ['profile'],
    registers,
  })
  const failures = new prom.Counter({
    name: 'authdock_token_failures_total',
    help: 'Failed token requests, per profile and error code',
    labelNames: ['profile', 'code'],
    registers,
  })

  new prom.Gauge({
    name: 'authdock_access_token_expiry_seconds',
    help: 'Seconds until the stored access token of each profile expires (negative: expired)',
    labelNames: ['profile'],
    registers,
    async collect() {
      this.reset()
      for (const s of await ctx.store.tokens.summaries()) {
        if (s.accessTokenExpiresAt)
          this.set({ profile: s.profileId }, Math.round((s.accessTokenExpiresAt.getTime() - ctx.now()) / 1000))
      }
    },
  })
  new prom.Gauge({
    name: 'authdock_secret_expiry_seconds',
    help: 'Seconds until each client secret with a known expiry date and each certificate expires (negative: expired)',
    labelNames: ['kind', 'id', 'credential', 'certificate', 'state'],
    registers,
    async collect() {
      this.reset()
      const [secrets, certificates] = await Promise.all([expiringSecrets(ctx), certificateExpiries(ctx)])
      const seconds = (at: Date) => Math.round((at.getTime() - ctx.now()) / 1000)
      for (const s of secrets)
        this.set(
          { kind: s.kind, id: s.id, credential: 'secret', certificate: '', state: 'active' },
          seconds(s.expiresAt),
        )
      for (const c of certificates)
        this.set(
          { kind: c.kind, id: c.id, credential: 'certificate', certificate: c.thumbprint, state: c.state },
          seconds(c.expiresAt),
        )
    },
  })

  const onSucceeded = (e: AuthdockEvents['login.succeeded']) =>
    logins.inc({ result: 'succeeded', reason: 'none', method: label(e.method) })
  const onFailed = (e: AuthdockEvents['login.failed']) =>
    logins.inc({ result: 'failed', reason: label(e.reason), method: label(e.method) })
  const onRefreshed = (e: AuthdockEvents['token.refreshed']) => refreshes.inc({ profile: label(e.profileId) })
  const onTokenFailed = (e: AuthdockEvents['token.failed']) =>
    failures.inc({ profile: label(e.profileId), code: label(e.code) })
  ctx.events.on('login.succeeded', onSucceeded)
  ctx.events.on('login.failed', onFailed)
  ctx.events.on('token.refreshed', onRefreshed)
  ctx.events.on('token.failed', onTokenFailed)

  return {
    stop() {
      ctx.events.off('login.succeeded', onSucceeded)
      ctx.events.off('login.failed', onFailed)
      ctx.events.off('token.refreshed', onRefreshed)
      ctx.events.off('token.failed', onTokenFailed)
      for (const name of METRIC_NAMES) registry.removeSingleMetric(name)
    },
  }
}
