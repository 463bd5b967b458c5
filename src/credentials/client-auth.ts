/**
 * `private_key_jwt` client authentication (RFC 7523) for openid-client: every token request
 * carries a client assertion signed with the owner's active certificate. The certificate is read
 * at each request, so a switch to another certificate applies at once on every instance.
 *
 * The assertion is openid-client's (`PrivateKeyJwt`: `iss` = `sub` = client id, a fresh `jti`,
 * `iat`/`nbf` now and `exp` 60 s later, signed RS256 by WebCrypto with a key jose imports). We
 * only adjust it: `aud` is the token endpoint (Entra requires that; Keycloak and oidc-provider
 * accept it, or the issuer where a provider wants that), and the header names the certificate by
 * `kid`, `x5t` (SHA-1, which Entra looks the certificate up by) and `x5t#S256`.
 */
import * as client from 'openid-client'
import { importPKCS8 } from 'jose'
import { AuthdockError } from '../errors.js'
import type { CertificateRecord, CredentialOwner, CredentialsStore } from '../store/credential-types.js'

/** Hex thumbprint bytes as base64url, the form of the `x5t` and `x5t#S256` JWT header parameters. */
function thumbprintHeader(hexThumbprint: string): string {
  return Buffer.from(hexThumbprint, 'hex').toString('base64url')
}

/** What the assertion's `aud` is: the token endpoint (default) or the issuer. */
export type AssertionAudience = 'token_endpoint' | 'issuer'

export interface CertificateAuthOptions {
  audience?: AssertionAudience
  /** Milliseconds since the epoch (ctx.now): an expired certificate is refused before any request. */
  now: () => number
  /** Called with the certificate each assertion is signed with (to name it when the provider refuses). */
  onSign?: (certificate: CertificateRecord) => void
}

/** Describes the owner in messages: `profile "Mailbox"`, `login provider "entra"`. */
export type OwnerLabel = string

/**
 * An openid-client `ClientAuth` that signs a client assertion with the owner's active certificate.
 * Throws CLIENT_CERTIFICATE_MISSING (no active certificate) or CLIENT_CERTIFICATE_EXPIRED before
 * anything is sent.
 *
 * @example
 * const auth = certificateClientAuth(ctx.store.credentials, { kind: 'profile', id }, 'profile "Mailbox"', { now: ctx.now })
 * const config = new client.Configuration(server, clientId, undefined, auth)
 */
export function certificateClientAuth(
  store: Pick<CredentialsStore, 'activeSigner'>,
  owner: CredentialOwner,
  label: OwnerLabel,
  options: CertificateAuthOptions,
): client.ClientAuth {
  // openid-client types ClientAuth as returning void, but oauth4webapi awaits it before every
  // authenticated request, so an async signer is sound.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  return async (as, metadata, body, headers) => {
    const signer = await store.activeSigner(owner)
    if (!signer) {
      throw new AuthdockError(
        'CLIENT_CERTIFICATE_MISSING',
        `${label} authenticates with a certificate, but none is active: generate one in its certificates page, upload it at the provider and activate it.`,
        {
          details: { ownerKind: owner.kind, ownerId: owner.id, hintKey: 'tokens.hint.certificateMissing' },
        },
      )
    }
    if (signer.notAfter.getTime() <= options.now()) throw certificateExpired(label, signer)
    const { privateKeyPem, ...certificate } = signer
    const key = await importPKCS8(privateKeyPem, 'RS256')
    options.onSign?.(certificate)
    const audience = options.audience ?? 'token_endpoint'
    const sign = client.PrivateKeyJwt(
      { key, kid: certificate.kid },
      {
        [client.modifyAssertion]: (header, payload) => {
          header.x5t = thumbprintHeader(certificate.thumbprintSha1)
          header['x5t#S256'] = thumbprintHeader(certificate.thumbprintSha256)
          payload.aud = audience === 'issuer' || !as.token_endpoint ? as.issuer : as.token_endpoint
        },
      },
    )
    await sign(as, metadata, body, headers)
  }
}

/** The refusal of an expired active certificate (checked here, as Entra would check it there). */
export function certificateExpired(label: OwnerLabel, certificate: CertificateRecord): AuthdockError {
  const date = certificate.notAfter.toISOString().slice(0, 10)
  return new AuthdockError(
    'CLIENT_CERTIFICATE_EXPIRED',
    `The certificate ${certificate.thumbprintSha1} of ${label} expired on ${date}: generate a new certificate, upload it at the provider and activate it.`,
    { details: { certificate: certificate.thumbprintSha1, date, hintKey: 'tokens.hint.certificateExpired' } },
  )
}
