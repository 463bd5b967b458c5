/**
 * Translate what openid-client / oauth4webapi throw into AuthdockErrors with stable codes. Their
 * errors carry a code (OAUTH_…), a message and a `cause` naming the claim or header involved; we
 * read those, never the raw provider bodies, so no token or secret reaches a message.
 */
import * as client from 'openid-client'
import { AuthdockError, type AuthdockErrorCode } from '../errors.js'
import { classifyProviderError } from '../oauth/provider-errors.js'
import { outboundRefusal } from '../http/outbound-address.js'

/** Where the error happened: the same oauth4webapi code means different things per step. */
export type OidcPhase = 'discovery' | 'callback' | 'userinfo' | 'refresh'

interface Coded {
  code?: string
  message: string
  cause?: unknown
  error?: string
  error_description?: string
  status?: number
}

/** The innermost openid-client/oauth4webapi error (openid-client wraps oauth4webapi's). */
function innermost(err: unknown): Coded | undefined {
  let current: unknown = err
  let found: Coded | undefined
  for (let i = 0; i < 5 && current instanceof Error; i++) {
    const coded = current as Error & Coded
    if (typeof coded.code === 'string' && coded.code.startsWith('OAUTH_')) found = coded
    current = coded.cause
  }
  return found
}

/** WebCrypto refused a key from the provider's JWKS (unparseable, wrong type for the algorithm). */
function isUnusableKey(err: unknown): boolean {
  let current: unknown = err
  for (let i = 0; i < 5 && current instanceof Error; i++) {
    if (current instanceof DOMException && (current.name === 'DataError' || current.name === 'InvalidAccessError'))
      return true
    current = (current as Error).cause
  }
  return false
}

function causeField(err: Coded | undefined, field: string): unknown {
  const cause = err?.cause
  return cause && typeof cause === 'object' ? (cause as Record<string, unknown>)[field] : undefined
}

// oauth4webapi's error codes (openid-client does not re-export the constants).
const KEY_SELECTION = 'OAUTH_KEY_SELECTION_FAILED'
const JSON_ATTRIBUTE_COMPARISON = 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'
const JWT_CLAIM_COMPARISON = 'OAUTH_JWT_CLAIM_COMPARISON_FAILED'
const JWT_TIMESTAMP_CHECK = 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED'
const INVALID_RESPONSE = 'OAUTH_INVALID_RESPONSE'
const UNUSABLE_BODY = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_PARSE_ERROR'])

const CLAIM_CODES: Record<string, AuthdockErrorCode> = { nonce: 'OIDC_NONCE_INVALID' }

/**
 * 'timeout' when the provider did not answer within `tokens.httpTimeoutMs` (our AbortSignal, which
 * openid-client reports as OAUTH_TIMEOUT), 'network' when fetch could not reach it at all
 * (refused, reset, unknown host, no route: undici's "fetch failed"), else null: the provider
 * answered, and what it answered decides the code. Only fetch's own errors count, so that a host
 * callback failing with, say, its database's ECONNREFUSED is not blamed on the provider.
 */
export function unavailableReason(err: unknown): 'timeout' | 'network' | null {
  let current: unknown = err
  for (let i = 0; i < 6 && current !== null && typeof current === 'object'; i++) {
    const c = current as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown }
    if (c.code === 'OAUTH_TIMEOUT' || c.code === 'OAUTH_ABORT' || c.name === 'TimeoutError' || c.name === 'AbortError')
      return 'timeout'
    if (
      (c.name === 'TypeError' && c.message === 'fetch failed') ||
      (typeof c.code === 'string' && c.code.startsWith('UND_ERR_'))
    )
      return 'network'
    current = c.cause
  }
  return null
}

