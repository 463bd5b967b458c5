/**
 * The JSON API of login providers (mounted at `paths.loginProvidersApi`): the same operations,
 * validation and guard as the HTML admin, CSRF like the profile API (GET /csrf, then the
 * `x-csrf-token` header). Errors are `{ error: { code, message, fields } }`. Providers of the
 * `oidc` option are listed read-only; writing them answers 409 LOGIN_PROVIDER_READ_ONLY.
 */
import type { Router } from 'express'
import { AuthdockError } from '../errors.js'
import { endJsonApi, jsonApiRouter } from '../http/admin-routes.js'
import type { WebContext } from '../http/web-context.js'
import { handler } from '../profiles/http.js'
import { actorOf } from '../profiles/service.js'
import type { LoginProviderService } from './provider-admin.js'
import { providerId } from './provider-admin-router.js'
import { LOGIN_PRESET_IDS, LOGIN_PRESET_NEEDS, isLoginPresetId, loginPresetValues } from './provider-presets.js'
import { mergeLoginProviderPatch, parseLoginProviderInput } from './provider-schema.js'
import { loginProviderJson } from './provider-view-model.js'

export function createLoginProviderApiRouter(ctx: WebContext, service: LoginProviderService): Router {
  const router = jsonApiRouter(ctx)

  router.get('/presets', (_req, res) => {
    res.json({ presets: LOGIN_PRESET_IDS.map((id) => ({ id, needs: LOGIN_PRESET_NEEDS[id] })) })
  })

  router.get('/presets/:preset', (req, res) => {
    const preset = req.params.preset
    if (!isLoginPresetId(preset))
      throw new AuthdockError('NOT_FOUND', `There is no preset "${String(preset).slice(0, 40)}".`)
    const q = req.query
    const one = (v: unknown) => (typeof v === 'string' ? v : undefined)
    res.json({
      values: loginPresetValues(preset, {
        tenantId: one(q.tenantId),
        realmUrl: one(q.realmUrl),
        gitlabUrl: one(q.gitlabUrl),
      }),
    })
  })

  router.get(
    '/',
    handler(async (_req, res) => {
      res.json({ providers: (await service.list()).map(loginProviderJson) })
    }),
  )

  router.post(
    '/',
    handler(async (req, res) => {
      const parsed = parseLoginProviderInput(req.body, 'json')
      const provider = await service.create(parsed.input, actorOf(ctx, req), parsed.id, {
        clientAuth: parsed.clientAuth,
      })
      res
        .status(201)
        .location(`${req.baseUrl}/${encodeURIComponent(provider.id)}`)
        .json({ provider: loginProviderJson(await service.find(provider.id)) })
    }),
  )

  // Before /:id, so that it is not taken for a provider id.
  router.post(
    '/test-well-known',
    handler(async (req, res) => {
      const issuer = (req.body as Record<string, unknown> | undefined)?.issuer
      if (typeof issuer !== 'string' || !issuer.trim()) {
        throw new AuthdockError('VALIDATION_FAILED', 'Give the issuer URL to test.', {
          fields: { issuer: 'is required' },
        })
      }
      res.json({ report: await service.testWellKnown(issuer.slice(0, 2000)) })
    }),
  )

  router.get(
    '/:id',
    handler(async (req, res) => {
      res.json({ provider: loginProviderJson(await service.find(providerId(req.params.id))) })
    }),
  )

  // PUT replaces every field (a missing clientSecret keeps the stored one); PATCH changes only what is sent.
  for (const method of ['put', 'patch'] as const) {
    router[method](
      '/:id',
      handler(async (req, res) => {
        const current = await service.get(providerId(req.params.id))
        const body = method === 'patch' ? mergeLoginProviderPatch(current, req.body) : req.body
        const parsed = parseLoginProviderInput(body, 'json')
        const { provider, claimChanged } = await service.update(current.id, parsed.input, actorOf(ctx, req), {
          confirmClaimChange: parsed.confirmClaimChange,
          clientAuth: parsed.clientAuth,
        })
        res.json({ provider: loginProviderJson(await service.find(provider.id)), claimChanged })
      }),
    )
  }

  router.delete(
    '/:id',
    handler(async (req, res) => {
      await service.delete(providerId(req.params.id), actorOf(ctx, req))
      res.status(204).end()
    }),
  )

  router.post(
    '/:id/test-well-known',
    handler(async (req, res) => {
      const listed = await service.find(providerId(req.params.id))
      res.json({ report: await service.testWellKnown(listed.provider.issuer) })
    }),
  )

  return endJsonApi(router, ctx, 'There is no such operation in the login providers API.')
}
