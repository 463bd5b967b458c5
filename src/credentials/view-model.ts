/**
 * What the certificates page and its JSON API show: public facts only. The private key is not in
 * any of these shapes, so no page, download or answer can carry it.
 */
import type { ResolvedConfig } from '../config.js'
import type { CertificateRecord, CredentialOwner } from '../store/credential-types.js'
import { publicJwk } from './certificate.js'
import type { OwnerView } from './service.js'

export type CertificateState = 'active' | 'waiting' | 'expired'

export function certificateState(c: CertificateRecord, now: number): CertificateState {
  if (c.notAfter.getTime() <= now) return 'expired'
  return c.active ? 'active' : 'waiting'
}

/** The owner's path segment: `profile/<id>`, `login-provider/<id>`. */
export function ownerPath(owner: CredentialOwner): string {
  return `${owner.kind}/${encodeURIComponent(owner.id)}`
}

/** The public JWKS URL (for Keycloak's "Use JWKS URL"). */
export function publicJwksUrl(config: Pick<ResolvedConfig, 'baseUrl' | 'paths'>, owner: CredentialOwner): string {
  return `${config.baseUrl}${config.paths.jwks}/${ownerPath(owner)}/jwks.json`
}

/** A certificate file name: `authdock-<owner>-<first 8 of the SHA-1 thumbprint>.<ext>`, ASCII only. */
export function certificateFileName(owner: OwnerView, c: CertificateRecord, ext: 'cer' | 'pem'): string {
  const name =
    owner.name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40)
      .toLowerCase() || owner.kind
  return `authdock-${name}-${c.thumbprintSha1.slice(0, 8).toLowerCase()}.${ext}`
}

/** What the page and the JSON both show of a certificate: its public facts and state. */
export function certificateFacts(c: CertificateRecord, now: number) {
  return {
    id: c.id,
    state: certificateState(c, now),
    active: c.active,
    thumbprintSha1: c.thumbprintSha1,
    thumbprintSha256: c.thumbprintSha256,
    kid: c.kid,
    keySize: c.keySize,
  }
}

/** The JSON shape of a certificate (public facts, the PEM and its JWK). */
export function certificateJson(c: CertificateRecord, now: number, base: string): Record<string, unknown> {
  return {
    ...certificateFacts(c, now),
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    createdAt: c.createdAt,
    createdBy: c.createdBy,
    activatedAt: c.activatedAt,
    certificatePem: c.certificatePem,
    jwk: publicJwk(c),
    downloads: { cer: `${base}/certificates/${c.id}.cer`, pem: `${base}/certificates/${c.id}.pem` },
  }
}

/** The owner in JSON. */
export function ownerJson(owner: OwnerView): Record<string, unknown> {
  return { kind: owner.kind, id: owner.id, name: owner.name, method: owner.method, methodFixed: owner.methodFixed }
}

/** Split `<id>.cer` / `<id>.pem` / `<id>`; null for anything else. */
export function parseCertificateFile(file: string): { id: string; ext: 'cer' | 'pem' | null } | null {
  const match = /^([A-Za-z0-9-]{1,100}?)(?:\.(cer|pem))?$/.exec(file)
  return match ? { id: match[1], ext: (match[2] as 'cer' | 'pem' | undefined) ?? null } : null
}
