/**
 * Turns what a provider (or the network) answered into a stable error code, the profile status
 * to store, and a hint in plain words saying what to do. Raw provider bodies are never kept (they
 * can echo client ids, tenant names or worse); only the short provider error code is, such as
 * `invalid_grant` or `AADSTS7000222`.
 */
import type { AuthdockErrorCode } from '../errors.js'
import { isAuthdockError } from '../errors.js'
import { englishText } from '../http/i18n.js'
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
  /** Plain English (for logs, JSON and the stored record): what happened and what to do. */
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

/** What each case means for the profile; its words are `tokens.hint.<key>` in views/locales. */
const HINTS: Record<ProviderErrorKey, { code: AuthdockErrorCode; status: TokenStatus; transient: boolean }> = {
  grantInvalid: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
  },
  consentRevoked: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
  },
  consentMissing: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
  },
  secretExpired: {
    code: 'TOKEN_SECRET_EXPIRED',
    status: 'secret_expired',
    transient: false,
  },
  secretInvalid: {
    code: 'TOKEN_SECRET_INVALID',
    status: 'error',
    transient: false,
  },
  clientInvalid: {
    code: 'TOKEN_SECRET_INVALID',
    status: 'error',
    transient: false,
  },
  inactivityExpired: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
  },
  credentialsChanged: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
  },
  signInFrequency: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
  },
  refreshTokenExpired: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
  },
  interactionRequired: {
    code: 'TOKEN_REAUTHORIZATION_REQUIRED',
    status: 'reauthorization_required',
    transient: false,
  },
  unauthorizedClient: {
    code: 'TOKEN_PROFILE_INVALID',
    status: 'error',
    transient: false,
  },
  scopeMissing: {
    code: 'TOKEN_SCOPE_MISSING',
    status: 'error',
    transient: false,
  },
  providerUnreachable: {
    code: 'TOKEN_PROVIDER_UNREACHABLE',
    status: 'error',
    transient: true,
  },
  providerTimeout: {
    code: 'TOKEN_PROVIDER_UNREACHABLE',
    status: 'error',
    transient: true,
  },
  providerServerError: {
    code: 'TOKEN_REFRESH_FAILED',
    status: 'error',
    transient: true,
  },
  providerRejected: {
    code: 'TOKEN_REFRESH_FAILED',
    status: 'error',
    transient: true,
  },
  addressRefused: {
    code: 'OUTBOUND_ADDRESS_REFUSED',
    status: 'error',
    transient: false,
  },
  unexpected: {
    code: 'TOKEN_REFRESH_FAILED',
    status: 'error',
    transient: true,
  },
  certificateUnknown: {
    code: 'CLIENT_CERTIFICATE_UNKNOWN',
    status: 'error',
    transient: false,
  },
  assertionTime: {
    code: 'CLIENT_ASSERTION_INVALID',
    status: 'error',
    transient: true,
  },
  assertionInvalid: {
    code: 'CLIENT_ASSERTION_INVALID',
    status: 'error',
    transient: false,
  },
  certificateExpired: {
    code: 'CLIENT_CERTIFICATE_EXPIRED',
    status: 'error',
    transient: false,
  },
  certificateMissing: {
    code: 'CLIENT_CERTIFICATE_MISSING',
    status: 'error',
    transient: false,
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
  const { code, status, transient } = HINTS[key]
  return {
    code,
    status,
    hint: englishText(`tokens.hint.${key}`, hintVars),
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
    return {
      ...providerErrorClass(key),
      code: err.code,
      hint: err.expose ? err.message : englishText(`tokens.hint.${key}`),
    }
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
