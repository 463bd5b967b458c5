/**
 * A provider refusing a client assertion, in plain words that name the certificate. Entra says
 * why (AADSTS700027: the key is not registered or the signature fails; AADSTS700024: outside its
 * validity time); Keycloak and oidc-provider answer `invalid_client` and keep the reason to
 * themselves, and the most common reason there is a certificate the provider was never given
 * (after a switch to a new one), so that is what the message says, with the other causes named.
 */
import { AuthdockError, isAuthdockError } from '../errors.js'
import { providerErrorClass, type ProviderErrorClass, type ProviderErrorKey } from '../oauth/provider-errors.js'
import type { CertificateRecord } from '../store/credential-types.js'

/** Entra codes about client assertions; any other AADSTS code is not ours to explain. */
const ENTRA: Record<string, ProviderErrorKey> = {
  '700027': 'certificateUnknown',
  '700024': 'assertionTime',
  '700021': 'assertionInvalid',
  '700023': 'assertionInvalid',
  '50027': 'assertionInvalid',
}

const TIME = /expired|not active|not yet valid|\b(exp|nbf|iat)\b|clock|time range/i

interface ProviderError {
  error?: unknown
  error_description?: unknown
  cause?: unknown
}

function entraCode(e: ProviderError): string | undefined {
  const body = e.cause as { error_codes?: unknown } | undefined
  if (body && Array.isArray(body.error_codes) && body.error_codes.length > 0) return String(body.error_codes[0])
  return /AADSTS(\d{4,7})/.exec(String(e.error_description ?? ''))?.[1]
}

/**
 * Our own refusal before sending (expired or missing certificate), thrown from the ClientAuth:
 * openid-client hands it on wrapped in its ClientError ("something went wrong").
 */
function ownRefusal(err: unknown): AuthdockError | undefined {
  let current: unknown = err
  for (let i = 0; i < 4 && current instanceof Error; i++) {
    if (
      isAuthdockError(current, 'CLIENT_CERTIFICATE_EXPIRED') ||
      isAuthdockError(current, 'CLIENT_CERTIFICATE_MISSING')
    )
      return current
    current = current.cause
  }
  return undefined
}

/** Which refusal of certificate authentication this error is, or null when it is none. */
export function certificateRefusalKey(err: unknown): ProviderErrorKey | null {
  const own = ownRefusal(err)
  if (own) return own.code === 'CLIENT_CERTIFICATE_EXPIRED' ? 'certificateExpired' : 'certificateMissing'
  const e = err as ProviderError | null
  if (!e || typeof e !== 'object' || typeof e.error !== 'string') return null
  const entra = entraCode(e)
  if (entra) return ENTRA[entra] ?? null
  if (e.error !== 'invalid_client') return null
  return TIME.test(String(e.error_description ?? '')) ? 'assertionTime' : 'certificateUnknown'
}

/**
 * The class of a refused client assertion, naming `certificate` (the one it was signed with), or
 * null when `err` is no such refusal.
 *
 * @example
 * const cls = certificateErrorClass(err, activeCertificate) // { code: 'CLIENT_CERTIFICATE_UNKNOWN', hint: 'The provider does not accept the certificate 4D70…' }
 */
export function certificateErrorClass(
  err: unknown,
  certificate: Pick<CertificateRecord, 'thumbprintSha1' | 'notAfter'> | null,
): ProviderErrorClass | null {
  const key = certificateRefusalKey(err)
  if (!key) return null
  const own = ownRefusal(err)
  if (own) {
    const d = isAuthdockError(own, 'CLIENT_CERTIFICATE_EXPIRED') ? own.details : undefined
    return providerErrorClass(
      key,
      undefined,
      d ? { certificate: String(d.certificate), date: String(d.date) } : undefined,
    )
  }
  const e = err as ProviderError
  const entra = entraCode(e)
  const providerCode = entra ? `AADSTS${entra}` : String(e.error)
  return providerErrorClass(key, providerCode, { certificate: certificate?.thumbprintSha1 ?? 'unknown' })
}

/**
 * A login error (already mapped by mapOidcError) re-told when it is a refused client assertion:
 * CLIENT_CERTIFICATE_UNKNOWN or CLIENT_ASSERTION_INVALID naming the certificate, with the
 * provider's code. Anything else is returned as it is.
 */
export function loginCertificateError(
  error: AuthdockError,
  providerId: string,
  certificate: CertificateRecord | null,
): AuthdockError {
  if (error.code.startsWith('CLIENT_')) return error
  const original = error.cause ?? error
  const cls = certificateErrorClass(original, certificate)
  if (!cls) return error
  return new AuthdockError(
    cls.code,
    `Login provider "${providerId}": ${cls.hint}${cls.providerCode ? ` (${cls.providerCode})` : ''}`,
    {
      cause: original,
      details: {
        ...error.details,
        providerError: cls.providerCode,
        certificate: certificate?.thumbprintSha1 ?? null,
        hintKey: cls.hintKey,
        ...(cls.hintVars ? { hintVars: cls.hintVars } : {}),
      },
    },
  )
}
