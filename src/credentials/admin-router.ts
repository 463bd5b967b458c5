/**
 * The certificates page of a profile or login provider (mounted at `paths.credentials`):
 * `/<kind>/<id>` lists the certificates with thumbprints, validity and state, offers the
 * downloads (.cer, .pem), the JWKS, generate / activate / remove and the choice between secret
 * and certificate, with the steps for Entra and Keycloak. Deny by default, CSRF on every post.
 */
import type { Request, Response, Router } from 'express'
import { AuthdockError, isAuthdockError } from '../errors.js'
import { endHtmlAdmin, htmlAdminRouter } from '../http/admin-routes.js'
import type { WebContext } from '../http/web-context.js'
import { handler } from '../profiles/http.js'
import { actorOf } from '../profiles/service.js'
import { formatDate } from '../profiles/view-model.js'
import { DEFAULT_KEY_SIZE, DEFAULT_VALIDITY_DAYS, KEY_SIZES, MAX_VALIDITY_DAYS } from './certificate.js'
import { addJwksDownload, sendCertificateFile } from './downloads.js'
import type { CredentialService, OwnerView } from './service.js'
import { certificateFacts, ownerPath, parseCertificateFile, publicJwksUrl } from './view-model.js'

const DONE = new Set(['generated', 'generatedWaiting', 'activated', 'removed', 'method'])

interface PageState {
  errors?: Record<string, string>
  error?: { code: string; message: string; fields?: Record<string, string> } | null
  values?: { validityDays: string; keySize: string }
}

export function createCredentialsAdminRouter(ctx: WebContext, service: CredentialService): Router {
  const router = htmlAdminRouter(ctx)

  const ownerOf = (req: Request) => service.owner(String(req.params.kind), String(req.params.id))
  const pageUrl = (req: Request, owner: OwnerView) => `${req.baseUrl}/${ownerPath(owner)}`

  async function renderPage(
    req: Request,
    res: Response,
    owner: OwnerView,
    state: PageState = {},
    status = 200,
  ): Promise<void> {
    const now = ctx.now()
    const certificates = (await service.list(owner)).map((c) => ({
      ...certificateFacts(c, now),
      notBefore: formatDate(c.notBefore),
      notAfter: formatDate(c.notAfter),
      createdBy: c.createdBy ?? '',
    }))
    const done = typeof req.query.done === 'string' && DONE.has(req.query.done) ? req.query.done : null
    await ctx.views.render(
      req,
      res,
      'credentials/certificates',
      {
        title: undefined,
        owner,
        base: pageUrl(req, owner),
        certificates,
        hasActive: certificates.some((c) => c.active),
        jwks: JSON.stringify(await service.jwks(owner), null, 2),
        publicJwksUrl: publicJwksUrl(ctx.config, owner),
        adminJwksUrl: `${pageUrl(req, owner)}/jwks.json`,
        done,
        errors: state.errors ?? {},
        error: state.error ?? null,
        values: state.values ?? { validityDays: String(DEFAULT_VALIDITY_DAYS), keySize: String(DEFAULT_KEY_SIZE) },
        keySizes: KEY_SIZES,
        maxValidityDays: MAX_VALIDITY_DAYS,
        profilesPath: ctx.config.paths.admin,
      },
      { status, banners: true },
    )
  }

  router.get(
    '/:kind/:id',
    handler(async (req, res) => {
      await renderPage(req, res, await ownerOf(req))
    }),
  )

  addJwksDownload(router, service)

  router.get(
    '/:kind/:id/certificates/:file',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      const file = parseCertificateFile(String(req.params.file))
      if (!file?.ext) throw new AuthdockError('NOT_FOUND', 'Download a certificate as <id>.cer or <id>.pem.')
      sendCertificateFile(res, owner, await service.certificate(owner, file.id), file.ext)
    }),
  )

  router.post(
    '/:kind/:id/generate',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      const body = (req.body ?? {}) as Record<string, unknown>
      let active: boolean
      try {
        active = (
          await service.generate(owner, { validityDays: body.validityDays, keySize: body.keySize }, actorOf(ctx, req))
        ).active
      } catch (err) {
        if (!isAuthdockError(err, 'VALIDATION_FAILED') || !err.fields) throw err
        const values = {
          validityDays: String(body.validityDays ?? '').slice(0, 10),
          keySize: String(body.keySize ?? '').slice(0, 10),
        }
        return renderPage(req, res, owner, { errors: err.fields, values }, err.status)
      }
      res.redirect(303, `${pageUrl(req, owner)}?done=${active ? 'generated' : 'generatedWaiting'}`)
    }),
  )

  router.post(
    '/:kind/:id/method',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      try {
        await service.setMethod(owner, (req.body as Record<string, unknown> | undefined)?.method, actorOf(ctx, req))
      } catch (err) {
        if (!isAuthdockError(err, 'VALIDATION_FAILED') || !err.fields) throw err
        return renderPage(req, res, owner, { errors: err.fields }, err.status)
      }
      res.redirect(303, `${pageUrl(req, owner)}?done=method`)
    }),
  )

  for (const action of ['activate', 'remove'] as const) {
    router.post(
      `/:kind/:id/certificates/:certificateId/${action}`,
      handler(async (req, res) => {
        const owner = await ownerOf(req)
        const id = String(req.params.certificateId)
        try {
          if (action === 'activate') await service.activate(owner, id, actorOf(ctx, req))
          else await service.remove(owner, id, actorOf(ctx, req))
        } catch (err) {
          if (!isAuthdockError(err) || !['CLIENT_CERTIFICATE_ACTIVE', 'VALIDATION_FAILED'].includes(err.code)) throw err
          return renderPage(
            req,
            res,
            owner,
            { error: { code: err.code, message: err.message, fields: err.fields } },
            err.status,
          )
        }
        res.redirect(303, `${pageUrl(req, owner)}?done=${action === 'activate' ? 'activated' : 'removed'}`)
      }),
    )
  }

  return endHtmlAdmin(router, ctx, 'There is no such page in the certificates admin.')
}
