/**
 * Turns what a provider (or the network) answered into a stable error code, the profile status
 * to store, and a hint in plain words saying what to do. Raw provider bodies are never kept (they
 * can echo client ids, tenant names or worse); only the short provider error code is, such as
 * `invalid_grant` or `AADSTS7000222`.
 */
import type { AuthdockErrorCode } from '../errors.js'
import { isAuthdockError } from '../errors.js'
import { outboundRefusal } from '../http/outbound-address.js'
import type { TokenStatus } from '../store/types.js'

/** Keys of the hints; the texts live in views/locales/<lang>/tokens.json under `hint.<key>`. */
export type ProviderErrorKey =
  | 'grantInvalid'
  | 'consentRevoked'
  | 'consentMissing'
  | 'secretExpired'
  | 'secretInvalid'
  | 'clientInvalid'
  | 'inactivityExpired'
  | 'credentialsChanged'
  | 'signInFrequency'
  | 'refreshTokenExpired'
  | 'interactionRequired'
  | 'unauthorizedClient'
  | 'scopeMissing'
  | 'providerUnreachable'
  | 'providerTimeout'
  | 'providerServerError'
  | 'providerRejected'
  | 'addressRefused'
  | 'unexpected'
  | 'certificateUnknown'
  | 'assertionTime'
  | 'assertionInvalid'
  | 'certificateExpired'
  | 'certificateMissing'

export interface ProviderErrorClass {
  code: AuthdockErrorCode
  /** The status the profile's token record gets. */
  status: TokenStatus
  /** Plain English: what happened and what to do. */
  hint: string
  /** i18n key of the hint (`tokens.hint.<key>`), for pages that show German. */
  hintKey: `tokens.hint.${ProviderErrorKey}`
  /** Short provider error code (`invalid_grant`, `AADSTS7000222`), never the provider's text. */
  providerCode?: string
  /** Worth trying again later by itself (network, 5xx); false when a person has to act. */
  transient: boolean
  /** Values of the hint's placeholders (`{certificate}`: a SHA-1 thumbprint, `{date}`), for the translated text. */
  hintVars?: Record<string, string>
}

const HINTS: Record<
  ProviderErrorKey,
  { code: AuthdockErrorCode; status: TokenStatus; transient: boolean; hint: string }
