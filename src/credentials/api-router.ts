/**
 * The certificates as JSON (mounted at `paths.credentialsApi`), with the same guard, CSRF
 * (`x-csrf-token` from GET /csrf) and validation as the page. Errors are
 * `{ error: { code, message, fields } }`. No answer ever carries a private key.
 */
import type { Request, Router } from 'express'
import { AuthdockError } from '../errors.js'
import { endJsonApi, jsonApiRouter } from '../http/admin-routes.js'
import type { WebContext } from '../http/web-context.js'
import { handler } from '../profiles/http.js'
import { actorOf } from '../profiles/service.js'
import { addJwksDownload, sendCertificateFile } from './downloads.js'
import type { CredentialService, OwnerView } from './service.js'
import { certificateJson, ownerJson, ownerPath, parseCertificateFile, publicJwksUrl } from './view-model.js'

export function createCredentialsApiRouter(ctx: WebContext, service: CredentialService): Router {
  const router = jsonApiRouter(ctx)

  const ownerOf = (req: Request) => service.owner(String(req.params.kind), String(req.params.id))
  const base = (req: Request, owner: OwnerView) => `${req.baseUrl}/${ownerPath(owner)}`
  const body = (req: Request) => (req.body ?? {}) as Record<string, unknown>

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

  addJwksDownload(router, service)

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

  return endJsonApi(router, ctx, 'There is no such operation in the certificates API.')
}
