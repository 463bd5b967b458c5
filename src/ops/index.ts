/**
 * Operations in one call for createAuthdock: the secret-expiry banner on admin pages, the daily
 * check (secret expiry + audit pruning, once a day across instances), the audit routers, the health
 * routers and, when configured, Prometheus metrics.
 */
import type { Router } from 'express'
import type { DockContext } from '../context.js'
import { expiryBannerSource } from './expiry-banner.js'
import { startOperations, type Operations, type OperationsOptions } from './scheduler.js'
import { createAudit, type AuditModule } from '../audit/index.js'
import { createHealthRouter, type ReadinessDeps } from './health.js'
import { startMetrics } from './metrics.js'

export interface OperationsModule extends Pick<Operations, 'runDailyCheck'> {
  /** The audit trail's reader and its routers: mount at `paths.audit` / `paths.auditApi`. */
  audit: AuditModule
  /** Mount at `paths.health`: GET / (liveness) and GET /ready (report). */
  healthRouter: Router
  /** Stop the timer, wait for a running check, stop metrics. Call before the store closes. */
  close(): Promise<void>
}

export async function createOperations(
  ctx: DockContext,
  options: OperationsOptions & ReadinessDeps = {},
): Promise<OperationsModule> {
  ctx.views.addBannerSource(expiryBannerSource(ctx))
  const metrics = await startMetrics(ctx)
  const ops = startOperations(ctx, options)
  return {
    runDailyCheck: ops.runDailyCheck,
    audit: createAudit(ctx),
    healthRouter: createHealthRouter(ctx, options),
    async close() {
      await ops.stop()
      metrics?.stop()
    },
  }
}

export { startOperations, type Operations, type OperationsOptions, type DailyCheckResult } from './scheduler.js'
export { checkSecrets, evaluateSecrets, exitCodeFor, type SecretFinding } from './secret-expiry.js'
export { redactSecrets } from '../audit/redact.js'
export { readinessReport, type ReadinessReport } from './health.js'
export type { ReadinessSummary } from './health.js'
