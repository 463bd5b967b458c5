/**
 * Certificate authentication for one token request of an OAuth2 profile ("renew authorization",
 * refresh, client credentials): the ClientAuth when the profile uses `private_key_jwt`, and the
 * translation of a refusal into an error that names the certificate the assertion was signed with.
 */
import type * as client from 'openid-client'
import { ClassifiedProviderError } from '../oauth/provider-errors.js'
import type { CertificateRecord } from '../store/credential-types.js'
import type { Profile, Store } from '../store/types.js'
import { certificateClientAuth } from './client-auth.js'
import { certificateErrorClass } from './refusal.js'

export interface ProfileCertificateAuth {
  auth: client.ClientAuth
  /** `err` as a ClassifiedProviderError when it is a refused assertion (or certificate), else unchanged. */
  explain(err: unknown): unknown
}

/**
 * Null when the profile authenticates with its client secret (or none).
 *
 * @example
 * const certificate = await profileCertificateAuth(ctx, profile)
 * const config = oauthConfiguration(ctx, profile, certificate ? null : secret, { auth: certificate?.auth })
 * try { await client.refreshTokenGrant(config, rt) } catch (err) { throw certificate ? certificate.explain(err) : err }
 */
export async function profileCertificateAuth(
  ctx: { store: Pick<Store, 'credentials'>; now: () => number },
  profile: Pick<Profile, 'id' | 'name'>,
): Promise<ProfileCertificateAuth | null> {
  const owner = { kind: 'profile' as const, id: profile.id }
  if ((await ctx.store.credentials.method(owner)) !== 'private_key_jwt') return null
  // Each request builds its own configuration, so this is the certificate of this request alone.
  let signedWith: CertificateRecord | null = null
  const auth = certificateClientAuth(ctx.store.credentials, owner, `OAuth2 profile "${profile.name}"`, {
    now: ctx.now,
    onSign: (certificate) => {
      signedWith = certificate
    },
  })
  return {
    auth,
    explain(err) {
      const cls = certificateErrorClass(err, signedWith)
      return cls ? new ClassifiedProviderError(cls, { cause: err }) : err
    },
  }
}
