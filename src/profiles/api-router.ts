/**
 * The JSON API of OAuth2 profiles (mounted at `paths.adminApi`): the same operations, validation
 * and guard as the HTML admin. A client reads its CSRF token from GET /csrf and sends it as the
 * `x-csrf-token` header. Errors are `{ error: { code, message, fields } }`.
 */
import type { Router } from 'express'
import { AuthdockError } from '../errors.js'
import { endJsonApi, jsonApiRouter } from '../http/admin-routes.js'
import type { WebContext } from '../http/web-context.js'
import { csvFileName, sendProfilesCsv } from './csv.js'
import { handler, profileIdParam } from './http.js'
import { parseOverviewQuery } from './overview-query.js'
import { PRESET_IDS, PRESET_NEEDS, isPresetId, presetAuthorizationParams } from './presets.js'
import { mergeForPatch, parseProfileInput } from './schema.js'
import { actorOf, type ProfileService } from './service.js'
import { profileJson, rowsJson } from './view-model.js'

export function createApiRouter(ctx: WebContext, service: ProfileService): Router {
  const router = jsonApiRouter(ctx)

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
      const values = await service.presetValues(preset, {
        tenantId: typeof b.tenantId === 'string' ? b.tenantId : undefined,
        issuer: typeof b.issuer === 'string' ? b.issuer : undefined,
      })
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
        const { tokensCleared } = await service.update(current.id, input, actorOf(ctx, req))
        const { profile, token } = await service.row(current.id)
        res.json({ profile: profileJson(profile, token), tokensCleared })
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
      const authorizationUrl = await service.startAuthorization(req, profileIdParam(req), actorOf(ctx, req))
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
      const body = (req.body ?? {}) as Record<string, unknown>
      const port = body.port === undefined || body.port === '' ? undefined : Number(body.port)
      const report = await service.testConnection(profileIdParam(req), {
        type: body.type,
        host: body.host,
        port,
        user: body.user,
      })
      res.json({ report })
    }),
  )

  return endJsonApi(router, ctx, 'There is no such operation in the OAuth2 profiles API.')
}
