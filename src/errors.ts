/**
 * One error type for everything authdock throws. `code` is stable (switch on it), `status` is the
 * HTTP status the error handler answers with, and `expose` says whether `message` may be shown to
 * the end user (never true for messages that could carry internal details).
 *
 * Messages never contain secrets: build them from field names and provider error codes only.
 *
 * @example
 * res.status(ERROR_CODES[err.code]) // the HTTP status of a code, e.g. 404 for PROFILE_NOT_FOUND
 */
export const ERROR_CODES = {
  // core / configuration
  CONFIG_INVALID: 500,
  INTERNAL: 500,
  NOT_FOUND: 404,
  VALIDATION_FAILED: 400,
  REQUEST_TOO_LARGE: 413,
  CSRF_INVALID: 403,
  FORBIDDEN: 403,
  /** A URL or host resolves to a link-local or cloud metadata address, which authdock never connects to. */
  OUTBOUND_ADDRESS_REFUSED: 400,
  UNAUTHENTICATED: 401,
  // store
  STORE_UNAVAILABLE: 503,
  SESSION_STORE_UNAVAILABLE: 503,
  DECRYPT_FAILED: 500,
  LOCK_TIMEOUT: 503,
  // login (OIDC and password)
  OIDC_DISCOVERY_FAILED: 502,
  OIDC_ISSUER_MISMATCH: 502,
  OIDC_INSECURE_ISSUER: 500,
  OIDC_STATE_INVALID: 400,
  OIDC_NONCE_INVALID: 400,
  OIDC_ID_TOKEN_INVALID: 400,
  OIDC_SIGNATURE_INVALID: 400,
  OIDC_ALG_NOT_ALLOWED: 400,
  OIDC_CLAIM_INVALID: 400,
  OIDC_ISS_PARAM_INVALID: 400,
  OIDC_USERINFO_SUB_MISMATCH: 400,
  OIDC_TOKEN_ENDPOINT_FAILED: 502,
  /** The identity provider could not be reached or did not answer within `tokens.httpTimeoutMs`. */
  OIDC_PROVIDER_UNAVAILABLE: 503,
  OIDC_PROVIDER_ERROR: 400,
  OIDC_ACCESS_DENIED: 400,
  OIDC_LOGIN_TIMEOUT: 400,
  OIDC_CLAIM_MISSING: 400,
  /** The identifying claim is `email` and the provider says `email_verified: false`. */
  OIDC_EMAIL_NOT_VERIFIED: 403,
  LOGIN_USER_UNKNOWN: 403,
  /** A host callback in `users` threw; its error is the cause (logged, never shown). */
  LOGIN_HOST_CALLBACK_FAILED: 500,
  LOGIN_PASSWORD_INVALID: 401,
  LOGIN_THROTTLED: 429,
  LOGIN_PROVIDER_UNKNOWN: 404,
  /** The provider of a login under way was changed, deactivated or removed before its callback. */
  LOGIN_PROVIDER_CHANGED: 409,
  /** The identity provider says the login client's secret has expired (e.g. AADSTS7000222). */
  OIDC_CLIENT_SECRET_EXPIRED: 502,
  /** The identity provider refuses the login client's credentials (`invalid_client`, AADSTS7000215). */
  OIDC_CLIENT_SECRET_INVALID: 502,
  // login providers managed in the admin
  LOGIN_PROVIDER_NOT_FOUND: 404,
  LOGIN_PROVIDER_READ_ONLY: 409,
  /** The issuer moved to another origin: the stored client secret is not sent there; enter it again or remove it. */
  LOGIN_PROVIDER_SECRET_REQUIRED: 400,
  LOGIN_PROVIDER_CLAIM_CHANGE_UNCONFIRMED: 409,
  // profiles
  PROFILE_NOT_FOUND: 404,
  PROFILE_NAME_TAKEN: 409,
  PROFILE_IN_USE: 409,
  /** The token URL, authorization URL or grant type moved to another server: enter the client secret again. */
  PROFILE_SECRET_REQUIRED: 400,
  AUTHORIZATION_STATE_INVALID: 400,
  AUTHORIZATION_FAILED: 400,
  // tokens
  TOKEN_NOT_AUTHORIZED: 409,
  TOKEN_REAUTHORIZATION_REQUIRED: 409,
  TOKEN_SECRET_EXPIRED: 409,
  TOKEN_SECRET_INVALID: 409,
  TOKEN_SCOPE_MISSING: 409,
  TOKEN_PROFILE_INVALID: 409,
  TOKEN_REFRESH_FAILED: 502,
  TOKEN_PROVIDER_UNREACHABLE: 503,
  TOKEN_BACKOFF: 503,
  // client certificates (private_key_jwt)
  /** The provider does not accept the certificate the client assertion was signed with (e.g. AADSTS700027, or `invalid_client`). */
  CLIENT_CERTIFICATE_UNKNOWN: 409,
  /** The provider refused the client assertion itself: outside its validity time (AADSTS700024) or malformed for it. */
  CLIENT_ASSERTION_INVALID: 409,
  /** The active certificate has expired: no assertion is signed with it. */
  CLIENT_CERTIFICATE_EXPIRED: 409,
  /** Certificate authentication is chosen but there is no active certificate. */
  CLIENT_CERTIFICATE_MISSING: 409,
  /** The active certificate cannot be removed; activate another one first. */
  CLIENT_CERTIFICATE_ACTIVE: 409,
  // mail connections
  /** A mail server offered no TLS (no STARTTLS, or cleartext on an implicit-TLS port): the token was not sent. */
  MAIL_TLS_REQUIRED: 502,
  /** A mail server's certificate did not verify (unknown CA, wrong name, expired): the token was not sent. */
  MAIL_TLS_CERT_INVALID: 502,
} as const satisfies Record<string, number>

