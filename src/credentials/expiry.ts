/**
 * Certificates in the daily expiry check: the active certificate of each owner expires like a
 * client secret does, and is reported by the same 90/30/7-day rule, naming its thumbprint.
 */
import type { ExpiringSecret } from '../ops/secret-expiry.js'
import type { CertificateRecord } from '../store/credential-types.js'

/** The name of an owner for people, or null when the owner is gone (its certificate is not reported). */
export type OwnerName = (certificate: Pick<CertificateRecord, 'ownerKind' | 'ownerId'>) => string | null

/**
 * Active certificates as expiring secrets: `kind` is the owner's (`profile` or `login-client`),
 * `certificate` names the certificate.
 *
 * @example
 * evaluateSecrets(certificateSecrets(await store.credentials.listActive(), nameOf), ctx.now())
 */
export function certificateSecrets(active: readonly CertificateRecord[], nameOf: OwnerName): ExpiringSecret[] {
  return active.flatMap((c) => {
    const name = nameOf(c)
    if (name === null) return []
    return [
      {
        kind: c.ownerKind === 'profile' ? ('profile' as const) : ('login-client' as const),
        id: c.ownerId,
        name,
        expiresAt: c.notAfter,
        certificate: { id: c.id, thumbprint: c.thumbprintSha1 },
      },
    ]
  })
}
