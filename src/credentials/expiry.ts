/**
 * Certificates in the daily expiry check: the active certificate of each owner expires like a
 * client secret does, and is reported by the same 90/30/7-day rule, naming its thumbprint.
 */
import type { ResolvedConfig } from '../config.js'
import type { ExpiringSecret } from '../ops/secret-expiry.js'
import type { CertificateRecord } from '../store/credential-types.js'
import type { Store } from '../store/types.js'

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

/** A certificate's expiry as the metrics show it: its owner, thumbprint and whether it signs now. */
export interface CertificateExpiry {
  kind: ExpiringSecret['kind']
  id: string
  /** SHA-1 thumbprint, as the admin page and Entra show it. */
  thumbprint: string
  /** `active`: assertions are signed with it; `waiting`: generated for a rotation, not yet switched to. */
  state: 'active' | 'waiting'
  expiresAt: Date
}

/**
 * Every certificate of an owner that still exists (profiles, login providers of the options and of
 * the admin), active and waiting: a waiting one that expires before the switch is worth seeing too.
 *
 * @example
 * for (const c of await certificateExpiries(ctx)) gauge.set({ id: c.id, certificate: c.thumbprint }, seconds(c.expiresAt))
 */
export async function certificateExpiries(ctx: {
  config: Pick<ResolvedConfig, 'oidc'>
  store: Pick<Store, 'profiles' | 'loginProviders' | 'credentials'>
}): Promise<CertificateExpiry[]> {
  const [profiles, providers, certificates] = await Promise.all([
    ctx.store.profiles.list(),
    ctx.store.loginProviders.list(),
    ctx.store.credentials.listAll(),
  ])
  const owners = new Set([
    ...profiles.map((p) => `profile:${p.id}`),
    ...ctx.config.oidc.map((p) => `login-provider:${p.id}`),
    ...providers.map((p) => `login-provider:${p.id}`),
  ])
  return certificates
    .filter((c) => owners.has(`${c.ownerKind}:${c.ownerId}`))
    .map((c) => ({
      kind: c.ownerKind === 'profile' ? ('profile' as const) : ('login-client' as const),
      id: c.ownerId,
      thumbprint: c.thumbprintSha1,
      state: c.active ? ('active' as const) : ('waiting' as const),
      expiresAt: c.notAfter,
    }))
}