> = {
  grantInvalid: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
    hint: 'The provider no longer accepts the stored authorization. Run "Renew authorization" for this profile.',
  },
  consentRevoked: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
    hint: 'The authorization was revoked at the provider (consent withdrawn or tokens revoked). Run "Renew authorization" for this profile.',
  },
  consentMissing: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
    hint: 'The user or an administrator has not consented to the requested permissions. Grant consent (admin consent at Entra ID), then run "Renew authorization".',
  },
  secretExpired: {
    code: 'TOKEN_SECRET_EXPIRED',
    status: 'secret_expired',
    transient: false,
    hint: 'The client secret has expired. Create a new secret at the provider, enter it in the profile, then save.',
  },
  secretInvalid: {
    code: 'TOKEN_SECRET_INVALID',
    status: 'error',
    transient: false,
    hint: 'The provider rejected the client secret. Enter the secret value (not its id) in the profile and save.',
  },
  clientInvalid: {
    code: 'TOKEN_SECRET_INVALID',
    status: 'error',
    transient: false,
    hint: 'The provider did not accept the client. Check the client ID and the client secret of the profile.',
  },
  inactivityExpired: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
    hint: 'The refresh token expired because it was not used for a long time. Run "Renew authorization"; the keep-alive refresh prevents this in future.',
  },
  credentialsChanged: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
    hint: 'The authorization ended because the account\'s password or security settings changed. Run "Renew authorization".',
  },
  signInFrequency: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
    hint: 'A sign-in frequency policy (Conditional Access) requires a new sign-in. Run "Renew authorization", or exclude this app from the policy.',
  },
  refreshTokenExpired: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
    hint: 'The refresh token has expired. Run "Renew authorization" for this profile.',
  },
  interactionRequired: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
    hint: 'The provider requires the user to sign in again (for example for multi-factor authentication). Run "Renew authorization".',
  },
  unauthorizedClient: {
    code: 'TOKEN_PROFILE_INVALID',
    status: 'error',
    transient: false,
    hint: "The client is not allowed to use this grant type at the provider. Enable it in the app registration, or change the profile's grant type.",
  },
  scopeMissing: {
    code: 'TOKEN_SCOPE_MISSING',
    status: 'error',
    transient: false,
    hint: 'The provider did not grant the requested scope. Check the scope of the profile and the permissions of the app registration, then run "Renew authorization".',
  },
  providerUnreachable: {
    code: 'TOKEN_PROVIDER_UNREACHABLE',
    status: 'error',
    transient: true,
    hint: 'The provider could not be reached. Check the token URL, the network and the proxy setting; the refresh is retried automatically.',
  },
  providerTimeout: {
    code: 'TOKEN_PROVIDER_UNREACHABLE',
    status: 'error',
    transient: true,
    hint: 'The provider did not answer in time. The refresh is retried automatically; check the network and proxy if this persists.',
  },
  providerServerError: {
    code: 'TOKEN_REFRESH_FAILED',
    status: 'error',
    transient: true,
    hint: 'The provider had an internal error. The refresh is retried automatically.',
  },
  providerRejected: {
    code: 'TOKEN_REFRESH_FAILED',
    status: 'error',
    transient: true,
    hint: 'The provider refused the token request. Check the profile settings; the refresh is retried automatically.',
  },
  addressRefused: {
    code: 'OUTBOUND_ADDRESS_REFUSED',
    status: 'error',
    transient: false,
    hint: 'The token URL or proxy points to a link-local or cloud metadata address, which authdock never connects to. Correct the profile.',
  },
  unexpected: {
    code: 'TOKEN_REFRESH_FAILED',
    status: 'error',
    transient: true,
    hint: 'The token request failed unexpectedly. The refresh is retried automatically.',
  },
  certificateUnknown: {
    code: 'CLIENT_CERTIFICATE_UNKNOWN',
    status: 'error',
    transient: false,
    hint: 'The provider does not accept the certificate {certificate} that the client assertion was signed with. Upload this certificate at the provider (Keycloak: client authenticator "Signed JWT"), or activate the certificate the provider knows.',
  },
  assertionTime: {
    code: 'CLIENT_ASSERTION_INVALID',
    status: 'error',
    transient: true,
    hint: "The provider refused the client assertion signed with certificate {certificate} as outside its validity time. Check that this server's clock is right; the request is retried automatically.",
  },
  assertionInvalid: {
    code: 'CLIENT_ASSERTION_INVALID',
    status: 'error',
    transient: false,
    hint: 'The provider refused the client assertion signed with certificate {certificate}. Check the client ID and that the provider expects a signed JWT (private_key_jwt) from this client.',
  },
  certificateExpired: {
    code: 'CLIENT_CERTIFICATE_EXPIRED',
    status: 'error',
    transient: false,
    hint: 'The certificate {certificate} expired on {date}. Generate a new certificate, upload it at the provider and activate it.',
  },
  certificateMissing: {
    code: 'CLIENT_CERTIFICATE_MISSING',
    status: 'error',
    transient: false,
    hint: 'Certificate authentication is chosen, but no certificate is active. Generate a certificate, upload it at the provider and activate it.',
  },
}

/** Entra (AADSTS) codes that say more than the OAuth error code does. */
const ENTRA: Record<string, ProviderErrorKey> = {
  '7000222': 'secretExpired',
  '7000215': 'secretInvalid',
  '700082': 'inactivityExpired',
  '70008': 'refreshTokenExpired',
  '65001': 'consentMissing',
  '65004': 'consentRevoked',
  '50173': 'credentialsChanged',
  '70043': 'signInFrequency',
  '50076': 'interactionRequired',
  '50079': 'interactionRequired',
  '700016': 'clientInvalid',
  '70011': 'scopeMissing',
  '500011': 'scopeMissing',
}

const OAUTH: Record<string, ProviderErrorKey> = {
  invalid_grant: 'grantInvalid',
  invalid_client: 'clientInvalid',
  unauthorized_client: 'unauthorizedClient',
  unsupported_grant_type: 'unauthorizedClient',
  invalid_scope: 'scopeMissing',
  insufficient_scope: 'scopeMissing',
  consent_required: 'consentMissing',
  interaction_required: 'interactionRequired',
  login_required: 'interactionRequired',
  access_denied: 'consentRevoked',
  server_error: 'providerServerError',
  temporarily_unavailable: 'providerServerError',
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
])

/**
 * Build the class of a known case (also used for checks we make ourselves, e.g. a missing scope).
 * `hintVars` fill the hint's placeholders; without them a templated hint keeps its `{name}`s.
 */
export function providerErrorClass(
  key: ProviderErrorKey,
  providerCode?: string,
  hintVars?: Record<string, string>,
): ProviderErrorClass {
  const { code, status, hint, transient } = HINTS[key]
  const filled = hintVars ? hint.replace(/\{(\w+)\}/g, (m, name: string) => hintVars[name] ?? m) : hint
  return {
    code,
    status,
    hint: filled,
    hintKey: `tokens.hint.${key}`,
    transient,
    ...(providerCode ? { providerCode } : {}),
    ...(hintVars ? { hintVars } : {}),
  }
}