/**
 * Every stable error code (README "Error codes"); switch on it.
 *
 * @example
 * function advice(code: AuthdockErrorCode): string {
 *   return code === 'TOKEN_REAUTHORIZATION_REQUIRED' ? 'Renew the authorization' : 'See the log'
 * }
 */
export type AuthdockErrorCode = keyof typeof ERROR_CODES

/** No details. */
type NoDetails = Record<string, never>

/**
 * Why a provider or a token request failed, for the page's advice: the i18n key of the hint
 * (`tokens.hint.<key>`) with its placeholder values, and the provider's short error code.
 *
 * @example
 * if (isAuthdockError(err, 'TOKEN_SECRET_EXPIRED')) alert(err.details?.profileId, err.details?.providerCode)
 */
export interface ProviderFailureDetails {
  profileId?: string
  hintKey?: string
  /** Values of the hint's placeholders (a certificate's SHA-1 thumbprint, a date). */
  hintVars?: Record<string, string>
  /** Short provider error code (`invalid_grant`, `AADSTS7000222`), never the provider's text. */
  providerCode?: string
  /** The provider's error description, shortened (shown escaped, never stored). */
  providerText?: string
  /** The profile's token status and its last error code (a failure read back from the store). */
  status?: string
  lastErrorCode?: string | null
  /** ISO time of the next try (TOKEN_BACKOFF). */
  retryAt?: string
}

/**
 * What a failed login step tells (never a token): its phase and the provider's short answer.
 *
 * @example
 * if (isAuthdockError(err, 'OIDC_ACCESS_DENIED')) log.info({ provider: err.details?.providerError })
 */
export interface LoginFailureDetails {
  phase?: string
  providerError?: string
  providerCode?: string
  providerText?: string
  /** HTTP status of the provider's answer. */
  status?: number
  reason?: string
  claim?: string
  detail?: string
}

/**
 * A client-certificate refusal, at a profile or at a login provider.
 *
 * @example
 * if (isAuthdockError(err, 'CLIENT_CERTIFICATE_EXPIRED')) renew(err.details?.ownerId, err.details?.certificate)
 */
export interface CertificateFailureDetails extends ProviderFailureDetails, Omit<LoginFailureDetails, 'status'> {
  ownerKind?: 'profile' | 'login-provider'
  ownerId?: string
  /** SHA-1 thumbprint of the certificate concerned. */
  certificate?: string | null
  date?: string
}

/**
 * The `details` each code carries: non-secret facts a caller (and a page) may use. Narrow an error
 * with `err.code === 'X'` (or `isAuthdockError(err, 'X')`) to read its details without a cast.
 *
 * @example
 * if (isAuthdockError(err, 'PROFILE_IN_USE')) console.log(err.details?.users.join(', '))
 */
