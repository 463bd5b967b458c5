/**
 * The health routes (mounted at `paths.health`): liveness and the readiness report, whose detail
 * only callers the admin guard admits see (`health.detail: 'admin'`).
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express'
import { handler } from '../http/handler.js'
import { requireAdmin } from '../http/admin-guard.js'
import type { WebContext } from '../http/web-context.js'
import type { HealthChecks } from './health.js'

/** Runs middleware in order; resolves when the last calls next(), rejects on next(err). */
function runMiddleware(handlers: RequestHandler[], req: Request, res: Response): Promise<void> {
  return handlers.reduce<Promise<void>>(
    (previous, handler) =>
      previous.then(
        () =>
          new Promise<void>((resolve, reject) => {
            void handler(req, res, (err?: unknown) =>
              err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
            )
          }),
      ),
    Promise.resolve(),
  )
}

/** The routes over {@link HealthChecks}; see {@link createHealthRouter}. */
export function healthRouter(ctx: Pick<WebContext, 'config'>, checks: HealthChecks): Router {
  const router = express.Router()
  const admitted = [...checks.identify, requireAdmin(ctx.config)]
  // A session store that does not answer, or a refusing or failing guard: no detail, still a report.
  const showsDetail = (req: Request, res: Response): Promise<boolean> =>
    ctx.config.health.detail === 'public'
      ? Promise.resolve(true)
      : runMiddleware(admitted, req, res).then(
          () => true,
          () => false,
        )
  router.get(
    '/',
    handler(async (_req, res) => {
      res.set('Cache-Control', 'no-store')
      try {
        await checks.alive()
        res.json({ status: 'ok' })
      } catch {
        res.status(503).json({ status: 'unavailable', reason: 'store' })
      }
    }),
  )
  router.get(
    '/ready',
    handler(async (req, res) => {
      const report = (await showsDetail(req, res)) ? await checks.report() : await checks.summary()
      res
        .set('Cache-Control', 'no-store')
        .status(report.status === 'unavailable' ? 503 : 200)
        .json(report)
    }),
  )
  return router
}