/**
 * An error whose class is already known where it happened (a refused client assertion, named by
 * its certificate): {@link classifyProviderError} returns that class as it is.
 */
export class ClassifiedProviderError extends Error {
  override readonly name = 'ClassifiedProviderError'
  constructor(
    readonly cls: ProviderErrorClass,
    options?: { cause?: unknown },
  ) {
    super(cls.hint, options)
  }
}

/**
 * Classify an error thrown by an openid-client grant (or by fetch under it).
 *
 * @example
 * catch (err) { const c = classifyProviderError(err); throw new AuthdockError(c.code, c.hint) }
 */
export function classifyProviderError(err: unknown): ProviderErrorClass {
  if (err instanceof ClassifiedProviderError) return err.cls
  if (outboundRefusal(err)) return providerErrorClass('addressRefused')
  if (isAuthdockError(err)) {
    const key: ProviderErrorKey = err.code === 'TOKEN_PROVIDER_UNREACHABLE' ? 'providerUnreachable' : 'unexpected'
    return { ...providerErrorClass(key), code: err.code, hint: err.expose ? err.message : HINTS[key].hint }
  }
  const e = err as {
    error?: unknown
    error_description?: unknown
    status?: unknown
    code?: unknown
    cause?: unknown
    name?: unknown
  } | null
  if (e && typeof e === 'object') {
    // An OAuth error body (openid-client's ResponseBodyError) or a WWW-Authenticate challenge.
    const oauthError = typeof e.error === 'string' ? e.error : challengeError(e)
    if (oauthError) {
      const entra = entraCode(e)
      if (entra && ENTRA[entra]) return providerErrorClass(ENTRA[entra], `AADSTS${entra}`)
      if (oauthError === 'invalid_grant' && /revok/i.test(String(e.error_description ?? ''))) {
        return providerErrorClass('consentRevoked', oauthError)
      }
      const key =
        OAUTH[oauthError] ??
        (typeof e.status === 'number' && e.status >= 500 ? 'providerServerError' : 'providerRejected')
      return providerErrorClass(key, safeCode(oauthError))
    }
    if (e.code === 'OAUTH_TIMEOUT' || e.name === 'TimeoutError' || isTimeout(e.cause))
      return providerErrorClass('providerTimeout')
    if (e.code === 'OAUTH_ABORT' || e.name === 'AbortError') return providerErrorClass('providerTimeout')
    const status = responseStatus(e.cause)
    if (status !== undefined) {
      return providerErrorClass(status >= 500 ? 'providerServerError' : 'providerRejected', `HTTP ${status}`)
    }
    if (
      e.code === 'OAUTH_RESPONSE_IS_NOT_JSON' ||
      e.code === 'OAUTH_INVALID_RESPONSE' ||
      e.code === 'OAUTH_PARSE_ERROR'
    ) {
      return providerErrorClass('providerRejected')
    }
    if (isNetworkError(e)) return providerErrorClass('providerUnreachable')
  }
  return providerErrorClass('unexpected')
}

function entraCode(e: { error_description?: unknown; cause?: unknown }): string | undefined {
  const body = e.cause as { error_codes?: unknown } | undefined
  if (body && Array.isArray(body.error_codes) && body.error_codes.length > 0) return String(body.error_codes[0])
  const match = /AADSTS(\d{4,7})/.exec(String(e.error_description ?? ''))
  return match?.[1]
}

function challengeError(e: { cause?: unknown }): string | undefined {
  if (!Array.isArray(e.cause)) return undefined
  for (const challenge of e.cause as Array<{ parameters?: { error?: unknown } }>) {
    if (typeof challenge?.parameters?.error === 'string') return challenge.parameters.error
  }
  return undefined
}

/** Provider error codes are short tokens; anything else is not kept. */
function safeCode(code: string): string | undefined {
  return /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined
}

function responseStatus(cause: unknown): number | undefined {
  // By shape: a response from the undici package (proxy, outbound check) is no instance of Node's Response.
  const c = cause as { status?: unknown; headers?: { get?: unknown } } | null
  if (c && typeof c === 'object' && typeof c.status === 'number' && typeof c.headers?.get === 'function')
    return c.status
  return undefined
}

function isTimeout(cause: unknown): boolean {
  return typeof cause === 'object' && cause !== null && (cause as { name?: unknown }).name === 'TimeoutError'
}

function isNetworkError(e: { code?: unknown; cause?: unknown; name?: unknown }): boolean {
  for (let cur: unknown = e, depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const c = cur as { code?: unknown; cause?: unknown; name?: unknown; message?: unknown }
    if (typeof c.code === 'string' && NETWORK_CODES.has(c.code)) return true
    if (c.name === 'TypeError' && c.message === 'fetch failed') return true
    cur = c.cause
  }
  return false
}
