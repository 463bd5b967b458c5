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

export interface AuthdockErrorOptions {
  status?: number
  /** May the message be shown to the end user? Defaults to status < 500. */
  expose?: boolean
  cause?: unknown
  /** Field-level details for validation errors: `{ field: message }`. Never secrets. */
  fields?: Record<string, string>
  /** Extra non-secret facts (provider error code, profile id, …). */
  details?: Record<string, unknown>
}

/**
 * The one error type of authdock: a stable `code`, the HTTP `status`, whether `message` may be shown
 * (`expose`), field errors (`fields`) and non-secret `details`. Hosts may throw it from their own
 * routes for `dock.errorHandler` to render.
 *
 * @example
 * throw new AuthdockError('NOT_FOUND', 'There is no such mail account.')
 * // in a catch: err.code, err.status, err.fields, err.toJSON()
 */
export class AuthdockError extends Error {
  override readonly name = 'AuthdockError'
  readonly code: AuthdockErrorCode
  readonly status: number
  readonly expose: boolean
  readonly fields?: Record<string, string>
  readonly details?: Record<string, unknown>

  constructor(code: AuthdockErrorCode, message: string, options: AuthdockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status ?? ERROR_CODES[code]
    this.expose = options.expose ?? this.status < 500
    this.fields = options.fields
    this.details = options.details
  }

  /** A JSON shape safe to send to a client. */
  toJSON(): { error: { code: AuthdockErrorCode; message: string; fields?: Record<string, string> } } {
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
 * Whether `value` is an AuthdockError (of `code`, when given); narrows its type.
 *
 * @example
 * try { await dock.tokens.getAccessToken('Support mailbox') } catch (err) {
 *   if (isAuthdockError(err, 'TOKEN_REAUTHORIZATION_REQUIRED')) notifyAdmins()
 *   else throw err
 * }
 */
export function isAuthdockError(value: unknown, code?: AuthdockErrorCode): value is AuthdockError {
  return value instanceof AuthdockError && (code === undefined || value.code === code)
}