export interface ErrorDetails {
  CONFIG_INVALID: { option?: string; package?: string }
  INTERNAL: NoDetails
  NOT_FOUND: NoDetails
  VALIDATION_FAILED: NoDetails
  REQUEST_TOO_LARGE: NoDetails
  CSRF_INVALID: NoDetails
  FORBIDDEN: NoDetails
  OUTBOUND_ADDRESS_REFUSED: { host?: string; address?: string } & ProviderFailureDetails
  UNAUTHENTICATED: NoDetails
  STORE_UNAVAILABLE: NoDetails
  SESSION_STORE_UNAVAILABLE: { reason?: string }
  DECRYPT_FAILED: { keyId?: string }
  LOCK_TIMEOUT: { profileId?: string }
  OIDC_DISCOVERY_FAILED: LoginFailureDetails
  OIDC_ISSUER_MISMATCH: LoginFailureDetails
  OIDC_INSECURE_ISSUER: LoginFailureDetails
  OIDC_STATE_INVALID: LoginFailureDetails
  OIDC_NONCE_INVALID: LoginFailureDetails
  OIDC_ID_TOKEN_INVALID: LoginFailureDetails
  OIDC_SIGNATURE_INVALID: LoginFailureDetails
  OIDC_ALG_NOT_ALLOWED: LoginFailureDetails
  OIDC_CLAIM_INVALID: LoginFailureDetails & { claim: string }
  OIDC_ISS_PARAM_INVALID: LoginFailureDetails
  OIDC_USERINFO_SUB_MISMATCH: LoginFailureDetails
  OIDC_TOKEN_ENDPOINT_FAILED: LoginFailureDetails
  OIDC_PROVIDER_UNAVAILABLE: LoginFailureDetails
  OIDC_PROVIDER_ERROR: LoginFailureDetails
  OIDC_ACCESS_DENIED: LoginFailureDetails
  OIDC_LOGIN_TIMEOUT: LoginFailureDetails
  OIDC_CLAIM_MISSING: LoginFailureDetails & { claim: string }
  OIDC_EMAIL_NOT_VERIFIED: LoginFailureDetails
  /** `value`: the claim's value the host did not know (the user's own, shown to them). */
  LOGIN_USER_UNKNOWN: { claim: string; claimLabel: string; value: string }
  LOGIN_HOST_CALLBACK_FAILED: { callback: string }
  LOGIN_PASSWORD_INVALID: NoDetails
  /** `scope`: which limit is full. */
  LOGIN_THROTTLED: { reason: 'throttled'; scope: string }
  LOGIN_PROVIDER_UNKNOWN: NoDetails
  LOGIN_PROVIDER_CHANGED: LoginFailureDetails
  OIDC_CLIENT_SECRET_EXPIRED: LoginFailureDetails
  OIDC_CLIENT_SECRET_INVALID: LoginFailureDetails
  LOGIN_PROVIDER_NOT_FOUND: NoDetails
  LOGIN_PROVIDER_READ_ONLY: NoDetails
  /** The issuer's origin before and after. */
  LOGIN_PROVIDER_SECRET_REQUIRED: { from: string; to: string }
  /** `users`: how many remembered users the claim change affects. */
  LOGIN_PROVIDER_CLAIM_CHANGE_UNCONFIRMED: { users: number; from: string; to: string }
  PROFILE_NOT_FOUND: { profile?: string }
  PROFILE_NAME_TAKEN: NoDetails
  /** `users`: what still uses the profile (the host's `profileUsers` answer). */
  PROFILE_IN_USE: { users: string[] }
  /** Which of the profile's server addresses moved. */
  PROFILE_SECRET_REQUIRED: { moved: string[] }
  AUTHORIZATION_STATE_INVALID: { reason: 'missing' | 'unknown' | 'expired'; hintKey: string }
  AUTHORIZATION_FAILED: ProviderFailureDetails & { hintKey: string }
  TOKEN_NOT_AUTHORIZED: ProviderFailureDetails
  TOKEN_REAUTHORIZATION_REQUIRED: ProviderFailureDetails
  TOKEN_SECRET_EXPIRED: ProviderFailureDetails
  TOKEN_SECRET_INVALID: ProviderFailureDetails
  TOKEN_SCOPE_MISSING: ProviderFailureDetails
  TOKEN_PROFILE_INVALID: ProviderFailureDetails
  TOKEN_REFRESH_FAILED: ProviderFailureDetails
  TOKEN_PROVIDER_UNREACHABLE: ProviderFailureDetails
  TOKEN_BACKOFF: ProviderFailureDetails
  CLIENT_CERTIFICATE_UNKNOWN: CertificateFailureDetails
  CLIENT_ASSERTION_INVALID: CertificateFailureDetails
  CLIENT_CERTIFICATE_EXPIRED: CertificateFailureDetails
  CLIENT_CERTIFICATE_MISSING: CertificateFailureDetails
  CLIENT_CERTIFICATE_ACTIVE: { certificateId: string; thumbprintSha1: string }
  /** `reason`: `no_tls`, `starttls_unavailable`, `starttls_injection`, … */
  MAIL_TLS_REQUIRED: { reason: string }
  /** `reason`: Node's verification code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`. */
  MAIL_TLS_CERT_INVALID: { reason: string }
}

