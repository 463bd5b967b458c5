/**
 * The HTML admin of OAuth2 profiles (mounted at `paths.admin`): overview, new, edit, delete with
 * confirmation, CSV export and "renew authorization". Deny by default (the host's guard), CSRF on
 * every post, invalid input re-renders the form with the field errors and stores nothing.
 */
import type { Request, Response, Router } from 'express'
import { isAuthdockError } from '../errors.js'
import { collectFieldErrors, endHtmlAdmin, formPost, formStatus, htmlAdminRouter } from '../http/admin-routes.js'
import type { WebContext } from '../http/web-context.js'
import { accountMismatch } from './mailbox.js'
import { csvFileName, sendProfilesCsv } from './csv.js'
import { handler, profileIdParam } from './http.js'
import { OVERVIEW_STATES, overviewHref, parseOverviewQuery } from './overview-query.js'
import { PRESET_IDS, PRESET_NEEDS, isPresetId } from './presets.js'
import { FIELD_LIMITS, defaultRedirectUrl, parseProfileInput } from './schema.js'
import { actorOf, type ProfileService } from './service.js'
import { addTestConnectionRoutes } from './test-connection-routes.js'
import { addClearTokensRoutes } from './clear-tokens-routes.js'
import { formFromBody, formFromProfile, formatDate, tokenHeld, tokenState, type FormValues } from './view-model.js'

const DONE = new Set([
  'created',
  'updated',
  'updatedTokensCleared',
  'deleted',
  'tokensCleared',
  'tokensClearedNotRevoked',
  'tokensClearedRevokeFailed',
])

interface FormPage {
  mode: 'new' | 'edit'
  profileId?: string
  values: FormValues
  errors: Record<string, string>
  hasClientSecret: boolean
  presetForm?: { preset: string; tenantId: string; issuer: string; errors: Record<string, string> }
}

