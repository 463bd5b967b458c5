/** Sending a certificate or a JWKS: public material, but still never cached or sniffed. */
import type { Request, Response, Router } from 'express'
import { handler } from '../http/handler.js'
import type { CertificateRecord } from '../store/credential-types.js'
import { certificateDer } from './certificate.js'
import { certificateFileName } from './view-model.js'
import type { CredentialService, OwnerView } from './service.js'

/** `.cer` is the DER certificate (what Entra's "Upload certificate" takes); `.pem` the same as text. */
export function sendCertificateFile(res: Response, owner: OwnerView, c: CertificateRecord, ext: 'cer' | 'pem'): void {
  res
    .status(200)
    .set('Content-Type', ext === 'cer' ? 'application/pkix-cert' : 'application/x-pem-file')
    .set('Content-Disposition', `attachment; filename="${certificateFileName(owner, c, ext)}"`)
    .set('Cache-Control', 'no-store')
    .set('X-Content-Type-Options', 'nosniff')
    .send(ext === 'cer' ? certificateDer(c.certificatePem) : c.certificatePem)
}

export function sendJwks(res: Response, jwks: unknown, cacheControl = 'no-store'): void {
  res
    .status(200)
    .set('Content-Type', 'application/json; charset=utf-8')
    .set('Cache-Control', cacheControl)
    .set('X-Content-Type-Options', 'nosniff')
    .send(JSON.stringify(jwks, null, 2))
}

/** `GET /:kind/:id/jwks.json`: the owner's public JWKS as a download, on the admin page and the JSON API alike. */
export function addJwksDownload(router: Router, service: CredentialService): void {
  router.get(
    '/:kind/:id/jwks.json',
    handler(async (req: Request, res) => {
      sendJwks(res, await service.jwks(await service.owner(String(req.params.kind), String(req.params.id))))
    }),
  )
}