export interface AuthdockErrorOptions<C extends AuthdockErrorCode = AuthdockErrorCode> {
  status?: number
  /** May the message be shown to the end user? Defaults to status < 500. */
  expose?: boolean
  cause?: unknown
  /** Field-level details for validation errors: `{ field: message }`. Never secrets. */
  fields?: Record<string, string>
  /** Extra non-secret facts of this code (see {@link ErrorDetails}). */
  details?: ErrorDetails[C]
  /**
   * Pages show `message` as it is instead of the text of the code in the page's language: for a
   * host's own words (`There is no such order.`). authdock's own errors leave it off.
   */
  showMessage?: boolean
}

/**
 * The one error type of authdock: a stable `code`, the HTTP `status`, whether `message` may be shown
 * (`expose`), field errors (`fields`) and non-secret `details` typed by the code. Hosts may throw it
 * from their own routes for `dock.errorHandler` to render. Pages show a text by code from the
 * locale; `message` is English, for logs and JSON.
 *
 * @example
 * throw new AuthdockError('NOT_FOUND', 'There is no such mail account.') // pages: the text of NOT_FOUND
 * throw new AuthdockError('NOT_FOUND', 'Kein solches Postfach.', { showMessage: true }) // pages: this text
 * // in a catch: err.code, err.status, err.fields, err.toJSON()
 */
export class AuthdockError<C extends AuthdockErrorCode = AuthdockErrorCode> extends Error {
  override readonly name = 'AuthdockError'
  readonly code: C
  readonly status: number
  readonly expose: boolean
  readonly fields?: Record<string, string>
  readonly details?: ErrorDetails[C]
  /** Pages show `message` rather than the text of the code (an exposed error only). */
  readonly showMessage: boolean

  constructor(code: C, message: string, options: AuthdockErrorOptions<C> = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status ?? ERROR_CODES[code]
    this.expose = options.expose ?? this.status < 500
    this.fields = options.fields
    this.details = options.details
    this.showMessage = options.showMessage ?? false
  }

  /** A JSON shape safe to send to a client. */
  toJSON(): { error: { code: C; message: string; fields?: Record<string, string> } } {
    return {
      error: {
        code: this.code,
        message: this.expose ? this.message : 'Internal error',
        ...(this.fields ? { fields: this.fields } : {}),
      },
    }
  }
}

/**
 * An AuthdockError of any code, as a union: `err.code === 'X'` narrows it to `AuthdockError<'X'>`
 * and so its `details` to that code's payload.
 *
 * @example
 * function explain(err: AnyAuthdockError) {
 *   if (err.code === 'PROFILE_IN_USE') return err.details?.users.join(', ')
 * }
 */
export type AnyAuthdockError = { [C in AuthdockErrorCode]: AuthdockError<C> }[AuthdockErrorCode]

/**
 * Whether `value` is an AuthdockError (of `code`, when given); narrows its type.
 *
 * @example
 * try { await dock.tokens.getAccessToken('Support mailbox') } catch (err) {
 *   if (isAuthdockError(err, 'TOKEN_REAUTHORIZATION_REQUIRED')) notifyAdmins()
 *   else throw err
 * }
 */
export function isAuthdockError<C extends AuthdockErrorCode>(value: unknown, code: C): value is AuthdockError<C>
export function isAuthdockError(value: unknown): value is AnyAuthdockError
export function isAuthdockError(value: unknown, code?: AuthdockErrorCode): boolean {
  return value instanceof AuthdockError && (code === undefined || value.code === code)
}
