/**
 * The certificates as JSON (mounted at `paths.credentialsApi`), with the same guard, CSRF
 * (`x-csrf-token` from GET /csrf) and validation as the page. Errors are
 * `{ error: { code, message, fields } }`. No answer ever carries a private key.
 */
import express, { type Request, type Router } from 'express'
import type { DockContext } from '../context.js'
import { AuthdockError } from '../errors.js'
import { csrfToken, verifyCsrf } from '../http/csrf.js'
import { errorHandler } from '../http/error-handler.js'
import { requireAdmin } from '../http/admin-guard.js'
import { handler, jsonBody } from '../profiles/http.js'
import { actorOf } from '../profiles/service.js'
import { sendCertificateFile, sendJwks } from './downloads.js'
import type { CredentialService, OwnerView } from './service.js'
import { certificateJson, ownerJson, ownerPath, parseCertificateFile, publicJwksUrl } from './view-model.js'

export function createCredentialsApiRouter(ctx: DockContext, service: CredentialService): Router {
  const router = express.Router()
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store')
    next()
  })
  router.use(requireAdmin(ctx.config))
  router.use(jsonBody)
  router.use(verifyCsrf)

  const ownerOf = (req: Request) => service.owner(String(req.params.kind), String(req.params.id))
  const base = (req: Request, owner: OwnerView) => `${req.baseUrl}/${ownerPath(owner)}`
  const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>

  router.get('/csrf', (req, res) => {
    res.json({ csrfToken: csrfToken(req), header: 'x-csrf-token' })
  })

  router.get(
    '/:kind/:id',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      const now = ctx.now()
      res.json({
        owner: ownerJson(owner),
        certificates: (await service.list(owner)).map((c) => certificateJson(c, now, base(req, owner))),
        jwks: await service.jwks(owner),
        jwksUrl: publicJwksUrl(ctx.config, owner),
      })
    }),
  )

  router.get(
    '/:kind/:id/jwks.json',
    handler(async (req, res) => {
      sendJwks(res, await service.jwks(await ownerOf(req)))
    }),
  )

  router.put(
    '/:kind/:id/method',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      const method = await service.setMethod(owner, body(req).method, actorOf(ctx, req))
      res.json({ owner: ownerJson({ ...owner, method }) })
    }),
  )

  router.post(
    '/:kind/:id/certificates',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      const certificate = await service.generate(
        owner,
        { validityDays: body(req).validityDays, keySize: body(req).keySize },
        actorOf(ctx, req),
      )
      res
        .status(201)
        .location(`${base(req, owner)}/certificates/${certificate.id}`)
        .json({ certificate: certificateJson(certificate, ctx.now(), base(req, owner)) })
    }),
  )

  router.get(
    '/:kind/:id/certificates/:file',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      const file = parseCertificateFile(String(req.params.file))
      if (!file) throw new AuthdockError('NOT_FOUND', 'There is no such certificate.')
      const certificate = await service.certificate(owner, file.id)
      if (file.ext) return sendCertificateFile(res, owner, certificate, file.ext)
      res.json({ certificate: certificateJson(certificate, ctx.now(), base(req, owner)) })
    }),
  )

  router.post(
    '/:kind/:id/certificates/:certificateId/activate',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      const certificate = await service.activate(owner, String(req.params.certificateId), actorOf(ctx, req))
      res.json({ certificate: certificateJson(certificate, ctx.now(), base(req, owner)) })
    }),
  )

  router.delete(
    '/:kind/:id/certificates/:certificateId',
    handler(async (req, res) => {
      const owner = await ownerOf(req)
      await service.remove(owner, String(req.params.certificateId), actorOf(ctx, req))
      res.status(204).end()
    }),
  )

  router.use((_req, _res, next) =>
    next(new AuthdockError('NOT_FOUND', 'There is no such operation in the certificates API.')),
  )
  router.use(errorHandler({ views: ctx.views, logger: ctx.logger, apiPrefix: '/' }))
  return router
}
