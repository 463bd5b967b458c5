/**
 * An Express host with only the audit routers (and the shared error handler) mounted over a real
 * store. "Logging in as admin" is a session flag set by GET /test/admin; the guard admits a
 * session with that flag, so the guard, the session and CSRF are the real ones.
 */
import express from 'express'
import session from 'express-session'
import { createAudit } from '../../src/audit/index.js'
import { createHealthRouter } from '../../src/ops/health.js'
import { errorHandler } from '../../src/http/error-handler.js'
import { csrfToken } from '../../src/http/csrf.js'
import type { AuthdockOptions } from '../../src/config.js'
import { sqliteUrl, TEST_KEYS } from '../fixtures/databases.js'
import { opsContext, type OpsContext } from '../ops/helpers.js'

declare module 'express-session' {
  interface SessionData {
    testAdmin?: boolean
  }
}

export interface AuditApp {
  app: express.Express
  ops: OpsContext
  close(): Promise<void>
}

export async function startAuditApp(options: Partial<AuthdockOptions> = {}): Promise<AuditApp> {
  const ops = await opsContext(await sqliteUrl(), TEST_KEYS, {
    admin: { guard: (req) => req.session?.testAdmin === true },
    ...options,
  })
  const { ctx } = ops
  const app = express()
  app.use(session({ secret: 'audit-test-session-secret', resave: false, saveUninitialized: false }))
  app.use(express.urlencoded({ extended: false }))
  app.get('/test/admin', (req, res) => {
    req.session.testAdmin = true
    res.json({ csrf: csrfToken(req) })
  })
  app.get('/test/csrf', (req, res) => {
    res.json({ csrf: csrfToken(req) })
  })
  const audit = createAudit(ctx)
  app.use(ctx.config.paths.auditApi, audit.apiRouter)
  app.use(ctx.config.paths.audit, audit.adminRouter)
  app.use(ctx.config.paths.health, createHealthRouter(ctx, { discoveryTimeoutMs: 2000 }))
  app.use(errorHandler({ views: ctx.views, logger: ctx.logger, apiPrefix: ctx.config.paths.adminApi }))
  return { app, ops, close: () => ops.close() }
}
