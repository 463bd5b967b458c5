/**
 * The JSON API of OAuth2 profiles (mounted at `paths.adminApi`): the same operations, validation
 * and guard as the HTML admin. A client reads its CSRF token from GET /csrf and sends it as the
 * `x-csrf-token` header. Errors are `{ error: { code, message, fields } }`.
 */
import express, { type Router } from 'express'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { csrfToken, verifyCsrf } from '../http/csrf.js'
import { errorHandler } from '../http/error-handler.js'
import { requireAdmin } from '../http/admin-guard.js'
import { startAuthorization } from './authorize.js'
import { csvFileName, sendProfilesCsv } from './csv.js'
import { handler, jsonBody, profileIdParam } from './http.js'
import { parseOverviewQuery } from './overview-query.js'
import { PRESET_IDS, PRESET_NEEDS, isPresetId, presetAuthorizationParams, presetDeps, presetValues } from './presets.js'
import { mergeForPatch, parseProfileInput } from './schema.js'
import { actorOf, type ProfileService } from './service.js'
import { profileJson, rowsJson } from './view-model.js'
import { testMailConnection } from '../mail/test-connection.js'
import type { TokenProvider } from '../tokens/types.js'

export function createApiRouter(ctx: DockContext, service: ProfileService, tokens: TokenProvider): Router {
  const router = express.Router()
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store')
    next()
  })
  router.use(requireAdmin(ctx.config))
  router.use(jsonBody)
  router.use(verifyCsrf)

  router.get('/csrf', (req, res) => {
    res.json({ csrfToken: csrfToken(req), header: 'x-csrf-token' })
  })

  router.get('/presets', (_req, res) => {
    res.json({
      presets: PRESET_IDS.map((id) => ({
        id,
        needs: PRESET_NEEDS[id],
        authorizationParams: presetAuthorizationParams(id),
      })),
    })
  })

  // POST (with the CSRF header): discovery fetches a URL from the request, which a cross-site
  // GET must not be able to trigger.
  router.post(
    '/presets/:preset',
    handler(async (req, res) => {
      const preset = req.params.preset
      if (!isPresetId(preset))
        throw new AuthdockError('NOT_FOUND', `There is no preset "${String(preset).slice(0, 40)}".`)
      const b = (req.body ?? {}) as Record<string, unknown>
      const values = await presetValues(
        preset,
        {
          tenantId: typeof b.tenantId === 'string' ? b.tenantId : undefined,
          issuer: typeof b.issuer === 'string' ? b.issuer : undefined,
        },
        presetDeps(ctx),
      )
      res.json({ values })
    }),
  )

  router.get(
    '/',
    handler(async (req, res) => {
      const page = await service.page(parseOverviewQuery(req.query as Record<string, unknown>))
      res.json({ profiles: rowsJson(page.rows), total: page.total, page: page.page, pageSize: page.pageSize })
    }),
  )

  router.post(
    '/',
    handler(async (req, res) => {
      const input = parseProfileInput(req.body, { config: ctx.config, source: 'json' })
      const profile = await service.create(input, actorOf(ctx, req))
      res
        .status(201)
        .location(`${req.baseUrl}/${encodeURIComponent(profile.id)}`)
        .json({ profile: profileJson(profile, null) })
    }),
  )

  router.get(
    '/export.csv',
    handler(async (_req, res) => {
      await sendProfilesCsv(res, service.eachRow(), {
        'Content-Disposition': `attachment; filename="${csvFileName(ctx.now())}"`,
      })
    }),
  )

  router.get(
    '/:id',
    handler(async (req, res) => {
      const { profile, token } = await service.row(profileIdParam(req))
      res.json({ profile: profileJson(profile, token) })
    }),
  )

  // PUT replaces every field (a missing clientSecret keeps the stored one); PATCH changes only what is sent.
  for (const method of ['put', 'patch'] as const) {
    router[method](
      '/:id',
      handler(async (req, res) => {
        const current = await service.get(profileIdParam(req))
        const body = method === 'patch' ? mergeForPatch(current, req.body) : req.body
        const input = parseProfileInput(body, { config: ctx.config, source: 'json' })
        const { profile, tokensCleared } = await service.update(current.id, input, actorOf(ctx, req))
        res.json({ profile: profileJson(profile, await ctx.store.tokens.summary(profile.id)), tokensCleared })
      }),
    )
  }

  router.delete(
    '/:id',
    handler(async (req, res) => {
      await service.delete(profileIdParam(req), actorOf(ctx, req))
      res.status(204).end()
    }),
  )

  router.post(
    '/:id/authorize',
    handler(async (req, res) => {
      const profile = await service.get(profileIdParam(req))
      const authorizationUrl = await startAuthorization(ctx, req, profile, actorOf(ctx, req))
      res.json({ authorizationUrl })
    }),
  )

  // "Clear tokens": revoked at the provider where it offers RFC 7009, then dropped here.
  router.post(
    '/:id/clear-tokens',
    handler(async (req, res) => {
      const result = await service.clearTokens(profileIdParam(req), actorOf(ctx, req))
      const { profile, token } = await service.row(result.profileId)
      res.json({ result, profile: profileJson(profile, token) })
    }),
  )

  // "Test connection": get a token and try a real AUTH at the given mail host. Certificates are always
  // verified (the token crosses this connection), so no option turns verification off; `mail.tls.ca`
  // only adds a private CA. Cleartext is never allowed from here.
  router.post(
    '/:id/test-connection',
    handler(async (req, res) => {
      const profile = await service.get(profileIdParam(req))
      const body = (req.body ?? {}) as Record<string, unknown>
      const port = body.port === undefined || body.port === '' ? undefined : Number(body.port)
      const report = await testMailConnection(tokens, {
        profileId: profile.id,
        type: body.type as never,
        host: body.host as string,
        port,
        user: body.user as string,
        tls: ctx.config.mail.tls,
        lookup: ctx.config.lookup,
      })
      res.json({ report })
    }),
  )

  router.use((_req, _res, next) =>
    next(new AuthdockError('NOT_FOUND', 'There is no such operation in the OAuth2 profiles API.')),
  )
  // apiPrefix '/' matches every path: this router always answers JSON, wherever it is mounted.
  router.use(errorHandler({ views: ctx.views, logger: ctx.logger, apiPrefix: '/' }))
  return router
}
