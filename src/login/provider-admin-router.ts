/**
 * The HTML admin of login providers (mounted at `paths.loginProviders`, linked from the OAuth2
 * profiles overview): overview of both kinds (from configuration: read-only), new (with presets and
 * the redirect URI shown before saving), edit (with the claim-change confirmation), delete, and
 * "Test well-known" on the form (POST with CSRF; the result is shown on the page) and per row. Deny
 * by default (the host's guard), CSRF on every post, invalid input re-renders the form with the field
 * errors and stores nothing.
 */
import type { Request, Response, Router } from 'express'
import { AuthdockError } from '../errors.js'
import { collectFieldErrors, endHtmlAdmin, formPost, formStatus, htmlAdminRouter } from '../http/admin-routes.js'
import type { WebContext } from '../http/web-context.js'
import { handler } from '../profiles/http.js'
import { actorOf } from '../profiles/service.js'
import type { LoginProviderService } from './provider-admin.js'
import { LOGIN_PRESET_IDS, LOGIN_PRESET_NEEDS, isLoginPresetId, loginPresetValues } from './provider-presets.js'
import {
  ID_TOKEN_ALGORITHMS,
  LOGIN_PROVIDER_LIMITS,
  STORE_PROVIDER_ID,
  parseLoginProviderInput,
} from './provider-schema.js'
import {
  emptyForm,
  formFromBody,
  formFromRecord,
  overviewRow,
  type LoginProviderFormValues,
} from './provider-view-model.js'
import type { WellKnownReport } from './types.js'

const DONE = new Set(['created', 'updated', 'deleted'])

interface FormPage {
  mode: 'new' | 'edit'
  values: LoginProviderFormValues
  errors: Record<string, string>
  hasClientSecret: boolean
  /** The result of "Test well-known" pressed without script. */
  wellKnown?: WellKnownReport | null
  /** A secret was typed but the page was shown again: it is never sent back, so it must be entered again. */
  secretNotKept?: boolean
  /** A new identifying claim waits for confirmation. */
  claimChange?: { users: number; from: string; to: string } | null
  presetForm?: { preset: string; tenantId: string; realmUrl: string; gitlabUrl: string; errors: Record<string, string> }
}

const str = (v: unknown, max: number): string => (typeof v === 'string' ? v.slice(0, max) : '')

/** Ids in routes and forms: an admin-managed id or an options id; anything else cannot be a provider. */
export function providerId(id: unknown): string {
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9_.-]{0,39}$/.test(id)) {
    throw new AuthdockError('LOGIN_PROVIDER_NOT_FOUND', 'There is no login provider with this id.')
  }
  return id
}