/** Map any error from an OIDC step to an AuthdockError (already mapped errors pass through). */
export function mapOidcError(err: unknown, phase: OidcPhase): AuthdockError {
  if (err instanceof AuthdockError) return err
  const refused = outboundRefusal(err)
  if (refused) return refused
  const wrap = (code: AuthdockErrorCode, message: string, details: Record<string, unknown> = {}) =>
    new AuthdockError(code, message, { cause: err, details: { phase, ...details } })

  // Down or slow, whichever step asked: the retry page and the audit say so, the password still works.
  const unavailable = unavailableReason(err)
  if (unavailable) {
    return wrap(
      'OIDC_PROVIDER_UNAVAILABLE',
      unavailable === 'timeout'
        ? 'The identity provider did not answer in time'
        : 'The identity provider could not be reached',
      { reason: unavailable },
    )
  }

  if (err instanceof client.AuthorizationResponseError) {
    const providerText = err.error_description ?? undefined
    if (err.error === 'access_denied')
      return wrap('OIDC_ACCESS_DENIED', 'The login was cancelled at the identity provider', {
        providerError: err.error,
        providerText,
      })
    return wrap('OIDC_PROVIDER_ERROR', `The identity provider answered with the error "${err.error}"`, {
      providerError: err.error,
      providerText,
    })
  }
  const credentials = clientCredentialsRefused(err, phase)
  if (credentials) return wrap(credentials.code, credentials.message, credentials.details)
  if (err instanceof client.ResponseBodyError) {
    const code: AuthdockErrorCode = phase === 'userinfo' ? 'OIDC_PROVIDER_ERROR' : 'OIDC_TOKEN_ENDPOINT_FAILED'
    return wrap(code, `The identity provider refused the request ("${err.error}")`, {
      providerError: err.error,
      providerText: err.error_description,
      status: err.status,
    })
  }

  const inner = innermost(err)
  const message = inner?.message ?? (err instanceof Error ? err.message : String(err))
  const claim = causeField(inner, 'claim') ?? /JWT "(\w+)"/.exec(message)?.[1]
  const attribute = causeField(inner, 'attribute')

  if (phase === 'discovery') {
    if (inner?.code === JSON_ATTRIBUTE_COMPARISON && attribute === 'issuer') {
      return wrap('OIDC_ISSUER_MISMATCH', `The provider's metadata names another issuer than the configured one`)
    }
    return wrap('OIDC_DISCOVERY_FAILED', "The identity provider's discovery document could not be read", {
      reason: inner?.code ?? 'network',
    })
  }
  if (/response parameter "iss"|"iss" \(issuer\) response parameter/.test(message)) {
    return wrap('OIDC_ISS_PARAM_INVALID', 'The authorization response names a wrong or no issuer (RFC 9207)')
  }
  if (/"state" response parameter|response parameter "state"/.test(message)) {
    return wrap('OIDC_STATE_INVALID', 'The login answer does not belong to a login started here')
  }
  if (/"alg"|unsupported JWS algorithm/.test(message)) {
    return wrap('OIDC_ALG_NOT_ALLOWED', 'The ID token is signed with an algorithm that is not allowed')
  }
  // Left after the alg check above: WebCrypto or oauth4webapi refusing the JWKS key itself.
  if (isUnusableKey(err) || inner?.code === 'OAUTH_UNSUPPORTED_OPERATION') {
    return wrap('OIDC_SIGNATURE_INVALID', "The provider's signing key cannot be used", { reason: 'key_unusable' })
  }
  if (message === 'JWT signature verification failed' || inner?.code === KEY_SELECTION) {
    return wrap('OIDC_SIGNATURE_INVALID', 'The ID token signature could not be verified', {
      reason: inner?.code === KEY_SELECTION ? 'key_selection' : 'signature',
    })
  }
  if (phase === 'userinfo' && inner?.code === JSON_ATTRIBUTE_COMPARISON) {
    return wrap('OIDC_USERINFO_SUB_MISMATCH', 'UserInfo describes another subject than the ID token')
  }
  if (
    inner?.code === JWT_CLAIM_COMPARISON ||
    inner?.code === JWT_TIMESTAMP_CHECK ||
    /JWT "?\w+"? .*claim/.test(message)
  ) {
    const name = typeof claim === 'string' ? claim : 'unknown'
    return wrap(CLAIM_CODES[name] ?? 'OIDC_CLAIM_INVALID', `The ID token claim "${name}" is missing or invalid`, {
      claim: name,
    })
  }
  if (phase === 'userinfo')
    return wrap('OIDC_PROVIDER_ERROR', 'The UserInfo answer could not be used', { reason: inner?.code ?? 'network' })
  if (inner?.code && UNUSABLE_BODY.has(inner.code)) {
    // By shape: undici's own fetch (proxy, outbound check) answers with its own Response class.
    const answer = inner.cause as { status?: unknown; headers?: { get?: unknown } } | undefined
    const status =
      typeof answer?.status === 'number' && typeof answer.headers?.get === 'function' ? answer.status : undefined
    return wrap('OIDC_TOKEN_ENDPOINT_FAILED', 'The token endpoint gave an unusable answer', {
      reason: inner.code,
      ...(status ? { status } : {}),
    })
  }
  if (inner?.code === INVALID_RESPONSE && /"response" body/.test(message)) {
    return wrap('OIDC_TOKEN_ENDPOINT_FAILED', 'The token endpoint gave an unusable answer', { reason: inner.code })
  }
  if (inner?.code === INVALID_RESPONSE) {
    return wrap('OIDC_ID_TOKEN_INVALID', 'The ID token is malformed', { reason: inner.code })
  }
  return wrap('OIDC_TOKEN_ENDPOINT_FAILED', 'The identity provider gave an answer that could not be used', {
    reason: inner?.code ?? 'unknown',
  })
}

/**
 * The token endpoint refused the login client itself (`invalid_client`; Entra AADSTS7000222 for
 * an expired secret, AADSTS7000215 for a wrong one), in a JSON body or a WWW-Authenticate
 * challenge: an administrator must act, so it gets its own code instead of
 * OIDC_TOKEN_ENDPOINT_FAILED. The provider's text is not kept (it names the app registration).
 */
function clientCredentialsRefused(
  err: unknown,
  phase: OidcPhase,
): { code: AuthdockErrorCode; message: string; details: Record<string, unknown> } | null {
  if (phase !== 'callback' && phase !== 'refresh') return null
  if (!(err instanceof client.ResponseBodyError) && !(err instanceof client.WWWAuthenticateChallengeError)) return null
  const found = classifyProviderError(err)
  const details = { providerError: 'invalid_client', providerCode: found.providerCode, status: err.status }
  if (found.code === 'TOKEN_SECRET_EXPIRED') {
    return {
      code: 'OIDC_CLIENT_SECRET_EXPIRED',
      message: 'The identity provider says the client secret of this application has expired',
      details,
    }
  }
  if (found.code === 'TOKEN_SECRET_INVALID') {
    return {
      code: 'OIDC_CLIENT_SECRET_INVALID',
      message: 'The identity provider refuses the client ID or client secret of this application',
      details,
    }
  }
  return null
}
