/**
 * The audit trail for administrators: an HTML page (newest first, filter by profile and kind,
 * paging by `beforeId`), a CSV export at `<paths.audit>/export.csv`, and the same list as JSON at
 * `paths.auditApi`. Read-only; guarded like the profiles admin (403 FORBIDDEN unless
 * `admin.guard` admits). Secrets never reach it: entries are redacted when written and once more
 * when shown.
 */
import express, { type ErrorRequestHandler, type Router } from 'express'
import { AuthdockError } from '../errors.js'
import { verifyCsrf } from '../http/csrf.js'
import { handler, type AsyncHandler } from '../http/handler.js'
import { requireAdmin } from '../http/admin-guard.js'
import type { WebContext } from '../http/web-context.js'
import { writeCsv } from '../http/csv.js'
import { parseAuditFilter } from './query.js'
import { CSV_HEADER, type AuditService } from './service.js'

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
export function createAuditRouters(ctx: WebContext, audit: AuditService): AuditRouters {
  const { views, config } = ctx
  /** A guarded, read-only router with `GET /` and whatever `more` adds. */
  const readOnly = (list: AsyncHandler, more?: (router: Router) => void) => {
    const router = express.Router()
    router.use(requireAdmin(config))
    router.use(verifyCsrf)
    router.get('/', handler(list))
    more?.(router)
    router.use(noOtherRoutes)
    return router
  }

  const adminRouter = readOnly(
    async (req, res) => {
      const filter = parseAuditFilter(req.query as Record<string, unknown>)
      const [page, profiles] = await Promise.all([audit.page(filter), audit.profileChoices(filter.profileId)])
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
          profiles,
          filter,
          olderHref: page.nextBeforeId ? `${config.paths.audit}${query({ beforeId: page.nextBeforeId })}` : null,
          newestHref: filter.beforeId ? `${config.paths.audit}${query({})}` : null,
          csvHref: `${config.paths.audit}/export.csv${query({})}`,
        },
        { banners: true },
      )
    },
    (router) =>
      router.get(
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
          await writeCsv(res, CSV_HEADER, audit.csvRows(filter))
          res.end()
        }),
      ),
  )

  const apiRouter = readOnly(async (req, res) => {
    const filter = parseAuditFilter(req.query as Record<string, unknown>, { allowLimit: true })
    res.set('Cache-Control', 'no-store').json(await audit.page(filter))
  })
  apiRouter.use(jsonErrors)

  return { adminRouter, apiRouter }
}