export function createLoginProviderAdminRouter(ctx: WebContext, service: LoginProviderService): Router {
  const router = htmlAdminRouter(ctx)

  const renderForm = (req: Request, res: Response, page: FormPage, status = 200) =>
    ctx.views.render(
      req,
      res,
      'admin/login-providers/form',
      {
        title: ctx.views.translator(req)(page.mode === 'new' ? 'providers.form.newTitle' : 'providers.form.editTitle'),
        wellKnown: null,
        secretNotKept: false,
        claimChange: null,
        ...page,
        base: req.baseUrl,
        limits: LOGIN_PROVIDER_LIMITS,
        algorithms: ID_TOKEN_ALGORITHMS,
        presets: LOGIN_PRESET_IDS,
        presetNeeds: LOGIN_PRESET_NEEDS,
        presetForm: page.presetForm ?? {
          preset: page.values.preset,
          tenantId: page.values.tenantId,
          realmUrl: '',
          gitlabUrl: '',
          errors: {},
        },
        redirectUri: page.values.id ? service.redirectUri(page.values.id) : '',
        formError: Object.keys(page.errors).length > 0,
      },
      { status, banners: true },
    )

  /** A page of its own (not the form) with its translated title. */
  const renderPage = (req: Request, res: Response, view: string, titleKey: string, locals: Record<string, unknown>) =>
    ctx.views.render(
      req,
      res,
      `admin/login-providers/${view}`,
      { title: ctx.views.translator(req)(titleKey), ...locals, base: req.baseUrl },
      { banners: true },
    )

  router.get(
    '/',
    handler(async (req, res) => {
      const rows = (await service.list()).map(overviewRow)
      const done = typeof req.query.done === 'string' && DONE.has(req.query.done) ? req.query.done : null
      await renderPage(req, res, 'overview', 'providers.title', { rows, done })
    }),
  )

  // Create (the form below posts here).
  formPost(
    router,
    '/',
    async (req) => {
      const parsed = parseLoginProviderInput(req.body, 'form')
      if (!parsed.id)
        throw new AuthdockError('VALIDATION_FAILED', 'The form carries no provider id; reload it.', {
          fields: { id: 'is required; reload the form' },
        })
      await service.create(parsed.input, actorOf(ctx, req), parsed.id, { clientAuth: parsed.clientAuth })
      return `${req.baseUrl}/?done=created`
    },
    (req, res, err) => {
      const values = formFromBody(req.body)
      if (!STORE_PROVIDER_ID.test(values.id)) values.id = service.newId()
      const secretNotKept = hasSecret(req.body)
      return renderForm(
        req,
        res,
        { mode: 'new', values, errors: err.fields, hasClientSecret: false, secretNotKept },
        err.status,
      )
    },
  )

  router.get(
    '/new',
    handler(async (req, res) => {
      const values = emptyForm(service.newId())
      const q = req.query
      const presetForm = {
        preset: str(q.preset, 40),
        tenantId: str(q.tenantId, LOGIN_PROVIDER_LIMITS.tenantId),
        realmUrl: str(q.realmUrl, 2000),
        gitlabUrl: str(q.gitlabUrl, 2000),
        errors: {} as Record<string, string>,
      }
      if (presetForm.preset) {
        if (!isLoginPresetId(presetForm.preset)) {
          presetForm.errors.preset = `must be one of ${LOGIN_PRESET_IDS.join(', ')}`
        } else {
          const preset = presetForm.preset
          await collectFieldErrors(presetForm.errors, () => {
            const filled = loginPresetValues(preset, presetForm)
            Object.assign(values, {
              preset: filled.preset,
              issuer: filled.issuer,
              scope: filled.scope,
              tenantId: filled.tenantId ?? '',
            })
          })
        }
      }
      const page: FormPage = { mode: 'new', values, errors: {}, hasClientSecret: false, presetForm }
      await renderForm(req, res, page, formStatus(presetForm.errors))
    }),
  )

  // "Test well-known" from the form. A script posts only the issuer and shows the fragment in the
  // form; without script the whole form is posted here and shown again with the result.
  router.post(
    '/test-well-known',
    handler(async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>
      const issuer = str(body.issuer, LOGIN_PROVIDER_LIMITS.issuer).trim()
      const report = issuer ? await service.testWellKnown(issuer) : null
      if (req.get('x-authdock-fragment') === '1') {
        await ctx.views.render(req, res, 'admin/login-providers/well-known-fragment', {
          report,
          missingIssuer: !issuer,
        })
        return
      }
      const editing =
        typeof body.editing === 'string' && body.editing ? await service.get(providerId(body.editing)) : null
      const values = formFromBody(body)
      if (editing) values.id = editing.id
      else if (!STORE_PROVIDER_ID.test(values.id)) values.id = service.newId()
      const errors: Record<string, string> = issuer ? {} : { issuer: 'is required' }
      await renderForm(
        req,
        res,
        {
          mode: editing ? 'edit' : 'new',
          values,
          errors,
          hasClientSecret: editing?.hasClientSecret ?? false,
          wellKnown: report,
          secretNotKept: hasSecret(body),
        },
        issuer ? 200 : 400,
      )
    }),
  )

  router.get(
    '/:id/edit',
    handler(async (req, res) => {
      const provider = await service.get(providerId(req.params.id))
      await renderForm(req, res, {
        mode: 'edit',
        values: formFromRecord(provider, await service.clientAuth(provider.id)),
        errors: {},
        hasClientSecret: provider.hasClientSecret,
      })
    }),
  )

  formPost(
    router,
    '/:id',
    async (req) => {
      const provider = await service.get(providerId(req.params.id))
      const parsed = parseLoginProviderInput(req.body, 'form')
      await service.update(provider.id, parsed.input, actorOf(ctx, req), {
        confirmClaimChange: parsed.confirmClaimChange,
        clientAuth: parsed.clientAuth,
      })
      return `${req.baseUrl}/?done=updated`
    },
    async (req, res, err) => {
      const provider = await service.get(providerId(req.params.id))
      const values = { ...formFromBody(req.body), id: provider.id }
      const claimChange =
        err.code === 'LOGIN_PROVIDER_CLAIM_CHANGE_UNCONFIRMED'
          ? { users: err.details?.users ?? 0, from: err.details?.from ?? '', to: err.details?.to ?? '' }
          : null
      const page: FormPage = {
        mode: 'edit',
        values,
        errors: claimChange ? {} : err.fields,
        hasClientSecret: provider.hasClientSecret,
        secretNotKept: hasSecret(req.body),
        claimChange,
      }
      return renderForm(req, res, page, err.status)
    },
  )

  router.get(
    '/:id/delete',
    handler(async (req, res) => {
      const provider = await service.get(providerId(req.params.id))
      const users = await service.userCount(provider.id)
      await renderPage(req, res, 'delete', 'providers.delete.title', { provider, users })
    }),
  )

  router.post(
    '/:id/delete',
    handler(async (req, res) => {
      await service.delete(providerId(req.params.id), actorOf(ctx, req))
      res.redirect(303, `${req.baseUrl}/?done=deleted`)
    }),
  )

  // The overview's "Test well-known", for either kind of provider: the result on a page of its own.
  router.post(
    '/:id/test-well-known',
    handler(async (req, res) => {
      const listed = await service.find(providerId(req.params.id))
      const report = await service.testWellKnown(listed.provider.issuer)
      const label = listed.source === 'options' ? (listed.provider.label ?? listed.provider.id) : listed.provider.label
      await renderPage(req, res, 'well-known', 'providers.wellKnown.title', { label, report })
    }),
  )

  return endHtmlAdmin(router, ctx, 'There is no such page in the login providers admin.')
}

function hasSecret(body: unknown): boolean {
  const secret = (body as Record<string, unknown> | undefined)?.clientSecret
  return typeof secret === 'string' && secret !== ''
}