export function createAdminRouter(ctx: WebContext, service: ProfileService): Router {
  const router = htmlAdminRouter(ctx)
  const newFormValues = (): FormValues => ({
    ...formFromBody({}, 'form'),
    valid: true,
    redirectUrl: defaultRedirectUrl(ctx.config),
  })

  const renderForm = (req: Request, res: Response, page: FormPage, status = 200) =>
    ctx.views.render(
      req,
      res,
      'admin/form',
      {
        ...page,
        base: req.baseUrl,
        limits: FIELD_LIMITS,
        presets: PRESET_IDS,
        presetNeeds: PRESET_NEEDS,
        presetForm: page.presetForm ?? {
          preset: page.values.preset,
          tenantId: page.values.tenantId,
          issuer: '',
          errors: {},
        },
        defaultRedirect: defaultRedirectUrl(ctx.config),
        formError: Object.keys(page.errors).length > 0,
      },
      { status, banners: true },
    )

  router.get(
    '/',
    handler(async (req, res) => {
      const t = ctx.views.translator(req)
      const query = parseOverviewQuery(req.query as Record<string, unknown>)
      const page = await service.page(query)
      const rows = page.rows.map(({ profile, token }) => ({
        id: profile.id,
        name: profile.name,
        clientId: profile.clientId,
        scope: profile.scope,
        valid: profile.valid,
        // The check mark stands for any stored token: a refresh token alone still gets mail through.
        tokenPresent: Boolean(token?.hasAccessToken || token?.hasRefreshToken),
        tokenHeld: tokenHeld(t, token),
        accessTokenExpiresAt: formatDate(token?.accessTokenExpiresAt),
        mailbox: profile.mailbox ?? '',
        accountMismatch: accountMismatch(profile.mailbox, token?.authorizedAccount ?? null),
        lastRefreshAt: formatDate(token?.lastRefreshAt),
        authorizedAccount: token?.authorizedAccount ?? '',
        state: tokenState(t, profile, token),
        canAuthorize: profile.grantType === 'authorization_code' && Boolean(profile.authorizationUrl),
        authorizationUrl: profile.authorizationUrl ?? '',
      }))
      const done = typeof req.query.done === 'string' && DONE.has(req.query.done) ? req.query.done : null
      // "Renew authorization" posts here and is redirected to each profile's authorization URL.
      const formActions = rows.filter((r) => r.canAuthorize).map((r) => r.authorizationUrl)
      const lastPage = Math.max(1, Math.ceil(page.total / page.pageSize))
      const search = {
        query,
        states: OVERVIEW_STATES,
        expiresChoices: [7, 30, 90],
        filtered: Boolean(query.q || query.state || query.expiresWithinDays !== undefined),
        total: page.total,
        from: page.rows.length ? (page.page - 1) * page.pageSize + 1 : 0,
        to: (page.page - 1) * page.pageSize + page.rows.length,
        previousHref: page.page > 1 ? overviewHref(query, { page: Math.min(page.page - 1, lastPage) }) || '?' : null,
        nextHref: page.page < lastPage ? overviewHref(query, { page: page.page + 1 }) : null,
        pageSize: page.pageSize,
      }
      await ctx.views.render(
        req,
        res,
        'admin/overview',
        { rows, done, base: req.baseUrl, search },
        { banners: true, formActions },
      )
    }),
  )

  router.get(
    '/new',
    handler(async (req, res) => {
      await renderForm(req, res, { mode: 'new', values: newFormValues(), errors: {}, hasClientSecret: false })
    }),
  )

  // A POST with the CSRF token: discovery fetches a URL the admin typed, which a cross-site link
  // (a GET navigation) must not be able to trigger.
  router.post(
    '/new/preset',
    handler(async (req, res) => {
      const values = newFormValues()
      const body = (req.body ?? {}) as Record<string, unknown>
      const text = (name: string, max: number) =>
        typeof body[name] === 'string' ? (body[name] as string).slice(0, max) : ''
      const presetForm = {
        preset: text('preset', 40),
        tenantId: text('tenantId', FIELD_LIMITS.tenantId),
        issuer: text('issuer', 2000),
        errors: {} as Record<string, string>,
      }
      if (!isPresetId(presetForm.preset)) {
        presetForm.errors.preset = `must be one of ${PRESET_IDS.join(', ')}`
      } else {
        const need = PRESET_NEEDS[presetForm.preset]
        // A preset needing input is only applied once that input was given (the page asks for it).
        if (!need || presetForm[need]) {
          const preset = presetForm.preset
          await collectFieldErrors(presetForm.errors, async () => {
            const filled = await service.presetValues(preset, presetForm)
            Object.assign(values, { ...filled, tenantId: filled.tenantId ?? '' })
          })
        }
      }
      const page: FormPage = { mode: 'new', values, errors: {}, hasClientSecret: false, presetForm }
      await renderForm(req, res, page, formStatus(presetForm.errors))
    }),
  )

  formPost(
    router,
    '/',
    async (req) => {
      await service.create(parseProfileInput(req.body, { config: ctx.config, source: 'form' }), actorOf(ctx, req))
      return `${req.baseUrl}/?done=created`
    },
    (req, res, err) => {
      const page: FormPage = {
        mode: 'new',
        values: formFromBody(req.body, 'form'),
        errors: err.fields,
        hasClientSecret: false,
      }
      return renderForm(req, res, page, err.status)
    },
  )

  router.get(
    '/export.csv',
    handler(async (_req, res) => {
      await sendProfilesCsv(res, service.eachRow(), {
        'Content-Disposition': `attachment; filename="${csvFileName(ctx.now())}"`,
        'Cache-Control': 'no-store',
      })
    }),
  )

  router.get(
    '/:id/edit',
    handler(async (req, res) => {
      const profile = await service.get(profileIdParam(req))
      await renderForm(req, res, {
        mode: 'edit',
        profileId: profile.id,
        values: formFromProfile(profile),
        errors: {},
        hasClientSecret: profile.hasClientSecret,
      })
    }),
  )

  formPost(
    router,
    '/:id',
    async (req) => {
      const profile = await service.get(profileIdParam(req))
      const input = parseProfileInput(req.body, { config: ctx.config, source: 'form' })
      const result = await service.update(profile.id, input, actorOf(ctx, req))
      return `${req.baseUrl}/?done=${result.tokensCleared ? 'updatedTokensCleared' : 'updated'}`
    },
    async (req, res, err) => {
      const profile = await service.get(profileIdParam(req))
      const values = formFromBody(req.body, 'form')
      const page: FormPage = {
        mode: 'edit',
        profileId: profile.id,
        values,
        errors: err.fields,
        hasClientSecret: profile.hasClientSecret,
      }
      return renderForm(req, res, page, err.status)
    },
  )

  router.get(
    '/:id/delete',
    handler(async (req, res) => {
      const profile = await service.get(profileIdParam(req))
      const users = await service.usersOf(profile.id)
      await ctx.views.render(
        req,
        res,
        'admin/delete',
        { profile, users, error: null, base: req.baseUrl },
        { banners: true },
      )
    }),
  )

  router.post(
    '/:id/delete',
    handler(async (req, res) => {
      const id = profileIdParam(req)
      try {
        await service.delete(id, actorOf(ctx, req))
      } catch (err) {
        if (!isAuthdockError(err, 'PROFILE_IN_USE')) throw err
        const profile = await service.get(id)
        const users = err.details?.users ?? []
        return ctx.views.render(
          req,
          res,
          'admin/delete',
          { profile, users, error: { code: err.code, message: err.message }, base: req.baseUrl },
          { status: err.status, banners: true },
        )
      }
      res.redirect(303, `${req.baseUrl}/?done=deleted`)
    }),
  )

  router.post(
    '/:id/authorize',
    handler(async (req, res) => {
      res.redirect(303, await service.startAuthorization(req, profileIdParam(req), actorOf(ctx, req)))
    }),
  )

  addTestConnectionRoutes(router, ctx, service)
  addClearTokensRoutes(router, ctx, service)

  return endHtmlAdmin(router, ctx, 'There is no such page in the OAuth2 profiles admin.')
}
