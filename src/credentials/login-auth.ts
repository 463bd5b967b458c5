/**
 * Certificate authentication of a login provider (`oidc.clientAuth.kind: 'private_key_jwt'`): the
 * ClientAuth its discovered configuration uses for the code exchange and for silent re-login, and
 * the retelling of a refusal so the retry page and the audit name the certificate.
 */
import type * as client from 'openid-client'
import type { ProviderConfig } from '../config.js'
import type { DockContext } from '../context.js'
import type { AuthdockError } from '../errors.js'
import type { CredentialOwner } from '../store/credential-types.js'
import { certificateClientAuth } from './client-auth.js'
import { loginCertificateError } from './refusal.js'

/** The credentials owner of a login provider from the options. */
export function loginProviderOwner(providerId: string): CredentialOwner {
  return { kind: 'login-provider', id: providerId }
}

/** True when the provider authenticates with a certificate. */
export function usesCertificate(provider: Pick<ProviderConfig, 'clientAuth'>): boolean {
  return provider.clientAuth.kind === 'private_key_jwt'
}

/**
 * The provider's ClientAuth when it authenticates with a certificate, else null. The active
 * certificate is read at every token request, so a switch applies without a new discovery.
 */
export function loginClientAuth(
  ctx: Pick<DockContext, 'store' | 'now'>,
  provider: ProviderConfig,
): client.ClientAuth | null {
  if (!usesCertificate(provider)) return null
  return certificateClientAuth(
    ctx.store.credentials,
    loginProviderOwner(provider.id),
    `login provider "${provider.id}"`,
    {
      now: ctx.now,
      audience: provider.clientAuth.audience,
    },
  )
}

/**
 * A login error re-told when the provider refused the client assertion (CLIENT_CERTIFICATE_UNKNOWN,
 * CLIENT_ASSERTION_INVALID, naming the active certificate); any other error as it is.
 */
export async function explainLoginError(
  ctx: Pick<DockContext, 'store'>,
  provider: ProviderConfig,
  error: AuthdockError,
): Promise<AuthdockError> {
  if (!usesCertificate(provider) || error.code.startsWith('CLIENT_')) return error
  const active =
    (await ctx.store.credentials.list(loginProviderOwner(provider.id)).catch(() => [])).find((c) => c.active) ?? null
  return loginCertificateError(error, provider.id, active)
}
