/**
 * The audit trail for administrators: an HTML page (newest first, filter by profile and kind,
 * paging by `beforeId`), a CSV export at `<paths.audit>/export.csv`, and the same list as JSON at
 * `paths.auditApi`. Read-only; guarded like the profiles admin (403 FORBIDDEN unless
 * `admin.guard` admits). Secrets never reach it: entries are redacted when written and once more
 * when shown.
 */
import express, { type ErrorRequestHandler, type Router } from 'express'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { verifyCsrf } from '../http/csrf.js'
import { handler } from '../http/handler.js'
import { requireAdmin } from '../http/admin-guard.js'
import { CSV_HEADER, auditCsvRows, auditPage, parseAuditFilter } from './query.js'
import { writeCsv } from '../http/csv.js'

/** Up to this many profiles, the filter offers each in a select. */
const PROFILE_CHOICES = 200

export interface AuditRouters {
  /** HTML page and CSV export; mount at `paths.audit`. */
  adminRouter: Router
  /** JSON; mount at `paths.auditApi`. */
  apiRouter: Router
}

// Nothing here changes state; anything but GET/HEAD is refused after the CSRF check, so a forged
// request learns nothing and a real one gets a clear answer.
const noOtherRoutes: express.RequestHandler = (req, _res, next) =>
  next(new AuthdockError('NOT_FOUND', `No audit route ${req.method} ${req.path}`))

/** Errors of the JSON API as JSON, whatever the Accept header says. */
const jsonErrors: ErrorRequestHandler = (err, _req, res, next) => {
  if (!(err instanceof AuthdockError) || res.headersSent) return next(err)
  res.status(err.status).json(err.toJSON())
}

/** Build the audit routers; the host (or createAuthdock) mounts them at the configured paths. */
export function createAuditRouters(ctx: DockContext): AuditRouters {
  const { store, views, config } = ctx

  const adminRouter = express.Router()
  adminRouter.use(requireAdmin(config))
  adminRouter.use(verifyCsrf)
  adminRouter.get(
    '/',
    handler(async (req, res) => {
      const filter = parseAuditFilter(req.query as Record<string, unknown>)
      // A select of every profile would grow with them: past PROFILE_CHOICES it offers the selected one only.
      const [page, choices] = await Promise.all([
        auditPage(store, filter),
        store.profiles.page({ pageSize: PROFILE_CHOICES }),
      ])
      const profiles = choices.total <= PROFILE_CHOICES ? choices.rows.map((r) => r.profile) : []
      if (filter.profileId && !profiles.some((p) => p.id === filter.profileId)) {
        const selected = await store.profiles.get(filter.profileId)
        if (selected) profiles.unshift(selected)
      }
      const query = (extra: Record<string, string | number | undefined>) => {
        const q = new URLSearchParams()
        for (const [k, v] of Object.entries({ profile: filter.profileId, kind: filter.kind, ...extra }))
          if (v !== undefined && v !== '') q.set(k, String(v))
        const s = q.toString()
        return s ? `?${s}` : ''
      }
      await views.render(
        req,
        res,
        'ops/audit',
        {
          title: views.translator(req)('ops.audit.title'),
          entries: page.entries,
          profiles: profiles.map((p) => ({ id: p.id, name: p.name })),
          filter,
          olderHref: page.nextBeforeId ? `${config.paths.audit}${query({ beforeId: page.nextBeforeId })}` : null,
          newestHref: filter.beforeId ? `${config.paths.audit}${query({})}` : null,
          csvHref: `${config.paths.audit}/export.csv${query({})}`,
        },
        { banners: true },
      )
    }),
  )
  adminRouter.get(
    '/export.csv',
    handler(async (req, res) => {
      const { limit: _limit, ...filter } = parseAuditFilter(req.query as Record<string, unknown>)
      const day = new Date(ctx.now()).toISOString().slice(0, 10)
      res
        .status(200)
        .set('Content-Type', 'text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="authdock-audit-${day}.csv"`)
        .set('Cache-Control', 'no-store')
        .set('X-Content-Type-Options', 'nosniff')
      // Streamed in batches with backpressure: memory does not grow with the trail.
      await writeCsv(res, CSV_HEADER, auditCsvRows(store, filter))
      res.end()
    }),
  )
  adminRouter.use(noOtherRoutes)

  const apiRouter = express.Router()
  apiRouter.use(requireAdmin(config))
  apiRouter.use(verifyCsrf)
  apiRouter.get(
    '/',
    handler(async (req, res) => {
      const filter = parseAuditFilter(req.query as Record<string, unknown>, { allowLimit: true })
      res.set('Cache-Control', 'no-store').json(await auditPage(store, filter))
    }),
  )
  apiRouter.use(noOtherRoutes)
  apiRouter.use(jsonErrors)

  return { adminRouter, apiRouter }
}
